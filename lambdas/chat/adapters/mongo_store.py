"""The MongoDB adapters: the only code that speaks pymongo. Every method is
one round trip unless its docstring says otherwise."""

import re
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from chat.adapters.indexes import CONNECTION_TTL_SECONDS
from chat.adapters.mongo import translated
from chat.models.chat import Attachment, Connection, Conversation, Message, Receipt, User
from chat.models.errors import UsernameTaken
from chat.models.ports import (
    ConversationCursor,
    Credentials,
    DuplicateMessage,
    HistorySlice,
    MediaUpload,
    RefreshGrant,
    SeqAllocation,
)

Document = dict[str, Any]


def _user(doc: Document) -> User:
    return User(
        id=doc["_id"],
        username=doc["username"],
        displayName=doc["displayName"],
        createdAt=doc["createdAt"],
        avatarUrl=doc.get("avatarUrl"),
        online=doc.get("online", False),
        lastSeenAt=doc.get("lastSeenAt"),
        notificationPreviews=doc.get("notificationPreviews", True),
    )


def _message_doc(message: Message) -> Document:
    # Attachment URLs are signed per read, never stored.
    doc = message.model_dump(exclude={"attachments": {"__all__": {"url"}}})
    doc["_id"] = doc.pop("id")
    return doc


def _message(doc: Document) -> Message:
    return Message(
        id=doc["_id"],
        conversationId=doc["conversationId"],
        senderId=doc["senderId"],
        text=doc["text"],
        clientMsgId=doc["clientMsgId"],
        seq=doc["seq"],
        createdAt=doc["createdAt"],
        attachments=[Attachment(**a) for a in doc.get("attachments") or ()],
        editedAt=doc.get("editedAt"),
        deletedAt=doc.get("deletedAt"),
        # A reaction taken back can leave an empty list for a moment: it is no reaction.
        reactions={emoji: users for emoji, users in (doc.get("reactions") or {}).items() if users},
        revision=doc.get("revision", 0),
    )


def _conversation(doc: Document) -> Conversation:
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
        lastMessage=_message(last) if last else None,
        adminIds=admins,
        receipts={user: Receipt(**cursors) for user, cursors in (doc.get("receipts") or {}).items()},
        version=doc.get("version", 0),
        formerMembers=doc.get("formerMembers") or {},
        archivedBy=doc.get("archivedBy") or {},
        mutedBy=doc.get("mutedBy") or {},
        keptFrom=doc.get("keptFrom", 0),
        archivedThrough=doc.get("archivedThrough", 0),
    )


# The change log rides on the conversation document; reads that do not need it leave it out.
WITHOUT_LOG = {"changes": 0}
CHANGE_LOG_SIZE = 256


