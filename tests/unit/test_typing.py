import json
from dataclasses import replace
from datetime import timedelta

import pytest

from chat.clock import utc_now
from chat.models.api import CreateGroupRequest, SignupRequest, TypingAction
from chat.models.chat import Connection
from chat.models.errors import Forbidden, NotFound
from chat.services.typing import TypingService
from chat.services.wiring import Services
from tests.unit.conftest import SETTINGS, Chat


@pytest.fixture
def typing(chat: Chat) -> TypingService:
    return chat.services.typing  # TYPING_MAX_GROUP_SIZE at its default, 50


def test_other_members_hear_it_once_per_two_seconds_and_the_stop_that_clears_it(
    chat: Chat, typing: TypingService
) -> None:
    alice, bob, carol = (
        chat.auth.signup(SignupRequest(username=n, password="password1")).user.id for n in ("alice", "bob", "carol")
    )
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="G", memberIds=[bob, carol]))
    for user, socket in [(alice, "alice-phone"), (alice, "alice-laptop"), (bob, "bob-1"), (carol, "carol-1")]:
        chat.connections.add(Connection(connectionId=socket, userId=user), utc_now() - timedelta(minutes=1))
    start = TypingAction(action="typing", conversationId=group.id, isTyping=True)
    stop = TypingAction(action="typing", conversationId=group.id, isTyping=False)

    assert typing.typing(alice, start)
    assert not typing.typing(alice, start)  # within 2 s: dropped
    assert typing.typing(alice, stop)
    assert not typing.typing(alice, stop)  # nothing shown to clear: no push
    assert typing.typing(alice, start)  # a stop closed the window: typing again shows at once

    expected = [
        {"type": "typing", "conversationId": group.id, "userId": alice, "isTyping": True},
        {"type": "typing", "conversationId": group.id, "userId": alice, "isTyping": False},
        {"type": "typing", "conversationId": group.id, "userId": alice, "isTyping": True},
    ]
    for socket in ("bob-1", "carol-1"):
        assert [json.loads(f) for f in chat.pusher.frames[socket]] == expected
    assert "alice-laptop" not in chat.pusher.frames  # the typist's own devices are not told


def test_only_members_may_say_they_are_typing(chat: Chat, typing: TypingService) -> None:
    alice, bob, eve = (
        chat.auth.signup(SignupRequest(username=n, password="password1")).user.id for n in ("alice", "bob", "eve")
    )
    conversation, _ = chat.conversations.open_direct(alice, bob)
    with pytest.raises(Forbidden):
        typing.typing(eve, TypingAction(action="typing", conversationId=conversation.id, isTyping=True))
    with pytest.raises(NotFound):
        typing.typing(alice, TypingAction(action="typing", conversationId="nope", isTyping=True))


def test_typing_in_a_group_over_the_limit_is_not_forwarded(chat: Chat) -> None:
    # Given a limit of 3 and a group of 3 and one of 4, every member online
    typing = Services(chat.fakes, replace(SETTINGS, typing_max_group_size=3), sleep=lambda _: None).typing
    users = [chat.auth.signup(SignupRequest(username=f"typist{i}", password="password1")).user.id for i in range(4)]
    for user in users:
        chat.connections.add(Connection(connectionId=f"ws-{user}", userId=user), utc_now() - timedelta(minutes=1))
    small = chat.conversations.create_group(users[0], CreateGroupRequest(name="S", memberIds=users[1:3]))
    large = chat.conversations.create_group(users[0], CreateGroupRequest(name="L", memberIds=users[1:]))

    # Then the small group hears it; the large one does not, and neither start nor stop is pushed
    assert typing.typing(users[0], TypingAction(action="typing", conversationId=small.id, isTyping=True))
    assert sum(len(frames) for frames in chat.pusher.frames.values()) == 2
    chat.pusher.frames.clear()
    for is_typing in (True, False):
        assert not typing.typing(users[0], TypingAction(action="typing", conversationId=large.id, isTyping=is_typing))
    assert chat.pusher.frames == {}
