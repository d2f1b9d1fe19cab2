"""Blocking, through the services: a blocked user cannot open a direct chat with the blocker or
send in one (told nothing of the block), sees none of the blocker's presence or typing, and the
blocker hears no notification of theirs; unblocking undoes it all."""

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from chat.clock import utc_now
from chat.models.api import CreateGroupRequest, SendMessageRequest, SignupRequest, TypingAction
from chat.models.chat import Connection
from chat.models.errors import Conflict, Forbidden, InvalidRequest, NotFound
from chat.models.ports import PushSubscription
from chat.services.wiring import Services
from tests.unit.conftest import SETTINGS, Chat, FakeAdapters


def sign_up(chat: Chat, *names: str) -> list[str]:
    return [chat.auth.signup(SignupRequest(username=name, password="password1")).user.id for name in names]


def online(chat: Chat, user_id: str, socket: str) -> None:
    chat.connections.add(Connection(connectionId=socket, userId=user_id), utc_now() - timedelta(minutes=1))


def frames(chat: Chat, socket: str) -> list[dict[str, object]]:
    return [json.loads(frame) for frame in chat.pusher.frames.get(socket, [])]


def text(to: str, words: str, *, by_receiver: bool = False) -> SendMessageRequest:
    if by_receiver:
        return SendMessageRequest(receiverId=to, text=words)
    return SendMessageRequest(conversationId=to, text=words)


def test_the_blocked_cannot_send_in_their_direct_chat_and_are_not_told_why(chat: Chat) -> None:
    # Given alice and bob in a direct chat
    alice, bob = sign_up(chat, "alice", "bob")
    direct, _ = chat.conversations.open_direct(alice, bob)
    chat.messages.send_message(bob, text(direct.id, "hi"))

    # When alice blocks bob
    chat.user_service.block(alice, bob)

    # Then bob's sends are refused, by the chat's id or by alice's, with nothing of a block
    for request in (text(direct.id, "hello?"), text(alice, "hello?", by_receiver=True)):
        with pytest.raises(Forbidden) as refused:
            chat.messages.send_message(bob, request)
        assert refused.value.message == "This message could not be sent."
    # And alice, who blocked him, is told how to send again
    with pytest.raises(Forbidden, match=r"You blocked this user: unblock them to send\."):
        chat.messages.send_message(alice, text(direct.id, "bye"))
    # And bob can still read what was said
    assert [m.text for m in chat.messages.history(bob, direct.id, 50, None, None).items] == ["hi"]

    # When alice unblocks him, both send again
    chat.user_service.unblock(alice, bob)
    assert chat.messages.send_message(bob, text(direct.id, "thanks")).created
    assert chat.messages.send_message(alice, text(direct.id, "np")).created


def test_the_blocked_cannot_open_a_direct_chat_with_the_blocker(chat: Chat) -> None:
    alice, bob = sign_up(chat, "alice", "bob")
    chat.user_service.block(alice, bob)

    with pytest.raises(Forbidden) as opening:
        chat.conversations.open_direct(bob, alice)
    assert opening.value.message == "You cannot start a chat with this user."
    with pytest.raises(Forbidden, match=r"You cannot start a chat with this user\."):
        chat.messages.send_message(bob, text(alice, "hi", by_receiver=True))
    # (the blocker must unblock first to start one themselves)
    with pytest.raises(Forbidden, match="You blocked this user"):
        chat.conversations.open_direct(alice, bob)
    assert chat.conversation_store.find_direct(":".join(sorted((alice, bob)))) is None

    chat.user_service.unblock(alice, bob)
    conversation, created = chat.conversations.open_direct(bob, alice)
    assert created
    assert chat.messages.send_message(bob, text(conversation.id, "hi")).created


def test_groups_still_carry_both_and_the_blocker_is_not_notified_of_the_blocked() -> None:
    # Given a deploy that sends notifications; a group of alice, bob and carol, all away, each
    # with a browser subscribed; alice blocked bob
    fakes = FakeAdapters()
    services = Services(fakes, replace(SETTINGS, notify_queue_url="https://sqs.test/notify"), sleep=lambda _: None)
    notifying = Chat(services, fakes)
    sessions = {
        name: notifying.auth.signup(SignupRequest(username=name, password="password1"))
        for name in ("alice", "bob", "carol")
    }
    alice, bob, carol = (sessions[name].user.id for name in ("alice", "bob", "carol"))
    for name, session in sessions.items():
        login = notifying.access.verify_access_token(session.accessToken).login_id or ""
        subscription = PushSubscription(
            id=name, user_id=session.user.id, login_id=login, endpoint=f"https://fcm.googleapis.com/fcm/send/{name}",
            p256dh="p", auth="a", expires_at=None, created_at=utc_now(),
        )  # fmt: skip
        fakes.push_subscriptions.save(subscription, keep_at_most=10)
    group = notifying.conversations.create_group(alice, CreateGroupRequest(name="G", memberIds=[bob, carol]))
    notifying.user_service.block(alice, bob)

    # When bob writes in the group
    sent = notifying.messages.send_message(bob, text(group.id, "hello all")).message

    # Then everyone has it in the group
    assert [m.id for m in notifying.messages.history(alice, group.id, 50, None, None).items] == [sent.id]
    # But of the notifications, only carol's browser gets one: alice blocked him
    while fakes.notification_queue.jobs:
        job, _ = fakes.notification_queue.jobs.pop(0)
        services.notifier.deliver(job)
    assert [subscription.id for subscription, _, _ in fakes.web_push.sent] == ["carol"]


