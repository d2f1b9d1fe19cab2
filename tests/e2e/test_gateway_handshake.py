"""The local gateway around a socket's handshake: registered (so a push waits for it) a moment before
it is open. Stopping the server then, or deleting the connection through @connections, must not fail
(a socket left registered by a failed handshake once failed a test run's teardown); a request that is
no handshake runs no route and leaves no connection behind."""

import asyncio
import urllib.error
import urllib.request
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiohttp import WSCloseCode, web

from local.gateway import LocalGateway, Socket
from tests.e2e.conftest import Stack


class RecordedClose:
    """Stands in for the aiohttp WebSocket response: what it was asked to close with."""

    def __init__(self) -> None:
        self.codes: list[int] = []

    @property
    def closed(self) -> bool:
        return bool(self.codes)

    async def close(self, *, code: int, message: bytes) -> bool:
        self.codes.append(code)
        return True


def socket(connection_id: str, ws: RecordedClose) -> Socket:
    return Socket(
        connection_id=connection_id,
        ws=cast("web.WebSocketResponse", ws),
        authorizer={},
        host="127.0.0.1",
        source_ip="127.0.0.1",
        user_agent="test",
    )


def test_stopping_the_server_closes_the_open_sockets_and_leaves_one_in_its_handshake() -> None:
    async def scenario() -> tuple[list[int], list[int], bool]:
        gateway = LocalGateway(workers=1)
        open_ws, opening_ws = RecordedClose(), RecordedClose()
        opened = socket("open", open_ws)
        opened.ready.set()
        gateway.sockets = {"open": opened, "opening": socket("opening", opening_ws)}
        await gateway._close_sockets(web.Application())
        # (the one in its handshake closes itself once open: the gateway now says it is stopping)
        return open_ws.codes, opening_ws.codes, gateway._stopping

    assert asyncio.run(scenario()) == ([WSCloseCode.GOING_AWAY], [], True)


def test_deleting_a_connection_in_its_handshake_closes_it_once_it_is_open() -> None:
    async def scenario() -> tuple[list[int], list[int], int]:
        gateway = LocalGateway(workers=1)
        ws = RecordedClose()
        opening = socket("opening", ws)
        gateway.sockets = {"opening": opening}
        request: Any = SimpleNamespace(match_info={"connection_id": "opening"})
        deleting = asyncio.create_task(gateway.delete_connection(request))
        await asyncio.sleep(0.05)
        before = list(ws.codes)
        opening.ready.set()  # the handshake completes
        answer = await deleting
        return before, ws.codes, answer.status

    assert asyncio.run(scenario()) == ([], [WSCloseCode.OK], 204)


def test_a_request_that_is_no_handshake_runs_no_route_and_leaves_no_connection(stack: Stack) -> None:
    user = stack.sign_up("not_a_handshake")
    user_id = user["user"]["id"]

    # When a plain GET, with a valid token, asks the WebSocket endpoint
    request = urllib.request.Request(stack.ws_url.replace("ws://", "http://") + f"?token={user['accessToken']}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)

    # Then it is refused as API Gateway does, and no $connect stored a connection or left a socket
    assert refused.value.code == 400
    assert stack.db["connections"].count_documents({"userId": user_id}) == 0
    assert [s for s in stack.gateway.sockets.values() if s.authorizer.get("principalId") == user_id] == []
