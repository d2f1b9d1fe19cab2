from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import user_service
from chat.handlers.http_routes.security import BEARER, CurrentUserId
from chat.models.api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, UserPage
from chat.models.chat import User

router = APIGatewayHttpRouter()


@router.get("/", tags=["users"], security=BEARER, summary="Find contacts by username or display-name prefix")
def search_users(
    user_id: CurrentUserId,
    q: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> UserPage:
    return user_service().search(user_id, q, limit, cursor)


@router.get("/me", tags=["users"], security=BEARER, summary="The caller's profile")
def me(user_id: CurrentUserId) -> User:
    return user_service().get(user_id)


@router.get("/<other_id>", tags=["users"], security=BEARER, summary="A user's profile")
def get_user(user_id: CurrentUserId, other_id: Annotated[str, Path(max_length=64)]) -> User:
    return user_service().get(other_id)
