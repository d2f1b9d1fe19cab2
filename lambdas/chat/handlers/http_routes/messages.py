from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import message_change_service, message_service, rate_limits
from chat.handlers.http_routes.responses import answers, created_or_existing
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
    responses=answers(200, 201, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
    tags=["messages"],
    security=BEARER,
    summary="Send a message (201); a resend with the same clientMsgId returns the original (200)",
)
def send_message(user_id: CurrentUserId, body: SendMessageRequest) -> Response[Message]:
    rate_limits().check("send", user_id)
    result = message_service().send_message(user_id, body)
    return created_or_existing(result.message, result.created)


@router.get(
    "/<id>",
    responses=answers(200, 401, 403, 404, 422, 500, 503),
    tags=["messages"],
    security=BEARER,
    summary="A page of history, ascending by seq",
)
def history(
    user_id: CurrentUserId,
    conversation_id: Annotated[str, Path(alias="id", max_length=64, description="The conversation's id.")],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    before: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**53)] = None,
) -> MessagePage:
    return message_service().history(user_id, conversation_id, limit, before, after)


MessageId = Annotated[str, Path(max_length=64)]
# OpenAPI takes one name per path: /api/messages/{id} is a conversation's history (GET) or a message.
MessageIdAsId = Annotated[str, Path(alias="id", max_length=64, description="The message's id.")]


@router.patch(
    "/<id>",
    responses=answers(200, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
    tags=["messages"],
    security=BEARER,
    summary="Edit your message's text",
)
def edit_message(user_id: CurrentUserId, message_id: MessageIdAsId, body: EditMessageRequest) -> Message:
    rate_limits().check("edit", user_id)
    return message_change_service().edit(user_id, message_id, body.text)


@router.delete(
    "/<id>",
    responses=answers(200, 401, 403, 404, 409, 422, 429, 500, 503),
    tags=["messages"],
    security=BEARER,
    summary="Delete your message (a tombstone)",
)
def delete_message(user_id: CurrentUserId, message_id: MessageIdAsId) -> Message:
    rate_limits().check("edit", user_id)
    return message_change_service().delete(user_id, message_id)


@router.post(
    "/<message_id>/reactions",
    responses=answers(200, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
    tags=["messages"],
    security=BEARER,
    summary="Add or take back your reaction",
)
def react(user_id: CurrentUserId, message_id: MessageId, body: ReactionRequest) -> Message:
    rate_limits().check("reaction", user_id)
    return message_change_service().react(user_id, message_id, body.emoji, body.on)
