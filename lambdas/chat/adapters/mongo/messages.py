"""Messages in MongoDB: the hot history, paged by seq."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from time import monotonic
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from chat.adapters.mongo.client import translated
from chat.adapters.mongo.documents import Document, history_slice, message_document, message_from
from chat.models.chat import Message, ReplyQuote
from chat.models.errors import ServiceUnavailable
from chat.models.ports import DuplicateMessage, HistorySlice, Unread

# The search index (indexes.py): named in each search, so the plan never depends on the planner's choice.
SEARCH_INDEX = "search_terms"
# MongoDB merges the index ranges of at most 200 conversations in _id order (SORT_MERGE); past
# that its plan sorts every match in memory. A search asks about this many conversations per query.
SEARCH_CONVERSATIONS_PER_QUERY = 200
# The time a whole search may take on the server, all its queries together: past it, 503 (a
# search of a common word over a very long history is cut short rather than hold the function,
# well inside the HTTP API's 29 s). Not a setting: no deploy has needed another value.
SEARCH_MAX_TIME_MS = 5_000


@translated
class MongoMessageStore:
    def __init__(self, db: Any) -> None:
        self._messages = db["messages"]

    def insert(self, message: Message, terms: Sequence[str] = (), *, quote_revision: int | None = None) -> None:
        doc = message_document(message)
        if terms:
            doc["terms"] = list(terms)  # never read back: message_from leaves it out
        if "replyTo" in doc and quote_revision is not None:
            doc["replyTo"]["revision"] = quote_revision  # never read back either (rewrite_quotes)
        try:
            self._messages.insert_one(doc)
        except DuplicateKeyError as error:
            raise DuplicateMessage(message.clientMsgId) from error

    def find_by_client_msg_id(self, conversation_id: str, sender_id: str, client_msg_id: str) -> Message | None:
        doc = self._messages.find_one(
            {"conversationId": conversation_id, "senderId": sender_id, "clientMsgId": client_msg_id}
        )
        return message_from(doc) if doc else None

    def mark_skipped(self, conversation_id: str, seq: int, at: datetime) -> None:
        # A marker in the seq sequence, outside any sender's clientMsgId space ('~' is not allowed there).
        self._messages.insert_one(
            {
                "_id": f"skip-{conversation_id}-{seq}",
                "conversationId": conversation_id,
                "seq": seq,
                "senderId": "",
                "clientMsgId": f"~{seq}",
                "skipped": True,
                "createdAt": at,
            }
        )

    def page(
        self, conversation_id: str, limit: int, before: int | None, after: int | None, up_to: int | None = None
    ) -> HistorySlice:
        seq_range: Document = {}
        if before is not None:
            seq_range["$lt"] = before
        if after is not None:
            seq_range["$gt"] = after
        if up_to is not None:
            seq_range["$lte"] = up_to
        query: Document = {"conversationId": conversation_id}
        if seq_range:
            query["seq"] = seq_range
        # Keyset paging on the (conversationId, seq) index: catching up reads
        # forward from `after`, everything else reads back from the newest.
        direction = ASCENDING if after is not None else DESCENDING
        docs = list(self._messages.find(query).sort("seq", direction).limit(limit))
        if direction == DESCENDING:
            docs.reverse()
        return history_slice(docs)

    def get(self, message_id: str) -> Message | None:
        doc = self._messages.find_one({"_id": message_id, "skipped": {"$ne": True}})
        return message_from(doc) if doc else None

    def get_many(self, message_ids: list[str]) -> list[Message]:
        docs = self._messages.find({"_id": {"$in": message_ids}, "skipped": {"$ne": True}}).sort("seq", ASCENDING)
        return [message_from(doc) for doc in docs]

    def _change(self, query: Document, update: Document) -> Message | None:
        doc = self._messages.find_one_and_update(
            query, {**update, "$inc": {"revision": 1}}, return_document=ReturnDocument.AFTER
        )
        return message_from(doc) if doc else None

    def edit(
        self,
        message_id: str,
        sender_id: str,
        text: str,
        at: datetime,
        *,
        mentions: Sequence[str] = (),
        terms: Sequence[str] = (),
    ) -> Message | None:
        changes: Document = {"text": text, "editedAt": at}
        gone: Document = {}
        for field, values in (("mentions", mentions), ("terms", terms)):
            if values:
                changes[field] = list(values)
            else:
                gone[field] = ""
        return self._change(
            {"_id": message_id, "senderId": sender_id, "deletedAt": None},
            {"$set": changes, **({"$unset": gone} if gone else {})},
        )

    def delete(self, message_id: str, sender_id: str, at: datetime) -> Message | None:
        return self._change(
            {"_id": message_id, "senderId": sender_id, "deletedAt": None},
            {
                "$set": {"text": "", "attachments": [], "reactions": {}, "deletedAt": at},
                "$unset": {"replyTo": "", "mentions": "", "terms": ""},
            },
        )

    def rewrite_quotes(self, quote: ReplyQuote, revision: int) -> int:
        # On the sparse replies_to index: a message nobody replied to costs one empty lookup. Only
        # quotes of an older revision: "$not $gte" also takes a reply stored before quotes
        # recorded their revision (no field), where "$lt" would skip it.
        rewritten = self._messages.update_many(
            {"replyTo.messageId": quote.messageId, "replyTo.revision": {"$not": {"$gte": revision}}},
            {"$set": {"replyTo": {**quote.model_dump(), "revision": revision}}, "$inc": {"revision": 1}},
        )
        return int(rewritten.modified_count)

    def search(
        self, terms: list[str], readable: Mapping[str, int | None], before: str | None, limit: int
    ) -> list[Message]:
        if not terms or not readable:
            return []
        # One query per SEARCH_CONVERSATIONS_PER_QUERY conversations, each a merge of its ranges
        # that stops at `limit`; the pages merged newest first. Once `limit` are found, a further
        # query only looks above the oldest of them (keyset on _id), so it stops sooner.
        ids = list(readable)
        found: list[Document] = []
        deadline = monotonic() + SEARCH_MAX_TIME_MS / 1000
        for start in range(0, len(ids), SEARCH_CONVERSATIONS_PER_QUERY):
            chunk = {c: readable[c] for c in ids[start : start + SEARCH_CONVERSATIONS_PER_QUERY]}
            above = found[limit - 1]["_id"] if len(found) >= limit else None
            left_ms = int((deadline - monotonic()) * 1000)
            if left_ms <= 0:
                raise ServiceUnavailable("The search took too long; try fewer or rarer words.")
            query = search_query(terms, chunk, before, above=above)
            cursor = self._messages.find(query).sort("_id", DESCENDING).hint(SEARCH_INDEX)
            found = sorted([*found, *cursor.limit(limit).max_time_ms(left_ms)], key=_by_id, reverse=True)[:limit]
        return [message_from(doc) for doc in found]

    def react(self, message_id: str, user_id: str, emoji: str, on: bool) -> Message | None:
        # Only a change bumps the revision: the filter misses when the reaction is already so.
        path = f"reactions.{emoji}"
        if on:
            return self._change(
                {"_id": message_id, "deletedAt": None, path: {"$ne": user_id}}, {"$push": {path: user_id}}
            )
        changed = self._change({"_id": message_id, "deletedAt": None, path: user_id}, {"$pull": {path: user_id}})
        if changed is not None and emoji not in changed.reactions:
            # The last one of that emoji: drop the empty list so the message keeps few keys.
            self._messages.update_one({"_id": message_id, path: {"$size": 0}}, {"$unset": {path: ""}})
        return changed

    def senders_between(self, conversation_id: str, ranges: list[tuple[int, int]], except_id: str) -> set[str]:
        if not ranges:
            return set()
        query = {
            "conversationId": conversation_id,
            "$or": [{"seq": {"$gt": low, "$lte": high}} for low, high in ranges],
            "senderId": {"$nin": [except_id, ""]},
        }
        return {str(sender) for sender in self._messages.distinct("senderId", query)}

    def unread_counts(self, reader_id: str, read_seqs: dict[str, int]) -> dict[str, Unread]:
        if not read_seqs:
            return {}
        # One round trip for a whole page of conversations, each branch on the (conversationId, seq)
        # index; the mentions are a second sum over the same documents (most have no mentions field).
        mentioned = {"$cond": [{"$in": [reader_id, {"$ifNull": ["$mentions", []]}]}, 1, 0]}
        counted = self._messages.aggregate(
            [
                {
                    "$match": {
                        "$or": [{"conversationId": cid, "seq": {"$gt": seq}} for cid, seq in read_seqs.items()],
                        "senderId": {"$nin": [reader_id, ""]},
                        "deletedAt": None,
                    }
                },
                {"$group": {"_id": "$conversationId", "unread": {"$sum": 1}, "mentions": {"$sum": mentioned}}},
            ]
        )
        return {doc["_id"]: Unread(doc["unread"], doc["mentions"]) for doc in counted}


def _by_id(doc: Document) -> str:
    return str(doc["_id"])


def search_query(
    terms: list[str], readable: Mapping[str, int | None], before: str | None, *, above: str | None = None
) -> Document:
    """The filter of a search (sorted by _id, newest first, on the search_terms index) in at
    most SEARCH_CONVERSATIONS_PER_QUERY conversations. The index's bounds: each readable
    conversation (one range each, which the server merges newest first) and the first word of
    $all, the longest (likely the rarest: fewer entries to read); the other words, and a removed
    member's last seq, are checked on the documents those bounds find. Ids below `before` and
    above `above`."""
    members = [c for c, up_to in readable.items() if up_to is None]
    former = [(c, up_to) for c, up_to in readable.items() if up_to is not None]
    longest_first = sorted(terms, key=len, reverse=True)
    query: Document = {
        "conversationId": {"$in": list(readable)},
        "terms": {"$all": longest_first},
        "deletedAt": None,
    }
    if former:
        query["$or"] = [
            *([{"conversationId": {"$in": members}}] if members else []),
            *({"conversationId": c, "seq": {"$lte": up_to}} for c, up_to in former),
        ]
    ids: Document = {}
    if before is not None:
        ids["$lt"] = before
    if above is not None:
        ids["$gt"] = above
    if ids:
        query["_id"] = ids
    return query
