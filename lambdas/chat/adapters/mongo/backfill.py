"""The search fields of what was stored before search existed, filled in place: `terms` on each
hot message (messages.py) and `formerMemberIds` on each group with removed members
(conversations.py). Run at deploy and at the local stack's start-up, after the indexes.

Resumable, within a time budget: each collection is walked in `_id` order (ids sort by creation
time) from the point the last run reached, kept in the `backfills` collection, BATCH documents
per read, so a run costs the documents stored since the previous one (the first run: the whole
collection, over as many runs as it takes) and never rescans what it walked. The point stops
short of anything younger than `settle`, so a write still in flight when a run passes (a later
commit of an earlier id) is read again next time. A run that runs out of budget says so (`more`);
the next one goes on where it stopped.

Every write is one guarded single-document update, so a concurrent change is never overwritten:
a message's terms are set only while it still has none, the same text and no deletion; a
conversation gains a removed member in `formerMemberIds` only while that member is still in
`formerMembers`. Messages with no words (attachments only) keep no `terms`, as new ones do;
deleted messages and skip markers get none. What gives a text its words is the caller's
(services/search_terms.py: adapters do not import services), the same function new messages use."""

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING

from chat.adapters.mongo.client import translate_driver_errors
from chat.adapters.mongo.documents import Document

BATCH = 500  # documents per read
PARALLEL_WRITES = 8  # guarded updates in flight at once: one round trip each
SETTLE = timedelta(minutes=1)

# (filter, update) of one single-document update_one
Write = tuple[Document, Document]


@dataclass
class Backfilled:
    """What one run did."""

    messages: int = 0  # messages given their terms
    conversations: int = 0  # groups given (the missing part of) formerMemberIds
    read: int = 0  # documents walked, both collections: the run's cost
    more: bool = False  # the budget ran out first: the next run goes on


@translate_driver_errors
def backfill_search_fields(
    db: Any,
    terms: Callable[[str], Sequence[str]],
    budget: float,
    *,
    batch: int = BATCH,
    settle: timedelta = SETTLE,
    clock: Callable[[], float] = time.monotonic,
) -> Backfilled:
    """Fills the search fields older documents lack, for up to `budget` seconds (`clock`'s:
    checked before each read, so a run overruns it by at most one batch's writes). Groups
    first (few, and without them a removed member finds nothing at all), then messages."""
    deadline = clock() + budget
    report = Backfilled()
    settled_before = datetime.now(UTC) - settle
    walks = (
        (_Walk(db, "conversations", "formerMemberIds", {}, {"formerMembers": 1, "formerMemberIds": 1}), _former_ids),
        (
            _Walk(
                db,
                "messages",
                "terms",
                # Skip markers ("skip-…") sort after every message id: the server passes over that
                # tail (one per seq a failed send reserved) at the end of each run, and returns none.
                {"skipped": {"$ne": True}},
                {"text": 1, "deletedAt": 1, "terms": {"$slice": 1}},  # one term tells it has them
            ),
            lambda doc: _message_terms(doc, terms),
        ),
    )
    with ThreadPoolExecutor(PARALLEL_WRITES, thread_name_prefix="backfill") as pool:
        for walk, writes in walks:
            for docs in walk.batches(batch, settled_before, lambda: clock() < deadline):
                # Each document's writes in turn, the documents' in parallel.
                fixed = sum(pool.map(walk.apply, [ws for ws in map(writes, docs) if ws]))
                report.read += len(docs)
                if walk.collection == "messages":
                    report.messages += fixed
                else:
                    report.conversations += fixed
            report.more = report.more or not walk.finished
    return report


def _message_terms(doc: Document, terms: Callable[[str], Sequence[str]]) -> list[Write]:
    if "terms" in doc or doc.get("deletedAt") is not None:
        return []
    words = list(terms(doc.get("text") or ""))
    if not words:
        return []
    # The text the words come from, still there: an edit or a deletion since wins.
    return [
        (
            {"_id": doc["_id"], "terms": {"$exists": False}, "text": doc["text"], "deletedAt": None},
            {"$set": {"terms": words}},
        )
    ]


def _former_ids(doc: Document) -> list[Write]:
    # Also a group that has the array but not everyone in it: one removed by this version from a
    # group that already had removed members gets an array of one.
    have = set(doc.get("formerMemberIds") or ())
    return [
        (
            {"_id": doc["_id"], f"formerMembers.{user_id}": {"$exists": True}},
            {"$addToSet": {"formerMemberIds": user_id}},
        )
        for user_id in doc.get("formerMembers") or {}
        if user_id not in have
    ]


class _Walk:
    """One collection in `_id` order from where the last run stopped."""

    def __init__(self, db: Any, collection: str, field: str, query: Document, projection: Document) -> None:
        self.collection = collection
        self._documents = db[collection]
        self._state = db["backfills"]
        self._key = f"{collection}.{field}"
        self._query = query
        self._projection = {**projection, "createdAt": 1}
        self.finished = False

    def apply(self, writes: list[Write]) -> bool:
        """Whether any of one document's writes changed it (a guard that no longer holds: none)."""
        changed = [bool(self._documents.update_one(query, update).modified_count) for query, update in writes]
        return any(changed)

    def batches(self, size: int, settled_before: datetime, in_budget: Callable[[], bool]) -> Iterator[list[Document]]:
        """Each batch of documents after the resume point; the point moves on after each one
        is handled (what the caller does between batches), up to the first unsettled document."""
        state = self._state.find_one({"_id": self._key}) or {}
        after = kept = state.get("after", "")
        settling = False
        while in_budget():
            docs = list(
                self._documents.find({"_id": {"$gt": after}, **self._query}, self._projection)
                .sort("_id", ASCENDING)
                .limit(size)
            )
            if docs:
                yield docs
                after = docs[-1]["_id"]
                for doc in docs:
                    created = doc.get("createdAt")
                    settling = settling or (created is not None and _aware(created) >= settled_before)
                    if not settling:
                        kept = doc["_id"]
                if kept != state.get("after", ""):
                    self._state.update_one({"_id": self._key}, {"$set": {"after": kept}}, upsert=True)
                    state["after"] = kept
            if len(docs) < size:
                self.finished = True
                return


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
