from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chat.handlers.composition import rate_limits, search_service
from chat.handlers.http_routes.responses import answers
from chat.handlers.http_routes.security import BEARER, CurrentUserId
from chat.models.api import DEFAULT_SEARCH_PAGE, MAX_SEARCH_LENGTH, MAX_SEARCH_PAGE, MAX_SEARCH_WORDS, SearchPage

router = APIGatewayHttpRouter()

# As every id the API hands out: what `nextBefore` gives.
ID_PATTERN = r"^[A-Za-z0-9_-]+$"


@router.get(
    "/",
    responses=answers(200, 401, 403, 404, 422, 429, 500, 503),
    tags=["messages"],
    security=BEARER,
    summary="Search your messages by words, newest first",
)
def search_messages(
    user_id: CurrentUserId,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_SEARCH_LENGTH,
            description=f"Words to find, all of them, whole words, in any letter case and with or without accents "
            f"(at most {MAX_SEARCH_WORDS} different words).",
        ),
    ],
    conversation_id: Annotated[
        str | None,
        Query(
            alias="conversationId",
            max_length=64,
            pattern=ID_PATTERN,
            description="Only in this conversation (one you may read).",
        ),
    ] = None,
    before: Annotated[
        str | None,
        Query(max_length=64, pattern=ID_PATTERN, description="The previous page's nextBefore: older messages."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_PAGE)] = DEFAULT_SEARCH_PAGE,
) -> SearchPage:
    rate_limits().check("search", user_id)
    return search_service().search(user_id, q, conversation_id=conversation_id, before=before, limit=limit)
