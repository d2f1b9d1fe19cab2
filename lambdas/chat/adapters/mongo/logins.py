"""Logins in MongoDB, apart from the other stores: the WebSocket authorizer reads them on
every handshake, and this module keeps its cold start to pymongo alone (no models)."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chat.adapters.mongo.client import translated

if TYPE_CHECKING:
    from chat.models.ports import LoginState


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
        if login_ids is None:  # log out everywhere: the user's logins (index by_user), and a mark
            self._logins.update_many({"userId": user_id, "endedAt": None}, {"$set": {"endedAt": at}})
            # ...for logins not on record, which no update can reach (see ended_everywhere).
            self._logins.update_one(
                {"_id": _everywhere(user_id)},
                {"$set": {"endedAt": at, "expiresAt": keep_until}, "$setOnInsert": {"userId": user_id}},
                upsert=True,
            )
            return
        for login_id in login_ids:  # one, in practice
            # Filtered on _id alone, so MongoDB retries the upsert itself if a start races it.
            self._logins.update_one(
                {"_id": login_id},
                {"$set": {"endedAt": at}, "$setOnInsert": {"userId": user_id, "expiresAt": keep_until}},
                upsert=True,
            )

    def ended_everywhere(self, user_id: str) -> bool:
        return self._logins.find_one({"_id": _everywhere(user_id)}, {"_id": 1}) is not None

    def state(self, login_id: str, user_id: str) -> "LoginState":
        login = self._logins.find_one({"_id": login_id}, {"userId": 1, "endedAt": 1})
        if login is None or login["userId"] != user_id:
            return "unknown"
        return "going on" if login["endedAt"] is None else "ended"

    def going_on_among(self, login_ids: list[str]) -> set[str]:
        found = self._logins.find({"_id": {"$in": login_ids}, "endedAt": None}, {"_id": 1})
        return {login["_id"] for login in found}


def _everywhere(user_id: str) -> str:
    # Login ids are hex: this can never be one.
    return f"everywhere:{user_id}"
