"""The fan-out worker with the event SQS sends it, pushing through moto's Management API;
and a sending function handing a large fan-out to the queue (moto's SQS) in jobs."""

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import reset_containers
from tests.integration.conftest import CONTEXT, Pushed, call_http, connect, load_event, sign_up, ws_call


def sqs_event(*bodies: str) -> dict[str, Any]:
    template = load_event("sqs_fan_out")["Records"][0]
    records = []
    for index, body in enumerate(bodies):
        record = copy.deepcopy(template)
        record.update(messageId=f"job-{index}", body=body)
        records.append(record)
    return {"Records": records}


def job(connection_ids: list[str], frame: dict[str, Any]) -> str:
    return json.dumps({"frame": json.dumps(frame), "connectionIds": connection_ids})


def test_a_job_is_pushed_to_each_of_its_sockets(pushed: Pushed) -> None:
    from chat.handlers.fan_out_worker import lambda_handler

    alice = sign_up("worker_alice")
    for socket in ("w-1", "w-2"):
        connect(alice, socket)

    result = lambda_handler(sqs_event(job(["w-1", "w-2"], {"type": "messageReceived", "n": 1})), CONTEXT)

    assert result == {"batchItemFailures": []}
    assert pushed.frames("w-1") == pushed.frames("w-2") == [{"type": "messageReceived", "n": 1}]


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps({"frame": "{}"}), json.dumps({"frame": 1, "connectionIds": []}), json.dumps([1])],
)
def test_a_job_that_cannot_be_read_is_dropped_not_retried(pushed: Pushed, body: str) -> None:
    from chat.handlers.fan_out_worker import lambda_handler

    assert lambda_handler(sqs_event(body), CONTEXT) == {"batchItemFailures": []}


def test_jobs_a_worker_cannot_do_go_back_to_the_queue(pushed: Pushed, monkeypatch: pytest.MonkeyPatch) -> None:
    from chat.handlers.fan_out_worker import lambda_handler

    # Given a worker deployed without its Management API endpoint
    monkeypatch.delenv("WS_MANAGEMENT_ENDPOINT")
    reset_containers()

    # Then every job is reported failed (SQS retries it, then sets it aside), and a job
    # that cannot be read is still dropped rather than retried
    result = lambda_handler(sqs_event(job(["a"], {"t": 1}), "not json", job(["b"], {"t": 2})), CONTEXT)
    assert result == {"batchItemFailures": [{"itemIdentifier": "job-0"}, {"itemIdentifier": "job-2"}]}


@pytest.fixture
def fan_out_queue(pushed: Pushed, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="fan-out-test")["QueueUrl"]
    monkeypatch.setenv("FAN_OUT_QUEUE_URL", url)
    monkeypatch.setenv("FAN_OUT_INLINE_MAX", "2")
    monkeypatch.setenv("FAN_OUT_BATCH_SIZE", "2")
    reset_containers()
    yield sqs, url
    reset_containers()


def test_a_send_to_a_large_group_queues_jobs_the_worker_then_delivers(pushed: Pushed, fan_out_queue: Any) -> None:
    from chat.handlers.fan_out_worker import lambda_handler

    sqs, url = fan_out_queue
    # Given a group of 6, one socket each
    accounts = [sign_up(f"queued_{i}") for i in range(6)]
    for index, account in enumerate(accounts):
        connect(account, f"q-{index}")
    created = call_http(
        "POST",
        "/api/groups/create",
        {"name": "Queued", "memberIds": [a.user_id for a in accounts[1:]]},
        token=accounts[0].access_token,
    )
    assert created.status == 201
    # (the new group went to its members too, partly through the queue: start from nothing)
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    pushed.received.clear()

    # When the first member sends
    frame = {"action": "sendMessage", "conversationId": created.body["id"], "text": "hi all", "clientMsgId": "q1"}
    assert ws_call("ws_send_message", "ws_message", accounts[0], "q-0", frame) == {"statusCode": 200}

    # Then the sender's function pushed the ack's socket and one member; the other 4 are 2 jobs
    assert [f["type"] for f in pushed.frames("q-0")] == ["messageAck"]
    assert [f["type"] for f in pushed.frames("q-1")] == ["messageReceived"]
    assert all(pushed.frames(f"q-{i}") == [] for i in range(2, 6))
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(len(json.loads(m["Body"])["connectionIds"]) for m in messages) == [2, 2]

    # And the worker, given those jobs as SQS would, delivers them
    assert lambda_handler(sqs_event(*(m["Body"] for m in messages)), CONTEXT) == {"batchItemFailures": []}
    for index in range(2, 6):
        assert [f["message"]["text"] for f in pushed.frames(f"q-{index}")] == ["hi all"]
