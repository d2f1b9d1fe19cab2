"""Everything the server sends outside an HTTP answer: the WebSocket frames (`ServerFrame`,
one kind per `type`) and the Web Push payload (`MessagePush`).

TypedDicts rather than pydantic models: each frame is built as the very dict that is sent
(its keys in the order written, an optional key absent rather than null), annotated with
its type here, and mypy checks every key and value. Code that builds frames imports this
module only under TYPE_CHECKING, so no cold start pays for it; fields that carry a model's
JSON form are plain dicts here and that model in the schema (`JsonOf`).
`scripts/export_schemas.py` writes the JSON schema the web client's types are generated
from."""

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired

from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema


@dataclass(frozen=True)
class JsonOf:
    """Marks a field holding `model_dump(mode="json")` of the model named by its dotted path
    (a list of them with `many`). Resolved only when a schema is made, so importing this
    module imports no model."""

    model: str
    many: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: "GetCoreSchemaHandler") -> "CoreSchema":
        module, _, name = self.model.rpartition(".")
        model: Any = getattr(importlib.import_module(module), name)
        return handler.generate_schema(list[model] if self.many else model)


@dataclass(frozen=True)
class Said:
    """A field's description in the schema (and so in the client's generated types)."""

    description: str

    def __get_pydantic_json_schema__(self, schema: "CoreSchema", handler: "GetJsonSchemaHandler") -> "JsonSchemaValue":
        return {**handler(schema), "description": self.description}


MessageJson = Annotated[dict[str, Any], JsonOf("chat.models.chat.Message")]
ConversationJson = Annotated[dict[str, Any], JsonOf("chat.models.chat.Conversation")]
ErrorDetailsJson = Annotated[list[dict[str, Any]], JsonOf("chat.models.api.ErrorDetail", many=True)]


class MessageAckFrame(TypedDict):
    """To the socket that sent the message: it is stored."""

    type: Literal["messageAck"]
    clientMsgId: str
    message: MessageJson
    version: NotRequired[
        Annotated[
            int,
            Said(
                "The conversation's version the message gave it (docs/API.md, Catching up); absent on a "
                "resend's ack, whose original was told with the original."
            ),
        ]
    ]


class MessageReceivedFrame(TypedDict):
    type: Literal["messageReceived"]
    message: MessageJson
    version: Annotated[int, Said("The conversation's version the message gave it.")]


class MessageUpdatedFrame(TypedDict):
    """An edit, a deletion or a reaction change, to every member's sockets."""

    type: Literal["messageUpdated"]
    message: MessageJson
    version: Annotated[int, Said("The conversation's version the change gave it.")]


class TypingFrame(TypedDict):
    type: Literal["typing"]
    conversationId: str
    userId: str
    isTyping: bool


class ReceiptFrame(TypedDict):
    """A member's cursors moved: to their other devices and the authors it newly covers."""

    type: Literal["receipt"]
    conversationId: str
    userId: str
    deliveredSeq: int
    readSeq: int


class PresenceFrame(TypedDict):
    type: Literal["presence"]
    userId: str
    online: bool
    lastSeenAt: str | None


class ConversationUpdatedFrame(TypedDict):
    """A new group, or a change of its members or name."""

    type: Literal["conversationUpdated"]
    conversation: ConversationJson


class ArchivedChangedFrame(TypedDict):
    """To the member's own sockets: they archived or unarchived it (no change of the
    conversation, so no cursor moves)."""

    type: Literal["archivedChanged"]
    conversation: ConversationJson


class MutedChangedFrame(TypedDict):
    """To the member's own sockets: they muted or unmuted it."""

    type: Literal["mutedChanged"]
    conversation: ConversationJson


class ErrorFrame(TypedDict):
    """The answer to a client frame that failed; the socket stays open."""

    type: Literal["error"]
    code: str
    message: str
    action: NotRequired[
        Annotated[str, Said("The client frame's action this answers, when it had one the server knows.")]
    ]
    details: NotRequired[ErrorDetailsJson]
    retryAfter: NotRequired[Annotated[int, Said("With rate_limited: seconds to wait.")]]
    clientMsgId: NotRequired[Annotated[str, Said("The failed send's.")]]


class PongFrame(TypedDict):
    type: Literal["pong"]


ServerFrame = (
    MessageAckFrame
    | MessageReceivedFrame
    | MessageUpdatedFrame
    | TypingFrame
    | ReceiptFrame
    | PresenceFrame
    | ConversationUpdatedFrame
    | ArchivedChangedFrame
    | MutedChangedFrame
    | ErrorFrame
    | PongFrame
)


class MessagePush(TypedDict):
    """The Web Push payload for a new message, which the service worker shows."""

    type: Literal["message"]
    conversationId: str
    messageId: str
    seq: int
    title: Annotated[
        str,
        Said(
            "A direct chat: the sender's display name; a group: its name; to a member the message mentions: "
            '"Alice mentioned you in Team".'
        ),
    ]
    body: Annotated[
        str,
        Said(
            'The preview ("Alice: …" in a group, unless the title names the sender), or "New message" when the '
            "user turned previews off."
        ),
    ]
    conversationType: Literal["direct", "group"]
    senderId: str
    mention: Annotated[bool, Said("True when the message mentions the recipient (it reaches them even if muted).")]
