"""Push notifications on the in-memory fakes: who is notified of a message, with what, and
what a push service's answers lead to. Muting a chat is here too (ChatSettingsService)."""

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from chat.clock import utc_now
from chat.models.api import CreateGroupRequest, SendMessageRequest, SignupRequest
from chat.models.chat import Attachment, Connection
from chat.models.errors import Forbidden, InvalidRequest
from chat.models.ports import NotificationJob, PushOutcome, PushSubscription
from chat.services.chat_settings import ChatSettingsService
from chat.services.notifications import Notifier, PushRules, preview, topic_of
from chat.services.wiring import Services
from tests.builders import a_message as a_stored_message
from tests.unit.conftest import SETTINGS, Chat


class Push:
    """The notifier and its fakes, beside the chat the messages are sent in."""

    def __init__(self, chat: Chat, rules: PushRules | None = None) -> None:
        self.chat = chat
        fakes = chat.fakes
        self.queue = fakes.notification_queue  # what sends queue, and what the notifier queues again
        self.subscriptions = fakes.push_subscriptions
        self.deliveries = fakes.push_deliveries
        self.web_push = fakes.web_push
        # By hand, not from Services: the retry delays the tests assert need a jitter of 0.
        self.notifier = Notifier(
            messages=chat.message_store,
            conversations=chat.conversation_store,
            users=chat.users,
            blocks=fakes.blocks,
            connections=chat.connections,
            logins=chat.logins,
            subscriptions=self.subscriptions,
            deliveries=self.deliveries,
            sender=self.web_push,
            queue=self.queue,
            rules=rules or PushRules(ttl_seconds=3600, max_attempts=3, first_retry_seconds=10),
            threads=4,
            jitter=lambda: 0.0,
        )
        # Sends queue notifications once a queue is configured (the chat fixture's send none).
        notifying = replace(SETTINGS, notify_queue_url="https://sqs.test/notify")
        self.messages = Services(fakes, notifying, sleep=lambda _: None).messages

    def user(self, name: str) -> tuple[str, str]:
        """A new user and the login they signed up with."""
        session = self.chat.auth.signup(SignupRequest(username=name, password="password1"))
        return session.user.id, self.chat.access.verify_access_token(session.accessToken).login_id or ""

    def subscribe(self, user_id: str, login_id: str, name: str) -> PushSubscription:
        subscription = PushSubscription(
            id=name, user_id=user_id, login_id=login_id, endpoint=f"https://fcm.googleapis.com/fcm/send/{name}",
            p256dh="p", auth="a", expires_at=None, created_at=utc_now(),
        )  # fmt: skip
        self.subscriptions.save(subscription, keep_at_most=10)
        return subscription

    def send(self, sender: str, conversation_id: str, text: str = "hi", **extra: Any) -> str:
        request = SendMessageRequest(conversationId=conversation_id, text=text, **extra)
        return self.messages.send_message(sender, request).message.id

    def run_queue(self) -> list[dict[str, int]]:
        """Delivers every queued job, and those they queue, as the notifier would."""
        counts = []
        while self.queue.jobs:
            job, _ = self.queue.jobs.pop(0)
            counts.append(self.notifier.deliver(job))
        return counts

    def pushed(self, name: str) -> list[dict[str, Any]]:
        return [json.loads(payload) for s, payload, _ in self.web_push.sent if s.id == name]


@pytest.fixture
def push(chat: Chat) -> Push:
    return Push(chat)


def test_a_send_queues_one_job_for_the_members_who_are_away(push: Push) -> None:
    (alice, _), (bob, _), (carol, _) = push.user("alice"), push.user("bob"), push.user("carol")
    group = push.chat.conversations.create_group(alice, CreateGroupRequest(name="Team", memberIds=[bob, carol]))
    push.chat.connections.add(Connection(connectionId="bob-1", userId=bob), utc_now())

    message_id = push.send(alice, group.id)

    # Only carol was away (bob has a socket, alice sent it): one job names her
    assert [job for job, _ in push.queue.jobs] == [NotificationJob(group.id, message_id, recipient_ids=[carol])]
    # Nobody away: nothing is queued
    push.queue.jobs.clear()
    push.chat.connections.add(Connection(connectionId="carol-1", userId=carol), utc_now())
    push.send(alice, group.id)
    assert push.queue.jobs == []


