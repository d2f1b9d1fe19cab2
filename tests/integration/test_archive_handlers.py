"""The scheduled archiver and the HTTP API over it, through the real handlers: MongoDB (the
embedded store), S3 (moto)."""

import os
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from chat.handlers import archiver
from tests.conftest import reset_containers
from tests.integration.conftest import Account, Pushed, call_http, sign_up

SCHEDULER_EVENT = {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}}


def run_archiver() -> dict[str, Any]:
    context = SimpleNamespace(
        function_name="chat-archiver",
        function_version="$LATEST",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:chat-archiver",
        aws_request_id="run-1",
        get_remaining_time_in_millis=lambda: 800_000,
    )
    return archiver.lambda_handler(SCHEDULER_EVENT, context)


@pytest.fixture
def archive_now(pushed: Pushed, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=os.environ["MEDIA_BUCKET"])
    monkeypatch.setenv("ARCHIVE_AFTER_DAYS", "0")
    monkeypatch.setenv("RATE_LIMIT_SEND", "100000/1")
    reset_containers()
    yield
    reset_containers()


def history(account: Account, conversation_id: str, **query: str) -> Any:
    answer = call_http("GET", f"/api/messages/{conversation_id}", token=account.access_token, query=query)
    assert answer.status == 200, answer.body
    return answer.body


def test_archived_history_reads_as_before_and_is_read_only(archive_now: None) -> None:
    alice, bob = sign_up("alice"), sign_up("bob")
    chat = call_http("POST", "/api/conversations/direct", {"userId": bob.user_id}, token=alice.access_token).body["id"]
    for n in range(120):
        body = {"conversationId": chat, "text": f"m{n}", "clientMsgId": f"c{n}"}
        assert call_http("POST", "/api/messages", body, token=alice.access_token).status == 201
    newest = history(bob, chat, limit="50")
    older = history(bob, chat, limit="50", before=str(newest["nextBefore"]))
    from_start = history(bob, chat, limit="100", after="0")

    time.sleep(0.01)  # the clock keeps milliseconds: the last send is then before "now"
    result = run_archiver()

    assert result == {"archived": 120, "chunks": 1, "conversations": 1, "expired": 0, "done": True}
    assert history(bob, chat, limit="50") == newest
    assert history(bob, chat, limit="50", before=str(newest["nextBefore"])) == older
    assert history(bob, chat, limit="100", after="0") == from_start
    # Archived: readable and deletable, not changeable
    message_id = newest["items"][0]["id"]
    refused = call_http("PATCH", f"/api/messages/{message_id}", {"text": "late"}, token=alice.access_token)
    assert (refused.status, refused.body["error"]["code"]) == (409, "archived")
    deleted = call_http("DELETE", f"/api/messages/{message_id}", token=alice.access_token)
    assert (deleted.status, deleted.body["text"], deleted.body["deletedAt"] is not None) == (200, "", True)
    assert history(bob, chat, limit="50")["items"][0]["deletedAt"] is not None
    # A second run finds nothing more to do
    assert run_archiver()["archived"] == 0
