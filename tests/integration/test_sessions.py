"""Logins that really end: log-out, log-out everywhere and a reused refresh token refuse the
login's access tokens (HTTP and the WebSocket authorizer) and close its sockets through the
Management API; a user's sockets are capped, the oldest closed."""

import time
from typing import Any

import pytest

from chat.handlers import ws_authorizer
from tests.conftest import reset_containers
from tests.integration.conftest import CONTEXT, Account, Pushed, call_http, connect, load_event, sign_up


def log_in(account: Account) -> Account:
    body = call_http("POST", "/api/auth/login", {"username": account.username, "password": "password123"}).body
    return Account(account.user_id, account.username, body["accessToken"], body["refreshToken"])


def authorized(token: str) -> bool:
    event = load_event("ws_authorizer_request")
    event["queryStringParameters"] = {"token": token}
    try:
        ws_authorizer.lambda_handler(event, CONTEXT)
    except Exception as refused:
        if str(refused) != "Unauthorized":
            raise
        return False
    return True


def works(account: Account) -> bool:
    status = call_http("GET", "/api/users/me", token=account.access_token).status
    assert status in (200, 401)
    return status == 200 and authorized(account.access_token)


def test_logout_ends_that_logins_tokens_and_sockets_and_no_other(pushed: Pushed) -> None:
    # Given alice on a laptop (two tabs) and a phone, each with open sockets
    laptop = sign_up("alice")
    phone = log_in(laptop)
    for account, socket in ((laptop, "laptop-1"), (laptop, "laptop-2"), (phone, "phone-1")):
        connect(account, socket)
    assert works(laptop)
    assert works(phone)

    # When the laptop logs out
    assert call_http("POST", "/api/auth/logout", {"refreshToken": laptop.refresh_token}).status == 204

    # Then its unexpired access token is refused on HTTP and at the WebSocket handshake
    refused = call_http("GET", "/api/users/me", token=laptop.access_token)
    assert (refused.status, refused.body["error"]["code"]) == (401, "not_authenticated")
    assert "login has ended" in refused.body["error"]["message"]
    assert not authorized(laptop.access_token)
    # And its sockets were closed with DELETE @connections; the phone's login goes on
    assert sorted(pushed.closed) == ["laptop-1", "laptop-2"]
    assert works(phone)
    assert call_http("POST", "/api/auth/refresh", {"refreshToken": phone.refresh_token}).status == 200


def test_logout_everywhere_ends_every_login_of_the_caller(pushed: Pushed) -> None:
    laptop = sign_up("alice")
    phone = log_in(laptop)
    bob = sign_up("bob")
    for account, socket in ((laptop, "laptop-1"), (phone, "phone-1"), (bob, "bob-1")):
        connect(account, socket)

    assert call_http("POST", "/api/auth/logout-all", token=phone.access_token).status == 204

    assert not works(laptop)
    assert not works(phone)
    for account in (laptop, phone):
        assert call_http("POST", "/api/auth/refresh", {"refreshToken": account.refresh_token}).status == 401
    assert sorted(pushed.closed) == ["laptop-1", "phone-1"]
    assert works(bob)
    # It needs a valid access token, like every authenticated route
    assert call_http("POST", "/api/auth/logout-all", token=phone.access_token).status == 401
    assert call_http("POST", "/api/auth/logout-all").status == 401


def test_a_reused_refresh_token_ends_the_login_everywhere_it_is_used(pushed: Pushed) -> None:
    victim = sign_up("alice")
    connect(victim, "victim-1")
    stolen = call_http("POST", "/api/auth/refresh", {"refreshToken": victim.refresh_token}).body
    thief = Account(victim.user_id, "alice", stolen["accessToken"], stolen["refreshToken"])
    connect(thief, "thief-1")

    reused = call_http("POST", "/api/auth/refresh", {"refreshToken": victim.refresh_token})

    assert (reused.status, reused.body["error"]["code"]) == (401, "invalid_refresh_token")
    assert not works(victim)
    assert not works(thief)
    assert sorted(pushed.closed) == ["thief-1", "victim-1"]


def test_a_closed_socket_hears_nothing_more(pushed: Pushed) -> None:
    alice, bob = sign_up("alice"), sign_up("bob")
    connect(alice, "alice-1")
    connect(bob, "bob-1")
    chat = call_http("POST", "/api/conversations/direct", {"userId": alice.user_id}, token=bob.access_token).body
    call_http("POST", "/api/auth/logout", {"refreshToken": alice.refresh_token})
    pushed.received.clear()

    sent = call_http(
        "POST",
        "/api/messages",
        {"conversationId": chat["id"], "text": "hi", "clientMsgId": "m1"},
        token=bob.access_token,
    )

    assert sent.status == 201
    assert pushed.frames("alice-1") == []  # forgotten when closed: not even tried


@pytest.fixture
def two_sockets_each(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MAX_SOCKETS_PER_USER", "2")
    reset_containers()
    yield
    reset_containers()


def test_a_new_socket_beyond_the_cap_closes_the_users_oldest(pushed: Pushed, two_sockets_each: None) -> None:
    alice, bob = sign_up("alice"), sign_up("bob")
    connect(bob, "bob-1")
    for socket in ("alice-1", "alice-2", "alice-3"):
        connect(alice, socket)
        time.sleep(0.005)  # MongoDB keeps milliseconds: sockets a few apart have an order
    assert pushed.closed == ["alice-1"]
    connect(alice, "alice-4")
    assert pushed.closed == ["alice-1", "alice-2"]
