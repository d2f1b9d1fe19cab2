"""Request and response bodies of the HTTP API and the WebSocket frames.

Every request model is strict and forbids unknown fields, so a value of the
wrong JSON type (say `{"$ne": null}` where a string belongs) is refused at the
edge and never reaches a query."""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
    model_validator,
)

from chat.models.chat import Conversation, Message, Receipt, Timestamp, User

MAX_TEXT_LENGTH = 4000
MAX_ATTACHMENTS = 10
MAX_GROUP_MEMBERS = 1000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_SEARCH_LENGTH = 200  # characters of a search's `q`
MAX_SEARCH_WORDS = 10
DEFAULT_SEARCH_PAGE = 20
MAX_SEARCH_PAGE = 50

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Username = Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"\S")]
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]
MessageText = Annotated[str, StringConstraints(max_length=MAX_TEXT_LENGTH)]
ClientMsgId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# Shown to people and sent back in Content-Disposition: no control characters, no path.
FileName = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f/\\]+$")]
ContentType = Annotated[str, StringConstraints(min_length=1, max_length=127)]


def whole_number(value: object) -> object:
    """JSON has one kind of number: 3.0 is the integer 3, as JSON Schema and every client
    that writes it agree. 3.5 and "3" are still refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


ByteSize = Annotated[int, Field(ge=1, le=10**12, description="Bytes."), BeforeValidator(whole_number)]
Seq = Annotated[int, Field(ge=1, le=2**53), BeforeValidator(whole_number)]
# One emoji (with its modifiers and joiners), checked by services.reactions.
Emoji = Annotated[str, StringConstraints(min_length=1, max_length=16)]
# Opaque refresh tokens are 43 url-safe characters; the bound only stops abuse.
RefreshToken = Annotated[str, StringConstraints(min_length=1, max_length=512)]


def not_null(schema: dict[str, Any]) -> None:
    """The JSON schema of a field that may be left out but is refused as null: no null in it."""
    schema.update(next(branch for branch in schema.pop("anyOf") if branch.get("type") != "null"))


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- auth -------------------------------------------------------------------


class SignupRequest(Request):
    username: Username
    password: Password
    displayName: DisplayName | None = None


class LoginRequest(Request):
    # Not held to the signup pattern: a name that cannot exist simply fails to log in.
    username: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class RefreshRequest(Request):
    refreshToken: RefreshToken


class LogoutRequest(Request):
    refreshToken: RefreshToken


class TokenPair(BaseModel):
    accessToken: str
    refreshToken: str
    expiresIn: int = Field(description="Seconds until the access token expires.")


class Session(TokenPair):
    user: User


# --- conversations and messages ----------------------------------------------


class CreateGroupRequest(Request):
    name: GroupName
    memberIds: Annotated[list[Id], Field(min_length=1, max_length=MAX_GROUP_MEMBERS)] = Field(
        description="Other members; the creator is added. 2 to 1,000 members including the creator."
    )


class DirectConversationRequest(Request):
    userId: Id


class MessageTarget(Request):
    conversationId: Id | None = None
    receiverId: Id | None = None

    @model_validator(mode="after")
    def _exactly_one_target(self) -> Self:
        if (self.conversationId is None) == (self.receiverId is None):
            raise ValueError("give exactly one of conversationId or receiverId")
        return self


class AttachmentRef(Request):
    mediaId: Id


class SendMessageRequest(MessageTarget):
    text: MessageText = Field(
        default="", description="Up to 4,000 characters; may be empty when there are attachments."
    )
    clientMsgId: ClientMsgId | None = None
    attachments: Annotated[list[AttachmentRef], Field(max_length=MAX_ATTACHMENTS)] = Field(
        default_factory=list, description="Uploaded media (POST /api/media/upload-url), up to 10."
    )
    replyTo: Id | None = Field(
        default=None,
        description="The id of a message of the same conversation (given by conversationId) that this one quotes.",
    )

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if not self.text.strip() and not self.attachments:
            raise ValueError("a message needs text with a visible character, or at least one attachment")
        media_ids = [a.mediaId for a in self.attachments]
        if len(set(media_ids)) != len(media_ids):
            raise ValueError("each attachment may appear once in a message")
        return self


# --- profiles and media ---------------------------------------------------------


class UploadUrlRequest(Request):
    conversationId: Id
    fileName: FileName
    contentType: ContentType
    size: ByteSize


class AvatarUploadRequest(Request):
    contentType: ContentType
    size: ByteSize


class UploadForm(BaseModel):
    url: str = Field(description="POST a multipart form here: every field below, then `file` last.")
    fields: dict[str, str]


class UploadTicket(BaseModel):
    mediaId: str
    upload: UploadForm
    expiresIn: int = Field(description="Seconds the upload form stays valid.")


class UpdateProfileRequest(Request):
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    displayName: DisplayName | None = Field(default=None, json_schema_extra=not_null)
    avatarMediaId: Id | None = Field(
        default=None, description="An uploaded avatar (POST /api/users/me/avatar); null removes the picture."
    )
    notificationPreviews: bool | None = Field(
        default=None,
        description="false: your push notifications say only that a message came, not what it says.",
        json_schema_extra=not_null,
    )

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give displayName, avatarMediaId, notificationPreviews or several")
        for name in ("displayName", "notificationPreviews"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class EditMessageRequest(Request):
    text: MessageText = Field(description="The new text; may be empty only when the message has attachments.")


class ReactionRequest(Request):
    emoji: Emoji
    on: bool = Field(description="true adds your reaction, false takes it back.")


class ReceiptsRequest(Request):
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    deliveredSeq: Seq | None = Field(default=None, json_schema_extra=not_null)
    readSeq: Seq | None = Field(default=None, description="Reading implies delivered.", json_schema_extra=not_null)

    @model_validator(mode="after")
    def _moves_something(self) -> Self:
        if self.deliveredSeq is None and self.readSeq is None:
            raise ValueError("give deliveredSeq, readSeq or both")
        return self


class AddMembersRequest(Request):
    userIds: Annotated[list[Id], Field(min_length=1, max_length=MAX_GROUP_MEMBERS)]


class RenameGroupRequest(Request):
    name: GroupName


def iso_time(value: object) -> object:
    """A time as JSON carries one: an ISO 8601 string (a number of seconds is refused)."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError as error:
            raise ValueError("expected an ISO 8601 time such as 2026-12-02T08:00:00Z") from error
    if value is not None:
        raise ValueError("expected an ISO 8601 time, as a string")
    return value


