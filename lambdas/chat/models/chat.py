"""The chat domain's objects, shaped exactly as the API contract shows them."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from chat.clock import iso

Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="json")]


class ChatObject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class User(ChatObject):
    id: str
    username: str
    displayName: str
    createdAt: Timestamp
    avatarUrl: str | None = Field(
        default=None, description="The profile picture: public, cacheable, a new URL for every change."
    )


class Attachment(ChatObject):
    """A file a message carries. The bytes live in S3; members fetch them through `url`."""

    mediaId: str
    name: str
    contentType: str
    size: int = Field(description="Bytes.")
    width: int | None = Field(default=None, description="Pixels, for images whose header gives it.")
    height: int | None = None
    url: str | None = Field(
        default=None,
        description="A CloudFront signed URL, issued to members with every message they read and valid for 1 to 2 "
        "hours. Always set in API responses; stores keep the attachment without it.",
    )


class Message(ChatObject):
    id: str
    conversationId: str
    senderId: str
    text: str
    clientMsgId: str
    seq: int
    createdAt: Timestamp
    attachments: list[Attachment] = Field(default_factory=list, description="Up to 10; text may then be empty.")


class Conversation(ChatObject):
    id: str
    type: Literal["direct", "group"]
    name: str | None
    memberIds: list[str]
    createdBy: str
    createdAt: Timestamp
    lastSeq: int
    lastMessage: Message | None


class Connection(ChatObject):
    """A live WebSocket: API Gateway's connection id and the user behind it."""

    connectionId: str
    userId: str
