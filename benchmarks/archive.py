"""Archiving old history on the local stack: the hot `messages` collection before and
after, what a message costs hot and archived, the archiver's rate, and history pages read
from the hot collection against pages read from archive chunks.

    make bench        # or: .venv/bin/python -m benchmarks.archive --conversations 10 --messages 1000
    MONGODB_URI='mongodb://…' .venv/bin/python -m benchmarks.archive --conversations 50 --messages 2000

History is written straight through the product's message store, not the HTTP API:
`--conversations` groups of `--messages` messages from 100 days ago, and one more group of as
many from the last day, which the archiver (ARCHIVE_AFTER_DAYS=30) leaves hot, so hot pages
and archived pages are read against the same hot collection. Then one run of the archiver as
the scheduled function builds it, and history pages over HTTP through the gateway, each
MongoDB round trip also waiting --mongo-ms (1 ms on the embedded store, as in send_path.py;
none with MONGODB_URI, whose round trips are real).

On the embedded store (mongomock) sizes are estimates, and times include mongomock's own,
which reads every document for every query (a chunk's delete compares each of its 500 ids
with every hot document): the output says how much of each time was spent inside the store.
S3 is moto on this machine. Nothing is left behind: the embedded store and moto live in this
process; with MONGODB_URI the run uses a database of its own and drops it."""

import argparse
import contextlib
import os
import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import bson
import requests

from benchmarks.harness import StoreTime, Timed, count_round_trips, free_port
from chat.adapters.mongo.conversations import MongoConversationStore
from chat.adapters.mongo.indexes import ensure_indexes
from chat.adapters.mongo.messages import MongoMessageStore
from chat.clock import utc_now
from chat.handlers import composition
from chat.models.chat import Message
from chat.services.ids import new_id
from local.background import gateway_in_background
from local.environment import stack_environment
from local.media import LocalMedia

ARCHIVE_AFTER_DAYS = 30  # between the old conversations (100 days) and the recent one (1 day)
PAGE = 50
# Message text: runs of consecutive words of this README, English prose that compresses about
# as chat text does (words drawn from a small vocabulary would compress far better).
PROSE = (Path(__file__).resolve().parent.parent / "README.md").read_text().split()


@dataclass
class Size:
    documents: int
    document_bytes: int
    index_bytes: int
    index_entries: int | None  # counted on the embedded store only


@dataclass
class Figures:
    hot_before: Size
    hot_after: Size
    chunks_after: Size
    objects: int  # in S3 under archive/
    stored: int  # their bytes
    archived: int
    chunks: int
    seconds: float  # the archiver's run
    store_seconds: float  # of which inside the store
    round_trips: int
    pages: dict[str, list[tuple[float, int, float]]]  # ms, round trips, ms inside the store


def database() -> tuple[Any, str, bool, Callable[[], None]]:
    """The database, what it is, whether it is the embedded store, and how to clean up."""
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        from local.embedded_store import embedded_client

        return embedded_client()["chat"], "the embedded store (mongomock)", True, lambda: None
    from pymongo import MongoClient

    client: Any = MongoClient(uri, tz_aware=True)
    name = f"chat_bench_{new_id()[:12]}"  # a database of its own, dropped afterwards
    return client[name], "MongoDB at MONGODB_URI", False, lambda: client.drop_database(name)


def size_of(db: Any, name: str, embedded: bool) -> Size:
    if not embedded:
        # Index sizes are the files' sizes, which grow at checkpoints: take one where allowed.
        with contextlib.suppress(Exception):
            db.client.admin.command("fsync")
        stats = db.command("collstats", name)
        return Size(stats["count"], stats["size"], stats["totalIndexSize"], None)
    # mongomock keeps no index structures: count the entries a real server keeps (one per
    # document and index, one per element of an array key) and their keys' bytes as BSON.
    docs = list(db[name].find())
    entries = key_bytes = 0
    for index in db[name].index_information().values():
        fields = [field for field, _ in index["key"]]
        for doc in docs:
            if index.get("sparse") and not any(field in doc for field in fields):
                continue
            values = [doc.get(field) for field in fields]
            array = next((v for v in values if isinstance(v, list)), None)
            scalars = sum(_value_bytes(v) for v in values if not isinstance(v, list))
            count = len(array) if array is not None else 1
            entries += count
            key_bytes += count * scalars + sum(_value_bytes(item) for item in array or ())
    return Size(len(docs), sum(len(bson.encode(doc)) for doc in docs), key_bytes, entries)