def test_each_browser_of_an_away_member_gets_the_message_once(push: Push) -> None:
    (alice, _), (bob, bob_login) = push.user("alice"), push.user("bob")
    push.subscribe(bob, bob_login, "bob-phone")
    push.subscribe(bob, bob_login, "bob-laptop")
    chat, _ = push.chat.conversations.open_direct(alice, bob)
    message_id = push.send(alice, chat.id, "Lunch?")

    # A job SQS hands over twice sends nothing twice
    job = push.queue.jobs[0][0]
    assert push.run_queue() == [{"sent": 2, "gone": 0, "retrying": 0, "refused": 0}]
    assert push.notifier.deliver(job) == {"sent": 0, "gone": 0, "retrying": 0, "refused": 0}

    for browser in ("bob-phone", "bob-laptop"):
        assert push.pushed(browser) == [
            {
                "type": "message",
                "conversationId": chat.id,
                "messageId": message_id,
                "seq": 1,
                "title": "alice",
                "body": "Lunch?",
                "conversationType": "direct",
                "senderId": alice,
                "mention": False,
            }
        ]
    options = push.web_push.sent[0][2]
    assert options == {"ttl": 3600, "urgency": "high", "topic": topic_of(chat.id)}


def test_muted_online_logged_out_and_former_members_get_nothing(push: Push) -> None:
    (alice, _), (bob, bob_login), (carol, carol_login) = push.user("alice"), push.user("bob"), push.user("carol")
    (dan, dan_login), (erin, erin_login) = push.user("dan"), push.user("erin")
    team = CreateGroupRequest(name="Team", memberIds=[bob, carol, dan, erin])
    group = push.chat.conversations.create_group(alice, team)
    for user, login in ((bob, bob_login), (carol, carol_login), (dan, dan_login), (erin, erin_login)):
        push.subscribe(user, login, user)
    push.chat.conversation_store.set_muted(group.id, bob, True, None)
    push.chat.conversation_store.set_muted(group.id, carol, True, utc_now() - timedelta(minutes=1))  # ran out
    push.send(alice, group.id, "standup")
    # Between the send and the notifier: dan opens the app, erin logs out
    push.chat.connections.add(Connection(connectionId="dan-1", userId=dan), utc_now())
    push.chat.logins.end(erin, [erin_login], utc_now(), utc_now() + timedelta(days=1))

    push.run_queue()

    assert [s.id for s, _, _ in push.web_push.sent] == [carol]
    assert push.pushed(carol)[0]["title"] == "Team"
    assert push.pushed(carol)[0]["body"] == "alice: standup"
    # A logged-out browser's subscription is forgotten
    assert sorted(push.subscriptions.subscriptions) == sorted([bob, carol, dan])


def test_a_deleted_message_notifies_no_one(push: Push) -> None:
    (alice, _), (bob, bob_login) = push.user("alice"), push.user("bob")
    push.subscribe(bob, bob_login, "bob-phone")
    chat, _ = push.chat.conversations.open_direct(alice, bob)
    message_id = push.send(alice, chat.id, "oops")
    push.chat.message_store.delete(message_id, alice, utc_now())
    assert push.run_queue() == [{"sent": 0}]
    assert push.web_push.sent == []


