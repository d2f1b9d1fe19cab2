from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import (
    chat_settings_service,
    conversation_service,
    group_service,
    message_service,
    rate_limits,
    receipt_service,
)
from chat.handlers.http_routes.responses import answers, created_or_existing
from chat.handlers.http_routes.security import BEARER, CurrentUserId
from chat.models.api import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    AddMembersRequest,
    ChangesPage,
    ConversationPage,
    ConversationReceipts,
    CreateGroupRequest,
    DirectConversationRequest,
    MuteRequest,
    ReceiptsRequest,
    RenameGroupRequest,
)
from chat.models.chat import Conversation, Receipt

router = APIGatewayHttpRouter()


@router.post(
    "/groups/create",
    status_code=201,
    responses=answers(201, 401, 404, 413, 415, 422, 429, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="Start a group",
)
def create_group(user_id: CurrentUserId, body: CreateGroupRequest) -> Conversation:
    rate_limits().check("group", user_id)
    return group_service().create(user_id, body)


@router.post(
    "/conversations/direct",
    responses=answers(200, 201, 401, 403, 404, 413, 415, 422, 429, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="The direct conversation with a user (201 when created now, 200 when it existed)",
)
def open_direct(user_id: CurrentUserId, body: DirectConversationRequest) -> Response[Conversation]:
    conversation, created = conversation_service().open_direct(user_id, body.userId)
    return created_or_existing(conversation, created)


@router.get(
    "/conversations",
    responses=answers(200, 401, 422, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="Your conversations, most recent first: those you have not archived, or only the archived ones",
)
def list_conversations(
    user_id: CurrentUserId,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    archived: Annotated[
        bool,
        Query(description="true: only the conversations you archived and no message has come to since"),
    ] = False,
) -> ConversationPage:
    return conversation_service().list_for(user_id, limit, cursor, archived=archived)


ConversationId = Annotated[str, Path(max_length=64)]


@router.get(
    "/conversations/<conversation_id>",
    responses=answers(200, 401, 403, 404, 422, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="One conversation",
)
def get_conversation(user_id: CurrentUserId, conversation_id: ConversationId) -> Conversation:
    return conversation_service().get(user_id, conversation_id)


@router.put(
    "/conversations/<conversation_id>/archived",
    responses=answers(200, 401, 403, 404, 422, 429, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="Archive the conversation for yourself: out of your main list until a new message comes",
)
def archive(user_id: CurrentUserId, conversation_id: ConversationId) -> Conversation:
    rate_limits().check("membership", user_id)
    return chat_settings_service().set_archived(user_id, conversation_id, archived=True)


@router.delete(
    "/conversations/<conversation_id>/archived",
    responses=answers(200, 401, 403, 404, 422, 429, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="Unarchive the conversation for yourself: back in your main list",
)
def unarchive(user_id: CurrentUserId, conversation_id: ConversationId) -> Conversation:
    rate_limits().check("membership", user_id)
    return chat_settings_service().set_archived(user_id, conversation_id, archived=False)


@router.put(
    "/conversations/<conversation_id>/mute",
    responses=answers(200, 401, 403, 404, 413, 415, 422, 429, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="Mute the conversation for yourself: no push notifications from it until `until` (null: until you unmute)",
)
def mute(user_id: CurrentUserId, conversation_id: ConversationId, body: MuteRequest) -> Conversation:
    rate_limits().check("membership", user_id)
    return chat_settings_service().set_muted(user_id, conversation_id, muted=True, until=body.until)


@router.delete(
    "/conversations/<conversation_id>/mute",
    responses=answers(200, 401, 403, 404, 422, 429, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="Unmute the conversation for yourself",
)
def unmute(user_id: CurrentUserId, conversation_id: ConversationId) -> Conversation:
    rate_limits().check("membership", user_id)
    return chat_settings_service().set_muted(user_id, conversation_id, muted=False)


@router.get(
    "/conversations/<conversation_id>/changes",
    responses=answers(200, 401, 403, 404, 422, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="Catch up: everything that changed after a version (see docs/API.md, Catching up)",
)
def changes(
    user_id: CurrentUserId,
    conversation_id: ConversationId,
    since: Annotated[int, Query(ge=0, le=2**53)],
) -> ChangesPage:
    return message_service().changes(user_id, conversation_id, since)


@router.get(
    "/conversations/<conversation_id>/receipts",
    responses=answers(200, 401, 403, 404, 422, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="Every member's delivered/read cursors: who has read what (asked for on demand in groups)",
)
def get_receipts(user_id: CurrentUserId, conversation_id: ConversationId) -> ConversationReceipts:
    return ConversationReceipts(receipts=conversation_service().receipts(user_id, conversation_id))


@router.post(
    "/conversations/<conversation_id>/receipts",
    responses=answers(200, 401, 403, 404, 413, 415, 422, 429, 500, 503),
    tags=["conversations"],
    security=BEARER,
    summary="Move your delivered/read cursors forward (never back)",
)
def mark_receipts(user_id: CurrentUserId, conversation_id: ConversationId, body: ReceiptsRequest) -> Receipt:
    rate_limits().check("receipt", user_id)
    return receipt_service().mark(user_id, conversation_id, delivered=body.deliveredSeq or 0, read=body.readSeq or 0)


@router.post(
    "/groups/<group_id>/members",
    responses=answers(200, 401, 403, 404, 413, 415, 422, 429, 500, 503),
    tags=["groups"],
    security=BEARER,
    summary="Add members (admins)",
)
def add_members(user_id: CurrentUserId, group_id: ConversationId, body: AddMembersRequest) -> Conversation:
    rate_limits().check("membership", user_id)
    return group_service().add_members(user_id, group_id, body.userIds)


@router.delete(
    "/groups/<group_id>/members/<member_id>",
    responses=answers(200, 401, 403, 404, 422, 429, 500, 503),
    tags=["groups"],
    security=BEARER,
    summary="Remove a member (admins), or leave (yourself)",
)
def remove_member(
    user_id: CurrentUserId, group_id: ConversationId, member_id: Annotated[str, Path(max_length=64)]
) -> Conversation:
    rate_limits().check("membership", user_id)
    return group_service().remove_member(user_id, group_id, member_id)


@router.patch(
    "/groups/<group_id>",
    responses=answers(200, 401, 403, 404, 413, 415, 422, 429, 500, 503),
    tags=["groups"],
    security=BEARER,
    summary="Rename the group (admins)",
)
def rename_group(user_id: CurrentUserId, group_id: ConversationId, body: RenameGroupRequest) -> Conversation:
    rate_limits().check("membership", user_id)
    return group_service().rename(user_id, group_id, body.name)
