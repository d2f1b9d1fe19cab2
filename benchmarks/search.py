"""Message search on the local stack: `GET /api/search` over 100,000 messages, its latency for
rare and common words, one and two words, one conversation, and pages further back; the MongoDB
round trips it costs; and the plan of its query.

    make bench        # or: .venv/bin/python -m benchmarks.search --messages 100000
    MONGODB_URI='mongodb://…' .venv/bin/python -m benchmarks.search --requests 50

The history is `--conversations` groups sharing `--messages` messages (English prose: runs of
words of this README, 3 to 20 words each, so common words are common and rare ones rare; one
message in 2,000 also carries the made-up word "zanzibar"). The searcher is a member of
`--member-of` of them and was removed from one more halfway through its history; the others
are other people's. Messages are written in bulk as the message store writes them (terms
included), then searched over HTTP through the gateway as the web client does.

On the embedded store (mongomock) there is no query planner and no index: every query reads
every document, so its figures grow with the whole collection and say little about a real
server; the output says how much of each time was spent inside the store. With MONGODB_URI
the run uses a database of its own, drops it afterwards, and prints the plan MongoDB chose
(explain, executionStats). Nothing is left behind."""

import argparse
import os
import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import bson
import requests

from benchmarks.harness import StoreTime, Timed, count_round_trips, free_port
from chat.adapters.mongo.conversations import MongoConversationStore
from chat.adapters.mongo.documents import message_document
from chat.adapters.mongo.indexes import INDEXES, ensure_indexes
from chat.adapters.mongo.messages import SEARCH_INDEX, search_query
from chat.clock import utc_now
from chat.models.chat import Conversation, Message
from chat.services.ids import new_id
from chat.services.search_terms import terms
from local.background import gateway_in_background
from local.environment import stack_environment

PROSE = (Path(__file__).resolve().parent.parent / "README.md").read_text().split()
RARE, RARE_EVERY = "zanzibar", 2000
PAGE = 20
BATCH = 1000


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


@dataclass
class History:
    mine: list[str]  # the searcher's conversations
    left: str  # the one they were removed from
    removed_at: int
    messages: int
    terms: int  # index entries of the search index (one per distinct word, at least one per message)
    key_bytes: int  # their keys' bytes as BSON, before the server's prefix compression


def write_history(db: Any, searcher: str, args: argparse.Namespace, rng: random.Random) -> History:
    """Groups and their messages, written in bulk as the stores write them."""
    store = MongoConversationStore(db)
    groups = []
    for n in range(args.conversations):
        members = [searcher, f"peer{n}"] if n < args.member_of + 1 else [f"other{n}", f"peer{n}"]
        group = Conversation(
            id=new_id(),
            type="group",
            name=f"group {n}",
            memberIds=members,
            createdBy=members[0],
            createdAt=utc_now(),
            lastSeq=0,
            lastMessage=None,
            adminIds=[members[0]],
        )
        store.create(group)
        groups.append(group.id)
    per_group = args.messages // args.conversations
    start = utc_now() - timedelta(days=30)
    step = timedelta(days=30) / args.messages
    entries = key_bytes = 0
    fixed = 2 * _value_bytes(new_id())  # the conversation's id and the message's, in every entry
    batch: list[dict[str, Any]] = []
    for index in range(per_group * args.conversations):
        conversation, seq = groups[index % args.conversations], index // args.conversations + 1
        length = rng.randint(3, 20)
        first = rng.randrange(len(PROSE) - length)
        words = PROSE[first : first + length]
        if rng.randrange(RARE_EVERY) == 0:
            words.insert(rng.randrange(len(words)), RARE.title())
        sent_at = start + index * step
        message = Message(
            id=f"{int(sent_at.timestamp() * 1000):012x}{new_id()[12:]}",  # as new_id() made it then
            conversationId=conversation,
            senderId=f"peer{index % args.conversations}",
            text=" ".join(words),
            clientMsgId=uuid.uuid4().hex,
            seq=seq,
            createdAt=sent_at,
        )
        doc = message_document(message)
        found = terms(message.text)
        if found:
            doc["terms"] = found
        entries += max(1, len(found))
        key_bytes += sum(fixed + _value_bytes(term) for term in found) or fixed
        batch.append(doc)
        if len(batch) == BATCH:
            db["messages"].insert_many(batch)
            batch = []
    if batch:
        db["messages"].insert_many(batch)
    for conversation in groups:
        db["conversations"].update_one({"_id": conversation}, {"$set": {"lastSeq": per_group}})
    left, removed_at = groups[args.member_of], per_group // 2
    db["conversations"].update_one({"_id": left}, {"$set": {"lastSeq": removed_at}})
    assert store.remove_member(left, searcher, removed_at) is not None
    db["conversations"].update_one({"_id": left}, {"$set": {"lastSeq": per_group}})
    return History(groups[: args.member_of], left, removed_at, per_group * args.conversations, entries, key_bytes)


