"""Sends with attachments on the local stack, over real HTTP: how long the
checks and server-side copies add to a send, for 0 to 10 files, and how many
bytes of each file reach the function.

    make bench        # or: .venv/bin/python -m benchmarks.media_send --sends 20

The files are uploaded to the local S3 endpoint with the presigned POST
before each timed send; only the send (checks, copy, store, push) is timed.
Figures are for the local stack on this machine, not AWS latency."""

import argparse
import os
import secrets
import statistics
import time
from typing import Any

import requests

from benchmarks.harness import free_port
from chat.adapters.mongo import client as mongo
from chat.adapters.mongo.indexes import ensure_indexes
from chat.services.media_types import HEAD_BYTES
from local.background import gateway_in_background
from local.embedded_store import embedded_client
from local.environment import stack_environment
from local.media import LocalMedia


def _png(size_kb: int) -> bytes:
    import struct
    import zlib

    width = height = int((size_kb * 1024 / 3) ** 0.5)
    rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))  # noise: does not compress

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=20)
    parser.add_argument("--size-kb", type=int, default=200)
    args = parser.parse_args()
    photo = _png(args.size_kb)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    media = LocalMedia([base]).start()
    os.environ.update({**stack_environment(base), **media.environment()})
    mongo.use_client(embedded_client())
    ensure_indexes(mongo.database())
    session = requests.Session()
    with gateway_in_background(port, media=media):
        alice, bob = (
            session.post(f"{base}/api/auth/signup", json={"username": n, "password": "password123"}).json()
            for n in (f"a{secrets.token_hex(3)}", f"b{secrets.token_hex(3)}")
        )
        auth = {"authorization": f"Bearer {alice['accessToken']}"}
        chat = session.post(f"{base}/api/conversations/direct", json={"userId": bob["user"]["id"]}, headers=auth)
        conversation_id = chat.json()["id"]

        def upload() -> str:
            body = {
                "conversationId": conversation_id,
                "fileName": "p.png",
                "contentType": "image/png",
                "size": len(photo),
            }
            ticket: Any = session.post(f"{base}/api/media/upload-url", json=body, headers=auth).json()
            form = ticket["upload"]
            requests.post(form["url"], data=form["fields"], files={"file": photo}, timeout=30).raise_for_status()
            return str(ticket["mediaId"])

        print(f"file size {len(photo):,} bytes; bytes of each file read by the function: {HEAD_BYTES:,}")
        print("| attachments | send p50 (ms) | send p95 (ms) |")
        print("| --- | --- | --- |")
        for count in (0, 1, 5, 10):
            timings = []
            for _ in range(args.sends):
                media_ids = [upload() for _ in range(count)]
                body = {
                    "conversationId": conversation_id,
                    "text": "" if count else "text only",
                    "attachments": [{"mediaId": m} for m in media_ids],
                }
                started = time.perf_counter()
                sent = session.post(f"{base}/api/messages/", json=body, headers=auth)
                timings.append((time.perf_counter() - started) * 1000)
                sent.raise_for_status()
            timings.sort()
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            print(f"| {count} | {statistics.median(timings):.1f} | {p95:.1f} |")
    media.stop()


if __name__ == "__main__":
    main()
