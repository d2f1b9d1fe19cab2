"""What a deployed function tells its operator, through the real handlers: the metrics it prints
(CloudWatch's embedded metric format, serialized by Powertools and read back from stdout) and
its log lines, each carrying the request's correlation keys, a refusal at the level its status
calls for, with its code."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient

from chat.adapters.mongo import client as mongo
from chat.handlers import ws_send_message
from tests.conftest import reset_containers
from tests.integration.conftest import Account, Pushed, call_http, connect, load_event, sign_up, ws_call, ws_frame
from tests.observed import Emitted, log_lines, metrics_on

WS_REQUEST_ID = load_event("ws_message")["requestContext"]["requestId"]
HTTP_REQUEST_ID = load_event("http_api_request")["requestContext"]["requestId"]


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Metrics on, as on AWS; call it for the EMF lines printed since the test began."""
    with metrics_on(monkeypatch):
        capsys.readouterr()
        emitted = Emitted()

        def read() -> Emitted:
            emitted.lines.extend(Emitted.read(capsys.readouterr().out).lines)
            return emitted

        yield read


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def set_limits(**limits: str) -> None:
        for name, value in limits.items():
            monkeypatch.setenv(f"RATE_LIMIT_{name.upper()}", value)
        reset_containers()

    yield set_limits
    reset_containers()


@pytest.fixture
def database_down(installed_db: Any) -> Iterator[None]:
    """MongoDB gone mid-flight: a cluster nobody answers at (a closed port), found out quickly."""
    previous = mongo._client
    unreachable: Any = MongoClient(
        "mongodb://127.0.0.1:9/?directConnection=true&serverSelectionTimeoutMS=300", tz_aware=True
    )
    mongo.use_client(unreachable)
    reset_containers()
    try:
        yield
    finally:
        mongo.use_client(previous)
        unreachable.close()
        reset_containers()


def a_chat(alice: Account, bob: Account) -> str:
    response = call_http("POST", "/api/conversations/direct", {"userId": bob.user_id}, token=alice.access_token)
    return str(response.body["id"])


def send(account: Account, connection_id: str, conversation_id: str, n: int) -> dict[str, Any]:
    frame = {"action": "sendMessage", "conversationId": conversation_id, "text": f"m{n}", "clientMsgId": f"k{n}"}
    result = ws_call("ws_send_message", "ws_message", account, connection_id, frame)
    assert result["statusCode"] == 200
    return json.loads(result["body"]) if result.get("body") else {}


def test_a_send_over_the_socket_prints_messages_sent_and_its_pushes(pushed: Pushed, printed: Any) -> None:
    # Given alice and bob in a chat, each on a socket
    alice, bob = sign_up("alice"), sign_up("bob")
    chat = a_chat(alice, bob)
    connect(alice, "alice-1")
    connect(bob, "bob-1")

    # When alice sends a message over her socket
    assert send(alice, "alice-1", chat, 1) == {}

    # Then the function printed one message sent, two pushes for it (her ack, bob's copy), both delivered
    emitted = printed()
    assert emitted.total("MessagesSent") == 1
    assert emitted.total("PushesPerMessage") == 2
    assert emitted.total("FanOutDelivered") >= 2
    assert emitted.namespaces() == {"Chat"}
    assert emitted.dimension_names() <= {"service", "limit", "reason"}  # never an id


def test_a_rate_limited_send_is_counted_by_its_limit_and_logged_as_a_warning(
    pushed: Pushed, printed: Any, limits: Any
) -> None:
    # Given at most one send a minute
    limits(send="1/60")
    alice, bob = sign_up("alice"), sign_up("bob")
    chat = a_chat(alice, bob)
    connect(alice, "alice-1")
    assert send(alice, "alice-1", chat, 1) == {}

    # When alice sends a second one
    with log_lines() as lines:
        reply = send(alice, "alice-1", chat, 2)

    # Then she is told to wait; the refusal is counted under its limit's name (and in the total)
    assert reply["code"] == "rate_limited"
    emitted = printed()
    assert emitted.total("RateLimited", limit="send") == 1
    assert emitted.total("RateLimited") == 1
    # And logged once, at WARNING, with its code, its limit and the request's correlation keys
    (line,) = [line for line in lines if line.get("code") == "rate_limited"]
    assert line["level"] == "WARNING"
    assert (line["status"], line["limit"], line["retry_after"]) == (429, "send", reply["retryAfter"])
    assert line["correlation_id"] == WS_REQUEST_ID
    assert (line["route"], line["connection_id"], line["user_id"]) == ("sendMessage", "alice-1", alice.user_id)


def test_every_log_line_of_an_http_request_carries_its_request_id_route_and_user(installed_db: Any) -> None:
    alice = sign_up("alice")

    # When alice asks for a conversation that is not there
    with log_lines() as lines:
        response = call_http("GET", "/api/conversations/nope", token=alice.access_token)

    # Then the 404 is logged at INFO (hers to fix) with its code, and who asked, by which route
    assert response.status == 404
    (line,) = [line for line in lines if line["message"] == "request refused"]
    assert (line["level"], line["status"], line["code"]) == ("INFO", 404, "not_found")
    assert line["correlation_id"] == HTTP_REQUEST_ID
    assert (line["route"], line["user_id"]) == ("GET /api/conversations/nope", alice.user_id)
    assert line["function_request_id"] == "test-request"  # Lambda's, beside API Gateway's


def test_a_503_is_logged_as_a_warning_with_its_code_and_counted(database_down: None, printed: Any) -> None:
    # When someone logs in while MongoDB does not answer
    with log_lines() as lines:
        response = call_http("POST", "/api/auth/login", {"username": "alice", "password": "password123"})

    # Then they are told to try again, and the operator sees why: a warning with its code, and a count
    assert response.status == 503
    (line,) = [line for line in lines if line.get("code") == "service_unavailable"]
    assert (line["level"], line["status"]) == ("WARNING", 503)
    assert "database" in line["reason"]
    assert (line["correlation_id"], line["route"]) == (HTTP_REQUEST_ID, "POST /api/auth/login")
    assert printed().total("ServiceUnavailable") == 1


def test_a_bug_is_logged_at_error_with_its_stack_and_counted(
    pushed: Pushed, printed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = sign_up("alice"), sign_up("bob")

    def broken() -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(ws_send_message, "message_service", broken)

    # When a send meets a bug
    with log_lines() as lines:
        frame = {"action": "sendMessage", "receiverId": bob.user_id, "text": "hi", "clientMsgId": "k1"}
        reply = ws_frame("ws_send_message", alice, "alice-1", frame)

    # Then the client hears only that something went wrong; the log has the stack, at ERROR
    assert (reply["code"], reply["message"]) == ("internal_error", "Something went wrong on our side.")
    (line,) = [line for line in lines if line["level"] == "ERROR"]
    assert "RuntimeError: a bug" in line["exception"]
    assert (line["code"], line["correlation_id"], line["user_id"]) == ("internal_error", WS_REQUEST_ID, alice.user_id)
    assert printed().total("UnhandledErrors") == 1


def test_a_quiet_invocation_prints_no_metrics(installed_db: Any, printed: Any) -> None:
    # A liveness check counts nothing, so it prints nothing
    assert call_http("GET", "/api/health").status == 200
    assert printed().lines == []
