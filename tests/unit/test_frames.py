"""Every frame the server sends is one that chat.models.frames declares (the web client's
types are generated from them), and the actions the server names are its route table's."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, get_args

import pytest
from pydantic import BaseModel, Field, TypeAdapter

from chat.handlers.ws_default import KNOWN_ACTIONS
from chat.handlers.ws_protocol import error_frame
from chat.models import api
from chat.models.chat import Attachment, Conversation, Message, Receipt, User
from chat.models.errors import InvalidRequest, RateLimited, unexpected
from chat.models.frames import MessagePush, PongFrame, ServerFrame
from chat.services.chat_settings import archived_changed, muted_changed
from chat.services.groups import conversation_updated
from chat.services.message_changes import message_updated
from chat.services.messages import message_ack, message_received
from chat.services.notifications import push_payload
from chat.services.presence import presence_frame
from chat.services.push import encode_frame
from chat.services.receipts import receipt_frame
from chat.services.typing import typing_frame
from infra.routes import WS_ROUTES

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
MESSAGE = Message(
    id="m1",
    conversationId="c1",
    senderId="u1",
    text="hi",
    clientMsgId="k1",
    seq=3,
    createdAt=AT,
    attachments=[Attachment(mediaId="f1", name="a.png", contentType="image/png", size=10)],
)
CONVERSATION = Conversation(
    id="c1",
    type="group",
    name="Team",
    memberIds=["u1", "u2"],
    createdBy="u1",
    createdAt=AT,
    lastSeq=3,
    lastMessage=MESSAGE,
    receipts={"u1": Receipt(deliveredSeq=3, readSeq=3)},
)
USER = User(id="u2", username="bob", displayName="Bob", createdAt=AT, lastSeenAt=AT)

FRAMES: list[ServerFrame] = [
    message_ack(MESSAGE, 7),
    message_ack(MESSAGE, None),
    message_received(MESSAGE, 7),
    message_updated(MESSAGE, 8),
    typing_frame("c1", "u1", True),
    receipt_frame("c1", "u2", Receipt(deliveredSeq=3, readSeq=2)),
    presence_frame(USER),
    conversation_updated(CONVERSATION),
    archived_changed(CONVERSATION),
    muted_changed(CONVERSATION),
    error_frame(InvalidRequest("bad", details=[{"loc": ["text"], "type": "empty"}]), "k1", "sendMessage"),
    error_frame(RateLimited("slow down", retry_after=3, limit="send")),
    error_frame(unexpected()),
    PongFrame(type="pong"),
]
SERVER_FRAME = TypeAdapter(Annotated[ServerFrame, Field(discriminator="type")])


def declared(kind: str) -> Any:
    """The TypedDict of the frame whose `type` is `kind`."""
    return next(frame for frame in get_args(ServerFrame) if get_args(frame.__annotations__["type"]) == (kind,))


@pytest.mark.parametrize("frame", FRAMES, ids=lambda frame: str(frame["type"]))
def test_every_frame_a_service_builds_is_a_declared_frame_as_sent(frame: ServerFrame) -> None:
    # Given the frame as it goes on the wire
    sent = json.loads(encode_frame(frame))

    # When it is read back against the declared frames
    SERVER_FRAME.validate_python(sent)

    # Then it has every key its declaration requires, and none it does not declare
    kind = declared(sent["type"])
    assert kind.__required_keys__ <= sent.keys() <= kind.__annotations__.keys()


def test_the_web_push_payload_is_the_declared_one() -> None:
    payload = json.loads(push_payload(MESSAGE, CONVERSATION, "Alice", with_preview=True))

    TypeAdapter(MessagePush).validate_python(payload)
    assert payload.keys() == MessagePush.__annotations__.keys()


def test_the_actions_the_server_names_are_its_route_table() -> None:
    # ws_default cannot import infra/ (the asset carries lambdas/ only): this is what ties them.
    assert list(KNOWN_ACTIONS) == [route for route in WS_ROUTES if not route.startswith("$")]


def test_every_action_a_frame_model_takes_has_a_route() -> None:
    models = [
        model
        for model in vars(api).values()
        if isinstance(model, type) and issubclass(model, BaseModel) and "action" in model.model_fields
    ]
    actions = {action for model in models for action in get_args(model.model_fields["action"].annotation)}

    assert actions
    assert actions <= set(KNOWN_ACTIONS)


def loaded_by(handlers: list[str], prefix: str) -> list[str]:
    """The modules under `prefix` a fresh interpreter has loaded once it imported `handlers`."""
    imports = ", ".join(["json", "sys", *handlers])
    script = f"import {imports}; print(json.dumps([m for m in sys.modules if m.startswith({prefix!r})]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lambdas")}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return sorted(json.loads(run.stdout))


def test_no_handler_pays_for_the_frame_types_at_a_cold_start() -> None:
    # Frames are built as plain dicts: their types are for mypy and the schema only.
    assert loaded_by(sorted({*WS_ROUTES.values(), "chat.handlers.ws_authorizer"}), "chat.models.frames") == []


def test_the_routes_that_answer_only_pong_or_error_load_no_pydantic() -> None:
    handlers = ["chat.handlers.ws_authorizer", "chat.handlers.ws_ping", "chat.handlers.ws_default"]

    assert loaded_by(handlers, "pydantic") == []
