"""A mention goes through a mute: push notifications of messages that mention a member, on the
in-memory fakes (the notifier and its helpers as tests/unit/test_notifications.py builds them)."""

import pytest

from chat.models.api import CreateGroupRequest, UpdateProfileRequest
from tests.unit.conftest import Chat
from tests.unit.test_notifications import Push


@pytest.fixture
def push(chat: Chat) -> Push:
    return Push(chat)


def test_a_member_who_muted_the_chat_is_still_told_of_a_mention_and_told_it_is_one(push: Push) -> None:
    # Given a group where bob and carol muted it, dan did not, each with a browser subscribed
    (alice, _), (bob, bob_login), (carol, carol_login) = push.user("alice"), push.user("bob"), push.user("carol")
    dan, dan_login = push.user("dan")
    group = push.chat.conversations.create_group(alice, CreateGroupRequest(name="Team", memberIds=[bob, carol, dan]))
    for user, login in ((bob, bob_login), (carol, carol_login), (dan, dan_login)):
        push.subscribe(user, login, user)
    for user in (bob, carol):
        push.chat.conversation_store.set_muted(group.id, user, True, None)

    # When alice mentions bob and dan
    push.send(alice, group.id, "@bob @dan standup in 5")
    push.run_queue()

    # Then bob is notified though he muted it, carol is not; both mentioned are told it is a mention
    assert sorted(s.id for s, _, _ in push.web_push.sent) == sorted([bob, dan])
    for user in (bob, dan):
        [payload] = push.pushed(user)
        assert (payload["title"], payload["body"], payload["mention"]) == (
            "alice mentioned you in Team",
            "@bob @dan standup in 5",
            True,
        )


def test_a_mention_without_previews_says_only_that_someone_mentioned_you(push: Push) -> None:
    (alice, _), (bob, bob_login), (carol, carol_login) = push.user("alice"), push.user("bob"), push.user("carol")
    push.chat.user_service.update_profile(bob, UpdateProfileRequest(notificationPreviews=False))
    group = push.chat.conversations.create_group(alice, CreateGroupRequest(name="Team", memberIds=[bob, carol]))
    push.subscribe(bob, bob_login, "bob")
    push.subscribe(carol, carol_login, "carol")

    push.send(alice, group.id, "@bob the secret plan")
    push.run_queue()

    assert [(p["title"], p["body"], p["mention"]) for p in push.pushed("bob")] == [
        ("alice mentioned you in Team", "New message", True)
    ]
    assert [(p["title"], p["body"], p["mention"]) for p in push.pushed("carol")] == [
        ("Team", "alice: @bob the secret plan", False)
    ]
