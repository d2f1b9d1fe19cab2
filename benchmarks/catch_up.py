"""Catching up after being offline, on the local stack: the change feed against a
fresh load of the same conversation, in MongoDB round trips, bytes and time.

    make bench        # or: .venv/bin/python -m benchmarks.catch_up --history 1000

A ten-member group holds `--history` messages. A reader takes its state, goes
offline, and meanwhile others send 10 messages, edit 5, react to 5 and read
(9 receipts). The reader then catches up: the conversation list, then the feed
since its cursor. A fresh load is the conversation plus every history page."""

import argparse
import json
import os
import statistics
import time
import urllib.request
from collections import Counter
from typing import Any

from benchmarks.harness import count_round_trips, free_port, post
from chat.adapters.mongo.indexes import ensure_indexes
from local.background import gateway_in_background
from local.embedded_store import embedded_client
from local.environment import stack_environment


def call(base: str, method: str, path: str, token: str, body: Any = None) -> tuple[Any, int]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return json.loads(raw), len(raw)


def measure(calls: Counter[str], action: Any) -> tuple[float, int, int]:
    """(milliseconds, bytes received, MongoDB round trips) of one client action."""
    calls.clear()
    started = time.perf_counter()
    received = action()
    return (time.perf_counter() - started) * 1000, received, sum(calls.values())


def catch_up(base: str, cid: str, token: str, cursor: int) -> int:
    """The documented reconnect: the list, then the feed since the held cursor."""
    _, listed = call(base, "GET", "/api/conversations", token)
    changes, size = call(base, "GET", f"/api/conversations/{cid}/changes?since={cursor}", token)
    assert not changes["resync"]
    assert len(changes["messages"]) == 20, changes["messages"]  # 10 new, 5 edited, 5 reacted
    return listed + size


def fresh_load(base: str, cid: str, token: str) -> int:
    _, total = call(base, "GET", f"/api/conversations/{cid}", token)
    before = ""
    while True:
        page, size = call(base, "GET", f"/api/messages/{cid}?limit=100{before}", token)
        total += size
        if page["nextBefore"] is None:
            return total
        before = f"&before={page['nextBefore']}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    os.environ.update(stack_environment(base))
    db = embedded_client()["chat"]
    ensure_indexes(db)
    calls = count_round_trips(db).calls
    with gateway_in_background(port):
        users = [
            post(base, "/api/auth/signup", {"username": f"cu_bench_{i}", "password": "password123"}) for i in range(10)
        ]
        reader, sender = users[0], users[1]
        group = post(
            base,
            "/api/groups/create",
            {"name": "catch-up bench", "memberIds": [u["user"]["id"] for u in users if u is not sender]},
            sender["accessToken"],
        )
        cid = group["id"]
        sent = [
            post(base, "/api/messages", {"conversationId": cid, "text": f"message {i}"}, sender["accessToken"])
            for i in range(args.history)
        ]
        feed, fresh = [], []
        for round_number in range(args.rounds):
            cursor = call(base, "GET", f"/api/conversations/{cid}", reader["accessToken"])[0]["version"]
            for i in range(10):
                post(
                    base,
                    "/api/messages",
                    {"conversationId": cid, "text": f"r{round_number} {i}"},
                    sender["accessToken"],
                )
            for message in sent[-5:]:
                call(
                    base,
                    "PATCH",
                    f"/api/messages/{message['id']}",
                    sender["accessToken"],
                    {"text": f"edit {round_number}"},
                )
            for message in sent[-10:-5]:
                on = round_number % 2 == 0
                call(
                    base,
                    "POST",
                    f"/api/messages/{message['id']}/reactions",
                    users[2]["accessToken"],
                    {"emoji": "👍", "on": on},
                )
            for member in users[1:]:
                last = call(base, "GET", f"/api/conversations/{cid}", member["accessToken"])[0]["lastSeq"]
                call(base, "POST", f"/api/conversations/{cid}/receipts", member["accessToken"], {"readSeq": last})

            feed.append(measure(calls, lambda: catch_up(base, cid, reader["accessToken"], cursor)))  # noqa: B023
            fresh.append(measure(calls, lambda: fresh_load(base, cid, reader["accessToken"])))
    print(f"Catching up on a 10-member group of {args.history}+ messages after 10 new, 5 edited, 5 reacted, 9 receipts")
    print(f"{'':>22} {'p50 ms':>8} {'bytes':>9} {'round trips':>12}")
    for name, runs in (("list + change feed", feed), ("fresh load", fresh)):
        print(
            f"{name:>22} {statistics.median(r[0] for r in runs):>8.1f} {int(statistics.median(r[1] for r in runs)):>9}"
            f" {statistics.median(r[2] for r in runs):>12.0f}"
        )


if __name__ == "__main__":
    main()
