"""Upload records in MongoDB: what was uploaded, by whom, and whether it is published."""

from datetime import datetime
from typing import Any

from chat.adapters.mongo.client import translated
from chat.adapters.mongo.documents import Document
from chat.models.ports import MediaUpload


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
