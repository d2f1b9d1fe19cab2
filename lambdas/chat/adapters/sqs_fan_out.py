"""Hands fan-out jobs to the fan-out workers through an SQS queue."""

import json
from typing import TYPE_CHECKING

from chat.adapters.sqs import SqsQueue
from chat.observability import logger

if TYPE_CHECKING:
    # Types only: the worker imports this module on a cold start, and the models load pydantic.
    from chat.models.ports import FanOutJob as Job

Encoded = tuple["Job", str]  # a job and its message body

# SendMessageBatch takes at most 10 entries and 256 KiB in one call.
MAX_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024


class SqsFanOutQueue(SqsQueue):
    def enqueue(self, jobs: list["Job"]) -> list["Job"]:
        """Every call is made even if one fails: what SQS did not take goes back to the caller."""
        encoded = [(job, job_body(job)) for job in jobs]
        return [job for call in _calls(encoded) for job in self._send(call)]

    def _send(self, call: list[Encoded]) -> list["Job"]:
        """One SendMessageBatch, and once more for the entries it refused; the jobs not queued."""
        pending = {str(index): encoded for index, encoded in enumerate(call)}
        for _attempt in range(2):
            entries = [{"Id": entry_id, "MessageBody": body} for entry_id, (_, body) in pending.items()]
            try:
                answer = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except Exception:
                logger.exception("could not queue fan-out jobs", extra={"jobs": len(pending)})
                break
            refused = {failure["Id"] for failure in answer.get("Failed") or []}
            pending = {entry_id: encoded for entry_id, encoded in pending.items() if entry_id in refused}
            if not pending:
                return []
        if pending:
            logger.error("SQS did not take fan-out jobs; pushing them here", extra={"jobs": len(pending)})
        return [job for job, _ in pending.values()]


def job_body(job: "Job") -> str:
    """A job as a queue message: the one place its shape is written (and `job_from_body` reads it)."""
    connection_ids, frame = job
    return json.dumps({"frame": frame.decode(), "connectionIds": connection_ids}, separators=(",", ":"))


def job_from_body(body: str) -> "Job":
    """The job a queue message holds; ValueError if it is not one."""
    try:
        job = json.loads(body)
        connection_ids, frame = job["connectionIds"], job["frame"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"not a fan-out job: {error!r}") from error
    if not (isinstance(frame, str) and isinstance(connection_ids, list)):
        raise ValueError("not a fan-out job: frame must be a string and connectionIds a list")
    if not all(isinstance(connection_id, str) for connection_id in connection_ids):
        raise ValueError("not a fan-out job: connectionIds must be strings")
    return connection_ids, frame.encode()


def _calls(encoded: list[Encoded]) -> list[list[Encoded]]:
    """The jobs in as few SendMessageBatch calls as its limits allow."""
    calls: list[list[Encoded]] = [[]]
    size = 0
    for job, body in encoded:
        length = len(body.encode())
        if calls[-1] and (len(calls[-1]) == MAX_ENTRIES or size + length > MAX_BATCH_BYTES):
            calls.append([])
            size = 0
        calls[-1].append((job, body))
        size += length
    return [call for call in calls if call]