@translated
class MongoUserStore:
    def __init__(self, db: Any) -> None:
        self._users = db["users"]

    def create_user(self, user: User, password_hash: str) -> None:
        try:
            self._users.insert_one(
                {
                    "_id": user.id,
                    "username": user.username,
                    "usernameLower": user.username.lower(),
                    "displayName": user.displayName,
                    "displayNameLower": user.displayName.lower(),
                    "passwordHash": password_hash,
                    "createdAt": user.createdAt,
                }
            )
        except DuplicateKeyError as error:
            raise UsernameTaken(f"The username {user.username!r} is taken.") from error

    def find_credentials(self, username: str) -> Credentials | None:
        doc = self._users.find_one({"usernameLower": username.lower()})
        return Credentials(user=_user(doc), password_hash=doc["passwordHash"]) if doc else None

    def update_password_hash(self, user_id: str, password_hash: str) -> None:
        self._users.update_one({"_id": user_id}, {"$set": {"passwordHash": password_hash}})

    def get_user(self, user_id: str) -> User | None:
        doc = self._users.find_one({"_id": user_id}, {"passwordHash": 0})
        return _user(doc) if doc else None

    def get_users(self, user_ids: list[str]) -> list[User]:
        if not user_ids:
            return []
        return [_user(doc) for doc in self._users.find({"_id": {"$in": user_ids}}, {"passwordHash": 0})]

    def mark_online(self, user_id: str) -> bool:
        marked = self._users.update_one({"_id": user_id, "online": {"$ne": True}}, {"$set": {"online": True}})
        return bool(marked.modified_count == 1)

    def mark_offline(self, user_id: str, at: datetime) -> User | None:
        doc = self._users.find_one_and_update(
            {"_id": user_id, "online": True},
            {"$set": {"online": False, "lastSeenAt": at}},
            projection={"passwordHash": 0},
            return_document=ReturnDocument.AFTER,
        )
        return _user(doc) if doc else None

    def update_profile(self, user_id: str, changes: dict[str, str | bool | None]) -> User | None:
        update: Document = {"$set": {}, "$unset": {}}
        for name, value in changes.items():
            if value is None:
                update["$unset"][name] = ""
            else:
                update["$set"][name] = value
                if name == "displayName" and isinstance(value, str):
                    update["$set"]["displayNameLower"] = value.lower()
        doc = self._users.find_one_and_update(
            {"_id": user_id},
            {op: fields for op, fields in update.items() if fields},
            projection={"passwordHash": 0},
            return_document=ReturnDocument.AFTER,
        )
        return _user(doc) if doc else None

    def existing_user_ids(self, user_ids: list[str]) -> set[str]:
        return {doc["_id"] for doc in self._users.find({"_id": {"$in": user_ids}}, {"_id": 1})}

    def search_users(self, prefix: str | None, exclude_id: str, limit: int, after: str | None) -> list[User]:
        query: Document = {"_id": {"$ne": exclude_id}}
        if prefix:
            # An anchored, escaped, case-folded prefix: index-backed and never a pattern of the caller's.
            # NUL goes in as the four characters \x00: MongoDB refuses a pattern holding the byte.
            pattern = "^" + re.escape(prefix.lower()).replace("\x00", "\\x00")
            query["$or"] = [{"usernameLower": {"$regex": pattern}}, {"displayNameLower": {"$regex": pattern}}]
        if after is not None:
            query["usernameLower"] = {"$gt": after}
        cursor = self._users.find(query, {"passwordHash": 0}).sort("usernameLower", ASCENDING).limit(limit)
        return [_user(doc) for doc in cursor]


@translated
class MongoRefreshTokenStore:
    def __init__(self, db: Any) -> None:
        self._tokens = db["refresh_tokens"]

    def save(self, token_hash: str, grant: RefreshGrant, expires_at: datetime) -> None:
        self._tokens.insert_one(
            {
                "_id": token_hash,
                "userId": grant.user_id,
                "familyId": grant.family_id,
                "loggedInAt": grant.logged_in_at,
                "expiresAt": expires_at,
                "usedAt": None,
            }
        )

    def consume(self, token_hash: str, now: datetime) -> RefreshGrant | None:
        doc = self._tokens.find_one_and_update(
            # (revokedAt: set on tokens of logins ended before logins were recorded.)
            {"_id": token_hash, "usedAt": None, "revokedAt": None, "expiresAt": {"$gt": now}},
            {"$set": {"usedAt": now}},
        )
        return _grant(doc) if doc is not None else None

    def grant_of(self, token_hash: str) -> RefreshGrant | None:
        doc = self._tokens.find_one({"_id": token_hash}, {"userId": 1, "familyId": 1, "loggedInAt": 1})
        return _grant(doc) if doc else None

    def spent(self, token_hash: str) -> RefreshGrant | None:
        doc = self._tokens.find_one(
            {"_id": token_hash, "usedAt": {"$ne": None}}, {"userId": 1, "familyId": 1, "loggedInAt": 1}
        )
        return _grant(doc) if doc else None


def _grant(doc: Document) -> RefreshGrant:
    return RefreshGrant(user_id=doc["userId"], family_id=doc["familyId"], logged_in_at=doc.get("loggedInAt"))