class MuteRequest(Request):
    until: Annotated[AwareDatetime | None, BeforeValidator(iso_time)] = Field(
        description="When the mute ends: an ISO 8601 time with its offset, in the future and at most a year "
        "ahead; null mutes until you unmute.",
    )


# --- push notifications --------------------------------------------------------------

# What browsers give: unpadded base64url, of a 65-byte P-256 point and a 16-byte secret.
P256dh = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{87}$")]
AuthSecret = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{22}$")]
LATEST_MILLISECONDS = 253_402_300_799_999  # the end of year 9999, as far as times go


class PushKeys(Request):
    p256dh: P256dh = Field(description="The browser's P-256 public key (65 bytes, uncompressed), base64url.")
    auth: AuthSecret = Field(description="The browser's 16-byte authentication secret, base64url.")


class PushSubscriptionRequest(Request):
    """What the browser's `PushSubscription.toJSON()` gives."""

    endpoint: Annotated[str, StringConstraints(min_length=1, max_length=2048)] = Field(
        description="The push service's URL for this browser: https on a known push service."
    )
    expirationTime: Annotated[int, Field(ge=0, le=LATEST_MILLISECONDS), BeforeValidator(whole_number)] | None = Field(
        default=None, description="When the subscription ends (milliseconds since 1970), if the browser says."
    )
    keys: PushKeys


class PushEndpointRequest(Request):
    endpoint: Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class PushSubscriptionView(BaseModel):
    id: str
    endpoint: str
    expirationTime: int | None
    createdAt: Timestamp


class PushConfig(BaseModel):
    vapidPublicKey: str | None = Field(
        description="The application server key for `pushManager.subscribe` (base64url); null when this deploy "
        "sends no push notifications."
    )


