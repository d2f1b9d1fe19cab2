"""The local stack on a free port, driven over real sockets."""

import asyncio
import json
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import websockets

from chat.push_keys import new_vapid_key
from local.background import gateway_in_background
from local.environment import stack_environment
from local.gateway import LocalGateway
from local.media import LocalMedia
from local.queues import LocalFanOut, LocalNotifier
from tests.conftest import database_installed, fresh_database, reset_containers

# One VAPID key for the test run, as `make dev` makes one per run.
TEST_VAPID_KEY = new_vapid_key()
RECEIVE_TIMEOUT = 5.0
QUIET_PERIOD = 0.4  # how long "nothing more arrives" is watched for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    base_url: str
    ws_url: str
    db: Any
    gateway: LocalGateway
    media: LocalMedia
    fan_out: LocalFanOut
    notifier: LocalNotifier

    def http(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def sign_up(self, username: str) -> dict[str, Any]:
        status, body = self.http("POST", "/api/auth/signup", {"username": username, "password": "password123"})
        assert status == 201, body
        return body  # type: ignore[no-any-return]


@contextmanager
def local_stack(port: int) -> Iterator[tuple[Any, LocalGateway, LocalMedia, LocalFanOut, LocalNotifier]]:
    """What `make dev` runs, in this process on `port`: the gateway, the local S3 endpoint,
    media origin and SQS with the fan-out workers and the notifier, a fresh database, and the
    environment the handlers read, put back afterwards."""
    media = LocalMedia([f"http://127.0.0.1:{port}"]).start()
    fan_out = LocalFanOut(media.moto_url).start()
    notifier = LocalNotifier(media.moto_url).start()
    # The test session's own secrets and limits (tests/conftest.py) stay; its VAPID key is the run's.
    environment = {
        **stack_environment(f"http://127.0.0.1:{port}"),
        "VAPID_PRIVATE_KEY": TEST_VAPID_KEY,
        **media.environment(),
        **fan_out.environment(),
        **notifier.environment(),
    }
    previous = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    reset_containers()
    try:
        with fresh_database() as db, database_installed(db), gateway_in_background(port, media=media) as gateway:
            yield db, gateway, media, fan_out, notifier
    finally:
        notifier.stop()
        fan_out.stop()
        media.stop()
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_containers()


@pytest.fixture(scope="package")
def stack() -> Iterator[Stack]:
    port = free_port()
    with local_stack(port) as (db, gateway, media, fan_out, notifier):
        yield Stack(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", db, gateway, media, fan_out, notifier)


class Client:
    """One WebSocket, as an app would hold it. Presence frames (contacts coming and going
    as other tests' clients connect) are set aside unless the test asks for them."""

    def __init__(self, ws: Any, ignore: frozenset[str]) -> None:
        self.ws = ws
        self.ignore = ignore

    @classmethod
    async def connect(cls, stack: Stack, token: str, *, presence: bool = False) -> "Client":
        ignore = frozenset() if presence else frozenset({"presence"})
        return cls(await websockets.connect(f"{stack.ws_url}?token={token}"), ignore)

    async def send(self, frame: Any) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def _next(self, timeout: float) -> dict[str, Any]:
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if frame.get("type") not in self.ignore:
                return frame  # type: ignore[no-any-return]

    async def receive(self) -> dict[str, Any]:
        return await self._next(RECEIVE_TIMEOUT)

    async def receive_type(self, frame_type: str) -> dict[str, Any]:
        frame = await self.receive()
        assert frame["type"] == frame_type, frame
        return frame

    async def request(self, frame: Any) -> dict[str, Any]:
        await self.send(frame)
        return await self.receive()

    async def assert_quiet(self) -> None:
        """Nothing more arrives: a duplicate would show up here."""
        try:
            extra = await self._next(QUIET_PERIOD)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame: {extra}")

    async def close(self) -> None:
        await self.ws.close()
