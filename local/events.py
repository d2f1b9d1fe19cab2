"""The events API Gateway sends to Lambda, built from local requests."""

import base64
import secrets
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from multidict import CIMultiDictProxy

ACCOUNT_ID = "000000000000"
API_ID = "local"
REGION = "local"
STAGE = "local"


def new_connection_id() -> str:
    # Shaped like API Gateway's (url-safe base64 ending in '='), so clients and
    # the @connections path handle the same characters they will on AWS.
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def _now() -> tuple[str, int]:
    epoch_ms = int(time.time() * 1000)
    return datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"), epoch_ms


def _joined(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def http_event(
    *,
    method: str,
    path: str,
    query_string: str,
    query: dict[str, list[str]],
    headers: CIMultiDictProxy[str],
    body: bytes,
    source_ip: str,
    host: str,
) -> dict[str, Any]:
    """An HTTP API payload format 2.0 event for the `$default` stage."""
    request_time, epoch_ms = _now()
    flat_headers = _joined(headers)
    cookies = flat_headers.pop("cookie", None)
    try:
        text, is_base64 = body.decode(), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode(), True
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query_string,
        "headers": flat_headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": host,
            "domainPrefix": host.split(".", maxsplit=1)[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": flat_headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "time": request_time,
            "timeEpoch": epoch_ms,
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = [c.strip() for c in cookies.split(";")]
    if query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    if body:
        event["body"] = text
    return event


def _ws_context(
    *, route_key: str, event_type: str, connection_id: str, host: str, source_ip: str, connected_at: int
) -> dict[str, Any]:
    request_time, epoch_ms = _now()
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": uuid.uuid4().hex,
        "requestTime": request_time,
        "messageDirection": "IN",
        "stage": STAGE,
        "connectedAt": connected_at,
        "requestTimeEpoch": epoch_ms,
        "identity": {"sourceIp": source_ip},
        "requestId": uuid.uuid4().hex,
        "domainName": host,
        "connectionId": connection_id,
        "apiId": API_ID,
    }


def authorizer_event(
    *, connection_id: str, headers: CIMultiDictProxy[str], query: dict[str, str], host: str, source_ip: str
) -> dict[str, Any]:
    """A REQUEST authorizer event for `$connect`."""
    context = _ws_context(
        route_key="$connect",
        event_type="CONNECT",
        connection_id=connection_id,
        host=host,
        source_ip=source_ip,
        connected_at=int(time.time() * 1000),
    )
    return {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/$connect",
        "headers": _joined(headers),
        "queryStringParameters": query,
        "stageVariables": {},
        "requestContext": context,
    }


def websocket_event(
    *,
    route_key: str,
    event_type: str,
    connection_id: str,
    connected_at: int,
    host: str,
    source_ip: str,
    authorizer: dict[str, Any],
    body: str | None = None,
    headers: CIMultiDictProxy[str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A CONNECT, MESSAGE or DISCONNECT event for a WebSocket route."""
    context = _ws_context(
        route_key=route_key,
        event_type=event_type,
        connection_id=connection_id,
        host=host,
        source_ip=source_ip,
        connected_at=connected_at,
    )
    context["authorizer"] = authorizer
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if event_type == "MESSAGE":
        event["requestContext"]["messageId"] = uuid.uuid4().hex
        event["body"] = body
    if event_type == "CONNECT":
        event["headers"] = _joined(headers) if headers is not None else {}
        event["queryStringParameters"] = query or {}
    if event_type == "DISCONNECT":
        event["requestContext"]["disconnectStatusCode"] = 1000
    return event


def scheduler_event(schedule: str) -> dict[str, Any]:
    """What EventBridge Scheduler hands a Lambda target with no input of its own: nothing the
    handler reads (it runs on the clock, not on the event)."""
    return {"source": "aws.scheduler", "schedule": schedule}


def lambda_context(name: str, memory_mb: int = 1024, timeout_s: float = 30.0) -> Any:
    """What Lambda passes a handler as its context; its remaining time counts down from `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    return SimpleNamespace(
        function_name=name,
        function_version="$LATEST",
        memory_limit_in_mb=memory_mb,
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
        aws_request_id=base64.b32encode(time.time_ns().to_bytes(8, "big")).decode(),
        get_remaining_time_in_millis=lambda: max(0, int((deadline - time.monotonic()) * 1000)),
    )
