"""Push subscriptions and the claims that keep a push from going twice, in MongoDB."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from chat.adapters.mongo.client import translated
from chat.adapters.mongo.documents import Document
from chat.models.ports import PushSubscription

DUPLICATE_KEY = 11000


def _subscription(doc: Document) -> PushSubscription:
    return PushSubscription(
        id=doc["_id"],
        user_id=doc["userId"],
        login_id=doc["loginId"],
        endpoint=doc["endpoint"],
        p256dh=doc["p256dh"],
        auth=doc["auth"],
        expires_at=doc.get("expiresAt"),
        created_at=doc["createdAt"],
    )


@translated
class MongoPushSubscriptionStore:
    def __init__(self, db: Any) -> None:
        self._subscriptions = db["push_subscriptions"]

    def save(self, subscription: PushSubscription, keep_at_most: int) -> bool:
        doc: Document = {
            "userId": subscription.user_id,
            "loginId": subscription.login_id,
            "endpoint": subscription.endpoint,
            "p256dh": subscription.p256dh,
            "auth": subscription.auth,
            "createdAt": subscription.created_at,
        }
        if subscription.expires_at is not None:
            doc["expiresAt"] = subscription.expires_at
        # One document per endpoint. It moves to another user only with the same keys: the same
        # browser, someone else logged in now. Other keys for someone else's endpoint find no
        # document to replace, and the insert the upsert tries meets the _id: refused.
        mine_or_same_browser = {
            "$or": [{"userId": subscription.user_id}, {"p256dh": subscription.p256dh, "auth": subscription.auth}]
        }
        try:
            self._subscriptions.replace_one({"_id": subscription.id, **mine_or_same_browser}, doc, upsert=True)
        except DuplicateKeyError:
            return False
        beyond = (
            self._subscriptions.find({"userId": subscription.user_id}, {"_id": 1})
            .sort([("createdAt", ASCENDING), ("_id", ASCENDING)])
            .limit(keep_at_most + 1)
        )
        ids = [found["_id"] for found in beyond]
        if len(ids) > keep_at_most:  # one over: the oldest goes (one save adds at most one)
            self._subscriptions.delete_one({"_id": ids[0], "userId": subscription.user_id})
        return True

    def delete(self, user_id: str, subscription_id: str) -> None:
        self._subscriptions.delete_one({"_id": subscription_id, "userId": user_id})

    def delete_ids(self, subscription_ids: list[str]) -> None:
        if subscription_ids:
            self._subscriptions.delete_many({"_id": {"$in": subscription_ids}})

    def for_users(self, user_ids: list[str]) -> list[PushSubscription]:
        if not user_ids:
            return []
        return [_subscription(doc) for doc in self._subscriptions.find({"userId": {"$in": user_ids}})]

    def get_many(self, subscription_ids: list[str]) -> list[PushSubscription]:
        if not subscription_ids:
            return []
        return [_subscription(doc) for doc in self._subscriptions.find({"_id": {"$in": subscription_ids}})]


@translated
class MongoPushDeliveryLog:
    def __init__(self, db: Any) -> None:
        self._claims = db["push_deliveries"]

    def claim(self, message_id: str, subscription_ids: list[str], keep_until: datetime) -> set[str]:
        if not subscription_ids:
            return set()
        ids = [f"{message_id}:{subscription_id}" for subscription_id in subscription_ids]
        try:
            # Unordered: every pair not claimed before is claimed, whatever others fail on.
            self._claims.insert_many([{"_id": i, "expiresAt": keep_until} for i in ids], ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors") or []
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            taken = {ids[e["index"]] for e in errors}
            return {s for s, i in zip(subscription_ids, ids, strict=True) if i not in taken}
        return set(subscription_ids)

    def release(self, message_id: str, subscription_ids: list[str]) -> None:
        if subscription_ids:
            self._claims.delete_many({"_id": {"$in": [f"{message_id}:{s}" for s in subscription_ids]}})
