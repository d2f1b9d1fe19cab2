"""Conversations, with the change log that rides on each, and read receipts, in MongoDB."""

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from chat.adapters.mongo.client import translated
from chat.adapters.mongo.documents import Document, message_document, message_from
from chat.models.chat import Conversation, Message, Receipt
from chat.models.ports import ConversationCursor, SeqAllocation

# The change log rides on the conversation document; reads that do not need it leave it out.
WITHOUT_LOG = {"changes": 0}
CHANGE_LOG_SIZE = 256


def conversation_from(doc: Document) -> Conversation:
    last = doc.get("lastMessage")
    # Groups from before admins existed: their creator is the admin.
    legacy_admins = [doc["createdBy"]] if doc["type"] == "group" and doc["createdBy"] in doc["memberIds"] else []
    admins = doc.get("adminIds", legacy_admins)
    return Conversation(
        id=doc["_id"],
        type=doc["type"],
        name=doc.get("name"),
        memberIds=doc["memberIds"],
        createdBy=doc["createdBy"],
        createdAt=doc["createdAt"],
        lastSeq=doc["lastSeq"],
        lastMessage=message_from(last) if last else None,
        adminIds=admins,
        receipts={user: Receipt(**cursors) for user, cursors in (doc.get("receipts") or {}).items()},
        version=doc.get("version", 0),
        formerMembers=doc.get("formerMembers") or {},
        archivedBy=doc.get("archivedBy") or {},
        mutedBy=doc.get("mutedBy") or {},
        keptFrom=doc.get("keptFrom", 0),
        archivedThrough=doc.get("archivedThrough", 0),
        blockedBy=doc.get("blockedBy") or [],
    )