def test_gone_subscriptions_go_and_slow_services_are_tried_later(push: Push) -> None:
    (alice, _), (bob, bob_login) = push.user("alice"), push.user("bob")
    gone, slow, broken = (push.subscribe(bob, bob_login, name) for name in ("gone", "slow", "broken"))
    push.web_push.statuses = {
        gone.endpoint: [PushOutcome(410)],
        slow.endpoint: [PushOutcome(429, retry_after=120), PushOutcome(503), PushOutcome(0)],
        broken.endpoint: [PushOutcome(400)],
    }
    chat, _ = push.chat.conversations.open_direct(alice, bob)
    message_id = push.send(alice, chat.id)
    first = push.queue.jobs.pop(0)[0]

    assert push.notifier.deliver(first) == {"sent": 0, "gone": 1, "retrying": 1, "refused": 1}
    # The gone one is forgotten; the slow one is tried again after the push service's 120 s
    assert sorted(push.subscriptions.subscriptions) == ["broken", "slow"]
    [(retry, delay)] = push.queue.jobs
    assert (retry.subscription_ids, retry.attempt, delay) == (["slow"], 2, 120)
    # Then after 20 s (doubling), and the third attempt is the last: given up, not queued
    push.queue.jobs.clear()
    assert push.notifier.deliver(retry)["retrying"] == 1
    [(third, delay)] = push.queue.jobs
    assert (third.attempt, delay) == (3, 20)
    push.queue.jobs.clear()
    assert push.notifier.deliver(third)["retrying"] == 1
    assert push.queue.jobs == []
    assert [s.id for s, _, _ in push.web_push.sent].count("slow") == 3
    # Every claim stays: answered, gone, and given up alike (a redelivered job sends none again)
    assert sorted(push.deliveries.claims) == [f"{message_id}:{s}" for s in ("broken", "gone", "slow")]


def test_previews_follow_each_recipients_setting(push: Push) -> None:
    from chat.models.api import UpdateProfileRequest

    (alice, _), (bob, bob_login), (carol, carol_login) = push.user("alice"), push.user("bob"), push.user("carol")
    push.chat.user_service.update_profile(carol, UpdateProfileRequest(notificationPreviews=False))
    group = push.chat.conversations.create_group(alice, CreateGroupRequest(name="Team", memberIds=[bob, carol]))
    push.subscribe(bob, bob_login, "bob")
    push.subscribe(carol, carol_login, "carol")
    push.send(alice, group.id, "the plan is secret")
    push.run_queue()
    assert push.pushed("bob")[0]["body"] == "alice: the plan is secret"
    assert push.pushed("carol")[0]["body"] == "New message"


def test_previews_say_what_a_message_holds() -> None:
    def a_message(text: str, *types: str) -> Any:
        attachments = [Attachment(mediaId=str(i), name="f", contentType=t, size=1) for i, t in enumerate(types)]
        return a_stored_message("c", "u", 1).model_copy(update={"text": text, "attachments": attachments})

    assert preview(a_message("  two\n\nlines ")) == "two lines"
    assert preview(a_message("", "image/png")) == "📷 Photo"
    assert preview(a_message("", "application/pdf")) == "📎 Attachment"
    long = preview(a_message("word " * 100))
    assert (len(long), long[-1]) == (120, "…")  # PREVIEW_LENGTH characters at most


@pytest.fixture
def settings_service(chat: Chat) -> ChatSettingsService:
    return chat.services.chat_settings


