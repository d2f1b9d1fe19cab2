"""WebSocket connections in MongoDB: who is connected, and on which sockets."""

from datetime import datetime, timedelta
from typing import Any

from pymongo import DESCENDING

from chat.adapters.mongo.client import translated
from chat.adapters.mongo.documents import Document
from chat.models.chat import Connection

# API Gateway closes a WebSocket after 2 hours; a connection record that
# outlives that (a missed $disconnect) expires on its own.
CONNECTION_TTL_SECONDS = 3 * 60 * 60


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
