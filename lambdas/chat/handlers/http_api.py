"""The HTTP API (payload format 2.0): every /api route, one error mapping."""

import base64
import binascii
import json
import re
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, OpenAPI
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from chat.config import require
from chat.handlers import cold_start
from chat.handlers.composition import health_service
from chat.handlers.http_routes import auth, conversations, media, messages, push, search, users
from chat.handlers.http_routes.responses import answers
from chat.handlers.http_routes.security import authenticated
from chat.handlers.json_input import TOO_DEEP, TOO_LONG_NUMBER, nested_too_deeply, number_too_long
from chat.handlers.refusals import log_crash, log_refusal
from chat.models.api import Health
from chat.models.errors import (
    ChatError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
    unexpected,
)
from chat.observability import entry_point

require("jwt_key", "sockets", "media_bucket", "media_links")

# API Gateway allows 10 MB; nothing in the contract comes near 64 KiB.
MAX_BODY_BYTES = 64 * 1024
OPENAPI = {
    "title": "Chat API",
    "version": "1.0.0",
    "description": "Real-time chat: auth, users, conversations, messages and media. "
    "WebSocket frames are in docs/API.md.",
    "security_schemes": {"bearerAuth": HTTPBearer(bearerFormat="JWT")},
}
# Powertools gives every route its own 422 shape, which no answer of ours has; routes
# declare theirs with `answers`, in the one error body.
POWERTOOLS_422 = "#/components/schemas/HTTPValidationError"
POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def is_powertools_422(response: Any) -> bool:
    media = (response.content or {}).get(content_types.APPLICATION_JSON) if response is not None else None
    return media is not None and getattr(media.schema_, "ref", None) == POWERTOOLS_422


class ChatHttpResolver(APIGatewayHttpResolver):
    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        """Each operation lists the statuses its route declares, and only those."""
        document = super().get_openapi_schema(**kwargs)
        for path in (document.paths or {}).values():
            for operation in (path.get, path.put, path.post, path.delete, path.patch):
                if operation is not None and operation.responses and is_powertools_422(operation.responses.get(422)):
                    del operation.responses[422]
        if document.components is not None and document.components.schemas is not None:
            for name in POWERTOOLS_ERROR_SCHEMAS:
                document.components.schemas.pop(name, None)
        return document

    def methods_for(self, path: str) -> list[str]:
        """The methods the API takes at `path` (none: not the API's). A fixed path such as
        /api/groups/create owns its URL, as in OpenAPI, whatever {group_id} would match."""
        for routes in (self._static_routes, self._dynamic_routes):
            methods = sorted({route.method for route in routes if route.rule.match(path)})
            if methods:
                return methods
        return []


app = ChatHttpResolver(enable_validation=True)
app.include_router(auth.router, prefix="/api/auth")
app.include_router(users.router, prefix="/api/users")
app.include_router(conversations.router, prefix="/api")
app.include_router(messages.router, prefix="/api/messages")
app.include_router(media.router, prefix="/api/media")
app.include_router(push.router, prefix="/api/push")
app.include_router(search.router, prefix="/api/search")
app.configure_openapi(**OPENAPI)  # type: ignore[arg-type]
app.enable_swagger(path="/api/docs", **OPENAPI)  # type: ignore[arg-type]


@app.get(
    "/api/health",
    responses=answers(200, 422, 500, 503),
    tags=["health"],
    summary="Liveness, or with deep=true readiness (MongoDB pinged); needs no token and tells only up or down",
)
def health(
    deep: Annotated[
        Literal["true", "false"],
        Query(
            description="true: ping MongoDB (one command, within MONGODB_TIMEOUT_MS) and answer 503 naming it "
            "if it does not answer; false: touch nothing."
        ),
    ] = "false",
) -> Health:
    return health_service().check(deep=deep == "true")


@app.get("/api/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, app.get_openapi_json_schema(**OPENAPI))  # type: ignore[arg-type]


def error_response(error: ChatError) -> Response[dict[str, Any]]:
    """The one error answer, its refusal logged (and counted, for 429 and 503)."""
    log_refusal(error)
    return error_answer(error)


def error_answer(error: ChatError) -> Response[dict[str, Any]]:
    headers = None
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(error.retry_after)}
    elif isinstance(error, MethodNotAllowed):
        headers = {"Allow": ", ".join(error.allowed)}
    return Response(error.status, content_types.APPLICATION_JSON, error.to_body(), headers=headers)


@app.exception_handler(ChatError)
def chat_error(error: ChatError) -> Response[dict[str, Any]]:
    return error_response(error)


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
    refused = caller_refused()
    if refused is not None:
        return error_response(refused)
    details = [{"loc": list(e["loc"]), "type": e["type"], "message": e.get("msg", "")} for e in error.errors()]
    fields = ", ".join(".".join(str(part) for part in d["loc"][1:]) or "body" for d in details)
    return error_response(InvalidRequest(f"The request is not valid: check {fields}.", details=details))


