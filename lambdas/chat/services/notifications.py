"""Push notifications for members who are away: Web Push to each browser they subscribed.

A send never waits for them. Once its frames are pushed, the sender's function queues one
job for the members who had no socket (`NotificationsOnSend`, one SQS call, no MongoDB); the
notifier function takes the job and does the rest (`Notifier`).

Per message, whatever the group's size: six reads (the message, the conversation, the away
members' subscriptions, their sockets now, the subscriptions' logins, the users' names and
settings) and one write (the claims), then one push per subscription of a member who is
away, has not muted the chat, and whose login still goes on. Beyond PUSH_BATCH_SIZE
subscriptions, the rest go back to the queue in jobs of that many (one SQS call each), each
paying the same reads for its own. A push service that answers
404 or 410 has forgotten the subscription: it goes (one write). One that answers 429 or
5xx, or not at all, gets another try in a job of its own, later (one more write to give the
claims back, one SQS call), up to PUSH_MAX_ATTEMPTS, after its Retry-After when it gives
one. The claims make delivery at most once per message and subscription: a job SQS hands
over twice sends nothing twice, and a notifier that dies between claiming and sending loses
those notifications rather than doubling them."""

import hashlib
import json
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta

from chat.clock import utc_now
from chat.models.chat import Conversation, Message
from chat.models.ports import (
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
from chat.push_keys import b64url_encode

PREVIEW_LENGTH = 120  # characters of text a notification shows
NO_PREVIEW = "New message"
# Longer than SQS can hand a job over again (its retries end within the queue's retention).
CLAIM_KEEP = timedelta(days=2)
MAX_DELAY_SECONDS = 900  # SQS's longest delay
GONE = (404, 410)


def worth_retrying(outcome: PushOutcome) -> bool:
    return outcome.status in (0, 429) or outcome.status >= 500


def topic_of(conversation_id: str) -> str:
    """The Topic header (at most 32 base64url characters): one per conversation, so the push
    service keeps only the newest of a burst for a browser that is offline."""
    return b64url_encode(hashlib.sha256(conversation_id.encode()).digest())[:32]


def preview(message: Message) -> str:
    text = " ".join(message.text.split())
    if text:
        return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1].rstrip() + "…"
    if any(a.contentType.startswith("image/") for a in message.attachments):
        return "📷 Photo"
    return "📎 Attachment"


