"""The notifier: SQS hands it notification jobs (one message's push notifications to members
who were away) and it sends them as Web Push (see services/notifications.py).

A job that cannot be read is dropped with an error log: retrying it would fail the same
way. A job that raises goes back to the queue alone (a partial batch response); the pushes
it had claimed are not sent twice."""

from typing import Any

from chat.adapters.sqs_notifications import job_from_body
from chat.config import require
from chat.handlers.composition import notifier
from chat.observability import entry_point, logger

require("vapid_key", "notify_queue")


def deliver_job(body: str, context: Any) -> None:
    try:
        job = job_from_body(body)
    except ValueError as error:
        logger.error("notification job dropped: it cannot be read", extra={"error": str(error)})
        return
    # Waves of pushes start only while the invocation has time for them; the rest is queued.
    counts = notifier().deliver(job, time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    logger.debug("notification job done", extra={"message_id": job.message_id, "attempt": job.attempt, **counts})


@entry_point()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event.get("Records") or []:
        logger.append_keys(sqs_message_id=record.get("messageId"))  # on each line about this job
        try:
            deliver_job(record["body"], context)
        except Exception:
            logger.exception(
                "notification job failed; SQS will retry it", extra={"message_id": record.get("messageId")}
            )
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
