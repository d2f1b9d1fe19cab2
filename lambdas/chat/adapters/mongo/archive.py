"""The archive's MongoDB side: the chunk index, and the hot messages as the archiver reads
and clears them."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from chat.adapters.mongo.client import translated
from chat.adapters.mongo.documents import Document, history_slice
from chat.models.ports import ArchiveChunk, HistorySlice


def _chunk(doc: Document) -> ArchiveChunk:
    return ArchiveChunk(
        conversation_id=doc["conversationId"],
        first_seq=doc["firstSeq"],
        last_seq=doc["lastSeq"],
        key=doc["key"],
        message_ids=doc.get("messageIds", []),
        revision=doc.get("revision", 0),
        newest_at=doc.get("newestAt"),
        count=doc.get("count", len(doc.get("messageIds", []))),
    )


@translated
class MongoArchiveIndex:
    def __init__(self, db: Any) -> None:
        self._chunks = db["archive_chunks"]
        self._conversations = db["conversations"]

    def record(self, chunk: ArchiveChunk) -> None:
        # Keyed by the chunk's first key: recording it again (a rerun) changes nothing, not
        # even a rewrite made since.
        self._chunks.update_one(
            {"_id": chunk.key},
            {
                "$setOnInsert": {
                    "conversationId": chunk.conversation_id,
                    "firstSeq": chunk.first_seq,
                    "lastSeq": chunk.last_seq,
                    "count": len(chunk.message_ids),
                    "messageIds": chunk.message_ids,
                    "key": chunk.key,
                    "revision": 0,
                    "newestAt": chunk.newest_at,
                }
            },
            upsert=True,
        )
        self._conversations.update_one({"_id": chunk.conversation_id}, {"$max": {"archivedThrough": chunk.last_seq}})

    def move(self, chunk: ArchiveChunk, key: str) -> bool:
        moved = self._chunks.update_one(
            {"conversationId": chunk.conversation_id, "firstSeq": chunk.first_seq, "key": chunk.key},
            {"$set": {"key": key}, "$inc": {"revision": 1}},
        )
        return bool(moved.modified_count)

    def archived_through(self, conversation_id: str) -> int:
        newest = self._chunks.find_one(
            {"conversationId": conversation_id}, {"lastSeq": 1}, sort=[("lastSeq", DESCENDING)]
        )
        return int(newest["lastSeq"]) if newest else 0

    def below(self, conversation_id: str, seq: int, limit: int) -> list[ArchiveChunk]:
        query = {"conversationId": conversation_id, "firstSeq": {"$lt": seq}}
        return [
            _chunk(d) for d in self._chunks.find(query, {"messageIds": 0}).sort("firstSeq", DESCENDING).limit(limit)
        ]

    def above(self, conversation_id: str, seq: int, limit: int) -> list[ArchiveChunk]:
        query = {"conversationId": conversation_id, "lastSeq": {"$gt": seq}}
        return [_chunk(d) for d in self._chunks.find(query, {"messageIds": 0}).sort("lastSeq", ASCENDING).limit(limit)]

    def older_than(self, cutoff: datetime, limit: int) -> list[ArchiveChunk]:
        found = self._chunks.find({"newestAt": {"$lt": cutoff}}, {"messageIds": 0}).sort("newestAt", ASCENDING)
        return [_chunk(doc) for doc in found.limit(limit)]

    def drop(self, chunk: ArchiveChunk) -> None:
        # The conversation first: once it says where history starts, no page looks further.
        self._conversations.update_one({"_id": chunk.conversation_id}, {"$max": {"keptFrom": chunk.last_seq + 1}})
        self._chunks.delete_one({"conversationId": chunk.conversation_id, "firstSeq": chunk.first_seq})

    def holding_many(self, message_ids: list[str]) -> list[ArchiveChunk]:
        return [_chunk(doc) for doc in self._chunks.find({"messageIds": {"$in": message_ids}})]

    def holding(self, message_id: str) -> ArchiveChunk | None:
        doc = self._chunks.find_one({"messageIds": message_id}, {"messageIds": 0})
        return _chunk(doc) if doc else None


@translated
class MongoArchivableMessages:
    def __init__(self, db: Any) -> None:
        self._messages = db["messages"]

    def old_conversations(self, cutoff: datetime, after_id: str, limit: int) -> tuple[list[str], str]:
        # Ids begin with their millisecond timestamp in hex: the _id index is a walk in time,
        # so no index of its own (and no write on every send) is needed.
        before = f"{int(cutoff.timestamp() * 1000):012x}"
        docs = list(
            self._messages.find({"_id": {"$gt": after_id, "$lt": before}}, {"conversationId": 1})
            .sort("_id", ASCENDING)
            .limit(limit)
        )
        conversations = list(dict.fromkeys(doc["conversationId"] for doc in docs))
        return conversations, docs[-1]["_id"] if len(docs) == limit else ""

    def oldest(self, conversation_id: str, after_seq: int, cutoff: datetime, limit: int) -> HistorySlice:
        docs = self._messages.find({"conversationId": conversation_id, "seq": {"$gt": after_seq}})
        taken: list[Document] = []
        for doc in docs.sort("seq", ASCENDING).limit(limit):
            if doc["createdAt"] >= cutoff:
                break  # history is archived in seq order: nothing past a recent seq
            taken.append(doc)
        return history_slice(taken)

    def at_or_below(self, conversation_id: str, seq: int, limit: int) -> HistorySlice:
        docs = self._messages.find({"conversationId": conversation_id, "seq": {"$lte": seq}})
        return history_slice(list(docs.sort("seq", ASCENDING).limit(limit)))

    def forget(self, conversation_id: str, archived: HistorySlice) -> int:
        # (A message from before revisions were counted has none: that is revision 0.)
        unchanged = [{"_id": m.id, "revision": m.revision or {"$in": [0, None]}} for m in archived.messages]
        deleted = self._messages.delete_many({"$or": unchanged}).deleted_count if unchanged else 0
        if archived.skipped:
            self._messages.delete_many(
                {"conversationId": conversation_id, "seq": {"$in": sorted(archived.skipped)}, "skipped": True}
            )
        return int(deleted)