def test_muting_is_the_callers_own_and_told_to_their_devices(push: Push, settings_service: ChatSettingsService) -> None:
    (alice, _), (bob, _), (carol, _) = push.user("alice"), push.user("bob"), push.user("carol")
    group = push.chat.conversations.create_group(alice, CreateGroupRequest(name="Team", memberIds=[bob]))
    push.chat.connections.add(Connection(connectionId="alice-1", userId=alice), utc_now() - timedelta(minutes=1))
    push.chat.connections.add(Connection(connectionId="bob-1", userId=bob), utc_now() - timedelta(minutes=1))
    until = utc_now() + timedelta(hours=8)

    view = settings_service.set_muted(alice, group.id, muted=True, until=until)

    assert (view.muted, view.mutedUntil) == (True, until)
    assert push.chat.conversations.get(bob, group.id).muted is False
    assert push.chat.conversations.list_for(alice, 10, None).items[0].mutedUntil == until
    frames = [json.loads(f) for f in push.chat.pusher.frames.get("alice-1", [])]
    assert [(f["type"], f["conversation"]["muted"], f["conversation"]["mutedUntil"]) for f in frames] == [
        ("mutedChanged", True, until.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    ]
    assert push.chat.pusher.frames.get("bob-1", []) == []
    # The same mute again changes nothing and tells no one; for good, then unmuted, does
    settings_service.set_muted(alice, group.id, muted=True, until=until)
    assert len(push.chat.pusher.frames["alice-1"]) == 1
    assert settings_service.set_muted(alice, group.id, muted=True).mutedUntil is None
    unmuted = settings_service.set_muted(alice, group.id, muted=False)
    assert (unmuted.muted, unmuted.mutedUntil, len(push.chat.pusher.frames["alice-1"])) == (False, None, 3)
    # A time in the past, or someone outside, is refused
    with pytest.raises(InvalidRequest, match="future"):
        settings_service.set_muted(alice, group.id, muted=True, until=utc_now() - timedelta(seconds=1))
    with pytest.raises(Forbidden):
        settings_service.set_muted(carol, group.id, muted=True)


def test_a_large_group_is_split_into_jobs_of_a_batch(chat: Chat) -> None:
    push = Push(chat, PushRules(ttl_seconds=60, max_attempts=3, batch_size=2))
    (alice, _), *others = [push.user(f"user{i}") for i in range(6)]
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="Big", memberIds=[u for u, _ in others]))
    for user, login in others:
        push.subscribe(user, login, user)
    push.send(alice, group.id)

    first = push.queue.jobs.pop(0)[0]
    assert push.notifier.deliver(first)["sent"] == 2
    # The other three went back to the queue, two and one, for the same message
    assert [(j.message_id, len(j.subscription_ids), j.attempt) for j, _ in push.queue.jobs] == [
        (first.message_id, 2, 1),
        (first.message_id, 1, 1),
    ]
    push.run_queue()
    assert sorted(s.id for s, _, _ in push.web_push.sent) == sorted(u for u, _ in others)


def test_a_member_whose_only_socket_is_dead_is_notified(push: Push) -> None:
    (alice, _), (bob, bob_login) = push.user("alice"), push.user("bob")
    push.subscribe(bob, bob_login, "bob-phone")
    chat, _ = push.chat.conversations.open_direct(alice, bob)
    # Bob's phone lost its network: API Gateway still lists the socket, and answers 410
    push.chat.connections.add(Connection(connectionId="bob-dead", userId=bob), utc_now() - timedelta(minutes=5))
    push.chat.pusher.gone.add("bob-dead")

    message_id = push.send(alice, chat.id, "still there?")

    assert [job for job, _ in push.queue.jobs] == [NotificationJob(chat.id, message_id, recipient_ids=[bob])]
    push.run_queue()
    assert [p["messageId"] for p in push.pushed("bob-phone")] == [message_id]


def test_one_broken_subscription_does_not_stop_the_others(push: Push) -> None:
    (alice, _), (bob, bob_login), (carol, carol_login) = push.user("alice"), push.user("bob"), push.user("carol")
    group = push.chat.conversations.create_group(alice, CreateGroupRequest(name="Team", memberIds=[bob, carol]))
    broken = push.subscribe(bob, bob_login, "broken")
    fine, gone = push.subscribe(carol, carol_login, "fine"), push.subscribe(carol, carol_login, "gone")
    push.web_push.statuses = {gone.endpoint: [PushOutcome(410)]}
    original = push.web_push.send

    def send(subscription: PushSubscription, payload: bytes, **options: Any) -> PushOutcome:
        if subscription.id == broken.id:
            raise UnicodeEncodeError("ascii", "é", 0, 1, "what http.client says of a bad URL")
        return original(subscription, payload, **options)

    push.web_push.send = send  # type: ignore[method-assign]
    push.send(alice, group.id)
    assert push.run_queue() == [{"sent": 1, "gone": 1, "retrying": 0, "refused": 1}]
    # The gone one was still forgotten; the broken one is not tried again
    assert sorted(push.subscriptions.subscriptions) == sorted([broken.id, fine.id])
    assert push.queue.jobs == []


