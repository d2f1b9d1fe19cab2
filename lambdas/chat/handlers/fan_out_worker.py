"""The fan-out worker: SQS hands it jobs the sending functions queued, each one frame for up
to FAN_OUT_BATCH_SIZE sockets, and it pushes them (gone sockets forgotten, as everywhere).

A job that cannot be read is dropped with an error log: retrying it would fail the same
way. A job that raises goes back to the queue alone (a partial batch response)."""

from typing import Any

from chat.adapters.sqs_fan_out import job_from_body
from chat.config import require
from chat.handlers.composition import fan_out_worker
from chat.observability import entry_point, logger

require("sockets")


def push_job(body: str) -> None:
    try:
        connection_ids, frame = job_from_body(body)
    except ValueError as error:
        logger.error("fan-out job dropped: it cannot be read", extra={"error": str(error)})
        return
    report = fan_out_worker().push_here(connection_ids, frame)
    logger.debug(
        "fan-out job done",
        extra={"delivered": len(report.delivered), "gone": len(report.gone), "failed": len(report.failed)},
    )


@entry_point()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in event.get("Records") or []:
        logger.append_keys(sqs_message_id=record.get("messageId"))  # on each line about this job
        try:
            push_job(record["body"])
        except Exception:
            logger.exception("fan-out job failed; SQS will retry it", extra={"message_id": record.get("messageId")})
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
