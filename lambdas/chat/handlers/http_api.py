"""The HTTP API (payload format 2.0): every /api route, one error mapping."""

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.utilities.typing import LambdaContext

from chat.handlers.http_routes import auth, conversations, media, messages, users
from chat.models.api import Health
from chat.models.errors import ChatError, InvalidRequest, NotFound, PayloadTooLarge, RateLimited, unexpected
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


@app.exception_handler(NotFoundError)
def unknown_route(_: NotFoundError) -> Response[dict[str, Any]]:
    return error_response(NotFound("There is no such API route; see /api/docs."))


@app.exception_handler(Exception)
def unhandled_error(error: Exception) -> Response[dict[str, Any]]:
    logger.exception("unhandled error")
    return error_response(unexpected())


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if len(event.get("body") or "") > MAX_BODY_BYTES:
        too_large = PayloadTooLarge(f"The request body is over {MAX_BODY_BYTES // 1024} KiB.")
        return {
            "statusCode": too_large.status,
            "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": json.dumps(too_large.to_body()),
        }
    return app.resolve(event, context)
