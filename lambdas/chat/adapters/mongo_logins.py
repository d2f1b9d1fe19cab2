"""Logins in MongoDB, apart from the other stores: the WebSocket authorizer reads them on
every handshake, and this module keeps its cold start to pymongo alone (no models)."""

from datetime import datetime
from typing import Any

from chat.adapters.mongo import translated


@translated
class MongoLoginStore:
    def __init__(self, db: Any) -> None:
        self._logins = db["logins"]

    def start(self, login_id: str, user_id: str, ends_at: datetime) -> None:
        self._logins.update_one(
            {"_id": login_id},
            {"$setOnInsert": {"userId": user_id, "endedAt": None, "expiresAt": ends_at}},
            upsert=True,
        )

    def end(self, user_id: str, login_ids: list[str] | None, at: datetime, keep_until: datetime) -> None:
        if login_ids is None:
            self._logins.update_many({"userId": user_id, "endedAt": None}, {"$set": {"endedAt": at}})
            return
        for login_id in login_ids:  # one or two: the login being left, and the caller's
            self._logins.update_one(
                {"_id": login_id, "userId": user_id},
                {"$set": {"endedAt": at}, "$setOnInsert": {"expiresAt": keep_until}},
                upsert=True,
            )

    def is_going_on(self, login_id: str, user_id: str) -> bool:
        return self._logins.find_one({"_id": login_id, "userId": user_id, "endedAt": None}, {"_id": 1}) is not None
