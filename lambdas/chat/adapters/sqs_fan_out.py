"""Hands fan-out jobs to the fan-out workers through an SQS queue."""

import json
import threading
from typing import Any

from chat.models.ports import FanOutJob as Job
from chat.observability import logger

# SendMessageBatch takes at most 10 entries and 256 KiB in one call.
MAX_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024


class SqsFanOutQueue:
    def __init__(self, queue_url: str) -> None:
        self._queue_url = queue_url
        self._sqs: Any = None
        self._building = threading.Lock()  # boto3's default session is not safe to share while building

    @property
    def _client(self) -> Any:
        """Built on the first large fan-out: most functions' events never need it, and boto3
        costs a cold start a few hundred milliseconds."""
        with self._building:
            if self._sqs is None:
                import boto3

                # The region is the queue's; locally AWS_ENDPOINT_URL_SQS points boto3 at moto's server.
                url = self._queue_url
                region = url.split(".")[1] if url.startswith("https://sqs.") else None
                self._sqs = boto3.session.Session().client("sqs", region_name=region)
            return self._sqs

    def enqueue(self, jobs: list[Job]) -> list[Job]:
        """Every call is made even if one fails: what SQS did not take goes back to the caller."""
        return [job for call in _calls(jobs) for job in self._send(call)]

    def _send(self, call: list[Job]) -> list[Job]:
        """One SendMessageBatch, and once more for the entries it refused; the jobs not queued."""
        pending = {str(index): job for index, job in enumerate(call)}
        for _attempt in range(2):
            entries = [{"Id": entry_id, "MessageBody": _body(job)} for entry_id, job in pending.items()]
            try:
                answer = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except Exception:
                logger.exception("could not queue fan-out jobs", extra={"jobs": len(pending)})
                break
            refused = {failure["Id"] for failure in answer.get("Failed") or []}
            pending = {entry_id: job for entry_id, job in pending.items() if entry_id in refused}
            if not pending:
                return []
        if pending:
            logger.error("SQS did not take fan-out jobs; pushing them here", extra={"jobs": len(pending)})
        return list(pending.values())


def _body(job: Job) -> str:
    connection_ids, frame = job
    return json.dumps({"frame": frame.decode(), "connectionIds": connection_ids}, separators=(",", ":"))


def _calls(jobs: list[Job]) -> list[list[Job]]:
    """The jobs in as few SendMessageBatch calls as its limits allow."""
    calls: list[list[Job]] = [[]]
    size = 0
    for job in jobs:
        length = len(_body(job).encode())
        if calls[-1] and (len(calls[-1]) == MAX_ENTRIES or size + length > MAX_BATCH_BYTES):
            calls.append([])
            size = 0
        calls[-1].append(job)
        size += length
    return [call for call in calls if call]