@translated
class MongoConversationStore:
    def __init__(self, db: Any) -> None:
        self._conversations = db["conversations"]

    def create(self, conversation: Conversation, direct_key: str | None = None) -> Conversation:
        doc = conversation.model_dump(exclude={"id", "unreadCount", "mentionCount", "archived", "muted", "mutedUntil"})
        doc.update(_id=conversation.id, lastActivityAt=conversation.createdAt, lastMessageSeq=0)
        if direct_key is not None:
            doc["directKey"] = direct_key
        try:
            self._conversations.insert_one(doc)
        except DuplicateKeyError:
            if direct_key is None:
                raise
            # Both users opened the chat at once: the unique key picked a winner.
            existing = self.find_direct(direct_key)
            if existing is None:
                raise
            return existing
        return conversation

    def get(self, conversation_id: str) -> Conversation | None:
        doc = self._conversations.find_one({"_id": conversation_id}, WITHOUT_LOG)
        return conversation_from(doc) if doc else None

    def find_direct(self, direct_key: str) -> Conversation | None:
        doc = self._conversations.find_one({"directKey": direct_key}, WITHOUT_LOG)
        return conversation_from(doc) if doc else None

    def change_log(self, conversation_id: str) -> tuple[Conversation, list[tuple[int, str]]] | None:
        doc = self._conversations.find_one({"_id": conversation_id})
        if doc is None:
            return None
        log = doc.get("changes") or []
        first = doc.get("version", 0) - len(log) + 1
        return conversation_from(doc), [(first + index, message_id) for index, message_id in enumerate(log)]

    def list_for_member(
        self, user_id: str, limit: int, after: ConversationCursor | None, *, archived: bool = False
    ) -> list[Conversation]:
        # Archived: the user's mark is at or above the last message's seq (no mark reads as -1).
        # A filter on the fetched documents, not on the index: the index walks the user's
        # conversations by activity, and those on the other side are skipped (docs/API.md counts it).
        mark = {"$ifNull": [f"$archivedBy.{user_id}", -1]}
        last = {"$ifNull": ["$lastMessageSeq", 0]}
        query: Document = {"memberIds": user_id, "$expr": {"$lte" if archived else "$gt": [last, mark]}}
        if after is not None:
            query["$or"] = [
                {"lastActivityAt": {"$lt": after.last_activity_at}},
                {"lastActivityAt": after.last_activity_at, "_id": {"$lt": after.conversation_id}},
            ]
        cursor = (
            self._conversations.find(query, WITHOUT_LOG)
            .sort([("lastActivityAt", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [conversation_from(doc) for doc in cursor]

    def set_archived(
        self, conversation_id: str, user_id: str, archived: bool
    ) -> tuple[Conversation, Conversation] | None:
        path = f"archivedBy.{user_id}"
        # The mark is the last message's seq as the write finds it (a pipeline update), so a
        # message recorded a moment later is above it and brings the conversation back.
        update: Any = [{"$set": {path: {"$ifNull": ["$lastMessageSeq", 0]}}}] if archived else {"$unset": {path: ""}}
        doc = self._conversations.find_one_and_update(
            {"_id": conversation_id, "memberIds": user_id},
            update,
            projection=WITHOUT_LOG,
            return_document=ReturnDocument.BEFORE,
        )
        if doc is None:
            return None
        before = conversation_from(doc)
        marks = {u: seq for u, seq in before.archivedBy.items() if u != user_id}
        if archived:
            marks[user_id] = doc.get("lastMessageSeq", 0)
        return before, before.model_copy(update={"archivedBy": marks})

    def set_muted(
        self, conversation_id: str, user_id: str, muted: bool, until: datetime | None = None
    ) -> tuple[Conversation, Conversation] | None:
        path = f"mutedBy.{user_id}"  # present with None: muted until unmuted
        doc = self._conversations.find_one_and_update(
            {"_id": conversation_id, "memberIds": user_id},
            {"$set": {path: until}} if muted else {"$unset": {path: ""}},
            projection=WITHOUT_LOG,
            return_document=ReturnDocument.BEFORE,
        )
        if doc is None:
            return None
        before = conversation_from(doc)
        mutes = {u: t for u, t in before.mutedBy.items() if u != user_id}
        if muted:
            mutes[user_id] = until
        return before, before.model_copy(update={"mutedBy": mutes})

    def _allocate(self, query: Document) -> SeqAllocation | None:
        # A direct chat either member blocked takes no message: refused in the same atomic update.
        doc = self._conversations.find_one_and_update(
            {**query, "blockedBy.0": {"$exists": False}},
            {"$inc": {"lastSeq": 1}},
            projection={"lastSeq": 1, "memberIds": 1, "type": 1},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        return SeqAllocation(
            conversation_id=doc["_id"],
            seq=doc["lastSeq"],
            member_ids=doc["memberIds"],
            conversation_type=doc["type"],
        )

    def allocate_seq(self, conversation_id: str, sender_id: str) -> SeqAllocation | None:
        # Membership check and seq in one atomic single-document update.
        return self._allocate({"_id": conversation_id, "memberIds": sender_id})

    def allocate_direct_seq(self, direct_key: str) -> SeqAllocation | None:
        return self._allocate({"directKey": direct_key})

    def set_direct_block(self, direct_key: str, blocker_id: str, blocked: bool) -> None:
        # Not a change of the conversation (no version): only who may send in it.
        update = {"$addToSet": {"blockedBy": blocker_id}} if blocked else {"$pull": {"blockedBy": blocker_id}}
        self._conversations.update_one({"directKey": direct_key}, update)

    def record_change(self, message: Message, *, new: bool) -> int:
        logged = _logged(message.id)
        preview = {
            "lastMessage": message_document(message),
            "lastMessageSeq": message.seq,
            **({"lastActivityAt": message.createdAt} if new else {}),
        }
        # Conditional on seq, so a slower concurrent send never overwrites a newer preview;
        # when the preview is not this message's to change, only the version and log move.
        seq_test = {"$lt": message.seq} if new else message.seq
        recorded = self._conversations.find_one_and_update(
            {"_id": message.conversationId, "lastMessageSeq": seq_test},
            {**logged, "$set": preview},
            projection={"version": 1},
            return_document=ReturnDocument.AFTER,
        )
        if recorded is None:
            recorded = self._conversations.find_one_and_update(
                {"_id": message.conversationId},
                logged,
                projection={"version": 1},
                return_document=ReturnDocument.AFTER,
            )
        return int(recorded["version"]) if recorded else 0

    def add_members(
        self, conversation_id: str, admin_id: str, user_ids: list[str], max_members: int
    ) -> Conversation | None:
        doc = self._conversations.find_one_and_update(
            {
                "_id": conversation_id,
                "type": "group",
                "memberIds": admin_id,
                "$or": [{"adminIds": admin_id}, {"adminIds": {"$exists": False}, "createdBy": admin_id}],
                # Room for all of them, counting any who are members already as new.
                f"memberIds.{max_members - len(user_ids)}": {"$exists": False},
            },
            {
                "$addToSet": {"memberIds": {"$each": user_ids}},
                "$unset": {f"formerMembers.{user_id}": "" for user_id in user_ids},
                "$pull": {"formerMemberIds": {"$in": user_ids}},
                **_logged(""),
            },
            projection=WITHOUT_LOG,
            return_document=ReturnDocument.AFTER,
        )
        return conversation_from(doc) if doc else None

    def remove_member(self, conversation_id: str, user_id: str, at_seq: int) -> Conversation | None:
        doc = self._conversations.find_one_and_update(
            {"_id": conversation_id, "type": "group", "memberIds": user_id, "lastSeq": at_seq},
            {
                "$pull": {"memberIds": user_id, "adminIds": user_id},
                "$set": {f"formerMembers.{user_id}": at_seq},
                # The same people as formerMembers' keys, as an indexed array: search finds them by it.
                "$addToSet": {"formerMemberIds": user_id},
                "$unset": {f"receipts.{user_id}": ""},
                **_logged(""),
            },
            projection=WITHOUT_LOG,
            return_document=ReturnDocument.AFTER,
        )
        return conversation_from(doc) if doc else None

    def make_admin(self, conversation_id: str, user_id: str) -> Conversation | None:
        doc = self._conversations.find_one_and_update(
            {
                "_id": conversation_id,
                "memberIds": user_id,
                "$or": [{"adminIds": {"$size": 0}}, {"adminIds": {"$exists": False}}],
            },
            {"$set": {"adminIds": [user_id]}, **_logged("")},
            projection=WITHOUT_LOG,
            return_document=ReturnDocument.AFTER,
        )
        return conversation_from(doc) if doc else None

    def rename(self, conversation_id: str, admin_id: str, name: str) -> Conversation | None:
        doc = self._conversations.find_one_and_update(
            {
                "_id": conversation_id,
                "type": "group",
                "memberIds": admin_id,
                "$or": [{"adminIds": admin_id}, {"adminIds": {"$exists": False}, "createdBy": admin_id}],
            },
            {"$set": {"name": name}, **_logged("")},
            projection=WITHOUT_LOG,
            return_document=ReturnDocument.AFTER,
        )
        return conversation_from(doc) if doc else None

    def readable_by(self, user_id: str) -> dict[str, int | None]:
        # Both branches of the $match on an index (memberIds leads member_recent_activity;
        # former_members); of each conversation only its id, whether the user is a member now
        # and, for one they left, the last seq they may read. Fails closed: a conversation that
        # names them in formerMemberIds with no seq recorded (and no longer as a member) is left
        # out, never read as "all of it".
        path = f"formerMembers.{user_id}"
        docs = self._conversations.aggregate(
            [
                {"$match": {"$or": [{"memberIds": user_id}, {"formerMemberIds": user_id}]}},
                {"$project": {"_id": 1, path: 1, "member": {"$in": [user_id, {"$ifNull": ["$memberIds", []]}]}}},
            ]
        )
        readable: dict[str, int | None] = {}
        for doc in docs:
            up_to = (doc.get("formerMembers") or {}).get(user_id)
            if up_to is not None:
                readable[doc["_id"]] = int(up_to)
            elif doc.get("member"):
                readable[doc["_id"]] = None
        return readable

    def sharing_with(self, user_id: str, others: list[str]) -> set[str]:
        if not others:
            return set()
        # On the memberIds index; each conversation found brings its members, kept only if asked about.
        shared = self._conversations.distinct(
            "memberIds", {"$and": [{"memberIds": user_id}, {"memberIds": {"$in": others}}]}
        )
        return {str(member) for member in shared} & set(others)

    def presence_audience(self, user_id: str, max_group_size: int) -> list[str]:
        small = {"$or": [{"type": "direct"}, {f"memberIds.{max_group_size}": {"$exists": False}}]}
        return [str(member) for member in self._conversations.distinct("memberIds", {"memberIds": user_id, **small})]


def _logged(message_id: str) -> Document:
    """The part of an update that counts a change: the version goes up by one and the log
    gains one entry (the message's id, or "" for a change to the conversation itself), so
    entry i of a log of n is version - n + 1 + i."""
    return {"$inc": {"version": 1}, "$push": {"changes": {"$each": [message_id], "$slice": -CHANGE_LOG_SIZE}}}


def _receipt_id(conversation_id: str, user_id: str) -> str:
    return f"{conversation_id}:{user_id}"


@translated
class MongoReceiptStore:
    def __init__(self, db: Any) -> None:
        self._receipts = db["receipts"]

    def advance(self, conversation_id: str, user_id: str, delivered: int, read: int) -> tuple[Receipt, Receipt]:
        delivered = max(delivered, read)
        # An equality-only filter, so MongoDB retries the upsert itself when two first
        # receipts race to insert the record; $max never moves a cursor back.
        before = self._receipts.find_one_and_update(
            {"_id": _receipt_id(conversation_id, user_id)},
            {
                "$max": {"deliveredSeq": delivered, "readSeq": read},
                "$setOnInsert": {"conversationId": conversation_id, "userId": user_id},
            },
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        was = _receipt(before) if before else Receipt()
        return was, Receipt(deliveredSeq=max(was.deliveredSeq, delivered), readSeq=max(was.readSeq, read))

    def of_conversation(self, conversation_id: str) -> dict[str, Receipt]:
        docs = self._receipts.find({"conversationId": conversation_id})
        return {doc["userId"]: _receipt(doc) for doc in docs}

    def visible_to(self, reader_id: str, conversations: list[Conversation]) -> dict[str, dict[str, Receipt]]:
        direct = [c.id for c in conversations if c.type == "direct"]
        own = [_receipt_id(c.id, reader_id) for c in conversations if c.type == "group"]
        branches = ([{"conversationId": {"$in": direct}}] if direct else []) + ([{"_id": {"$in": own}}] if own else [])
        visible: dict[str, dict[str, Receipt]] = {}
        if branches:
            for doc in self._receipts.find({"$or": branches}):
                visible.setdefault(doc["conversationId"], {})[doc["userId"]] = _receipt(doc)
        return visible


def _receipt(doc: Document) -> Receipt:
    return Receipt(deliveredSeq=doc.get("deliveredSeq", 0), readSeq=doc.get("readSeq", 0))