def _value_bytes(value: Any) -> int:
    return len(bson.encode({"": value})) - 5  # less the document's length and terminator


@dataclass
class Query:
    label: str
    params: dict[str, str]
    pages: int = 1  # read this many pages back, timing the last


def queries(history: History) -> list[Query]:
    return [
        Query(f'a rare word ("{RARE}": one message in {RARE_EVERY:,})', {"q": RARE}),
        Query('a common word ("the")', {"q": "the"}),
        Query('two common words ("the message")', {"q": "the message"}),
        Query(f'a rare and a common word ("{RARE} the")', {"q": f"{RARE} the"}),
        Query('a word found nowhere ("qwxyzzy")', {"q": "qwxyzzy"}),
        Query(
            'a common word in one conversation ("the", conversationId)', {"q": "the", "conversationId": history.mine[0]}
        ),
        Query('a common word, the 3rd page back ("the", before=…)', {"q": "the"}, pages=3),
    ]


@dataclass
class Measured:
    ms: list[float]
    store_ms: list[float]
    round_trips: int
    found: int


def measure(base: str, token: str, query: Query, *, requests_: int, calls: Counter[str], spent: StoreTime) -> Measured:
    session = requests.Session()
    session.headers["authorization"] = f"Bearer {token}"
    took, in_store, trips, found = [], [], 0, 0
    for _ in range(requests_):
        params = dict(query.params)
        for _ in range(query.pages - 1):  # the pages before, untimed
            page = session.get(f"{base}/api/search", params={**params, "limit": str(PAGE)}).json()
            params["before"] = page["nextBefore"]
        calls.clear()
        spent.seconds = 0.0
        started = time.perf_counter()
        answer = session.get(f"{base}/api/search", params={**params, "limit": str(PAGE)})
        took.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
        in_store.append(spent.seconds * 1000)
        trips = sum(calls.values())
        found = len(answer.json()["items"])
    return Measured(took, in_store, trips, found)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def abbreviated(query: Any) -> Any:
    """The filter with long lists shortened, for printing."""
    if isinstance(query, dict):
        return {key: abbreviated(value) for key, value in query.items()}
    if isinstance(query, list):
        shown = [abbreviated(item) for item in query[:3]]
        return [*shown, f"… {len(query) - 3} more"] if len(query) > 3 else shown
    return query


def show_plan(db: Any, embedded: bool, history: History) -> None:
    readable: dict[str, int | None] = dict.fromkeys(history.mine)
    readable[history.left] = history.removed_at
    query = search_query(["the", "message"], readable, None)
    [index] = [model for model in INDEXES["messages"] if model.document["name"] == SEARCH_INDEX]
    key = dict(index.document["key"])
    print('\nThe query of "the message" for the searcher (every conversation they may read):')
    print(f"  find({abbreviated(query)})")
    print(f"  .sort({{'_id': -1}}).hint({SEARCH_INDEX!r}).limit({PAGE})")
    if embedded:
        print(
            f"The index it is built for: {SEARCH_INDEX} {key} (multikey: one entry per distinct word of a message)."
            "\nThe embedded store has no query planner and keeps no index: it reads every document of the"
            " collection for every query, so no plan can be shown here. On a real MongoDB the bounds are one"
            " range per readable conversation on one of the words, each read newest first and merged"
            " (SORT_MERGE) while there are at most 200 ranges, else sorted (top-k); the other words, the"
            " deletion and a removed member's limit are checked on the documents fetched. Run it with"
            " MONGODB_URI for the plan MongoDB chooses."
        )
        return
    # pymongo's explain() runs at allPlansExecution: the winning plan's executionStats among the rest.
    explained = db["messages"].find(query).sort("_id", -1).hint(SEARCH_INDEX).limit(PAGE).explain()
    stats = explained["executionStats"]

    def stages(plan: dict[str, Any], depth: int = 0) -> Iterator[str]:
        name = plan.get("stage", "?")
        extra = f" {plan['indexName']}" if "indexName" in plan else ""
        yield f"  {'  ' * depth}{name}{extra}"
        for child in plan.get("inputStages", []) + ([plan["inputStage"]] if "inputStage" in plan else []):
            yield from stages(child, depth + 1)

    winning = explained["queryPlanner"]["winningPlan"]
    lines = list(stages(winning.get("queryPlan", winning)))
    print("MongoDB's winning plan (explain):")
    print("\n".join(lines[:12] + ([f"  … {len(lines) - 12} more stages"] if len(lines) > 12 else [])))
    print(
        f"  keys examined {stats['totalKeysExamined']:,}, documents examined {stats['totalDocsExamined']:,},"
        f" returned {stats['nReturned']}, {stats['executionTimeMillis']} ms"
    )


