from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import conversation_service
from chat.handlers.http_routes.responses import created_or_existing
from chat.handlers.http_routes.security import BEARER, CurrentUserId
from chat.models.api import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ConversationPage,
    CreateGroupRequest,
    DirectConversationRequest,
)
from chat.models.chat import Conversation

router = APIGatewayHttpRouter()


@router.post("/groups/create", status_code=201, tags=["conversations"], security=BEARER, summary="Start a group")
def create_group(user_id: CurrentUserId, body: CreateGroupRequest) -> Conversation:
    return conversation_service().create_group(user_id, body)


@router.post(
    "/conversations/direct",
    tags=["conversations"],
    security=BEARER,
    summary="The direct conversation with a user (201 when created now, 200 when it existed)",
)
def open_direct(user_id: CurrentUserId, body: DirectConversationRequest) -> Response[Conversation]:
    conversation, created = conversation_service().open_direct(user_id, body.userId)
    return created_or_existing(conversation, created)


@router.get("/conversations", tags=["conversations"], security=BEARER, summary="Your conversations, most recent first")
def list_conversations(
    user_id: CurrentUserId,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ConversationPage:
    return conversation_service().list_for(user_id, limit, cursor)
