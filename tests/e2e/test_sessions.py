"""Logins that end, over real sockets on the local stack: the server closes the login's
sockets (DELETE @connections), a new handshake with its token is refused, and a user's
sockets beyond the cap close oldest first."""

import asyncio
from typing import Any

import pytest
import websockets

from tests.e2e.conftest import Client, Stack


def log_in(stack: Stack, username: str) -> dict[str, Any]:
    status, body = stack.http("POST", "/api/auth/login", {"username": username, "password": "password123"})
    assert status == 200, body
    return body  # type: ignore[no-any-return]


async def closed(client: Client) -> bool:
    """True once the server has closed the socket (within a few seconds)."""
    try:
        await asyncio.wait_for(client.ws.wait_closed(), timeout=5)
    except TimeoutError:
        return False
    return True


def test_logout_closes_that_logins_sockets_and_its_token_opens_no_more(stack: Stack) -> None:
    laptop = stack.sign_up("ses_alice")
    phone = log_in(stack, "ses_alice")

    async def scenario() -> None:
        laptop_socket = await Client.connect(stack, laptop["accessToken"])
        phone_socket = await Client.connect(stack, phone["accessToken"])
        assert (await laptop_socket.request({"action": "ping"}))["type"] == "pong"

        status, _ = await asyncio.to_thread(
            stack.http, "POST", "/api/auth/logout", {"refreshToken": laptop["refreshToken"]}
        )
        assert status == 204

        assert await closed(laptop_socket)
        assert (await phone_socket.request({"action": "ping"}))["type"] == "pong"  # the other login goes on
        with pytest.raises(websockets.InvalidStatus) as refused:
            await Client.connect(stack, laptop["accessToken"])
        assert refused.value.response.status_code == 401
        await phone_socket.close()

    asyncio.run(scenario())
    status, body = stack.http("GET", "/api/users/me", token=laptop["accessToken"])
    assert (status, body["error"]["code"]) == (401, "not_authenticated")


def test_logout_everywhere_closes_every_socket_of_the_user(stack: Stack) -> None:
    laptop = stack.sign_up("ses_bob")
    phone = log_in(stack, "ses_bob")
    carol = stack.sign_up("ses_carol")

    async def scenario() -> None:
        sockets = [await Client.connect(stack, token) for token in (laptop["accessToken"], phone["accessToken"])]
        other = await Client.connect(stack, carol["accessToken"])
        status, _ = await asyncio.to_thread(stack.http, "POST", "/api/auth/logout-all", None, phone["accessToken"])
        assert status == 204
        assert all([await closed(socket) for socket in sockets])
        assert (await other.request({"action": "ping"}))["type"] == "pong"
        await other.close()

    asyncio.run(scenario())


def test_a_frame_nested_too_deeply_gets_an_error_frame_and_the_socket_stays_open(stack: Stack) -> None:
    alice = stack.sign_up("ses_deep")

    async def scenario() -> None:
        client = await Client.connect(stack, alice["accessToken"])
        await client.send('{"action":' + "[" * 5000 + "]" * 5000 + "}")
        reply = await client.receive()
        assert (reply["type"], reply["code"]) == ("error", "invalid_request")
        assert (await client.request({"action": "ping"}))["type"] == "pong"
        await client.close()

    asyncio.run(scenario())
