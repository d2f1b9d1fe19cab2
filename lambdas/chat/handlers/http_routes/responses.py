"""What the routes answer, declared once: the OpenAPI responses of every status a route can
give, and the 200-or-201 answer of calls that may find what an earlier call made."""

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from pydantic import BaseModel

from chat.models.api import ErrorBody

SUCCESSES = {
    200: "OK",
    201: "Created",
    204: "Done; no body",
}
# Each error status with what it means on any route; docs/API.md (Errors) has every code.
ERRORS = {
    401: "Not authenticated (`not_authenticated`): the access token is missing, invalid, expired or from a "
    "login that has ended; on log-in, a wrong username or password (`invalid_credentials`); on refresh, "
    "a refresh token that is not valid (`invalid_refresh_token`)",
    403: "Authenticated but not allowed (`forbidden`)",
    404: "No such thing (`not_found`)",
    409: "Not possible as things are (`username_taken`, `conflict`)",
    413: "The body is over 64 KiB, or an upload is declared larger than its type allows (`payload_too_large`)",
    415: "The body is not sent as application/json, or an upload's type is not taken (`unsupported_media_type`)",
    422: "The input is not valid (`invalid_request`, with `details`), or an upload is not what it claims "
    "(`invalid_media`)",
    429: "Too many of these requests (`rate_limited`); nothing was done: try again after `Retry-After` seconds",
    500: "A bug on our side (`internal_error`); never with `details`",
    503: "The database or the media storage is unreachable right now; try again shortly (`service_unavailable`)",
}
RETRY_AFTER: dict[str, OpenAPIResponseHeader] = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,  # type: ignore[typeddict-unknown-key]  # OpenAPI has it; Powertools' type does not
        "schema": {"type": "integer"},
    }
}


def answers(*statuses: int) -> dict[int, OpenAPIResponse]:
    """A route's OpenAPI responses, one per status it can answer: a success with the
    route's return type (204 with no body), an error with the one error body."""
    responses: dict[int, OpenAPIResponse] = {}
    for status in statuses:
        if status in SUCCESSES:
            responses[status] = {"description": SUCCESSES[status]}
            if status == 204:
                responses[status]["content"] = {}
            continue
        responses[status] = {
            "description": ERRORS[status],
            "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}},
        }
        if status == 429:
            responses[status]["headers"] = RETRY_AFTER
    return responses


def created_or_existing(model: BaseModel, created: bool) -> Response[Any]:
    """201 for something made by this call, 200 for what an earlier call made."""
    return Response(201 if created else 200, content_types.APPLICATION_JSON, model.model_dump(mode="json"))
