"""Traces: what a sampled invocation sends to the X-Ray daemon (read back off a UDP socket and
decoded as OTLP), and that an invocation not sampled sends and imports nothing."""

import datetime
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from pymongo import monitoring

from chat import tracing
from chat.adapters.boto_spans import traced
from chat.adapters.mongo.command_spans import CommandSpans
from chat.adapters.s3_media import S3MediaStorage
from chat.observability import entry_point
from tests.traces import PARENT, SAMPLED, TRACE_ID, Daemon, attributes, spans_in

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = SimpleNamespace(
    function_name="chat-test",
    function_version="$LATEST",
    memory_limit_in_mb=1024,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:chat-test",
    aws_request_id="test-request",
)


def test_the_trace_header_names_the_sampled_trace_and_its_parent() -> None:
    assert tracing.parse_trace_header(SAMPLED) == (int(TRACE_ID, 16), int(PARENT, 16))
    assert tracing.parse_trace_header(f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent={PARENT};Sampled=0") is None
    assert tracing.parse_trace_header("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1") is None
    assert tracing.parse_trace_header(f"Root=1-zz59e988-bd862e3fe1be46a994272793;Parent={PARENT};Sampled=1") is None
    assert tracing.parse_trace_header("") is None


def test_a_sampled_invocation_sends_its_spans_under_the_functions_segment(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a request Lambda sampled
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)

    @entry_point()
    def handler(event: Any, context: Any) -> str:
        with tracing.span("SQS.SendMessage", tracing.aws_call_attributes("SQS", "SendMessage")):
            pass
        # a span started on another thread (the fan-out's) joins the same trace
        worker = threading.Thread(target=lambda: tracing.finish(tracing.start_span("pushed", {}) or _no_span()))
        worker.start()
        worker.join()
        with pytest.raises(KeyError), tracing.span("find messages", {"db.system.name": "mongodb"}):
            raise KeyError("gone")
        return "answered"

    # When it runs
    assert handler({}, CONTEXT) == "answered"

    # Then each call is a client span whose parent is the function's segment
    spans = {span.name: span for span in daemon.spans()}
    assert set(spans) == {"SQS.SendMessage", "pushed", "find messages"}
    for span in spans.values():
        assert span.trace_id.hex() == TRACE_ID
        assert span.parent_span_id.hex() == PARENT
        assert span.kind == Span.SPAN_KIND_CLIENT
        assert span.end_time_unix_nano >= span.start_time_unix_nano > 0
    assert attributes(spans["SQS.SendMessage"]) == {
        "rpc.system": "aws-api",
        "rpc.service": "SQS",
        "rpc.method": "SendMessage",
    }
    assert spans["find messages"].status.code == Status.STATUS_CODE_ERROR
    assert spans["find messages"].status.message == "KeyError"
    assert spans["SQS.SendMessage"].status.code == Status.STATUS_CODE_UNSET
    # and nothing is left to trace once the invocation is over
    assert not tracing.active()


def _no_span() -> Any:
    raise AssertionError("a sampled invocation's thread got no span")


def test_an_invocation_not_sampled_records_nothing(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent={PARENT};Sampled=0")
    seen = []

    @entry_point()
    def handler(event: Any, context: Any) -> None:
        seen.append((tracing.active(), tracing.start_span("find messages", {})))

    handler({}, CONTEXT)

    assert seen == [(False, None)]
    assert daemon.datagrams() == []


def test_spans_past_the_limit_are_dropped_and_counted(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    monkeypatch.setattr(tracing, "MAX_SPANS", 5)
    tracing.begin_invocation()
    for number in range(8):
        with tracing.span(f"push {number}", {}):
            pass

    assert tracing.end_invocation() == 3
    assert sorted(span.name for span in daemon.spans()) == [f"push {number}" for number in range(5)]


def test_a_large_trace_is_split_across_datagrams_that_fit(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given more spans than one datagram holds
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    tracing.begin_invocation()
    for number in range(900):
        with tracing.span(f"ApiGatewayManagementApi.PostToConnection {number}", {"padding": "x" * 60}):
            pass
    tracing.end_invocation()

    # Then every span arrives, in datagrams UDP can carry
    datagrams = daemon.datagrams()
    assert len(datagrams) > 1
    assert max(len(datagram) for datagram in datagrams) <= tracing.MAX_DATAGRAM_BYTES
    names = [span.name for span in spans_in(datagrams)]
    assert sorted(names) == sorted(f"ApiGatewayManagementApi.PostToConnection {number}" for number in range(900))


def test_mongodb_commands_become_spans_without_their_contents(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given pymongo's command events for a traced request: a find that answers and an update that fails
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    listener = CommandSpans()
    server = ("cluster0-shard-00-01.example.mongodb.net", 27017)
    took = datetime.timedelta(milliseconds=3)
    tracing.begin_invocation()
    listener.started(
        monitoring.CommandStartedEvent({"find": "messages", "filter": {"text": "secret"}}, "chat", 1, server, 1)
    )
    listener.started(monitoring.CommandStartedEvent({"update": "conversations", "updates": []}, "chat", 2, server, 2))
    listener.succeeded(monitoring.CommandSucceededEvent(took, {"ok": 1}, "find", 1, server, 1, database_name="chat"))
    failure = {"ok": 0, "code": 11000, "codeName": "DuplicateKey", "errmsg": "dup key: { text: secret }"}
    listener.failed(monitoring.CommandFailedEvent(took, failure, "update", 2, server, 2, database_name="chat"))
    tracing.end_invocation()

    # Then one span per command, named by operation and collection, the query and error text left out
    spans = {span.name: span for span in daemon.spans()}
    assert set(spans) == {"find messages", "update conversations"}
    assert attributes(spans["find messages"]) == {
        "db.system.name": "mongodb",
        "db.namespace": "chat",
        "db.operation.name": "find",
        "db.collection.name": "messages",
        "server.address": "cluster0-shard-00-01.example.mongodb.net",
        "server.port": 27017,
    }
    assert spans["update conversations"].status.code == Status.STATUS_CODE_ERROR
    assert spans["update conversations"].status.message == "DuplicateKey"
    assert "secret" not in str(list(spans.values()))


def test_mongodb_commands_of_a_request_not_traced_are_not_held() -> None:
    listener = CommandSpans()
    server = ("localhost", 27017)
    listener.started(monitoring.CommandStartedEvent({"find": "messages"}, "chat", 1, server, 1))

    assert listener._open == {}


def test_the_mongodb_client_reports_its_commands_to_the_spans_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    from chat.adapters.mongo import client as mongo
    from chat.config import settings

    previous = mongo._client
    monkeypatch.setenv("MONGODB_URI", "mongodb://127.0.0.1:9/?connect=false")
    settings.cache_clear()
    mongo._client = None
    try:
        mongo.database()
        assert any(isinstance(listener, CommandSpans) for listener in mongo._client.options.event_listeners)
    finally:
        mongo._client.close()
        mongo._client = previous
        monkeypatch.undo()
        settings.cache_clear()


@mock_aws
def test_aws_calls_through_boto3_become_spans(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the media bucket's real adapter, traced, and a request Lambda sampled
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="media")
    storage = S3MediaStorage("media", region="us-east-1")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
    tracing.begin_invocation()

    # When it reads an upload that is there, and one that is not
    storage._client.put_object(Bucket="media", Key="uploads/a", Body=b"hello")
    storage._client.get_object(Bucket="media", Key="uploads/a", Range="bytes=0-3")
    with pytest.raises(Exception, match="NoSuchKey"):
        storage._client.get_object(Bucket="media", Key="uploads/missing")
    tracing.end_invocation()

    # Then each call is a span named by service and operation, the failed one marked so
    spans = daemon.spans()
    assert [span.name for span in spans] == ["S3.PutObject", "S3.GetObject", "S3.GetObject"]
    assert attributes(spans[0])["rpc.service"] == "S3"
    assert attributes(spans[1])["http.response.status_code"] == 206
    assert spans[2].status.code == Status.STATUS_CODE_ERROR
    assert spans[2].status.message == "NoSuchKey"


def test_a_traced_client_made_twice_traces_each_call_once(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():
        client = traced(traced(boto3.client("s3", region_name="us-east-1")))
        monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)
        tracing.begin_invocation()
        client.list_buckets()
        tracing.end_invocation()

    assert [span.name for span in daemon.spans()] == ["S3.ListBuckets"]


def run_fresh(code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter, as a cold container runs it."""
    env = {**os.environ, **environment, "PYTHONPATH": f"{ROOT / 'lambdas'}{os.pathsep}{ROOT}"}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )


UNSAMPLED_INVOCATION = """
import sys
from types import SimpleNamespace
from chat import tracing
from chat.observability import entry_point

@entry_point()
def handler(event, context):
    return tracing.start_span("find messages", {})

context = SimpleNamespace(function_name="f", function_version="1", memory_limit_in_mb=128,
                          invoked_function_arn="arn:aws:lambda:us-east-1:1:function:f", aws_request_id="r")
assert handler({}, context) is None
print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
"""


def test_a_cold_container_whose_request_is_not_sampled_never_imports_opentelemetry() -> None:
    not_sampled = run_fresh(UNSAMPLED_INVOCATION, _X_AMZN_TRACE_ID=SAMPLED.replace("Sampled=1", "Sampled=0"))
    switched_off = run_fresh(UNSAMPLED_INVOCATION, _X_AMZN_TRACE_ID=SAMPLED, TRACING="off")

    assert (not_sampled.returncode, not_sampled.stdout.strip()) == (0, "[]"), not_sampled.stderr
    assert (switched_off.returncode, switched_off.stdout.strip()) == (0, "[]"), switched_off.stderr


def test_a_malformed_tracing_setting_stops_the_cold_start() -> None:
    started = run_fresh("import chat.observability", TRACING="sometimes")

    assert started.returncode != 0
    assert "TRACING must be on or off, not 'sometimes'" in started.stderr
