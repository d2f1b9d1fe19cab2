"""Short-lived counters in MongoDB, one document per key, each gone when its window is
over (a TTL index): rate limits, failed-login windows and the typing throttle."""

from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from chat.adapters.mongo.client import translated


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
