"""How fast one conversation can go: the write pattern of a message on its one document,
against receipts spread over each member's own record.

    .venv/bin/python -m benchmarks.hot_document                      # the embedded store
    MONGODB_URI='mongodb+srv://…' .venv/bin/python -m benchmarks.hot_document   # your cluster

Messages: `--threads` senders in one conversation, each send the two writes a send makes
on the conversation document (taking a seq, then the preview, version and log), through
the product's MongoDB adapter. Receipts: the same threads moving `--members` members'
cursors, one write each on that member's own record. Run it against your cluster to
learn its ceiling: MongoDB applies writes to one document one at a time, so a
conversation's messages per second are bounded by that document's update rate / 2.
On the embedded store (mongomock, one lock for everything) the figures only show that the
harness works: it is not a database."""

import argparse
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from chat.adapters.mongo.conversations import MongoConversationStore, MongoReceiptStore
from chat.adapters.mongo.indexes import ensure_indexes
from chat.clock import utc_now
from chat.models.chat import Conversation, Message
from chat.services.ids import new_id


def database() -> tuple[Any, str, Callable[[], None]]:
    """The database, what it is, and how to clean up after the run."""
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        from local.embedded_store import embedded_client

        return embedded_client()["chat"], "the embedded store (mongomock: not representative)", lambda: None
    from pymongo import MongoClient

    client: Any = MongoClient(uri, tz_aware=True)
    name = f"chat_bench_{new_id()[:12]}"  # a database of its own, dropped afterwards
    return client[name], "MongoDB at MONGODB_URI", lambda: client.drop_database(name)


def run(threads: int, seconds: float, work: Callable[[int, int], None]) -> float:
    """Operations per second over `seconds`, `threads` at a time."""
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def loop(index: int) -> None:
        while time.perf_counter() < stop:
            work(index, done[index])
            done[index] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--members", type=int, default=1000)
    args = parser.parse_args()
    db, where, clean_up = database()
    try:
        measure(db, where, args)
    finally:
        clean_up()


def measure(db: Any, where: str, args: argparse.Namespace) -> None:
    ensure_indexes(db)
    conversations, receipts = MongoConversationStore(db), MongoReceiptStore(db)
    members = [new_id() for _ in range(args.members)]
    group = Conversation(
        id=new_id(),
        type="group",
        name="hot",
        memberIds=members,
        createdBy=members[0],
        createdAt=utc_now(),
        lastSeq=0,
        lastMessage=None,
        adminIds=[members[0]],
    )
    conversations.create(group)

    def send(index: int, _: int) -> None:
        allocation = conversations.allocate_seq(group.id, members[index % len(members)])
        assert allocation is not None
        message = Message(
            id=new_id(),
            conversationId=group.id,
            senderId=members[index % len(members)],
            text="hi",
            clientMsgId=new_id(),
            seq=allocation.seq,
            createdAt=utc_now(),
        )
        conversations.record_change(message, new=True)

    def receipt(index: int, count: int) -> None:
        member = members[(index * 7919 + count) % len(members)]
        receipts.advance(group.id, member, count + 1, count)

    print(f"One conversation's write pattern on {where}; {args.threads} threads, {args.seconds:g} s each")
    messages = run(args.threads, args.seconds, send)
    print(f"  messages (2 writes each on the conversation document): {messages:,.0f}/s = {2 * messages:,.0f} writes/s")
    moved = run(args.threads, args.seconds, receipt)
    print(f"  receipts (1 write each, over {args.members:,} members' own records): {moved:,.0f}/s")
    print("  rerun: .venv/bin/python -m benchmarks.hot_document  (set MONGODB_URI to measure your cluster)")


if __name__ == "__main__":
    main()
