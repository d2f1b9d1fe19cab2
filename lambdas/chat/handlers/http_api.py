"""The HTTP API (payload format 2.0): every /api route, one error mapping."""

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.utilities.typing import LambdaContext

from chat.handlers.http_routes import auth, conversations, media, messages, users
from chat.models.api import Health
from chat.models.errors import (
    ChatError,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
    unexpected,
)
from chat.observability import logger

# API Gateway allows 10 MB; nothing in the contract comes near 64 KiB.
MAX_BODY_BYTES = 64 * 1024
OPENAPI = {
    "title": "Chat API",
    "version": "1.0.0",
    "description": "Real-time chat: auth, users, conversations, messages and media. "
    "WebSocket frames are in docs/API.md.",
    "security_schemes": {"bearerAuth": HTTPBearer(bearerFormat="JWT")},
}


class ChatHttpResolver(APIGatewayHttpResolver):
    # The contract writes some paths with a trailing slash (`/api/users/`);
    # accept both spellings, as Powertools' REST resolver does.
    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "") -> Any:
        return APIGatewayHttpResolver._compile_regex(rule.rstrip("/") or "/", "^{}/*$")


app = ChatHttpResolver(enable_validation=True)
app.include_router(auth.router, prefix="/api/auth")
app.include_router(users.router, prefix="/api/users")
app.include_router(conversations.router, prefix="/api")
app.include_router(messages.router, prefix="/api/messages")
app.include_router(media.router, prefix="/api/media")
app.configure_openapi(**OPENAPI)  # type: ignore[arg-type]
app.enable_swagger(path="/api/docs", **OPENAPI)  # type: ignore[arg-type]


@app.get("/api/health", tags=["health"], summary="Liveness; needs no token")
def health() -> Health:
    return Health(status="ok")


@app.get("/api/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, app.get_openapi_json_schema(**OPENAPI))  # type: ignore[arg-type]


def error_response(error: ChatError) -> Response[dict[str, Any]]:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    return Response(error.status, content_types.APPLICATION_JSON, error.to_body(), headers=headers)


@app.exception_handler(ChatError)
def chat_error(error: ChatError) -> Response[dict[str, Any]]:
    return error_response(error)


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
    details = [{"loc": list(e["loc"]), "type": e["type"], "message": e.get("msg", "")} for e in error.errors()]
    fields = ", ".join(".".join(str(part) for part in d["loc"][1:]) or "body" for d in details)
    return error_response(InvalidRequest(f"The request is not valid: check {fields}.", details=details))


@app.exception_handler(RequestUnsupportedContentType)
def not_json(_: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
    return error_response(UnsupportedMediaType(NOT_JSON))


@app.exception_handler(NotFoundError)
def unknown_route(_: NotFoundError) -> Response[dict[str, Any]]:
    return error_response(NotFound("There is no such API route; see /api/docs."))


@app.exception_handler(Exception)
def unhandled_error(error: Exception) -> Response[dict[str, Any]]:
    logger.exception("unhandled error")
    return error_response(unexpected())


def refusal(error: ChatError) -> dict[str, Any]:
    """An answer given before any route runs, in the same error body."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(error.to_body()),
    }


NOT_JSON = "Send the body as JSON, with Content-Type: application/json."


def body_refusal(event: dict[str, Any]) -> ChatError | None:
    """What is wrong with the body before anything parses it: too large, not JSON (what a
    cross-site form or a plain fetch sends: text/plain, form-urlencoded), or not UTF-8."""
    body = event.get("body") or ""
    if len(body) > MAX_BODY_BYTES:
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
    if event.get("isBase64Encoded"):
        try:
            base64.b64decode(body, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return InvalidRequest(
                "The body is not valid UTF-8: send JSON text.", details=[{"loc": ["body"], "type": "utf8"}]
            )
    return None


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refused = body_refusal(event)
    if refused is not None:
        return refusal(refused)
    return app.resolve(event, context)