def push_payload(message: Message, conversation: Conversation, sender_name: str, *, with_preview: bool) -> bytes:
    """What the service worker shows: the chat as the title, the message (or only that one
    came) as the body."""
    group = conversation.type == "group"
    title = (conversation.name or "Group") if group else sender_name
    body = preview(message) if with_preview else NO_PREVIEW
    if group and with_preview:
        body = f"{sender_name}: {body}"
    payload = {
        "type": "message",
        "conversationId": conversation.id,
        "messageId": message.id,
        "seq": message.seq,
        "title": title,
        "body": body,
        "conversationType": conversation.type,
        "senderId": message.senderId,
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


class Notifier:
    def __init__(
        self,
        *,
        messages: MessageStore,
        conversations: ConversationStore,
        users: UserStore,
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
        self._connections = connections
        self._logins = logins
        self._subscriptions = subscriptions
        self._deliveries = deliveries
        self._sender = sender
        self._queue = queue
        self._rules = rules
        self._jitter = jitter
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="web-push")

    def deliver(self, job: NotificationJob) -> dict[str, int]:
        """Sends the job's notifications; counts of what happened, for the log."""
        message = self._messages.get(job.message_id)
        conversation = self._conversations.get(job.conversation_id)
        if message is None or message.deletedAt is not None or conversation is None:
            return {"sent": 0}  # deleted (or never stored): nothing to tell
        targets = self._targets(job, message, conversation)
        if not targets:
            return {"sent": 0}
        targets, later = targets[: self._rules.batch_size], targets[self._rules.batch_size :]
        for start in range(0, len(later), self._rules.batch_size):
            batch = [t.id for t in later[start : start + self._rules.batch_size]]
            self._queue.enqueue(replace(job, recipient_ids=[], subscription_ids=batch))
        names = {user.id: user for user in self._users.get_users([message.senderId, *{t.user_id for t in targets}])}
        claimed = self._deliveries.claim(message.id, [t.id for t in targets], utc_now() + CLAIM_KEEP)
        targets = [t for t in targets if t.id in claimed]
        sender = names.get(message.senderId)
        sender_name = sender.displayName if sender else "Someone"
        urgency = "high" if conversation.type == "direct" else "normal"
        topic = topic_of(conversation.id)

        def push(target: PushSubscription) -> PushOutcome:
            recipient = names.get(target.user_id)
            with_preview = recipient is None or recipient.notificationPreviews is not False
            payload = push_payload(message, conversation, sender_name, with_preview=with_preview)
            return self._sender.send(target, payload, ttl=self._rules.ttl_seconds, urgency=urgency, topic=topic)

        outcomes = list(zip(targets, self._executor.map(push, targets), strict=True))
        return self._settle(job, outcomes)

    def _targets(self, job: NotificationJob, message: Message, conversation: Conversation) -> list[PushSubscription]:
        """The subscriptions to push to now: of members other than the sender, who have not
        muted the chat, have no socket open, and whose login goes on."""
        now = utc_now()
        if job.subscription_ids:
            found = self._subscriptions.get_many(job.subscription_ids)
        else:
            found = self._subscriptions.for_users([u for u in job.recipient_ids if u != message.senderId])

        def wanted(s: PushSubscription) -> bool:
            return (
                s.user_id in conversation.memberIds
                and s.user_id != message.senderId
                and not conversation.muted_for(s.user_id, now)
                and (s.expires_at is None or s.expires_at > now)
            )

        found = [s for s in found if wanted(s)]
        if not found:
            return []
        # Away when it was sent, but maybe back since: their socket has the message already.
        online = {c.userId for c in self._connections.for_users(list({s.user_id for s in found}))}
        found = [s for s in found if s.user_id not in online]
        logins = [s.login_id for s in found if s.login_id]
        going_on = self._logins.going_on_among(logins) if logins else set()
        ended = [s for s in found if s.login_id and s.login_id not in going_on]
        if ended:
            # The login that subscribed that browser is over: it hears nothing more.
            self._subscriptions.delete_ids([s.id for s in ended])
        return [s for s in found if not s.login_id or s.login_id in going_on]

    def _settle(self, job: NotificationJob, outcomes: list[tuple[PushSubscription, PushOutcome]]) -> dict[str, int]:
        gone = [s.id for s, outcome in outcomes if outcome.status in GONE]
        again = [(s, outcome) for s, outcome in outcomes if worth_retrying(outcome)]
        refused = [
            (s, outcome.status)
            for s, outcome in outcomes
            if outcome.status >= 400 and outcome.status not in GONE and not worth_retrying(outcome)
        ]
        if gone:
            self._subscriptions.delete_ids(gone)
        if refused:
            logger.warning(
                "push services refused notifications",
                extra={"message_id": job.message_id, "statuses": sorted({status for _, status in refused})},
            )
        if again:
            ids = [s.id for s, _ in again]
            self._deliveries.release(job.message_id, ids)
            if job.attempt < self._rules.max_attempts:
                delay = self._delay(job.attempt, [o.retry_after for _, o in again])
                retry = replace(job, recipient_ids=[], subscription_ids=ids, attempt=job.attempt + 1)
                self._queue.enqueue(retry, delay)
            else:
                logger.warning("notifications given up", extra={"message_id": job.message_id, "pushes": len(ids)})
        sent = sum(1 for _, outcome in outcomes if 200 <= outcome.status < 300)
        return {"sent": sent, "gone": len(gone), "retrying": len(again), "refused": len(refused)}

    def _delay(self, attempt: int, retry_after: list[float | None]) -> int:
        """Backoff doubling with jitter, never sooner than a push service asked."""
        backoff = self._rules.first_retry_seconds * 2 ** (attempt - 1) * (1 + self._jitter() / 2)
        asked = max((seconds for seconds in retry_after if seconds is not None), default=0.0)
        return int(min(MAX_DELAY_SECONDS, max(backoff, asked)))
