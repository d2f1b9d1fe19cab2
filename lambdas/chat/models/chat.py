"""The chat domain's objects, shaped exactly as the API contract shows them."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from chat.clock import iso

Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="json")]


class ChatObject(BaseModel):
    # Every field is sent, its default included: the schemas of answers and frames say so.
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


class User(ChatObject):
    id: str
    username: str
    displayName: str
    createdAt: Timestamp
    avatarUrl: str | None = Field(
        default=None, description="The profile picture: public, cacheable, a new URL for every change."
    )
    online: bool = Field(
        default=False,
        description="True while any of the user's sockets is open; false to anyone who shares no conversation.",
    )
    lastSeenAt: Timestamp | None = Field(
        default=None, description="When the user's last socket closed; null to anyone who shares no conversation."
    )
    notificationPreviews: bool | None = Field(
        default=True,
        description="Yours only (null in anyone else's profile): whether your push notifications show a preview "
        "of the message (true by default) or only that one came.",
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


class ReplyQuote(ChatObject):
    """The message a reply quotes, as it is now: the server rewrites it when the quoted message is
    edited or deleted (docs/API.md, Replies)."""

    messageId: str
    seq: int
    senderId: str
    excerpt: str = Field(
        description='The quoted text, whitespace collapsed, at most 100 characters (cut with "…"); "" when it '
        'has only files; "Original message deleted" once deleted.'
    )
    attachments: int = Field(default=0, description="How many files the quoted message carries.")
    deleted: bool = Field(default=False, description="True once the quoted message was deleted.")


class Message(ChatObject):
    id: str
    conversationId: str
    senderId: str
    text: str
    clientMsgId: str
    seq: int
    createdAt: Timestamp
    attachments: list[Attachment] = Field(default_factory=list, description="Up to 10; text may then be empty.")
    editedAt: Timestamp | None = None
    deletedAt: Timestamp | None = Field(
        default=None,
        description="Set on a tombstone: text, attachments, reactions, quote and mentions are gone, the seq stays.",
    )
    reactions: dict[str, list[str]] = Field(
        default_factory=dict, description="User ids per emoji, in the order they reacted."
    )
    revision: int = Field(
        default=0,
        description="0 when sent, +1 for every edit, deletion or reaction change, and for every rewrite of the "
        "quote it carries (its original edited or deleted): of two copies of a message, the higher revision is "
        "the newer.",
    )
    replyTo: ReplyQuote | None = Field(default=None, description="The message this one replies to; null if none.")
    mentions: list[str] = Field(
        default_factory=list,
        description="In a group: the members its text names as @username, by id, in order of first appearance "
        "(at most MAX_MENTIONS). Always [] in a direct chat.",
    )


class Receipt(ChatObject):
    deliveredSeq: int = 0
    readSeq: int = Field(default=0, description="Never above deliveredSeq: reading implies delivered.")


class Conversation(ChatObject):
    id: str
    type: Literal["direct", "group"]
    name: str | None
    memberIds: list[str]
    createdBy: str
    createdAt: Timestamp
    lastSeq: int
    lastMessage: Message | None
    adminIds: list[str] = Field(default_factory=list, description="Group admins, the creator first; [] if direct.")
    receipts: dict[str, Receipt] = Field(
        default_factory=dict, description="Each member's delivered and read cursors (a missing member is at 0)."
    )
    version: int = Field(default=0, description="Bumped by every change in the conversation: the cursor for /changes.")
    unreadCount: int | None = Field(
        default=None, description="For the caller: others' messages after their readSeq. null in pushed frames."
    )
    mentionCount: int | None = Field(
        default=None,
        description="For the caller: those of their unread messages that mention them. null in pushed frames.",
    )
    archived: bool | None = Field(
        default=None,
        description="For the caller: archived (out of their main list) and no message since. null in frames "
        "pushed to every member alike.",
    )
    muted: bool | None = Field(
        default=None,
        description="For the caller: true while they have muted it (no push notifications). null in frames pushed "
        "to every member alike.",
    )
    mutedUntil: Timestamp | None = Field(
        default=None, description="For the caller: when their mute ends; null while muted means until unmuted."
    )
    # Never sent: who muted it, and until when (None: until they unmute).
    mutedBy: dict[str, datetime | None] = Field(default_factory=dict, exclude=True)
    # Never sent: who was removed, and the last seq each of them may still read.
    formerMembers: dict[str, int] = Field(default_factory=dict, exclude=True)
    # Never sent: who archived it, and the seq of its last message when they did.
    archivedBy: dict[str, int] = Field(default_factory=dict, exclude=True)
    # Never sent here (history pages say it): the first seq retention kept; 0 when all is kept.
    keptFrom: int = Field(default=0, exclude=True)
    # Never sent: the highest seq in the archive (0: none), so a history page knows, for free,
    # whether to look there.
    archivedThrough: int = Field(default=0, exclude=True)
    # Never sent: of a direct chat, the member(s) who blocked the other; no message goes in while any.
    blockedBy: list[str] = Field(default_factory=list, exclude=True)

    def archived_for(self, user_id: str) -> bool:
        """Whether `user_id` archived it and no message came after: a new message (any seq
        above the one kept) brings it back to their main list without a write of its own."""
        mark = self.archivedBy.get(user_id)
        return mark is not None and (self.lastMessage.seq if self.lastMessage else 0) <= mark

    def muted_for(self, user_id: str, now: datetime) -> bool:
        """Whether `user_id` has it muted at `now`: a mute whose time has passed is over, with
        no write to end it."""
        if user_id not in self.mutedBy:
            return False
        until = self.mutedBy[user_id]
        return until is None or until > now

    def mute_of(self, user_id: str, now: datetime) -> dict[str, object]:
        """The caller's `muted` and `mutedUntil`, as their view of the conversation shows them."""
        muted = self.muted_for(user_id, now)
        return {"muted": muted, "mutedUntil": self.mutedBy.get(user_id) if muted else None}


class Connection(ChatObject):
    """A live WebSocket: API Gateway's connection id, the user behind it and the login whose
    access token opened it (so ending that login closes it; None for sockets from before)."""

    connectionId: str
    userId: str
    loginId: str | None = None
