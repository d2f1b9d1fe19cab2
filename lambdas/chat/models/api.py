"""Request and response bodies of the HTTP API and the WebSocket frames.

Every request model is strict and forbids unknown fields, so a value of the
wrong JSON type (say `{"$ne": null}` where a string belongs) is refused at the
edge and never reaches a query."""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chat.models.chat import Conversation, Message, User

MAX_TEXT_LENGTH = 4000
MAX_GROUP_MEMBERS = 1000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Username = Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"\S")]
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]
MessageText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH, pattern=r"\S")]
ClientMsgId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# Opaque refresh tokens are 43 url-safe characters; the bound only stops abuse.
RefreshToken = Annotated[str, StringConstraints(min_length=1, max_length=512)]


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


class SendMessageRequest(MessageTarget):
    text: MessageText
    clientMsgId: ClientMsgId | None = None


class UserPage(BaseModel):
    items: list[User]
    nextCursor: str | None


class ConversationPage(BaseModel):
    items: list[Conversation]
    nextCursor: str | None


class MessagePage(BaseModel):
    items: list[Message] = Field(description="Ascending by seq.")
    nextBefore: int | None = Field(description="Pass as `before` to load the page before this one.")


class Health(BaseModel):
    status: Literal["ok"]


# --- WebSocket frames ----------------------------------------------------------


class SendMessageAction(SendMessageRequest):
    action: Literal["sendMessage"]
    clientMsgId: ClientMsgId  # required over WebSocket: it is how the ack finds its message