def index_size(db: Any, embedded: bool, history: History) -> str:
    if embedded:
        return (
            f"{history.terms:,} entries ({history.terms / history.messages:.1f} a message); their keys"
            f" {history.key_bytes / 1e6:,.1f} MB as BSON ({history.key_bytes / history.messages:,.0f} bytes a message),"
            " before a real server's prefix compression (estimated: the embedded store keeps no index)"
        )
    stats = db.command("collstats", "messages")
    size = stats["indexSizes"][SEARCH_INDEX]
    return (
        f"{history.terms:,} entries ({history.terms / history.messages:.1f} a message), {size / 1e6:,.1f} MB on disk"
        f" ({size / history.messages:,.0f} bytes a message; the collection's documents {stats['size'] / 1e6:,.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--member-of", type=int, default=40, help="conversations the searcher is a member of")
    parser.add_argument("--requests", type=int, default=None, help="of each kind (default: 5 embedded, 50 real)")
    parser.add_argument(
        "--mongo-ms",
        type=float,
        default=None,
        help="simulated network time per MongoDB round trip (default: 1 on the embedded store, 0 with MONGODB_URI)",
    )
    args = parser.parse_args()
    if not 1 <= args.member_of < args.conversations:
        parser.error("--member-of must be at least 1 and fewer than --conversations")
    db, where, embedded, clean_up = database()
    requests_ = args.requests or (5 if embedded else 50)
    mongo_ms = args.mongo_ms if args.mongo_ms is not None else (1.0 if embedded else 0.0)
    print(
        f"Search on the local stack, {where}"
        f"{f', {mongo_ms:g} ms per MongoDB round trip simulated' if mongo_ms else ''}:"
        f" {args.messages:,} messages in {args.conversations} groups; the searcher is in {args.member_of} of them"
        f" and was removed from one more halfway; {requests_} searches of each kind, {PAGE} a page;"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        os.environ.update({**stack_environment(base), "RATE_LIMIT_SEARCH": "1000000/1"})
        if not embedded:
            ensure_indexes(db)
        spent = StoreTime()
        calls = count_round_trips(Timed(db, spent), mongo_ms=mongo_ms).calls
        with gateway_in_background(port):
            signed_up = requests.post(
                f"{base}/api/auth/signup",
                json={"username": f"search_{new_id()[-8:]}", "password": "password123"},
                timeout=30,
            ).json()
            started = time.perf_counter()
            history = write_history(db, signed_up["user"]["id"], args, random.Random(18))
            # The embedded store only now: mongomock checks a unique key on insert by reading every document.
            ensure_indexes(db)
            print(f"History written in {time.perf_counter() - started:.1f} s")
            rows = []
            for query in queries(history):
                measured = measure(base, signed_up["accessToken"], query, requests_=requests_, calls=calls, spent=spent)
                rows.append((query, measured))
            show_plan(db, embedded, history)
            size = index_size(db, embedded, history)
    finally:
        clean_up()

    print(f"\nGET /api/search, over HTTP ({PAGE} a page)")
    print("| search | found | p50 ms | p95 ms | of which in the store, p50 ms | MongoDB round trips |")
    print("| --- | --- | --- | --- | --- | --- |")
    for query, m in rows:
        print(
            f"| {query.label} | {m.found} | {statistics.median(m.ms):.1f} | {p95(m.ms):.1f}"
            f" | {statistics.median(m.store_ms):.1f} | {m.round_trips} |"
        )
    print(f"\nThe search index ({SEARCH_INDEX}): {size}")
    if embedded:
        print(
            "The embedded store's times are mongomock's reading of all the collection's documents per query:"
            " they measure mongomock, not the index."
        )


if __name__ == "__main__":
    main()
