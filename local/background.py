"""aiohttp apps on a background thread: the local S3 endpoint and media origin beside the
gateway, and the gateway itself for tests and benchmarks that drive it over real sockets
from the same process."""

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from local.gateway import LocalGateway
from local.media import LocalMedia


class BackgroundServer:
    """One event loop on a thread of its own, serving any number of apps, each on its own port."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()
        self._runners: list[web.AppRunner] = []

    def serve(self, app: web.Application, host: str, port: int = 0) -> int:
        """Serves `app` on `port` (0: a free one) and returns the port it listens on."""

        async def start() -> int:
            runner = web.AppRunner(app)
            await runner.setup()
            self._runners.append(runner)
            await web.TCPSite(runner, host, port).start()
            return int(runner.addresses[0][1])

        return asyncio.run_coroutine_threadsafe(start(), self._loop).result(10)

    def stop(self) -> None:
        async def cleanup() -> None:
            for runner in self._runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@contextmanager
def gateway_in_background(
    port: int, host: str = "127.0.0.1", media: LocalMedia | None = None
) -> Iterator[LocalGateway]:
    gateway = LocalGateway(media=media)
    server = BackgroundServer("local-gateway")
    try:
        server.serve(gateway.app(), host, port)
        yield gateway
    finally:
        server.stop()