@app.exception_handler(RequestUnsupportedContentType)
def not_json(_: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
    return error_response(UnsupportedMediaType(NOT_JSON))


def caller_refused() -> ChatError | None:
    """Who asks is checked before what they ask: a route that needs a token answers a
    missing or bad one with 401 even when the rest of the request is not valid either."""
    route = app.context.get("_route")
    if route is None or not route.security:
        return None
    try:
        authenticated(app.request)
    except ChatError as error:
        return error
    return None


@app.exception_handler(NotFoundError)
def unknown_route(_: NotFoundError) -> Response[dict[str, Any]]:
    allowed = app.methods_for(app.current_event.path)
    if allowed:
        return error_response(MethodNotAllowed(f"This path takes {', '.join(allowed)}.", allowed=allowed))
    return error_response(NotFound("There is no such API route; see /api/docs."))


@app.exception_handler(Exception)
def unhandled_error(error: Exception) -> Response[dict[str, Any]]:
    log_crash("unhandled error")
    return error_answer(unexpected())


def refusal(error: ChatError) -> dict[str, Any]:
    """An answer given before any route runs, in the same error body."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(error.to_body(), ensure_ascii=False, separators=(",", ":")),
    }


NOT_JSON = "Send the body as JSON, with Content-Type: application/json."


def body_too_large(body: str, *, base64_encoded: bool) -> bool:
    """Whether the body, as sent, is over MAX_BODY_BYTES (API Gateway counts bytes, not characters)."""
    if base64_encoded:
        return len(body) * 3 // 4 - body[-2:].count("=") > MAX_BODY_BYTES
    if len(body) * 4 <= MAX_BODY_BYTES:  # four bytes a character at most: under it whatever they are
        return False
    return len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES


def body_refusal(event: dict[str, Any]) -> ChatError | None:
    """What is wrong with the body before anything parses it: too large, not JSON (what a
    cross-site form or a plain fetch sends: text/plain, form-urlencoded), or not UTF-8."""
    body = event.get("body") or ""
    if body_too_large(body, base64_encoded=bool(event.get("isBase64Encoded"))):
        return PayloadTooLarge(f"The request body is over {MAX_BODY_BYTES // 1024} KiB.")
    if not body:
        return None
    headers = event.get("headers") or {}
    name = next((name for name in headers if name.lower() == "content-type"), None)
    media_type = (headers.get(name) or "").split(";", 1)[0].strip().lower() if name else ""
    if media_type != "application/json":
        return UnsupportedMediaType(NOT_JSON)
    if name is not None:
        headers[name] = "application/json"  # media types are case-insensitive; the parser is not
    text = body
    if event.get("isBase64Encoded"):
        try:
            text = base64.b64decode(body, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return InvalidRequest(
                "The body is not valid UTF-8: send JSON text.", details=[{"loc": ["body"], "type": "utf8"}]
            )
    return unreadable_json(text)


# A run of digits that long is rare: only then is the body parsed once more, to tell a
# number Python will not read from a long string of digits.
# Anchored at a run's start (not after a digit), so a body of runs just short of it stays linear.
LONG_NUMBER = re.compile(r"(?<!\d)\d{4301}")


def unreadable_json(text: str) -> InvalidRequest | None:
    """JSON the parser would fail on with an error of its own rather than a syntax error."""
    if nested_too_deeply(text):
        return InvalidRequest(TOO_DEEP, details=[{"loc": ["body"], "type": "json_depth"}])
    if LONG_NUMBER.search(text):
        try:
            json.loads(text)
        except ValueError as error:
            if number_too_long(error):
                return InvalidRequest(TOO_LONG_NUMBER, details=[{"loc": ["body"], "type": "json_number"}])
    return None


def without_trailing_slashes(event: dict[str, Any]) -> dict[str, Any]:
    """The contract writes some paths with a trailing slash (`/api/users/`): both spellings
    reach the same route, as in Powertools' REST resolver, by routing on the path without
    them (a route's own rule never ends in one)."""
    path = event.get("rawPath") or ""
    if len(path) < 2 or not path.endswith("/"):
        return event
    return {**event, "rawPath": path.rstrip("/") or "/"}


def correlation(event: dict[str, Any]) -> dict[str, object]:
    """What every log line of a request carries: API Gateway's request id (its access log's
    `requestId`) and the route; the user is added once their token is checked (security.py)."""
    context = event.get("requestContext") or {}
    route = context.get("routeKey")
    if not route or route == "$default":  # a catch-all route (the local gateway's): the request's own
        http = context.get("http") or {}
        route = f"{http.get('method', '')} {event.get('rawPath', '')}".strip()
    return {"correlation_id": context.get("requestId"), "route": route}


@entry_point(correlation)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refused = body_refusal(event)
    if refused is not None:
        log_refusal(refused)
        return refusal(refused)
    return app.resolve(without_trailing_slashes(event), context)


# Last: what the first event imports goes into a SnapStart snapshot, and the import's objects are frozen.
cold_start.imported(
    cold_start.MONGODB,
    cold_start.PUSHES,
    cold_start.AWS_SDK,
    cold_start.MEDIA_LINKS,
    "chat.services.*",
    "chat.adapters.s3_media",
    "chat.adapters.s3_archive",
    "chat.adapters.sqs_notifications",
)
