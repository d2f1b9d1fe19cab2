"""Each WebSocket handler with API Gateway's events; moto stands in for the Management API."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chat.handlers import ws_authorizer
from chat.handlers.json_input import TOO_LONG_NUMBER
from tests.conftest import reset_containers
from tests.integration.conftest import CONTEXT as LAMBDA_CONTEXT
from tests.integration.conftest import (
    Pushed,
    call_http,
    connect,
    load_event,
    sign_up,
    ws_call,
    ws_frame,
)
from tests.observed import Emitted, metrics_on


def authorize(token: str | None, origin: str | None = None) -> dict[str, Any]:
    event = load_event("ws_authorizer_request")
    event["queryStringParameters"] = {"token": token} if token is not None else {}
    if origin is not None:
        event["headers"]["Origin"] = origin
    return ws_authorizer.lambda_handler(event, LAMBDA_CONTEXT)


@pytest.fixture
def web_app_origins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WS_ALLOWED_ORIGINS", "https://Chat.Example.com, https://d111.cloudfront.net/")
    reset_containers()
    yield
    reset_containers()


def test_authorizer_lets_in_the_web_apps_pages_and_native_clients_only(
    installed_db: Any, web_app_origins: None
) -> None:
    alice = sign_up("alice")
    for origin in ("https://chat.example.com", "https://d111.cloudfront.net", None):  # None: a native app
        assert authorize(alice.access_token, origin)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    for origin in ("https://evil.example", "http://chat.example.com", "https://chat.example.com.evil.example", "null"):
        refused = authorize(alice.access_token, origin)
        assert refused["policyDocument"]["Statement"][0]["Effect"] == "Deny", origin
        assert refused["context"] == {}


def test_authorizer_allows_a_valid_token_and_passes_the_user_on(installed_db: Any) -> None:
    alice = sign_up("alice")
    policy = authorize(alice.access_token)
    assert policy["principalId"] == alice.user_id
    assert policy["context"] == {"userId": alice.user_id, "loginId": alice.login_id}
    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == load_event("ws_authorizer_request")["methodArn"]


@pytest.mark.parametrize("token", [None, "", "garbage", "eyJhbGciOiJub25lIn0.e30."])
def test_authorizer_refuses_with_unauthorized(installed_db: Any, token: str | None) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(token)


def test_authorizer_refusals_count_nothing_but_its_failures_count_for_the_alarms(
    installed_db: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Lambda counts the authorizer's "Unauthorized" as an error, so the stack sets no Errors alarm on it:
    # its own counts must tell a refused token (none) from a bug (UnhandledErrors) and an outage (503).
    from chat.models.errors import ServiceUnavailable

    def failing(error: Exception) -> Any:
        class Tokens:
            def verify_access_token(self, token: str) -> Any:
                raise error

        return Tokens

    with metrics_on(monkeypatch):
        capsys.readouterr()
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            authorize("garbage")
        refused = Emitted.read(capsys.readouterr().out)
        monkeypatch.setattr(ws_authorizer, "access_tokens", failing(RuntimeError("a bug")))
        with pytest.raises(RuntimeError):
            authorize("garbage")
        crashed = Emitted.read(capsys.readouterr().out)
        monkeypatch.setattr(ws_authorizer, "access_tokens", failing(ServiceUnavailable("MongoDB did not answer")))
        with pytest.raises(ServiceUnavailable):
            authorize("garbage")
        unavailable = Emitted.read(capsys.readouterr().out)

    assert refused.lines == []
    assert crashed.total("UnhandledErrors") == 1
    assert unavailable.total("ServiceUnavailable") == 1


def test_connect_and_disconnect_record_and_forget_the_socket(installed_db: Any) -> None:
    alice = sign_up("alice")
    connect(alice, "conn-1")
    stored = installed_db["connections"].find_one({"_id": "conn-1"})
    assert stored["userId"] == alice.user_id
    assert stored["expiresAt"] > stored["connectedAt"]
    assert ws_call("ws_disconnect", "ws_disconnect", alice, "conn-1") == {"statusCode": 200}
    assert installed_db["connections"].find_one({"_id": "conn-1"}) is None


def test_ping_gets_pong(installed_db: Any) -> None:
    alice = sign_up("alice")
    assert ws_frame("ws_ping", alice, "c", {"action": "ping"}) == {"type": "pong"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "invalid_request"),
        ("[1, 2]", "invalid_request"),
        ('"just a string"', "invalid_request"),
        ('{"text": "no action"}', "invalid_request"),
        ('{"action": "dance"}', "unknown_action"),
        ('{"action": 7}', "unknown_action"),
    ],
)
def test_default_route_explains_what_is_wrong(installed_db: Any, body: str, code: str) -> None:
    frame = ws_frame("ws_default", sign_up("alice"), "c", body)
    assert frame["type"] == "error"
    assert frame["code"] == code
    assert frame["message"]


def test_an_unknown_action_is_named_as_json_and_an_error_names_the_action_it_answers(installed_db: Any) -> None:
    alice = sign_up("alice")
    unknown = ws_frame("ws_default", alice, "c", '{"action": {"$ne": null}}')
    assert unknown["message"].startswith('Unknown action {"$ne": null};')
    assert "action" not in unknown  # $default: no action the API knows
    refused = ws_frame("ws_typing", alice, "c", {"action": "typing", "conversationId": "nope", "isTyping": True})
    assert (refused["code"], refused["action"]) == ("not_found", "typing")


def test_a_frame_with_a_number_too_long_for_python_is_a_clear_error(installed_db: Any) -> None:
    frame = ws_frame("ws_send_message", sign_up("alice"), "c", '{"action": "sendMessage", "seq": ' + "9" * 4301 + "}")
    assert (frame["code"], frame["message"]) == ("invalid_request", TOO_LONG_NUMBER)


def test_send_message_acks_the_sender_and_pushes_to_every_other_socket(pushed: Pushed) -> None:
    alice, bob = sign_up("alice"), sign_up("bob")
    connect(alice, "alice-phone")
    connect(alice, "alice-laptop")
    connect(bob, "bob-phone")
    frame = {"action": "sendMessage", "receiverId": bob.user_id, "text": "hi", "clientMsgId": "m1"}
    # The handler's reply is empty: the ack is pushed first, with the fan-out
    assert ws_call("ws_send_message", "ws_message", alice, "alice-phone", frame) == {"statusCode": 200}
    [ack] = pushed.frames("alice-phone")
    assert ack["type"] == "messageAck"
    assert ack["clientMsgId"] == "m1"
    message = ack["message"]
    assert (message["text"], message["seq"], message["senderId"]) == ("hi", 1, alice.user_id)
    assert ack["version"] == 1  # the conversation's first change
    assert pushed.frames("alice-laptop") == [{"type": "messageReceived", "message": message, "version": 1}]
    assert pushed.frames("bob-phone") == [{"type": "messageReceived", "message": message, "version": 1}]
    # a resend is acked with the original and pushed to nobody else
    ws_call("ws_send_message", "ws_message", alice, "alice-phone", frame)
    # (its ack carries no version: the first one told it)
    assert pushed.frames("alice-phone") == [ack, {key: value for key, value in ack.items() if key != "version"}]
    assert len(pushed.frames("bob-phone")) == 1


@pytest.mark.parametrize(
    "frame",
    [
        {"action": "sendMessage", "receiverId": "u", "text": "no clientMsgId"},
        {"action": "sendMessage", "receiverId": "u", "text": {"$ne": None}, "clientMsgId": "m2"},
        {"action": "sendMessage", "text": "no target", "clientMsgId": "m2"},
        {"action": "sendMessage", "receiverId": "u", "text": "x" * 4001, "clientMsgId": "m2"},
        {"action": "sendMessage", "receiverId": "u", "text": "ok", "clientMsgId": "m2", "extra": 1},
    ],
)
def test_invalid_send_frames_get_an_error_frame(installed_db: Any, frame: dict[str, Any]) -> None:
    reply = ws_frame("ws_send_message", sign_up("alice"), "c", frame)
    assert (reply["type"], reply["code"]) == ("error", "invalid_request")
    assert reply["details"]
    if frame.get("clientMsgId") == "m2":
        assert reply["clientMsgId"] == "m2"
    assert installed_db["messages"].count_documents({}) == 0


def test_non_member_send_is_forbidden(pushed: Pushed) -> None:
    alice, bob, mallory = sign_up("alice"), sign_up("bob"), sign_up("mallory")
    conversation = call_http("POST", "/api/conversations/direct", {"userId": bob.user_id}, token=alice.access_token)
    frame = {"action": "sendMessage", "conversationId": conversation.body["id"], "text": "hi", "clientMsgId": "x"}
    reply = ws_frame("ws_send_message", mallory, "m-1", frame)
    assert (reply["type"], reply["code"], reply["clientMsgId"]) == ("error", "forbidden", "x")
    missing = ws_frame("ws_send_message", mallory, "m-1", {**frame, "conversationId": "nope"})
    assert missing["code"] == "not_found"


def test_database_down_gives_an_error_frame_and_refuses_connect(installed_db: Any, monkeypatch: Any) -> None:
    from pymongo import MongoClient

    from chat.adapters.mongo import client as mongo
    from tests.conftest import reset_containers

    alice = sign_up("alice")
    monkeypatch.setattr(mongo, "_client", MongoClient("mongodb://127.0.0.1:9", serverSelectionTimeoutMS=300))
    reset_containers()
    frame = {"action": "sendMessage", "receiverId": "u", "text": "hi", "clientMsgId": "m1"}
    reply = ws_frame("ws_send_message", alice, "c", frame)
    assert (reply["type"], reply["code"]) == ("error", "service_unavailable")
    refused = ws_call("ws_connect", "ws_connect", alice, "c")
    assert refused["statusCode"] == 503
    assert json.dumps(refused)  # a plain answer, not an exception


def test_local_gateway_builds_the_same_event_shapes(installed_db: Any) -> None:
    from multidict import CIMultiDict, CIMultiDictProxy

    from local import events

    headers = CIMultiDictProxy(CIMultiDict({"Host": "127.0.0.1:8000", "User-Agent": "test"}))
    built = {
        "http_api_request": events.http_event(
            method="GET",
            path="/api/health",
            query_string="",
            query={},
            headers=headers,
            body=b"",
            source_ip="127.0.0.1",
            host="127.0.0.1:8000",
        ),
        "ws_authorizer_request": events.authorizer_event(
            connection_id="c", headers=headers, query={"token": "t"}, host="h", source_ip="127.0.0.1"
        ),
        "ws_message": events.websocket_event(
            route_key="ping",
            event_type="MESSAGE",
            connection_id="c",
            connected_at=0,
            host="h",
            source_ip="127.0.0.1",
            authorizer={"userId": "u"},
            body="{}",
        ),
    }

    def shape(value: Any) -> Any:
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else type(value).__name__

    for name, event in built.items():
        fixture = load_event(name)
        missing = {k for k in fixture if k not in event}
        assert not missing, f"{name} lacks {missing}"
        for key in ("http", "identity"):
            if key in fixture.get("requestContext", {}):
                assert set(shape(fixture["requestContext"][key])) <= set(shape(event["requestContext"][key]))
        assert set(fixture.get("requestContext", {})) - {"messageId"} <= set(event["requestContext"]) | {"authorizer"}


def test_deploy_time_index_set_up_creates_every_index(installed_db: Any) -> None:
    from chat.adapters.mongo.indexes import INDEXES
    from chat.handlers import db_setup

    # Given a database with none of the indexes, but one an earlier version made
    for name in INDEXES:
        installed_db[name].drop_indexes()
    installed_db["connections"].create_index("userId", name="by_user")
    # When the deploy trigger runs the set-up
    result = db_setup.lambda_handler({}, LAMBDA_CONTEXT)
    # Then every index exists, and running it again changes nothing
    for collection, models in INDEXES.items():
        names = set(installed_db[collection].index_information())
        assert {m.document["name"] for m in models} <= names
    assert "by_user" not in installed_db["connections"].index_information()  # retired: dropped
    assert db_setup.lambda_handler({}, LAMBDA_CONTEXT) == result


def test_a_bug_in_a_frame_route_is_an_error_frame_with_no_detail(installed_db: Any, monkeypatch: Any) -> None:
    from chat.handlers import ws_send_message

    def broken() -> Any:
        raise RuntimeError("internal detail")

    monkeypatch.setattr(ws_send_message, "message_service", broken)
    frame = {"action": "sendMessage", "receiverId": "u", "text": "hi", "clientMsgId": "m1"}
    reply = ws_frame("ws_send_message", sign_up("alice"), "c", frame)
    # No detail of the bug; which send it answers, so the client stops waiting for its ack
    assert reply == {
        "type": "error",
        "code": "internal_error",
        "message": "Something went wrong on our side.",
        "action": "sendMessage",
        "clientMsgId": "m1",
    }
