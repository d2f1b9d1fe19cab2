"""Per-user (and, before log-in, per-address) rate limits through the real handlers: over the
limit an HTTP call gets 429 with Retry-After and a frame gets `error rate_limited` with
`retryAfter`; nothing is stored, and nobody else is slowed down."""

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import reset_containers
from tests.integration.conftest import Account, HttpResponse, Pushed, call_http, connect, sign_up, ws_call


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    def set_limits(**limits: str) -> None:
        for name, value in limits.items():
            monkeypatch.setenv(f"RATE_LIMIT_{name.upper()}", value)
        reset_containers()

    yield set_limits
    reset_containers()


def a_direct_chat(alice: Account, bob: Account) -> str:
    return str(
        call_http("POST", "/api/conversations/direct", {"userId": bob.user_id}, token=alice.access_token).body["id"]
    )


def frame_reply(module: str, account: Account, connection_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    """What API Gateway sends back on the socket: a frame, or {} when the route answers nothing."""
    result = ws_call(module, "ws_message", account, connection_id, frame)
    assert result["statusCode"] == 200
    return json.loads(result["body"]) if result.get("body") else {}


def send_frame(conversation_id: str, n: int) -> dict[str, Any]:
    return {"action": "sendMessage", "conversationId": conversation_id, "text": f"message {n}", "clientMsgId": f"m{n}"}


def history(account: Account, conversation_id: str) -> list[str]:
    page = call_http("GET", f"/api/messages/{conversation_id}", token=account.access_token, query={"limit": "100"}).body
    return [message["text"] for message in page["items"]]


def assert_rate_limited(response: HttpResponse, retry_after_at_most: int) -> None:
    assert response.status == 429, response.body
    error = response.body["error"]
    assert error["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= retry_after_at_most
    assert error["retryAfter"] == int(response.headers["Retry-After"])


def test_a_burst_of_sends_is_limited_while_another_member_is_unaffected(pushed: Pushed, limits: Any) -> None:
    # Given alice and bob in one chat, each on a socket, and at most 3 sends a minute each
    limits(send="3/60")
    alice, bob = sign_up("alice"), sign_up("bob")
    chat = a_direct_chat(alice, bob)
    connect(alice, "alice-1")
    connect(bob, "bob-1")

    # When alice sends 6 frames at once
    replies = [frame_reply("ws_send_message", alice, "alice-1", send_frame(chat, n)) for n in range(6)]

    # Then her first 3 were taken (each acked by push, no reply), the rest refused with when to retry
    assert replies[:3] == [{}, {}, {}]
    for n, reply in enumerate(replies[3:], start=3):
        assert (reply["type"], reply["code"]) == ("error", "rate_limited"), reply
        assert reply["clientMsgId"] == f"m{n}"
        assert 1 <= reply["retryAfter"] <= 20  # a token every 20 s
    acks = [f for f in pushed.frames("alice-1") if f["type"] == "messageAck"]
    assert [ack["clientMsgId"] for ack in acks] == ["m0", "m1", "m2"]
    # And bob, in the same chat, sends as usual; only the taken messages are stored
    bob_reply = frame_reply("ws_send_message", bob, "bob-1", {**send_frame(chat, 9), "text": "bob here"})
    assert "code" not in bob_reply
    assert history(bob, chat) == ["message 0", "message 1", "message 2", "bob here"]


def test_an_http_send_over_the_limit_is_429_with_retry_after_and_stores_nothing(pushed: Pushed, limits: Any) -> None:
    limits(send="2/60")
    alice, bob = sign_up("alice"), sign_up("bob")
    chat = a_direct_chat(alice, bob)
    body = {"conversationId": chat, "text": "hi"}
    for n in range(2):
        assert (
            call_http("POST", "/api/messages", {**body, "clientMsgId": f"m{n}"}, token=alice.access_token).status == 201
        )
    refused = call_http("POST", "/api/messages", {**body, "clientMsgId": "m2"}, token=alice.access_token)
    assert_rate_limited(refused, 30)
    assert len(history(alice, chat)) == 2


def test_alternating_typing_frames_are_limited_like_any_other(pushed: Pushed, limits: Any) -> None:
    # Given 5 typing frames per minute at most
    limits(typing="5/60")
    alice, bob = sign_up("alice"), sign_up("bob")
    chat = a_direct_chat(alice, bob)
    connect(alice, "alice-1")
    connect(bob, "bob-1")
    # When alice alternates true and false 20 times (which slipped past the typing throttle)
    replies = [
        frame_reply("ws_typing", alice, "alice-1", {"action": "typing", "conversationId": chat, "isTyping": n % 2 == 0})
        for n in range(20)
    ]
    # Then bob hears at most 5 of them, and alice is told to slow down for the other 15
    assert len([f for f in pushed.frames("bob-1") if f["type"] == "typing"]) <= 5
    assert sum(reply.get("code") == "rate_limited" for reply in replies) == 15


def test_rate_limits_off_lets_a_load_test_through(pushed: Pushed, limits: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMITS", "off")
    limits(send="1/60")
    alice, bob = sign_up("alice"), sign_up("bob")
    chat = a_direct_chat(alice, bob)
    for n in range(5):
        assert (
            call_http(
                "POST",
                "/api/messages",
                {"conversationId": chat, "text": "x", "clientMsgId": f"m{n}"},
                token=alice.access_token,
            ).status
            == 201
        )


# Each limited action once over a limit of 1 an hour: 429, and the first one still worked.
Action = Callable[[Account, Account, str, int], HttpResponse]


def _react(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    sent = call_http(
        "POST", "/api/messages", {"conversationId": chat, "text": "x", "clientMsgId": f"r{n}"}, token=bob.access_token
    )
    return call_http(
        "POST", f"/api/messages/{sent.body['id']}/reactions", {"emoji": "👍", "on": True}, token=alice.access_token
    )


def _edit(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    sent = call_http(
        "POST", "/api/messages", {"conversationId": chat, "text": "x", "clientMsgId": f"e{n}"}, token=alice.access_token
    )
    return call_http("PATCH", f"/api/messages/{sent.body['id']}", {"text": "edited"}, token=alice.access_token)


def _delete(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    sent = call_http(
        "POST", "/api/messages", {"conversationId": chat, "text": "x", "clientMsgId": f"d{n}"}, token=alice.access_token
    )
    return call_http("DELETE", f"/api/messages/{sent.body['id']}", token=alice.access_token)


def _group(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    return call_http(
        "POST", "/api/groups/create", {"name": f"g{n}", "memberIds": [bob.user_id]}, token=alice.access_token
    )


def _rename(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    group = call_http("POST", "/api/groups/create", {"name": "g", "memberIds": [bob.user_id]}, token=alice.access_token)
    return call_http("PATCH", f"/api/groups/{group.body['id']}", {"name": f"renamed {n}"}, token=alice.access_token)


def _add_member(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    group = call_http("POST", "/api/groups/create", {"name": "g", "memberIds": [bob.user_id]}, token=alice.access_token)
    carol = sign_up(f"carol{n}")
    return call_http(
        "POST", f"/api/groups/{group.body['id']}/members", {"userIds": [carol.user_id]}, token=alice.access_token
    )


def _remove_member(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    group = call_http("POST", "/api/groups/create", {"name": "g", "memberIds": [bob.user_id]}, token=alice.access_token)
    return call_http("DELETE", f"/api/groups/{group.body['id']}/members/{bob.user_id}", token=alice.access_token)


def _direct(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    someone = sign_up(f"someone{n}{alice.username}")
    return call_http("POST", "/api/conversations/direct", {"userId": someone.user_id}, token=alice.access_token)


def _first_message(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    someone = sign_up(f"stranger{n}{alice.username}")
    body = {"receiverId": someone.user_id, "text": "hi", "clientMsgId": f"f{n}"}
    return call_http("POST", "/api/messages", body, token=alice.access_token)


def _refresh(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    account = bob if n == 2 else alice
    body = {"refreshToken": account.refresh_token}
    # two addresses of one IPv6 /64 (one subscriber), then another /64
    source = ("2001:db8:1:2::7", "2001:db8:1:2:ffff::8", "2001:db8:9::7")[n]
    answer = call_http("POST", "/api/auth/refresh", body, source_ip=source)
    if answer.status == 200:
        account.refresh_token = answer.body["refreshToken"]
    return answer


def _receipt(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    call_http(
        "POST", "/api/messages", {"conversationId": chat, "text": "x", "clientMsgId": f"c{n}"}, token=bob.access_token
    )
    return call_http("POST", f"/api/conversations/{chat}/receipts", {"readSeq": n + 1}, token=alice.access_token)


def _upload(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    form = {"conversationId": chat, "fileName": "a.png", "contentType": "image/png", "size": 100}
    return call_http("POST", "/api/media/upload-url", form, token=alice.access_token)


def _signup(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    return call_http(
        "POST", "/api/auth/signup", {"username": f"new{n}", "password": "password123"}, source_ip="192.0.2.9"
    )


def _login(alice: Account, bob: Account, chat: str, n: int) -> HttpResponse:
    return call_http("POST", "/api/auth/login", {"username": "alice", "password": "password123"}, source_ip="192.0.2.9")


@pytest.mark.parametrize(
    ("limit", "action", "first_status"),
    [
        ("reaction", _react, 200),
        ("edit", _edit, 200),
        ("edit", _delete, 200),
        ("group", _group, 201),
        ("membership", _rename, 200),
        ("membership", _add_member, 200),
        ("membership", _remove_member, 200),
        ("direct", _direct, 201),
        ("direct", _first_message, 201),
        ("refresh", _refresh, 200),
        ("receipt", _receipt, 200),
        ("upload", _upload, 201),
        ("signup", _signup, 201),
        ("login", _login, 200),
    ],
    ids=[
        "reaction",
        "edit",
        "delete",
        "group",
        "rename",
        "add-member",
        "remove-member",
        "direct",
        "first-message",
        "refresh-per-ipv6-64",
        "receipt",
        "upload",
        "signup",
        "login",
    ],
)
def test_every_limited_action_is_refused_over_its_limit(
    pushed: Pushed, limits: Any, limit: str, action: Action, first_status: int
) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=os.environ["MEDIA_BUCKET"])
    alice, bob = sign_up("alice"), sign_up("bob")
    chat = a_direct_chat(alice, bob)
    limits(**{limit: "1/3600"})
    assert action(alice, bob, chat, 0).status == first_status
    assert_rate_limited(action(alice, bob, chat, 1), 3600)
    # another user (or address) has a bucket of its own
    if limit == "refresh":  # another /64; the first two came from two addresses of one /64
        assert action(alice, bob, chat, 2).status == 200
    elif limit in ("signup", "login"):
        assert (
            call_http(
                "POST", "/api/auth/login", {"username": "bob", "password": "password123"}, source_ip="192.0.2.10"
            ).status
            == 200
        )
    else:
        assert action(bob, alice, chat, 2).status == first_status


def _ws_edit(chat: str, message_id: str, n: int) -> dict[str, Any]:
    return {"action": "editMessage", "messageId": message_id, "text": f"edit {n}"}


def _ws_delete(chat: str, message_id: str, n: int) -> dict[str, Any]:
    return {"action": "deleteMessage", "messageId": message_id}


def _ws_react(chat: str, message_id: str, n: int) -> dict[str, Any]:
    return {"action": "react", "messageId": message_id, "emoji": "👍", "on": n % 2 == 0}


def _ws_receipt(chat: str, message_id: str, n: int) -> dict[str, Any]:
    return {"action": "markRead", "conversationId": chat, "seq": 1}


@pytest.mark.parametrize(
    ("limit", "module", "frame"),
    [
        ("edit", "ws_message_changes", _ws_edit),
        ("edit", "ws_message_changes", _ws_delete),
        ("reaction", "ws_message_changes", _ws_react),
        ("receipt", "ws_receipts", _ws_receipt),
    ],
    ids=["edit", "delete", "react", "receipt"],
)
def test_frames_over_their_limit_get_rate_limited_with_retry_after(
    pushed: Pushed, limits: Any, limit: str, module: str, frame: Callable[[str, str, int], dict[str, Any]]
) -> None:
    alice, bob = sign_up("alice"), sign_up("bob")
    chat = a_direct_chat(alice, bob)
    connect(alice, "alice-1")
    sent = call_http(
        "POST", "/api/messages", {"conversationId": chat, "text": "x", "clientMsgId": "m1"}, token=alice.access_token
    )
    limits(**{limit: "1/3600"})

    first = frame_reply(module, alice, "alice-1", frame(chat, sent.body["id"], 0))
    second = frame_reply(module, alice, "alice-1", frame(chat, sent.body["id"], 1))

    assert first.get("code") != "rate_limited", first
    assert (second["type"], second["code"]) == ("error", "rate_limited")
    assert 1 <= second["retryAfter"] <= 3600


def test_connecting_too_often_refuses_the_handshake(pushed: Pushed, limits: Any) -> None:
    limits(connect="2/60")
    alice = sign_up("alice")
    connect(alice, "alice-1")
    connect(alice, "alice-2")
    refused = ws_call("ws_connect", "ws_connect", alice, "alice-3")
    assert refused["statusCode"] == 429
    assert [c.connectionId for c in connections_of(alice)] == ["alice-1", "alice-2"]


def connections_of(account: Account) -> list[Any]:
    from chat.handlers.composition import connection_store

    return sorted(connection_store().for_users([account.user_id]), key=lambda c: c.connectionId)


def test_an_ipv4_client_seen_over_ipv6_counts_as_itself(pushed: Pushed, limits: Any) -> None:
    limits(signup="1/3600")
    body = {"username": "viaipv4", "password": "password123"}
    assert call_http("POST", "/api/auth/signup", body, source_ip="192.0.2.44").status == 201
    again = call_http("POST", "/api/auth/signup", {**body, "username": "viamapped"}, source_ip="::ffff:192.0.2.44")
    assert again.status == 429  # the same client, not everyone on ::/64
    other = call_http("POST", "/api/auth/signup", {**body, "username": "other"}, source_ip="::ffff:192.0.2.45")
    assert other.status == 201