def test_a_push_that_left_without_an_answer_is_not_sent_again(push: Push) -> None:
    (alice, _), (bob, bob_login) = push.user("alice"), push.user("bob")
    unknown, unsent = push.subscribe(bob, bob_login, "unknown"), push.subscribe(bob, bob_login, "unsent")
    push.web_push.statuses = {
        unknown.endpoint: [PushOutcome(PushOutcome.UNKNOWN)],
        unsent.endpoint: [PushOutcome(PushOutcome.NOT_SENT)],
    }
    chat, _ = push.chat.conversations.open_direct(alice, bob)
    push.send(alice, chat.id)
    push.notifier.deliver(push.queue.jobs.pop(0)[0])
    # Only the one that never left is tried again
    assert [(job.subscription_ids, job.attempt) for job, _ in push.queue.jobs] == [(["unsent"], 2)]


def test_a_notifier_short_of_time_queues_what_it_cannot_send(chat: Chat) -> None:
    push = Push(chat, PushRules(ttl_seconds=60, max_attempts=3, timeout_seconds=10))
    (alice, _), *others = [push.user(f"user{i}") for i in range(7)]
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="Big", memberIds=[u for u, _ in others]))
    for user, login in others:
        push.subscribe(user, login, user)
    push.send(alice, group.id)
    job = push.queue.jobs.pop(0)[0]
    clock = iter([60.0, 14.0])  # time for the first wave of 4 pushes (threads), then too little

    counts = push.notifier.deliver(job, time_left=lambda: next(clock))

    assert counts["sent"] == 4
    [(rest, delay)] = push.queue.jobs
    assert (len(rest.subscription_ids), rest.attempt, delay) == (2, 1, 0)
    assert not set(rest.subscription_ids) & {key.split(":")[1] for key in push.deliveries.claims}  # unclaimed
    push.run_queue()
    assert sorted(s.id for s, _, _ in push.web_push.sent) == sorted(u for u, _ in others)


def test_previews_fail_closed_and_stale_jobs_send_nothing(push: Push) -> None:
    (alice, _), (bob, bob_login) = push.user("alice"), push.user("bob")
    push.subscribe(bob, bob_login, "bob-phone")
    chat, _ = push.chat.conversations.open_direct(alice, bob)
    push.send(alice, chat.id, "private")
    del push.chat.users.users[bob]  # the recipient's profile cannot be read
    push.run_queue()
    assert push.pushed("bob-phone")[0]["body"] == "New message"
    # A job redriven after the push TTL (an hour here) is dropped
    message = push.chat.message_store.get(push.send(alice, chat.id, "late"))
    assert message is not None
    old = message.model_copy(update={"createdAt": utc_now() - timedelta(hours=2)})
    stored = push.chat.message_store.messages
    stored[stored.index(message)] = old
    assert push.run_queue() == [{"sent": 0}]


def test_a_mute_is_for_at_most_a_year(push: Push, settings_service: ChatSettingsService) -> None:
    (alice, _), (bob, _) = push.user("alice"), push.user("bob")
    chat, _ = push.chat.conversations.open_direct(alice, bob)
    assert settings_service.set_muted(alice, chat.id, muted=True, until=utc_now() + timedelta(days=365)).muted
    with pytest.raises(InvalidRequest, match="a year"):
        settings_service.set_muted(alice, chat.id, muted=True, until=utc_now() + timedelta(days=400))
