"""Push notifications for members who are away: Web Push to each browser they subscribed.

A send never waits for them. Once its frames are pushed, the sender's function queues one
job for the members none of whose sockets took the frame (`NotificationsOnSend`, one SQS
call, no MongoDB); the notifier function takes the job and does the rest (`Notifier`).

Per message, whatever the group's size: one read (the away members' subscriptions), and
when there are any, five more (the message, the conversation, their sockets now, the
subscriptions' logins, the profiles for names and preview settings); then the pushes, one
per subscription of a member who is away, has not muted the chat (or is mentioned in the
message: a mention goes through a mute) and whose login goes on,
in waves of PUSH_THREADS, each wave claimed with one write just before it goes. Beyond
PUSH_BATCH_SIZE subscriptions, or when the invocation runs short of time, the rest go back
to the queue in jobs of their own (one SQS call each), each paying the same reads.

A push service that answers 404 or 410 has forgotten the subscription: it goes (one write).
One that answers 429 or 5xx, or could not be reached, gets another try in a job of its own,
later (one more write to give the claims back, one SQS call), up to PUSH_MAX_ATTEMPTS, after
its Retry-After when it gives one. A push whose request left but got no answer (a read
timeout) is not tried again. The claims make delivery at most once per message and
subscription: a job SQS hands over twice sends nothing twice, and a notifier that dies
between claiming a wave and sending it loses those notifications rather than doubling them."""

import base64
import hashlib
import json
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from chat.clock import utc_now
from chat.models.chat import Conversation, Message
from chat.models.ports import (
    BlockStore,
    ConnectionStore,
    ConversationStore,
    LoginStore,
    MessageStore,
    NotificationJob,
    NotificationQueue,
    PushDeliveryLog,
    PushOutcome,
    PushSubscription,
    PushSubscriptionStore,
    UserStore,
    WebPushSender,
)
from chat.observability import logger

if TYPE_CHECKING:
    from chat.models.frames import MessagePush

PREVIEW_LENGTH = 120  # characters of text a notification shows
NO_PREVIEW = "New message"
# Longer than SQS can hand a job over again (its retries end within the queue's retention).
CLAIM_KEEP = timedelta(days=2)
GONE = (404, 410)
# Another wave of pushes starts only with this much more than one push's timeout left.
WAVE_MARGIN_SECONDS = 5


def worth_retrying(outcome: PushOutcome) -> bool:
    return outcome.status in (PushOutcome.NOT_SENT, 429) or outcome.status >= 500


def topic_of(conversation_id: str) -> str:
    """The Topic header (at most 32 base64url characters): one per conversation, so the push
    service keeps only the newest of a burst for a browser that is offline."""
    return base64.urlsafe_b64encode(hashlib.sha256(conversation_id.encode()).digest()).decode()[:32]


def preview(message: Message) -> str:
    text = " ".join(message.text.split())
    if text:
        return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1].rstrip() + "…"
    if any(a.contentType.startswith("image/") for a in message.attachments):
        return "📷 Photo"
    return "📎 Attachment"


