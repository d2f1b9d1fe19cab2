"""Blocks in MongoDB: one document per (blocker, blocked) pair, `_id` "<blocker>:<blocked>", so
"did X block Y" is a point read and blocking twice is one document."""

from datetime import datetime
from typing import Any

from pymongo import DESCENDING

from chat.adapters.mongo.client import translated


def _block_id(blocker_id: str, blocked_id: str) -> str:
    return f"{blocker_id}:{blocked_id}"


@translated
class MongoBlockStore:
    def __init__(self, db: Any) -> None:
        self._blocks = db["blocks"]

    def block(self, blocker_id: str, blocked_id: str, at: datetime, max_blocks: int) -> bool:
        # Two round trips: the count (on the by_blocker index, stopping at the cap), then the upsert.
        # Blocks made at the same instant by one user may pass the cap by their number: a bound on
        # abuse, not an exact count.
        key = _block_id(blocker_id, blocked_id)
        if self._blocks.count_documents({"blockerId": blocker_id}, limit=max_blocks) >= max_blocks:
            return self._blocks.find_one({"_id": key}, {"_id": 1}) is not None  # already so: no change
        self._blocks.update_one(
            {"_id": key},
            {"$setOnInsert": {"blockerId": blocker_id, "blockedId": blocked_id, "createdAt": at}},
            upsert=True,
        )
        return True

    def unblock(self, blocker_id: str, blocked_id: str) -> None:
        self._blocks.delete_one({"_id": _block_id(blocker_id, blocked_id)})

    def blocked_by(self, blocker_id: str, limit: int) -> list[str]:
        docs = self._blocks.find({"blockerId": blocker_id}, {"blockedId": 1}).sort("createdAt", DESCENDING)
        return [str(doc["blockedId"]) for doc in docs.limit(limit)]

    def blockers_among(self, user_ids: list[str], blocked_id: str) -> set[str]:
        if not user_ids:
            return set()
        return {str(doc["_id"]).partition(":")[0] for doc in self._find_ids(user_ids, blocked_id, blocked_side=True)}

    def blocked_among(self, blocker_id: str, user_ids: list[str]) -> set[str]:
        if not user_ids:
            return set()
        return {str(doc["_id"]).partition(":")[2] for doc in self._find_ids(user_ids, blocker_id, blocked_side=False)}

    def between(self, user_a: str, user_b: str) -> set[str]:
        pairs = [_block_id(user_a, user_b), _block_id(user_b, user_a)]
        return {str(doc["_id"]).partition(":")[0] for doc in self._blocks.find({"_id": {"$in": pairs}}, {"_id": 1})}

    def _find_ids(self, user_ids: list[str], user_id: str, *, blocked_side: bool) -> Any:
        # Point reads by _id, batched: one round trip for any number of pairs.
        pairs = [_block_id(other, user_id) if blocked_side else _block_id(user_id, other) for other in user_ids]
        return self._blocks.find({"_id": {"$in": pairs}}, {"_id": 1})