class ChangesPage(BaseModel):
    conversation: Conversation
    messages: list[Message] = Field(description="Created or changed after `since`, as they are now, by seq.")
    cursor: int = Field(description="Pass as `since` next time.")
    resync: bool = Field(
        description="True when too much changed to list (messages is then empty): reload history from scratch."
    )


class ConversationReceipts(BaseModel):
    receipts: dict[str, Receipt] = Field(
        description="Every current member's delivered and read cursors, by user id (0 if they never sent one)."
    )


class UserPage(BaseModel):
    items: list[User]
    nextCursor: str | None


class BlockedUsers(BaseModel):
    items: list[User] = Field(description="The people you blocked, the latest first (at most MAX_BLOCKS_PER_USER).")


class ConversationPage(BaseModel):
    items: list[Conversation]
    nextCursor: str | None


class MessagePage(BaseModel):
    items: list[Message] = Field(description="Ascending by seq.")
    nextBefore: int | None = Field(description="Pass as `before` to load the page before this one.")
    keptFrom: int | None = Field(
        default=None,
        description="When the deployment's retention has deleted older history: the first seq still kept "
        "(nothing below it will come). null when all history is kept.",
    )


class SearchPage(BaseModel):
    items: list[Message] = Field(description="Messages holding every word of `q`, the newest first.")
    nextBefore: str | None = Field(
        description="When the page is full: pass as `before` for the next (older) page; null when there is no more."
    )


# What the deep health check found of one dependency (only "mongodb" so far).
DependencyState = Literal["ok", "unavailable"]


class Health(BaseModel):
    status: Literal["ok"]
    checks: dict[str, DependencyState] | None = Field(
        default=None,
        description='With deep=true: each dependency pinged and its state, such as {"mongodb": "ok"}. '
        "Left out of the plain check, which touches nothing.",
        json_schema_extra=not_null,
    )

    # No return annotation: pydantic would document the body as that type instead of this model.
    @model_serializer(mode="wrap")
    def _without_unchecked(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        """The plain check's body stays the contract's `{"status": "ok"}`: no `checks`, never null."""
        body = handler(self)
        if body.get("checks") is None:
            body.pop("checks", None)
        return body


# --- errors ----------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """One thing wrong with the request; a check may add its own keys (such as `limit`)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(description='Where: ["body", <field>], ["query", <param>] or ["path", <param>].')
    type: str = Field(description="A machine-readable reason, such as string_too_short or invalid_cursor.")
    message: str | None = Field(
        default=None, description="For people; given by schema checks.", json_schema_extra=not_null
    )


class ErrorInfo(BaseModel):
    code: str = Field(description="snake_case and stable, such as not_found; see docs/API.md, Errors.")
    message: str = Field(description="For people; never parse it.")
    details: list[ErrorDetail] | None = Field(
        default=None, description="What is wrong, field by field (422, 413).", json_schema_extra=not_null
    )
    retryAfter: int | None = Field(
        default=None, description="With 429: seconds to wait, as in Retry-After.", json_schema_extra=not_null
    )
    checks: dict[str, DependencyState] | None = Field(
        default=None,
        description="With 503 from GET /api/health?deep=true: each dependency pinged and its state, such as "
        '{"mongodb": "unavailable"}.',
        json_schema_extra=not_null,
    )


class ErrorBody(BaseModel):
    """Every error answer of the HTTP API (what ChatError.to_body writes)."""

    error: ErrorInfo


# --- WebSocket frames ----------------------------------------------------------


class SendMessageAction(SendMessageRequest):
    action: Literal["sendMessage"]
    clientMsgId: ClientMsgId  # required over WebSocket: it is how the ack finds its message


class ReceiptAction(Request):
    action: Literal["markDelivered", "markRead"]
    conversationId: Id
    seq: Seq


class EditMessageAction(EditMessageRequest):
    action: Literal["editMessage"]
    messageId: Id


class DeleteMessageAction(Request):
    action: Literal["deleteMessage"]
    messageId: Id


class ReactAction(ReactionRequest):
    action: Literal["react"]
    messageId: Id


class TypingAction(Request):
    action: Literal["typing"]
    conversationId: Id
    isTyping: bool
