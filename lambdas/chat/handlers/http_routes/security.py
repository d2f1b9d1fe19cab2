"""The one bearer-token check for every authenticated route."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.request import Request

from chat.handlers.composition import access_tokens
from chat.models.errors import NotAuthenticated

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def authenticated_user_id(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send 'Authorization: Bearer <accessToken>'.")
    return access_tokens().verify_access_token(token.strip())


CurrentUserId = Annotated[str, Depends(authenticated_user_id)]