def test_the_blocked_see_none_of_the_blockers_presence_or_typing(chat: Chat) -> None:
    # Given alice, bob and carol, who share a group and direct chats; alice blocked bob
    alice, bob, carol = sign_up(chat, "alice", "bob", "carol")
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="G", memberIds=[bob, carol]))
    direct, _ = chat.conversations.open_direct(alice, bob)
    chat.user_service.block(alice, bob)
    online(chat, bob, "bob-1")
    online(chat, carol, "carol-1")

    # When alice comes online and types in the group and in the direct chat
    chat.services.presence.connected(Connection(connectionId="alice-1", userId=alice))
    chat.services.typing.typing(alice, TypingAction(action="typing", conversationId=group.id, isTyping=True))
    assert not chat.services.typing.typing(
        alice, TypingAction(action="typing", conversationId=direct.id, isTyping=True)
    )
    assert not chat.services.typing.typing(bob, TypingAction(action="typing", conversationId=direct.id, isTyping=True))

    # Then carol hears both; bob hears neither
    assert [f["type"] for f in frames(chat, "carol-1")] == ["presence", "typing"]
    assert frames(chat, "bob-1") == []
    # And when bob looks her up, she is not online and was never seen
    seen = chat.user_service.get(bob, alice)
    assert (seen.online, seen.lastSeenAt) == (False, None)
    assert chat.user_service.get(carol, alice).online
    # And bob's own typing in the group still reaches alice (she blocked him, not he her)
    chat.services.typing.typing(bob, TypingAction(action="typing", conversationId=group.id, isTyping=True))
    assert [f["userId"] for f in frames(chat, "alice-1") if f["type"] == "typing"] == [bob]


def test_blocks_are_listed_latest_first_and_refused_where_they_make_no_sense(chat: Chat) -> None:
    alice, bob, carol = sign_up(chat, "alice", "bob", "carol")
    chat.user_service.block(alice, bob)
    chat.user_service.block(alice, carol)
    chat.user_service.block(alice, bob)  # again: no change

    assert [u.username for u in chat.user_service.blocked(alice).items] == ["carol", "bob"]
    assert chat.user_service.blocked(bob).items == []
    with pytest.raises(InvalidRequest, match=r"Name someone else: that id is your own\."):
        chat.user_service.block(alice, alice)
    with pytest.raises(NotFound):
        chat.user_service.block(alice, "nobody")
    with pytest.raises(NotFound):
        chat.user_service.unblock(alice, "nobody")


def test_past_the_cap_a_new_block_is_refused(chat: Chat) -> None:
    fakes = FakeAdapters()
    capped = Chat(Services(fakes, replace(SETTINGS, max_blocks_per_user=1)), fakes)
    alice, bob, carol = sign_up(capped, "alice", "bob", "carol")
    capped.user_service.block(alice, bob)

    with pytest.raises(Conflict, match="You have blocked 1 people"):
        capped.user_service.block(alice, carol)
    capped.user_service.block(alice, bob)  # already so: fine


def test_the_blocked_see_the_blocker_go_offline_at_once_and_back_on_unblock(chat: Chat) -> None:
    # Given alice and bob in a direct chat, both online, bob's client showing her online
    alice, bob = sign_up(chat, "alice", "bob")
    chat.conversations.open_direct(alice, bob)
    online(chat, bob, "bob-1")
    chat.services.presence.connected(Connection(connectionId="alice-1", userId=alice))
    assert frames(chat, "bob-1")[-1] == {"type": "presence", "userId": alice, "online": True, "lastSeenAt": None}

    # When alice blocks bob, his socket sees her offline, never seen (as he will see her from now on)
    chat.user_service.block(alice, bob)
    assert frames(chat, "bob-1")[-1] == {"type": "presence", "userId": alice, "online": False, "lastSeenAt": None}

    # When she unblocks him, he sees her as she is again
    chat.user_service.unblock(alice, bob)
    assert frames(chat, "bob-1")[-1] == {"type": "presence", "userId": alice, "online": True, "lastSeenAt": None}
    # (and someone who shares nothing with her hears nothing of an unblock)
    (eve,) = sign_up(chat, "eve")
    online(chat, eve, "eve-1")
    chat.user_service.block(alice, eve)
    chat.user_service.unblock(alice, eve)
    assert [f for f in frames(chat, "eve-1") if f.get("online")] == []


def test_an_unblock_racing_the_opening_of_a_chat_leaves_it_open(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given bob opening a chat with alice while alice blocks him and at once unblocks him: the
    # first look after the chat is made finds the block, the next finds it gone
    alice, bob = sign_up(chat, "alice", "bob")
    answers = iter([set(), {alice}, set()])  # before making it, after making it, once more
    monkeypatch.setattr(chat.fakes.blocks, "between", lambda a, b: next(answers))

    conversation, _ = chat.conversations.open_direct(bob, alice)

    # Then the chat is not left closed by a block no one holds
    assert chat.conversation_store.get(conversation.id).blockedBy == []  # type: ignore[union-attr]
    assert chat.messages.send_message(bob, text(conversation.id, "hi")).created
