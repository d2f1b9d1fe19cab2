"""Hands notification jobs to the notifier through an SQS queue."""

import json
from typing import Any

from chat.adapters.sqs import SqsQueue
from chat.models.ports import NotificationJob

MAX_DELAY_SECONDS = 900  # SQS's longest


class SqsNotificationQueue(SqsQueue):
    def enqueue(self, job: NotificationJob, delay_seconds: int = 0) -> None:
        self._client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=job_body(job),
            DelaySeconds=max(0, min(MAX_DELAY_SECONDS, delay_seconds)),
        )


def job_body(job: NotificationJob) -> str:
    """A job as a queue message: the one place its shape is written (and `job_from_body` reads it)."""
    body: dict[str, Any] = {"conversationId": job.conversation_id, "messageId": job.message_id, "attempt": job.attempt}
    if job.recipient_ids:
        body["recipientIds"] = job.recipient_ids
    if job.subscription_ids:
        body["subscriptionIds"] = job.subscription_ids
    return json.dumps(body, separators=(",", ":"))


def job_from_body(body: str) -> NotificationJob:
    """The job a queue message holds; ValueError if it is not one."""
    try:
        job = json.loads(body)
        conversation_id, message_id, attempt = job["conversationId"], job["messageId"], job.get("attempt", 1)
        recipients, subscriptions = job.get("recipientIds", []), job.get("subscriptionIds", [])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a notification job: {error!r}") from error
    if not (isinstance(recipients, list) and isinstance(subscriptions, list)):
        raise ValueError("not a notification job: recipientIds and subscriptionIds must be lists")
    ids = [conversation_id, message_id, *recipients, *subscriptions]
    if not (all(isinstance(i, str) for i in ids) and type(attempt) is int and attempt >= 1):
        raise ValueError("not a notification job: ids must be strings and attempt a positive number")
    return NotificationJob(conversation_id, message_id, list(recipients), list(subscriptions), attempt)
