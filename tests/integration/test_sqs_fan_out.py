"""The SQS adapter of the fan-out queue, on moto's SQS: jobs in as few SendMessageBatch
calls as SQS's limits allow; refused entries tried once more, then handed back unqueued."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chat.adapters.sqs_fan_out import MAX_BATCH_BYTES, SqsFanOutQueue


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        yield sqs, sqs.create_queue(QueueName="jobs")["QueueUrl"]


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_every_job_is_queued_once_with_its_frame_and_sockets(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    jobs = [([f"c{i}a", f"c{i}b"], json.dumps({"type": "messageReceived", "n": i}).encode()) for i in range(25)]

    assert SqsFanOutQueue(url).enqueue(jobs) == []

    queued = sorted(drain(sqs, url), key=lambda job: json.loads(job["frame"])["n"])
    assert [(job["connectionIds"], json.loads(job["frame"])["n"]) for job in queued] == [
        ([f"c{i}a", f"c{i}b"], i) for i in range(25)
    ]


def test_calls_stay_within_ten_entries_and_256_kib(queue: tuple[Any, str]) -> None:
    _, url = queue
    big = json.dumps({"type": "messageReceived", "text": "x" * 30_000}).encode()  # near the 32 KB frame limit
    adapter = SqsFanOutQueue(url)
    calls: list[list[dict[str, Any]]] = []
    real = adapter._client.send_message_batch

    def counted(**kwargs: Any) -> Any:
        calls.append(kwargs["Entries"])
        return real(**kwargs)

    adapter._client.send_message_batch = counted
    assert adapter.enqueue([([f"c{i}"], big) for i in range(12)] + [(["d"], b"{}")] * 11) == []
    assert all(len(entries) <= 10 for entries in calls)
    assert all(sum(len(e["MessageBody"].encode()) for e in entries) <= MAX_BATCH_BYTES for entries in calls)
    assert sum(len(entries) for entries in calls) == 23


class RefusingSqs:
    """SendMessageBatch that refuses the entries named, `times` times each call."""

    def __init__(self, refuse: set[str], times: int) -> None:
        self.refuse, self.times = refuse, times
        self.calls: list[list[str]] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.calls.append([e["Id"] for e in Entries])
        failed = [{"Id": e["Id"], "Code": "x", "SenderFault": False} for e in Entries if e["Id"] in self.refuse]
        if len(self.calls) > self.times:
            failed = []
        return {"Successful": [], "Failed": failed}


def test_a_refused_entry_is_tried_once_more_then_handed_back() -> None:
    jobs = [([f"c{i}"], b"{}") for i in range(3)]

    once = SqsFanOutQueue("https://sqs.eu-west-1.amazonaws.com/1/jobs")
    once._sqs = RefusingSqs({"1"}, times=1)
    assert once.enqueue(jobs) == []
    assert once._sqs.calls == [["0", "1", "2"], ["1"]]  # only the refused one again

    always = SqsFanOutQueue("https://sqs.eu-west-1.amazonaws.com/1/jobs")
    always._sqs = RefusingSqs({"1"}, times=99)
    assert always.enqueue(jobs) == [(["c1"], b"{}")]


class FailingRetrySqs(RefusingSqs):
    """Takes every entry of its first call but one, then fails outright on every later call."""

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        if self.calls:
            self.calls.append([e["Id"] for e in Entries])
            raise ConnectionError("SQS unreachable")
        return super().send_message_batch(QueueUrl, Entries)


def test_jobs_sqs_took_are_never_handed_back_to_be_pushed_twice() -> None:
    jobs = [([f"c{i}"], b"{}") for i in range(3)] + [([f"later{i}"], b"{}") for i in range(10)]
    adapter = SqsFanOutQueue("https://sqs.eu-west-1.amazonaws.com/1/jobs")
    adapter._sqs = FailingRetrySqs({"1"}, times=99)

    left = adapter.enqueue(jobs)

    # Then the first call (c0-c2, later0-later6) gave back only the refused c1; the second
    # call (later7-later9) was still made, and failed: c0 and c2, which SQS took, are not
    # handed back to be pushed twice
    assert left == [(["c1"], b"{}"), (["later7"], b"{}"), (["later8"], b"{}"), (["later9"], b"{}")]
    assert adapter._sqs.calls == [[str(i) for i in range(10)], ["1"], ["0", "1", "2"]]
