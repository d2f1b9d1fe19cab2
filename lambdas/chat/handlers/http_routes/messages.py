from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import message_change_service, message_service
from chat.handlers.http_routes.responses import created_or_existing
from chat.handlers.http_routes.security import BEARER, CurrentUserId
from chat.models.api import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    EditMessageRequest,
    MessagePage,
    ReactionRequest,
    SendMessageRequest,
)
from chat.models.chat import Message

router = APIGatewayHttpRouter()


@router.post(
    "/",
    tags=["messages"],
    security=BEARER,
    summary="Send a message (201); a resend with the same clientMsgId returns the original (200)",
)
def send_message(user_id: CurrentUserId, body: SendMessageRequest) -> Response[Message]:
    result = message_service().send_message(user_id, body)
    return created_or_existing(result.message, result.created)


@router.get("/<conversation_id>", tags=["messages"], security=BEARER, summary="A page of history, ascending by seq")
def history(
    user_id: CurrentUserId,
    conversation_id: Annotated[str, Path(max_length=64)],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    before: Annotated[int | None, Query(ge=1)] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> MessagePage:
    return message_service().history(user_id, conversation_id, limit, before, after)


MessageId = Annotated[str, Path(max_length=64)]


@router.patch("/<message_id>", tags=["messages"], security=BEARER, summary="Edit your message's text")
def edit_message(user_id: CurrentUserId, message_id: MessageId, body: EditMessageRequest) -> Message:
    return message_change_service().edit(user_id, message_id, body.text)


@router.delete("/<message_id>", tags=["messages"], security=BEARER, summary="Delete your message (a tombstone)")
def delete_message(user_id: CurrentUserId, message_id: MessageId) -> Message:
    return message_change_service().delete(user_id, message_id)


@router.post("/<message_id>/reactions", tags=["messages"], security=BEARER, summary="Add or take back your reaction")
def react(user_id: CurrentUserId, message_id: MessageId, body: ReactionRequest) -> Message:
    return message_change_service().react(user_id, message_id, body.emoji, body.on)
