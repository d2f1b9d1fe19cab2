"""What every WebSocket route shares: reading API Gateway's event, the correlation keys its
log lines carry, and turning results and errors into the frame API Gateway sends back to the
caller's socket (each route has a route response, so its return body is the reply)."""

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from chat.handlers.json_input import TOO_DEEP, TOO_LONG_NUMBER, nested_too_deeply, number_too_long
from chat.handlers.refusals import log_crash, log_refusal
from chat.models.errors import ChatError, InvalidRequest, RateLimited, unexpected
from chat.observability import entry_point

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chat.models.frames import ErrorFrame, ServerFrame

Action = TypeVar("Action", bound="BaseModel")

Event = dict[str, Any]


def connection_id(event: Event) -> str:
    return str(event["requestContext"]["connectionId"])


def caller_id(event: Event) -> str:
    """The user the $connect authorizer let in; API Gateway repeats its context on every route."""
    return str(event["requestContext"]["authorizer"]["userId"])


def caller_login_id(event: Event) -> str | None:
    """The login whose access token opened the socket (None from an authorizer before logins)."""
    login_id = event["requestContext"]["authorizer"].get("loginId")
    return str(login_id) if login_id else None


def correlation(event: Event) -> dict[str, object]:
    """What every log line of a WebSocket invocation carries: API Gateway's request id (its
    access log's `requestId`), the route, the socket and the user the authorizer let in (the
    authorizer's own event has none yet)."""
    context = event.get("requestContext") or {}
    return {
        "correlation_id": context.get("requestId"),
        "route": context.get("routeKey"),
        "connection_id": context.get("connectionId"),
        "user_id": (context.get("authorizer") or {}).get("userId"),
    }


websocket_entry_point = entry_point(correlation)


def parse_frame(event: Event) -> dict[str, Any]:
    text = event.get("body") or ""
    if nested_too_deeply(text):
        raise InvalidRequest(TOO_DEEP)
    try:
        frame = json.loads(text)
    except ValueError as error:
        if number_too_long(error):
            raise InvalidRequest(TOO_LONG_NUMBER) from None
        frame = None
    if not isinstance(frame, dict):
        raise InvalidRequest('A frame must be a JSON object with an "action", e.g. {"action": "ping"}.')
    return frame


def parse_action(event: Event, model: type[Action], frame: dict[str, Any] | None = None) -> Action:
    """The frame (parsed from the event unless given) validated as `model`; an invalid one
    is an InvalidRequest naming each bad field."""
    from pydantic import ValidationError

    frame = parse_frame(event) if frame is None else frame
    try:
        return model.model_validate(frame)
    except ValidationError as error:
        details = [{"loc": list(e["loc"]), "type": e["type"], "message": e["msg"]} for e in error.errors()]
        raise InvalidRequest(f"The {frame.get('action')} frame is not valid.", details=details) from error


def reply(frame: "ServerFrame") -> Event:
    body = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    try:
        body.encode()
    except UnicodeEncodeError:
        # A lone surrogate the client sent (echoed as a clientMsgId or a field name) is no
        # UTF-8: escape it as JSON allows, so the frame can still be sent.
        body = json.dumps(frame, separators=(",", ":"))
    return {"statusCode": 200, "body": body}


def error_frame(error: ChatError, client_msg_id: object = None, action: str | None = None) -> "ErrorFrame":
    """The `error` frame: which action of the client's it answers (when the route knows), and
    the send's clientMsgId."""
    frame: ErrorFrame = {"type": "error", "code": error.code, "message": error.message}
    if action:
        frame["action"] = action
    if error.details is not None:
        frame["details"] = error.details
    if isinstance(error, RateLimited):
        frame["retryAfter"] = error.retry_after
    if isinstance(client_msg_id, str):
        frame["clientMsgId"] = client_msg_id
    return frame


def frame_route(route: Callable[[Event], "ServerFrame | None"]) -> Callable[[Event, Any], Event]:
    """Runs a frame route: its frame (if any) is the reply; any failure becomes
    an `error` frame and the socket stays open."""

    @websocket_entry_point
    @functools.wraps(route)
    def handler(event: Event, context: Any) -> Event:
        try:
            frame = route(event)
            return reply(frame) if frame is not None else {"statusCode": 200}
        except ChatError as error:
            log_refusal(error)
            return reply(error_frame(error, _client_msg_id(event), _action(event)))
        except Exception:
            log_crash("unhandled error in a WebSocket route")
            return reply(error_frame(unexpected(), _client_msg_id(event), _action(event)))

    return handler


def _action(event: Event) -> str | None:
    """The action API Gateway routed the frame by; none for $default (no action it knows)."""
    route = event.get("requestContext", {}).get("routeKey")
    return route if isinstance(route, str) and not route.startswith("$") else None


def _client_msg_id(event: Event) -> object:
    text = event.get("body") or ""
    if nested_too_deeply(text):
        return None
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    return frame.get("clientMsgId") if isinstance(frame, dict) else None
