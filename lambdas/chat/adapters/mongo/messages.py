"""Messages in MongoDB: the hot history, paged by seq."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from chat.adapters.mongo.client import translated
from chat.adapters.mongo.documents import Document, history_slice, message_document, message_from
from chat.models.chat import Message, ReplyQuote
from chat.models.ports import DuplicateMessage, HistorySlice, Unread

# The search index (indexes.py): named in each search, so the plan never depends on the planner's choice.
SEARCH_INDEX = "search_terms"


@translated
class MongoMessageStore:
    def __init__(self, db: Any) -> None:
        self._messages = db["messages"]

    def insert(self, message: Message, terms: Sequence[str] = ()) -> None:
        doc = message_document(message)
        if terms:
            doc["terms"] = list(terms)  # never read back: message_from leaves it out
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

    def rewrite_quotes(self, quote: ReplyQuote) -> int:
        # On the sparse replies_to index: a message nobody replied to costs one empty lookup.
        rewritten = self._messages.update_many(
            {"replyTo.messageId": quote.messageId}, {"$set": {"replyTo": quote.model_dump()}, "$inc": {"revision": 1}}
        )
        return int(rewritten.modified_count)

    def search(
        self, terms: list[str], readable: Mapping[str, int | None], before: str | None, limit: int
    ) -> list[Message]:
        if not terms or not readable:
            return []
        cursor = self._messages.find(search_query(terms, readable, before)).sort("_id", DESCENDING)
        return [message_from(doc) for doc in cursor.hint(SEARCH_INDEX).limit(limit)]

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


def search_query(terms: list[str], readable: Mapping[str, int | None], before: str | None) -> Document:
    """The filter of a search (sorted by _id, newest first, on the search_terms index). The
    index's bounds: each readable conversation (one range each, which the server merges newest
    first) and one of the words; the other words, and a removed member's last seq, are checked
    on the documents those bounds find."""
    members = [c for c, up_to in readable.items() if up_to is None]
    former = [(c, up_to) for c, up_to in readable.items() if up_to is not None]
    query: Document = {"conversationId": {"$in": list(readable)}, "terms": {"$all": terms}, "deletedAt": None}
    if former:
        query["$or"] = [
            *([{"conversationId": {"$in": members}}] if members else []),
            *({"conversationId": c, "seq": {"$lte": up_to}} for c, up_to in former),
        ]
    if before is not None:
        query["_id"] = {"$lt": before}
    return query
