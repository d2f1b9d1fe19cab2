"""Traces through the real handlers and adapters: a sampled send's pushes, over HTTP to a stand-in
Management API, and a secret read from a Secrets Manager that is not ours (moto's), each a span
under the function's segment, read back off the X-Ray daemon's port."""

import json

import boto3
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from chat.adapters import secrets_manager
from chat.observability import entry_point
from tests.integration.conftest import CONTEXT, Pushed, call_http, connect, sign_up, ws_call
from tests.traces import PARENT, SAMPLED, TRACE_ID, Daemon, attributes


def test_a_sampled_send_traces_each_push(pushed: Pushed, daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given alice and bob in a chat, each on a socket, and a send Lambda samples
    alice, bob = sign_up("alice"), sign_up("bob")
    chat = call_http("POST", "/api/conversations/direct", {"userId": bob.user_id}, token=alice.access_token).body["id"]
    connect(alice, "alice-1")
    connect(bob, "bob-1")
    daemon.datagrams()  # what the set-up sent, if anything, is not this test's
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)

    # When alice sends over her socket
    frame = {"action": "sendMessage", "conversationId": chat, "text": "hi", "clientMsgId": "k1"}
    assert ws_call("ws_send_message", "ws_message", alice, "alice-1", frame)["statusCode"] == 200

    # Then her ack and bob's copy are each a span under the function's segment, answered 200
    pushes = [span for span in daemon.spans() if span.name == "ApiGatewayManagementApi.PostToConnection"]
    assert len(pushes) == 2
    for push in pushes:
        assert (push.trace_id.hex(), push.parent_span_id.hex()) == (TRACE_ID, PARENT)
        assert attributes(push)["http.response.status_code"] == 200
        assert attributes(push)["rpc.service"] == "ApiGatewayManagementApi"
        assert push.status.code == Status.STATUS_CODE_UNSET


def test_a_secret_read_in_a_sampled_request_is_a_span(
    secrets_endpoint: str, daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=secrets_endpoint)
    arn = client.create_secret(Name="chat-jwt", SecretString=json.dumps("k" * 40))["ARN"]
    missing = arn.replace("chat-jwt", "nowhere")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", SAMPLED)

    @entry_point()
    def handler(event: object, context: object) -> None:
        secrets_manager.secret_value(arn)
        with pytest.raises(secrets_manager.SecretNotRead):
            secrets_manager.secret_value(missing)

    handler({}, CONTEXT)

    read, refused = daemon.spans()
    assert (read.name, refused.name) == ("Secrets Manager.GetSecretValue",) * 2
    assert attributes(read)["rpc.method"] == "GetSecretValue"
    assert read.status.code == Status.STATUS_CODE_UNSET
    assert (refused.status.code, refused.status.message) == (Status.STATUS_CODE_ERROR, "SecretNotRead")
