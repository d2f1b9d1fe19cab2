"""The one bearer-token check for every authenticated route."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.request import Request

from chat.handlers.composition import access_tokens
from chat.models.errors import NotAuthenticated
from chat.observability import logger
from chat.services.tokens import Bearer

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def authenticated(request: Request) -> Bearer:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send 'Authorization: Bearer <accessToken>'.")
    bearer = access_tokens().verify_access_token(token.strip())
    logger.append_keys(user_id=bearer.user_id)  # on every later log line of the request
    return bearer


def authenticated_user_id(bearer: Annotated[Bearer, Depends(authenticated)]) -> str:
    return bearer.user_id


CurrentBearer = Annotated[Bearer, Depends(authenticated)]
CurrentUserId = Annotated[str, Depends(authenticated_user_id)]
