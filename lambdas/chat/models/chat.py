"""The chat domain's objects, shaped exactly as the API contract shows them."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer

from chat.clock import iso

Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="json")]


class ChatObject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class User(ChatObject):
    id: str
    username: str
    displayName: str
    createdAt: Timestamp


class Message(ChatObject):
    id: str
    conversationId: str
    senderId: str
    text: str
    clientMsgId: str
    seq: int
    createdAt: Timestamp


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