def push_payload(
    message: Message, conversation: Conversation, sender_name: str, *, with_preview: bool, mentioned: bool = False
) -> bytes:
    """What the service worker shows: the chat as the title, the message (or only that one
    came) as the body. To a member the message mentions, the title says so ("Alice mentioned
    you in Team") and the body is the message alone."""
    group = conversation.type == "group"
    title = (conversation.name or "Group") if group else sender_name
    body = preview(message) if with_preview else NO_PREVIEW
    if mentioned:
        title = f"{sender_name} mentioned you in {title}"
    elif group and with_preview:
        body = f"{sender_name}: {body}"
    payload: MessagePush = {
        "type": "message",
        "conversationId": conversation.id,
        "messageId": message.id,
        "seq": message.seq,
        "title": title,
        "body": body,
        "conversationType": conversation.type,
        "senderId": message.senderId,
        "mention": mentioned,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class NotificationsOnSend:
    """The send path's part: one job for the members a message found away."""

    def __init__(self, queue: NotificationQueue) -> None:
        self._queue = queue

    def message_sent(self, message: Message, away_ids: list[str]) -> None:
        if not away_ids:
            return
        job = NotificationJob(message.conversationId, message.id, recipient_ids=away_ids)
        try:
            self._queue.enqueue(job)
        except Exception:
            # The message is stored and told to every socket: only notifications are lost.
            logger.exception("could not queue notifications", extra={"message_id": message.id})


@dataclass(frozen=True)
class PushRules:
    ttl_seconds: int
    max_attempts: int
    first_retry_seconds: int = 10  # doubled for each attempt after
    # Pushes one job sends at most; the rest go back to the queue as jobs of their own, so one
    # invocation stays well inside its timeout however many browsers a group has.
    batch_size: int = 500
    timeout_seconds: float = 10  # one push's, at most: no wave starts without time for it


class Notifier:
    def __init__(
        self,
        *,
        messages: MessageStore,
        conversations: ConversationStore,
        users: UserStore,
        blocks: BlockStore,
        connections: ConnectionStore,
        logins: LoginStore,
        subscriptions: PushSubscriptionStore,
        deliveries: PushDeliveryLog,
        sender: WebPushSender,
        queue: NotificationQueue,
        rules: PushRules,
        threads: int,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._messages = messages
        self._conversations = conversations
        self._users = users
        self._blocks = blocks
        self._connections = connections
        self._logins = logins
        self._subscriptions = subscriptions
        self._deliveries = deliveries
        self._sender = sender
        self._queue = queue
        self._rules = rules
        self._jitter = jitter
        self._threads = threads
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="web-push")

    def deliver(self, job: NotificationJob, time_left: Callable[[], float] = lambda: float("inf")) -> dict[str, int]:
        """Sends the job's notifications, a wave of `threads` pushes at a time, each wave
        claimed just before it goes; when `time_left()` (seconds) could not see another wave
        through, the rest go back to the queue. Counts of what happened, for the log."""
        found = self._subscriptions_of(job)
        if not found:
            return {"sent": 0}  # the usual case for many members: one read, and done
        message = self._messages.get(job.message_id)
        conversation = self._conversations.get(job.conversation_id)
        if message is None or message.deletedAt is not None or conversation is None:
            return {"sent": 0}  # deleted (or never stored): nothing to tell
        if utc_now() - message.createdAt > timedelta(seconds=self._rules.ttl_seconds):
            return {"sent": 0}  # a job redriven days late: no push service would keep it anyway
        targets = self._targets(found, message, conversation)
        batch, later = targets[: self._rules.batch_size], targets[self._rules.batch_size :]
        self._queue_again(job, later, attempt=job.attempt)
        if not batch:
            return {"sent": 0}
        profiles = {u.id: u for u in self._users.get_users([message.senderId, *{t.user_id for t in batch}])}
        sender = profiles.get(message.senderId)
        sender_name = sender.displayName if sender else "Someone"
        urgency = "high" if conversation.type == "direct" else "normal"
        topic = topic_of(conversation.id)
        # Four payloads at most, whatever the group's size: with a preview or without, to a member
        # the message mentions or not.
        payloads = {
            (with_preview, mentioned): push_payload(
                message, conversation, sender_name, with_preview=with_preview, mentioned=mentioned
            )
            for with_preview in (True, False)
            for mentioned in (True, False)
        }
        mentions = set(message.mentions)

        def push(target: PushSubscription) -> PushOutcome:
            recipient = profiles.get(target.user_id)
            # Fails closed: a preview only for a recipient known to want one.
            with_preview = recipient is not None and recipient.notificationPreviews is not False
            payload = payloads[(with_preview, target.user_id in mentions)]
            try:
                return self._sender.send(target, payload, ttl=self._rules.ttl_seconds, urgency=urgency, topic=topic)
            except Exception:  # one subscription's trouble is its own
                logger.exception("push failed", extra={"subscription": target.id})
                return PushOutcome(PushOutcome.UNKNOWN)

        outcomes: list[tuple[PushSubscription, PushOutcome]] = []
        for start in range(0, len(batch), self._threads):
            if time_left() < self._rules.timeout_seconds + WAVE_MARGIN_SECONDS:
                self._queue_again(job, batch[start:], attempt=job.attempt)  # claimed by no one yet
                break
            wave = batch[start : start + self._threads]
            claimed = self._deliveries.claim(message.id, [t.id for t in wave], utc_now() + CLAIM_KEEP)
            wave = [t for t in wave if t.id in claimed]
            outcomes += zip(wave, self._executor.map(push, wave), strict=True)
        return self._settle(job, outcomes)

    def _subscriptions_of(self, job: NotificationJob) -> list[PushSubscription]:
        if job.subscription_ids:
            return self._subscriptions.get_many(job.subscription_ids)
        return self._subscriptions.for_users(job.recipient_ids)

    def _targets(
        self, found: list[PushSubscription], message: Message, conversation: Conversation
    ) -> list[PushSubscription]:
        """The subscriptions to push to now: of members other than the sender, who have not
        muted the chat (or whom the message mentions: a mention goes through a mute), have not
        blocked the sender, have no socket open, and whose login goes on."""
        now = utc_now()
        members = set(conversation.memberIds)
        mentioned = set(message.mentions)

        def wanted(s: PushSubscription) -> bool:
            return (
                s.user_id in members
                and s.user_id != message.senderId
                and (s.user_id in mentioned or not conversation.muted_for(s.user_id, now))
                and (s.expires_at is None or s.expires_at > now)
            )

        found = [s for s in found if wanted(s)]
        if found:
            # Whoever blocked the sender hears nothing of their messages (in groups: a direct chat takes none).
            blockers = self._blocks.blockers_among(list({s.user_id for s in found}), message.senderId)
            found = [s for s in found if s.user_id not in blockers]
        if not found:
            return []
        # Away when it was sent, but maybe back since: their socket has the message already.
        online = {c.userId for c in self._connections.for_users(list({s.user_id for s in found}))}
        found = [s for s in found if s.user_id not in online]
        if not found:
            return []
        going_on = self._logins.going_on_among(list({s.login_id for s in found}))
        ended = [s.id for s in found if s.login_id not in going_on]
        if ended:
            # The login that subscribed that browser is over: it hears nothing more.
            self._subscriptions.delete_ids(ended)
        return [s for s in found if s.login_id in going_on]

    def _queue_again(
        self, job: NotificationJob, targets: list[PushSubscription], *, attempt: int, delay: int = 0
    ) -> None:
        """Jobs of their own for these subscriptions, `batch_size` each."""
        size = self._rules.batch_size
        for start in range(0, len(targets), size):
            ids = [t.id for t in targets[start : start + size]]
            self._queue.enqueue(replace(job, recipient_ids=[], subscription_ids=ids, attempt=attempt), delay)

    def _settle(self, job: NotificationJob, outcomes: list[tuple[PushSubscription, PushOutcome]]) -> dict[str, int]:
        gone = [s.id for s, outcome in outcomes if outcome.status in GONE]
        again = [(s, outcome) for s, outcome in outcomes if worth_retrying(outcome)]
        refused = [
            (s, outcome.status)
            for s, outcome in outcomes
            if not (200 <= outcome.status < 300) and outcome.status not in GONE and not worth_retrying(outcome)
        ]
        if gone:
            self._subscriptions.delete_ids(gone)
        if refused:
            logger.warning(
                "push services refused notifications, or may not have had them",
                extra={"message_id": job.message_id, "statuses": sorted({status for _, status in refused})},
            )
        if again and job.attempt < self._rules.max_attempts:
            targets = [s for s, _ in again]
            self._deliveries.release(job.message_id, [s.id for s in targets])  # claimed again on the retry
            delay = self._delay(job.attempt, [o.retry_after for _, o in again])
            self._queue_again(job, targets, attempt=job.attempt + 1, delay=delay)
        elif again:
            logger.warning("notifications given up", extra={"message_id": job.message_id, "pushes": len(again)})
        sent = sum(1 for _, outcome in outcomes if 200 <= outcome.status < 300)
        return {"sent": sent, "gone": len(gone), "retrying": len(again), "refused": len(refused)}

    def _delay(self, attempt: int, retry_after: list[float | None]) -> int:
        """Backoff doubling with jitter, never sooner than a push service asked (SQS waits
        15 minutes at most: a longer Retry-After is cut to that)."""
        backoff = self._rules.first_retry_seconds * 2 ** (attempt - 1) * (1 + self._jitter() / 2)
        asked = max((seconds for seconds in retry_after if seconds is not None), default=0.0)
        return int(max(backoff, asked))
