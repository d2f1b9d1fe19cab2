"""Runs the local gateway on a background thread: for tests and benchmarks
that drive it over real sockets from the same process."""

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from local.gateway import LocalGateway
from local.media import LocalMedia


@contextmanager
def gateway_in_background(
    port: int, host: str = "127.0.0.1", media: LocalMedia | None = None
) -> Iterator[LocalGateway]:
    gateway = LocalGateway(media=media)
    runner = web.AppRunner(gateway.app())
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="local-gateway", daemon=True)
    thread.start()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, host, port).start()

    try:
        asyncio.run_coroutine_threadsafe(start(), loop).result(10)
        yield gateway
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