def _value_bytes(value: Any) -> int:
    return len(bson.encode({"": value})) - 5  # less the document's length and terminator


def write_history(
    db: Any, conversation_id: str, senders: list[str], *, count: int, start: datetime, rng: random.Random
) -> None:
    """`count` messages over one day from `start`, through the product's store, and the
    conversation's seq and preview as sends would leave them."""
    step = timedelta(days=1) / count

    def text() -> str:
        length = rng.randint(3, 20)
        first = rng.randrange(len(PROSE) - length)
        return " ".join(PROSE[first : first + length])

    def sent_at(seq: int) -> datetime:
        return start + seq * step

    messages = [
        Message(
            # As new_id() made it when it was sent: ids begin with their time (the archiver walks them)
            id=f"{int(sent_at(seq).timestamp() * 1000):012x}{new_id()[12:]}",
            conversationId=conversation_id,
            senderId=senders[seq % 2],
            text=text(),
            clientMsgId=uuid.uuid4().hex,  # as the web client makes them
            seq=seq,
            createdAt=sent_at(seq),
        )
        for seq in range(1, count + 1)
    ]
    store = MongoMessageStore(db)
    with ThreadPoolExecutor(8) as pool:  # a real server is a round trip away
        list(pool.map(store.insert, messages))
    db["conversations"].update_one({"_id": conversation_id}, {"$set": {"lastSeq": count}})
    MongoConversationStore(db).record_change(messages[-1], new=True)


