"""The send path on the local stack, over real sockets: MongoDB round trips per
send and the sender's ack latency, for groups of growing size.

    make bench        # or: .venv/bin/python -m benchmarks.send_path --sends 100

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
import statistics
import time
from collections import Counter
from typing import Any

import websockets

from benchmarks.harness import count_round_trips, free_port, post
from chat.adapters.mongo.indexes import ensure_indexes
from local.background import gateway_in_background
from local.embedded_store import embedded_client
from local.environment import stack_environment


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
    os.environ.update(stack_environment(base))
    db = embedded_client()["chat"]
    ensure_indexes(db)
    calls = count_round_trips(db, mongo_ms=args.mongo_ms).calls
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