@translated
class MongoRateLimitStore:
    def __init__(self, db: Any) -> None:
        self._buckets = db["rate_limits"]

    def take(self, key: str, capacity: int, per_second: float, now: datetime) -> float | None:
        # One atomic update (an aggregation pipeline): refill for the time since the last
        # take, capped at the capacity, then take a token if there is a whole one.
        at = now.timestamp()
        elapsed = {"$max": [0, {"$subtract": [at, {"$ifNull": ["$at", at]}]}]}
        refilled = {
            "$min": [capacity, {"$add": [{"$ifNull": ["$tokens", capacity]}, {"$multiply": [elapsed, per_second]}]}]
        }
        update = [
            {"$set": {"tokens": refilled}},
            {"$set": {"taken": {"$gte": ["$tokens", 1]}}},
            {
                "$set": {
                    "tokens": {"$cond": ["$taken", {"$subtract": ["$tokens", 1]}, "$tokens"]},
                    # Never back: a container whose clock is behind must not hand out time again.
                    "at": {"$max": [{"$ifNull": ["$at", at]}, at]},
                    # An idle bucket is full again after this: then it can go.
                    "expiresAt": now + timedelta(seconds=capacity / per_second),
                }
            },
        ]
        try:
            bucket = self._buckets.find_one_and_update(
                {"_id": key}, update, upsert=True, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:  # two first takes raced to create it (servers before 4.2 do not retry)
            bucket = self._buckets.find_one_and_update(
                {"_id": key}, update, upsert=True, return_document=ReturnDocument.AFTER
            )
        return None if bucket["taken"] else (1 - bucket["tokens"]) / per_second


@translated
class MongoLoginAttemptStore:
    def __init__(self, db: Any) -> None:
        self._attempts = db["login_failures"]

    def reserve(self, key: str, now: datetime, window: timedelta, limit: int) -> datetime | None:
        for _ in range(2):
            # An open window with attempts left: take one.
            taken = self._attempts.find_one_and_update(
                {"_id": key, "expiresAt": {"$gt": now}, "count": {"$lt": limit}}, {"$inc": {"count": 1}}
            )
            if taken is not None:
                return None
            # No open window: this attempt opens one. An open one (full, or opened just now by
            # a concurrent attempt) makes the filter miss and the insert collide on _id.
            try:
                self._attempts.update_one(
                    {"_id": key, "expiresAt": {"$lte": now}},
                    {"$set": {"count": 1, "expiresAt": now + window}},
                    upsert=True,
                )
                return None
            except DuplicateKeyError:
                continue  # once more: a window a concurrent attempt opened may have room
        full = self._attempts.find_one({"_id": key}, {"expiresAt": 1})
        return full["expiresAt"] if full else now + window

    def clear(self, key: str) -> None:
        self._attempts.delete_one({"_id": key})


@translated
class MongoConversationStore:
    def __init__(self, db: Any) -> None:
        self._conversations = db["conversations"]

    def create(self, conversation: Conversation, direct_key: str | None = None) -> Conversation:
        doc = conversation.model_dump(exclude={"id", "unreadCount", "archived", "muted", "mutedUntil"})
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
        return _conversation(doc) if doc else None

    def find_direct(self, direct_key: str) -> Conversation | None:
        doc = self._conversations.find_one({"directKey": direct_key}, WITHOUT_LOG)
        return _conversation(doc) if doc else None

    def change_log(self, conversation_id: str) -> tuple[Conversation, list[tuple[int, str]]] | None:
        doc = self._conversations.find_one({"_id": conversation_id})
        if doc is None:
            return None
        log = doc.get("changes") or []
        first = doc.get("version", 0) - len(log) + 1
        return _conversation(doc), [(first + index, message_id) for index, message_id in enumerate(log)]

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
        return [_conversation(doc) for doc in cursor]

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
        before = _conversation(doc)
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
        before = _conversation(doc)
        mutes = {u: t for u, t in before.mutedBy.items() if u != user_id}
        if muted:
            mutes[user_id] = until
        return before, before.model_copy(update={"mutedBy": mutes})

    def _allocate(self, query: Document) -> SeqAllocation | None:
        doc = self._conversations.find_one_and_update(
            query,
            {"$inc": {"lastSeq": 1}},
            projection={"lastSeq": 1, "memberIds": 1},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        return SeqAllocation(conversation_id=doc["_id"], seq=doc["lastSeq"], member_ids=doc["memberIds"])

    def allocate_seq(self, conversation_id: str, sender_id: str) -> SeqAllocation | None:
        # Membership check and seq in one atomic single-document update.
        return self._allocate({"_id": conversation_id, "memberIds": sender_id})

    def allocate_direct_seq(self, direct_key: str) -> SeqAllocation | None:
        return self._allocate({"directKey": direct_key})

    def record_change(self, message: Message, *, new: bool) -> int:
        logged = _logged(message.id)
        preview = {
            "lastMessage": _message_doc(message),
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
                **_logged(""),
            },
            projection=WITHOUT_LOG,
            return_document=ReturnDocument.AFTER,
        )
        return _conversation(doc) if doc else None

    def remove_member(self, conversation_id: str, user_id: str, at_seq: int) -> Conversation | None:
        doc = self._conversations.find_one_and_update(
            {"_id": conversation_id, "type": "group", "memberIds": user_id, "lastSeq": at_seq},
            {
                "$pull": {"memberIds": user_id, "adminIds": user_id},
                "$set": {f"formerMembers.{user_id}": at_seq},
                "$unset": {f"receipts.{user_id}": ""},
                **_logged(""),
            },
            projection=WITHOUT_LOG,
            return_document=ReturnDocument.AFTER,
        )
        return _conversation(doc) if doc else None

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
        return _conversation(doc) if doc else None

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
        return _conversation(doc) if doc else None

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


@translated
class MongoMessageStore:
    def __init__(self, db: Any) -> None:
        self._messages = db["messages"]

    def insert(self, message: Message) -> None:
        try:
            self._messages.insert_one(_message_doc(message))
        except DuplicateKeyError as error:
            raise DuplicateMessage(message.clientMsgId) from error

    def find_by_client_msg_id(self, conversation_id: str, sender_id: str, client_msg_id: str) -> Message | None:
        doc = self._messages.find_one(
            {"conversationId": conversation_id, "senderId": sender_id, "clientMsgId": client_msg_id}
        )
        return _message(doc) if doc else None

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
        return HistorySlice(
            messages=[_message(doc) for doc in docs if not doc.get("skipped")],
            skipped={doc["seq"] for doc in docs if doc.get("skipped")},
        )

    def get(self, message_id: str) -> Message | None:
        doc = self._messages.find_one({"_id": message_id, "skipped": {"$ne": True}})
        return _message(doc) if doc else None

    def get_many(self, message_ids: list[str]) -> list[Message]:
        docs = self._messages.find({"_id": {"$in": message_ids}, "skipped": {"$ne": True}}).sort("seq", ASCENDING)
        return [_message(doc) for doc in docs]

    def _change(self, query: Document, update: Document) -> Message | None:
        doc = self._messages.find_one_and_update(
            query, {**update, "$inc": {"revision": 1}}, return_document=ReturnDocument.AFTER
        )
        return _message(doc) if doc else None

    def edit(self, message_id: str, sender_id: str, text: str, at: datetime) -> Message | None:
        return self._change(
            {"_id": message_id, "senderId": sender_id, "deletedAt": None}, {"$set": {"text": text, "editedAt": at}}
        )

    def delete(self, message_id: str, sender_id: str, at: datetime) -> Message | None:
        return self._change(
            {"_id": message_id, "senderId": sender_id, "deletedAt": None},
            {"$set": {"text": "", "attachments": [], "reactions": {}, "deletedAt": at}},
        )

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

    def unread_counts(self, reader_id: str, read_seqs: dict[str, int]) -> dict[str, int]:
        if not read_seqs:
            return {}
        # One round trip for a whole page of conversations, each branch on the (conversationId, seq) index.
        counted = self._messages.aggregate(
            [
                {
                    "$match": {
                        "$or": [{"conversationId": cid, "seq": {"$gt": seq}} for cid, seq in read_seqs.items()],
                        "senderId": {"$nin": [reader_id, ""]},
                        "deletedAt": None,
                    }
                },
                {"$group": {"_id": "$conversationId", "unread": {"$sum": 1}}},
            ]
        )
        return {doc["_id"]: doc["unread"] for doc in counted}


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


@translated
class MongoConnectionStore:
    def __init__(self, db: Any) -> None:
        self._connections = db["connections"]

    def add(self, connection: Connection, connected_at: datetime) -> None:
        self._connections.replace_one(
            {"_id": connection.connectionId},
            {
                "userId": connection.userId,
                "loginId": connection.loginId,
                "connectedAt": connected_at,
                "expiresAt": connected_at + timedelta(seconds=CONNECTION_TTL_SECONDS),
            },
            upsert=True,
        )

    def remove(self, connection_ids: list[str], connected_before: datetime | None = None) -> None:
        if not connection_ids:
            return
        query: Document = {"_id": {"$in": connection_ids}}
        if connected_before is not None:
            query["connectedAt"] = {"$lt": connected_before}
        self._connections.delete_many(query)

    def for_users(self, user_ids: list[str]) -> list[Connection]:
        cursor = self._connections.find({"userId": {"$in": user_ids}}, {"userId": 1, "loginId": 1})
        return [Connection(connectionId=doc["_id"], userId=doc["userId"], loginId=doc.get("loginId")) for doc in cursor]

    def has_any(self, user_id: str) -> bool:
        return self._connections.find_one({"userId": user_id}, {"_id": 1}) is not None

    def oldest_beyond(self, user_id: str, keep: int) -> list[str]:
        newest_first = self._connections.find({"userId": user_id}, {"_id": 1}).sort("connectedAt", DESCENDING)
        return [doc["_id"] for doc in newest_first.skip(keep)][::-1]


def _media_upload(doc: Document) -> MediaUpload:
    return MediaUpload(
        media_id=doc["_id"],
        owner_id=doc["ownerId"],
        purpose=doc["purpose"],
        conversation_id=doc.get("conversationId"),
        upload_key=doc["uploadKey"],
        name=doc["name"],
        content_type=doc["contentType"],
        max_size=doc["maxSize"],
        created_at=doc["createdAt"],
        published_key=doc.get("publishedKey"),
        size=doc.get("size"),
        width=doc.get("width"),
        height=doc.get("height"),
    )


@translated
class MongoMediaStore:
    def __init__(self, db: Any) -> None:
        self._media = db["media"]

    def add(self, upload: MediaUpload, expires_at: datetime) -> None:
        self._media.insert_one(
            {
                "_id": upload.media_id,
                "ownerId": upload.owner_id,
                "purpose": upload.purpose,
                "conversationId": upload.conversation_id,
                "uploadKey": upload.upload_key,
                "name": upload.name,
                "contentType": upload.content_type,
                "maxSize": upload.max_size,
                "createdAt": upload.created_at,
                "expiresAt": expires_at,
            }
        )

    def get_many(self, media_ids: list[str]) -> list[MediaUpload]:
        return [_media_upload(doc) for doc in self._media.find({"_id": {"$in": media_ids}})]

    def mark_published(self, upload: MediaUpload) -> None:
        # Dropping expiresAt takes the record out of the TTL index: a published file is kept.
        self._media.update_one(
            {"_id": upload.media_id},
            {
                "$set": {
                    "publishedKey": upload.published_key,
                    "size": upload.size,
                    "width": upload.width,
                    "height": upload.height,
                },
                "$unset": {"expiresAt": ""},
            },
        )


@translated
class MongoTypingThrottle:
    def __init__(self, db: Any) -> None:
        self._windows = db["typing_windows"]

    def allow(self, key: str, now: datetime, interval: timedelta, shown: timedelta) -> bool:
        # Opens a window if none is open: an open one makes the filter miss, and the
        # upsert's insert then collides on _id. One single-document write either way.
        try:
            self._windows.update_one(
                {"_id": key, "until": {"$lte": now}},
                {"$set": {"until": now + interval, "expiresAt": now + shown}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    def reset(self, key: str, now: datetime) -> bool:
        # expiresAt is when the last start stops being shown (the TTL index removes it later).
        return bool(self._windows.delete_one({"_id": key, "expiresAt": {"$gt": now}}).deleted_count)
