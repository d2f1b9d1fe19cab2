"""The send path on the local stack, over real sockets: MongoDB round trips per
send and the sender's ack latency, for groups of growing size.

    make bench        # or: .venv/bin/python benchmarks/send_path.py --sends 100

Figures are for the local stack (embedded store, in-process gateway) on this
machine: they show how the path scales with group size. Each MongoDB round trip also
waits --mongo-ms (default 1 ms, an Atlas cluster in the function's region), so a
round trip more or less shows in the latency as it would on AWS; API Gateway's own
hops are not simulated."""

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "lambdas"), str(ROOT)]
os.environ.setdefault("JWT_SECRET", secrets.token_urlsafe(48))
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
# One user sending as fast as a load test can: the rate limits stay on (each figure includes
# the bucket's write) but are set above anything the benchmark sends.
for limit in ("SEND", "TYPING", "RECEIPT", "REACTION", "EDIT", "GROUP", "MEMBERSHIP", "UPLOAD", "SIGNUP", "LOGIN"):
    os.environ.setdefault(f"RATE_LIMIT_{limit}", "1000000/1")
for name, value in {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(name, value)

import websockets  # noqa: E402

from chat.adapters.mongo import client as mongo  # noqa: E402
from chat.adapters.mongo.indexes import ensure_indexes  # noqa: E402
from local.background import gateway_in_background  # noqa: E402
from local.embedded_store import embedded_client  # noqa: E402

OPERATIONS = {
    "find",
    "find_one",
    "find_one_and_update",
    "insert_one",
    "insert_many",
    "update_one",
    "delete_many",
    "replace_one",
    "aggregate",
    "distinct",
    "delete_one",
    "update_many",
    "count_documents",
}


class _CountingDb:
    """Counts each operation; with `wait_s`, each also waits that long, as a network round trip does."""

    def __init__(self, db: Any, calls: Counter[str], wait_s: float = 0.0) -> None:
        self._db, self._calls, self._wait_s = db, calls, wait_s

    def __getitem__(self, name: str) -> Any:
        collection, calls, wait_s = self._db[name], self._calls, self._wait_s

        class Counted:
            def __getattr__(self, attr: str) -> Any:
                target = getattr(collection, attr)
                if attr not in OPERATIONS:
                    return target

                def counted(*args: Any, **kwargs: Any) -> Any:
                    calls[f"{name}.{attr}"] += 1
                    if wait_s:
                        time.sleep(wait_s)
                    return target(*args, **kwargs)

                return counted

        return Counted()


class _Client:
    def __init__(self, db: Any) -> None:
        self._db = db

    def __getitem__(self, name: str) -> Any:
        return self._db


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


async def run_group(
    base: str, ws_url: str, size: int, sends: int, calls: Counter[str], *, connections: Any
) -> dict[str, float]:
    run = secrets.token_hex(3)
    users = [
        post(base, "/api/auth/signup", {"username": f"b{run}_{i}", "password": "password123"}) for i in range(size)
    ]
    sender = users[0]
    group = post(
        base,
        "/api/groups/create",
        {"name": f"bench {size}", "memberIds": [u["user"]["id"] for u in users[1:]]},
        sender["accessToken"],
    )
    sockets = [await websockets.connect(f"{ws_url}?token={u['accessToken']}", max_queue=None) for u in users]
    ack_ms, last_delivery_ms, delivered = [], [], 0
    calls.clear()

    async def next_frame(ws: Any) -> dict[str, Any]:
        while True:  # members coming online (presence) are not part of a send
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if frame["type"] != "presence":
                return frame  # type: ignore[no-any-return]

    for i in range(sends):
        frame = {"action": "sendMessage", "conversationId": group["id"], "text": f"message {i}", "clientMsgId": f"m{i}"}
        started = time.perf_counter()
        await sockets[0].send(json.dumps(frame))
        ack = await next_frame(sockets[0])
        ack_ms.append((time.perf_counter() - started) * 1000)
        assert ack["type"] == "messageAck", ack
        # Wait for every member before the next send, so each send is measured on its own.
        received = await asyncio.gather(*(next_frame(ws) for ws in sockets[1:]))
        last_delivery_ms.append((time.perf_counter() - started) * 1000)
        delivered += sum(1 for r in received if r["message"]["id"] == ack["message"]["id"])
    round_trips = sum(calls.values()) / sends  # before closing: $disconnect is not part of a send
    for ws in sockets:
        await ws.close()
    # Each close runs $disconnect, which tells the others (presence); like one warm
    # container per function, the local stack runs them one at a time: let them finish.
    user_ids = [u["user"]["id"] for u in users]
    while connections.count_documents({"userId": {"$in": user_ids}}):
        await asyncio.sleep(0.1)
    ack_ms.sort()
    last_delivery_ms.sort()
    return {
        "round_trips": round_trips,
        "ack_p50": statistics.median(ack_ms),
        "ack_p95": ack_ms[int(len(ack_ms) * 0.95) - 1],
        "all_p50": statistics.median(last_delivery_ms),
        "delivered": delivered,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=50)
    parser.add_argument("--sizes", default="2,10,50,200")
    parser.add_argument("--mongo-ms", type=float, default=1.0, help="simulated network time per MongoDB round trip")
    args = parser.parse_args()
    port = free_port()
    base, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws"
    os.environ["WS_MANAGEMENT_ENDPOINT"] = base
    db = embedded_client()["chat"]
    ensure_indexes(db)
    calls: Counter[str] = Counter()
    mongo.use_client(_Client(_CountingDb(db, calls, args.mongo_ms / 1000)))
    print(
        f"Send path on the local stack: {args.sends} sends per group, one at a time, "
        f"{args.mongo_ms:g} ms per MongoDB round trip"
    )
    print(
        f"{'members':>8} {'round trips/send':>17} {'ack p50 ms':>11} {'ack p95 ms':>11}"
        f" {'all members p50 ms':>19} {'pushes delivered':>17}"
    )
    with gateway_in_background(port):
        for size in (int(s) for s in args.sizes.split(",")):
            figures = asyncio.run(run_group(base, ws_url, size, args.sends, calls, connections=db["connections"]))
            print(
                f"{size:>8} {figures['round_trips']:>17.1f} {figures['ack_p50']:>11.1f} {figures['ack_p95']:>11.1f}"
                f" {figures['all_p50']:>19.1f} {int(figures['delivered']):>17}"
            )


if __name__ == "__main__":
    main()
