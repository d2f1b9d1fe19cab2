"""What the benchmarks on the local stack share: its settings (local/environment.py), set
when this is imported, before the code asset is (`benchmarks` sorts first among this
project's imports; the logger reads its level once); a free port, a JSON POST, and a
database whose round trips are counted; a PNG made in code, and its upload as the apps do it.

One user sending as fast as a load test can: the rate limits stay on (each figure includes
the bucket's write) but are set above anything a benchmark sends."""

import json
import socket
import struct
import time
import urllib.request
import zlib
from collections.abc import Iterator
from typing import Any

import requests

from local.environment import developer_defaults, set_defaults, stand_ins
from tests.round_trips import CountingDatabase, SingleDatabaseClient

RATE_LIMITED = ("SEND", "TYPING", "RECEIPT", "REACTION", "EDIT", "GROUP", "MEMBERSHIP", "UPLOAD", "SIGNUP", "LOGIN")
set_defaults(
    developer_defaults()
    | stand_ins()
    | {"POWERTOOLS_LOG_LEVEL": "ERROR"}
    | {f"RATE_LIMIT_{limit}": "1000000/1" for limit in RATE_LIMITED}
)


def count_round_trips(db: Any, *, mongo_ms: float = 0.0) -> CountingDatabase:
    """Makes `db`, counted, the database every handler in this process uses; each round
    trip also waits `mongo_ms`, as the network would."""
    from chat.adapters.mongo import client as mongo

    counting = CountingDatabase(db, wait_s=mongo_ms / 1000)
    mongo.use_client(SingleDatabaseClient(counting))
    return counting


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(base: str, path: str, body: Any, token: str | None = None) -> Any:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def png(width: int, height: int, rgb: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    """A PNG a browser can draw, of one colour (so small however large), whose header gives its size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def upload(base: str, token: str, conversation_id: str, body: bytes, *, file_name: str, content_type: str) -> str:
    """Uploads a file for `conversation_id` as the apps do (a presigned POST to the S3 endpoint);
    its media id, for a message's attachments."""
    ticket = post(
        base,
        "/api/media/upload-url",
        {"conversationId": conversation_id, "fileName": file_name, "contentType": content_type, "size": len(body)},
        token,
    )
    form = ticket["upload"]
    requests.post(form["url"], data=form["fields"], files={"file": body}, timeout=30).raise_for_status()
    return str(ticket["mediaId"])


class StoreTime:
    seconds = 0.0


class Timed:
    """Adds up the seconds spent inside the store, cursors included (they read when iterated)."""

    def __init__(self, target: Any, spent: StoreTime) -> None:
        self._target, self._spent = target, spent

    def __getitem__(self, name: str) -> "Timed":
        return Timed(self._target[name], self._spent)

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self._target, attr)
        if not callable(target):
            return target

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = target(*args, **kwargs)
            finally:
                self._spent.seconds += time.perf_counter() - started
            return Timed(result, self._spent) if hasattr(result, "limit") else result  # a cursor

        return timed

    def __iter__(self) -> Iterator[Any]:
        started = time.perf_counter()
        try:
            return iter(list(self._target))
        finally:
            self._spent.seconds += time.perf_counter() - started
