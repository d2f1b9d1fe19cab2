from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import media_service, rate_limits, user_service
from chat.handlers.http_routes.responses import answers
from chat.handlers.http_routes.security import BEARER, CurrentUserId
from chat.models.api import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    AvatarUploadRequest,
    BlockedUsers,
    UpdateProfileRequest,
    UploadTicket,
    UserPage,
)
from chat.models.chat import User

router = APIGatewayHttpRouter()


@router.get(
    "/",
    responses=answers(200, 401, 422, 500, 503),
    tags=["users"],
    security=BEARER,
    summary="Find contacts by username or display-name prefix",
)
def search_users(
    user_id: CurrentUserId,
    q: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> UserPage:
    return user_service().search(user_id, q, limit, cursor)


@router.get(
    "/me", responses=answers(200, 401, 404, 500, 503), tags=["users"], security=BEARER, summary="The caller's profile"
)
def me(user_id: CurrentUserId) -> User:
    return user_service().get(user_id, user_id)


@router.put(
    "/me",
    responses=answers(200, 401, 403, 404, 413, 415, 422, 500, 503),
    tags=["users"],
    security=BEARER,
    summary="Change your display name or profile picture",
)
def update_me(user_id: CurrentUserId, body: UpdateProfileRequest) -> User:
    return user_service().update_profile(user_id, body)


@router.post(
    "/me/avatar",
    status_code=201,
    responses=answers(201, 401, 413, 415, 422, 429, 500, 503),
    tags=["users"],
    security=BEARER,
    summary="A presigned POST form for a new profile picture (an image up to 2 MiB); then PUT /api/users/me",
)
def avatar_upload(user_id: CurrentUserId, body: AvatarUploadRequest) -> UploadTicket:
    rate_limits().check("upload", user_id)
    return media_service().avatar_upload(user_id, body)


@router.get(
    "/<id>",
    responses=answers(200, 401, 404, 422, 500, 503),
    tags=["users"],
    security=BEARER,
    summary="A user's profile",
)
def get_user(
    user_id: CurrentUserId, other_id: Annotated[str, Path(alias="id", max_length=64, description="The user's id.")]
) -> User:
    return user_service().get(user_id, other_id)


@router.get(
    "/me/blocks",
    responses=answers(200, 401, 500, 503),
    tags=["users"],
    security=BEARER,
    summary="The people you blocked, the latest first",
)
def blocked_users(user_id: CurrentUserId) -> BlockedUsers:
    return user_service().blocked(user_id)


@router.put(
    "/<id>/block",
    status_code=204,
    responses=answers(204, 401, 404, 409, 422, 429, 500, 503),
    tags=["users"],
    security=BEARER,
    summary="Block a user: no direct chat with them, none of your presence or typing, no notification of theirs",
)
def block_user(
    user_id: CurrentUserId, other_id: Annotated[str, Path(alias="id", max_length=64, description="The user's id.")]
) -> Response[None]:
    rate_limits().check("block", user_id)
    user_service().block(user_id, other_id)
    return Response(status_code=204)


@router.delete(
    "/<id>/block",
    status_code=204,
    responses=answers(204, 401, 404, 422, 429, 500, 503),
    tags=["users"],
    security=BEARER,
    summary="Unblock a user",
)
def unblock_user(
    user_id: CurrentUserId, other_id: Annotated[str, Path(alias="id", max_length=64, description="The user's id.")]
) -> Response[None]:
    rate_limits().check("block", user_id)
    user_service().unblock(user_id, other_id)
    return Response(status_code=204)
