"""The scheduled archiver (EventBridge Scheduler, daily; one at a time): moves old messages
to S3 chunks.
A run is bounded by ARCHIVE_MAX_MESSAGES and by the invocation's time, and the next run
picks up where it stopped."""

from typing import Any

from chat.clock import utc_now
from chat.config import require
from chat.handlers.composition import archiver
from chat.observability import entry_point, logger

require("media_bucket")


@entry_point()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = archiver().run(utc_now(), time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    logger.info(
        "archive run",
        extra={"archived": report.archived, "chunks": report.chunks, "conversations": len(report.conversations)},
    )
    return {
        "archived": report.archived,
        "chunks": report.chunks,
        "conversations": len(report.conversations),
        "expired": report.expired,
        "done": report.done,
    }
