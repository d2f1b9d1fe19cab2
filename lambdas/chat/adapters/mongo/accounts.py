"""Users and their refresh tokens in MongoDB. (Logins are in logins.py, apart.)"""

import re
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from chat.adapters.mongo.client import translated
from chat.adapters.mongo.documents import Document
from chat.models.chat import User
from chat.models.errors import UsernameTaken
from chat.models.ports import Credentials, RefreshGrant


def user_from(doc: Document) -> User:
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
        return Credentials(user=user_from(doc), password_hash=doc["passwordHash"]) if doc else None

    def update_password_hash(self, user_id: str, password_hash: str) -> None:
        self._users.update_one({"_id": user_id}, {"$set": {"passwordHash": password_hash}})

    def get_user(self, user_id: str) -> User | None:
        doc = self._users.find_one({"_id": user_id}, {"passwordHash": 0})
        return user_from(doc) if doc else None

    def get_users(self, user_ids: list[str]) -> list[User]:
        if not user_ids:
            return []
        return [user_from(doc) for doc in self._users.find({"_id": {"$in": user_ids}}, {"passwordHash": 0})]

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
        return user_from(doc) if doc else None

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
        return user_from(doc) if doc else None

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
        return [user_from(doc) for doc in cursor]

    def members_named(self, usernames: list[str], member_ids: list[str]) -> dict[str, str]:
        if not usernames or not member_ids:
            return {}
        # On the unique username index; the member filter keeps the answer to those who count.
        docs = self._users.find(
            {"usernameLower": {"$in": usernames}, "_id": {"$in": member_ids}}, {"_id": 1, "usernameLower": 1}
        )
        return {doc["usernameLower"]: doc["_id"] for doc in docs}


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
