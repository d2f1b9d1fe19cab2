"""The local gateway while a socket is in its handshake: registered (so a push waits for it) but not
yet open. Stopping the server then, or deleting the connection through @connections, must not fail
(a shutdown mid-handshake once failed a test run's teardown)."""

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from aiohttp import WSCloseCode, web

from local.gateway import LocalGateway, Socket


class RecordedClose:
    """Stands in for the aiohttp WebSocket response: what it was asked to close with."""

    def __init__(self) -> None:
        self.codes: list[int] = []

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
    async def scenario() -> tuple[list[int], list[int]]:
        gateway = LocalGateway(workers=1)
        open_ws, opening_ws = RecordedClose(), RecordedClose()
        opened = socket("open", open_ws)
        opened.ready.set()
        gateway.sockets = {"open": opened, "opening": socket("opening", opening_ws)}
        await gateway._close_sockets(web.Application())
        return open_ws.codes, opening_ws.codes

    assert asyncio.run(scenario()) == ([WSCloseCode.GOING_AWAY], [])


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