def archive_objects(media: LocalMedia) -> tuple[int, int]:
    """(objects, bytes) under archive/ in the media bucket."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=media.moto_url, region_name="us-east-1")
    objects = total = 0
    bucket = media.environment()["MEDIA_BUCKET"]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="archive/"):
        for item in page.get("Contents", []):
            objects += 1
            total += item["Size"]
    return objects, total


@dataclass
class Reader:
    """Reads history pages over HTTP as a member, and what each cost."""

    session: requests.Session
    token: str
    calls: Counter[str]
    spent: StoreTime
    rng: random.Random
    requests: int
    messages: int

    def pages(self, url: Callable[[int], str], *, first_read: bool = False) -> list[tuple[float, int, float]]:
        """(ms, MongoDB round trips, ms inside the store) of each page, at random places.
        `first_read`: the function has not read the page's chunk yet; otherwise it has (the
        page is read once before it is timed)."""
        measured = []
        auth = {"authorization": f"Bearer {self.token}"}
        for i in range(self.requests):
            params = {"limit": PAGE, "before": self.rng.randint(PAGE + 1, self.messages + 1)}
            if first_read:
                # A warm function that has decoded no chunk yet: only the archive's readers start afresh.
                for reader in ("archived_history", "archived_messages"):
                    vars(composition.services()).pop(reader, None)
            else:
                self.session.get(url(i), params=params, headers=auth).raise_for_status()
            self.calls.clear()
            self.spent.seconds = 0.0
            started = time.perf_counter()
            answer = self.session.get(url(i), params=params, headers=auth)
            took = (time.perf_counter() - started) * 1000
            answer.raise_for_status()
            assert len(answer.json()["items"]) == PAGE, answer.text
            measured.append((took, sum(self.calls.values()), self.spent.seconds * 1000))
        return measured


def benchmark(db: Any, embedded: bool, args: argparse.Namespace, mongo_ms: float) -> Figures:
    archived = args.conversations * args.messages
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    media = LocalMedia([base]).start()
    try:
        os.environ.update(
            {
                **stack_environment(base),
                **media.environment(),
                "ARCHIVE_AFTER_DAYS": str(ARCHIVE_AFTER_DAYS),
                "ARCHIVE_MAX_MESSAGES": str(archived + args.messages),
            }
        )
        if not embedded:
            ensure_indexes(db)
        spent = StoreTime()
        calls = count_round_trips(Timed(db, spent), mongo_ms=mongo_ms).calls
        rng = random.Random(13)
        session = requests.Session()
        with gateway_in_background(port, media=media):
            alice, bob = (
                session.post(f"{base}/api/auth/signup", json={"username": n, "password": "password123"}).json()
                for n in (f"arch_a_{new_id()[-6:]}", f"arch_b_{new_id()[-6:]}")
            )

            def group(name: str) -> str:
                created = session.post(
                    f"{base}/api/groups/create",
                    json={"name": name, "memberIds": [bob["user"]["id"]]},
                    headers={"authorization": f"Bearer {alice['accessToken']}"},
                )
                created.raise_for_status()
                return str(created.json()["id"])

            old, recent = [group(f"old {i}") for i in range(args.conversations)], group("recent")
            senders, now = [alice["user"]["id"], bob["user"]["id"]], utc_now()
            for conversation_id in old:
                write_history(
                    db, conversation_id, senders, count=args.messages, start=now - timedelta(days=100), rng=rng
                )
            write_history(db, recent, senders, count=args.messages, start=now - timedelta(days=2), rng=rng)
            # A real server was indexed before loading (this changes nothing); the embedded store
            # only now: mongomock checks a unique key on insert by reading every document.
            ensure_indexes(db)
            hot_before = size_of(db, "messages", embedded)

            calls.clear()
            spent.seconds = 0.0
            started = time.perf_counter()
            deadline = started + 15 * 60  # the function's timeout
            report = composition.archiver().run(utc_now(), time_left=lambda: deadline - time.perf_counter())
            seconds, store_seconds, round_trips = time.perf_counter() - started, spent.seconds, sum(calls.values())
            assert report.archived == archived, report
            assert report.done, report

            # After the run, so that both kinds of page read the same hot collection.
            reader = Reader(session, bob["accessToken"], calls, spent, rng, args.requests, args.messages)
            history = f"{base}/api/messages/"
            pages = {
                "the hot collection": reader.pages(lambda _: history + recent),
                "archive chunks, first read of the chunk (S3 GET)": reader.pages(
                    lambda i: history + old[i % len(old)], first_read=True
                ),
                "archive chunks, chunk cached in the function": reader.pages(lambda i: history + old[i % len(old)]),
            }
        objects, stored = archive_objects(media)
        assert objects == report.chunks, (objects, report.chunks)
        return Figures(
            hot_before=hot_before,
            hot_after=size_of(db, "messages", embedded),
            chunks_after=size_of(db, "archive_chunks", embedded),
            objects=objects,
            stored=stored,
            archived=report.archived,
            chunks=report.chunks,
            seconds=seconds,
            store_seconds=store_seconds,
            round_trips=round_trips,
            pages=pages,
        )
    finally:
        media.stop()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def megabytes(count: float) -> str:
    return f"{count / 1e6:,.2f} MB"


def show(figures: Figures, embedded: bool) -> None:
    fig, n = figures, figures.archived
    estimated = " (estimated: the documents and the index keys as BSON, before compression)" if embedded else ""
    print(f"\nHot `messages` before and after{estimated}")
    print("| | documents | document bytes | index bytes | index entries |")
    print("| --- | --- | --- | --- | --- |")
    for label, size in (
        ("messages, before", fig.hot_before),
        ("messages, after", fig.hot_after),
        ("archive_chunks, after", fig.chunks_after),
    ):
        entries = f"{size.index_entries:,}" if size.index_entries is not None else "—"
        print(
            f"| {label} | {size.documents:,} | {megabytes(size.document_bytes)} | {megabytes(size.index_bytes)}"
            f" | {entries} |"
        )
    if not embedded:
        print("(collstats `size` and `totalIndexSize`: index files keep freed space for reuse until `compact`)")

    document, index = (
        fig.hot_before.document_bytes / fig.hot_before.documents,
        fig.hot_before.index_bytes / fig.hot_before.documents,
    )
    in_s3, in_index = fig.stored / n, (fig.chunks_after.document_bytes + fig.chunks_after.index_bytes) / n
    print(
        f"\nBytes per message: hot {document:,.0f} document + {index:,.0f} index = {document + index:,.0f};"
        f" archived {in_s3:,.0f} in S3 (gzip JSON Lines, {fig.objects} objects,"
        f" {fig.stored / fig.objects / 1000:,.0f} KB each)"
        f" + {in_index:,.0f} in `archive_chunks` (a chunk's record and index entries hold its messages' ids)"
        f" = {in_s3 + in_index:,.0f}"
    )
    left_documents = (fig.hot_before.document_bytes - fig.hot_after.document_bytes) / n
    left_index = (fig.hot_before.index_bytes - fig.hot_after.index_bytes) / n
    print(
        f"Per 100,000 messages archived: `messages` {megabytes(1e5 * left_documents)} of documents and"
        f" {megabytes(1e5 * left_index)} of index smaller, `archive_chunks` {megabytes(1e5 * in_index)} larger,"
        f" S3 {megabytes(1e5 * in_s3)} larger"
    )

    outside = fig.seconds - fig.store_seconds
    print(
        f"\nArchiver, one run: {n:,} messages in {fig.chunks} chunks in {fig.seconds:.1f} s = {n / fig.seconds:,.0f}"
        f" messages/s; {fig.round_trips / fig.chunks:.1f} MongoDB round trips per chunk, {fig.store_seconds:.1f} s"
        f" inside the store{' (mongomock: it grows with the hot collection)' if embedded else ''}."
        f" The rest, {outside:.1f} s = {n / outside:,.0f} messages/s: decoding, JSON, gzip, the S3 PUT and HEAD"
        f" (moto here; tens of ms each on AWS) and the round trips' wait"
    )

    print(f"\nHistory pages: GET /api/messages/{{id}}?limit={PAGE}&before=<random>, over HTTP")
    print("| page from | p50 ms | p95 ms | less the store's own time: p50 / p95 ms | MongoDB round trips |")
    print("| --- | --- | --- | --- | --- |")
    for label, pages in fig.pages.items():
        took, outside_store = [p[0] for p in pages], [p[0] - p[2] for p in pages]
        print(
            f"| {label} | {statistics.median(took):.1f} | {p95(took):.1f}"
            f" | {statistics.median(outside_store):.1f} / {p95(outside_store):.1f}"
            f" | {statistics.median(p[1] for p in pages):.0f} |"
        )
    print(
        "The S3 GET is moto on this machine: from Lambda on AWS a GET takes tens of milliseconds more,"
        " on the first read of each chunk (a function keeps its last 32 chunks decoded)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=10, help="conversations to archive")
    parser.add_argument("--messages", type=int, default=1000, help="messages in each conversation")
    parser.add_argument("--requests", type=int, default=200, help="history pages of each kind")
    parser.add_argument(
        "--mongo-ms",
        type=float,
        default=None,
        help="simulated network time per MongoDB round trip (default: 1 on the embedded store, 0 with MONGODB_URI)",
    )
    args = parser.parse_args()
    if args.conversations < 1 or args.messages <= PAGE:
        parser.error(f"--conversations must be at least 1 and --messages more than a page ({PAGE})")
    db, where, embedded, clean_up = database()
    mongo_ms = args.mongo_ms if args.mongo_ms is not None else (1.0 if embedded else 0.0)
    print(
        f"Archiving on the local stack, {where}"
        f"{f', {mongo_ms:g} ms per MongoDB round trip simulated' if mongo_ms else ''}:"
        f" {args.conversations} conversations of {args.messages:,} messages from 100 days ago"
        f" ({args.conversations * args.messages:,}) archived, one of {args.messages:,} from the last day kept hot;"
        f" {args.requests} pages of each kind"
    )
    try:
        figures = benchmark(db, embedded, args, mongo_ms)
    finally:
        clean_up()
    show(figures, embedded)


if __name__ == "__main__":
    main()
