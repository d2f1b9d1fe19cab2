"""Pushes frames to WebSockets through the API Gateway Management API.

A push is one SigV4-signed POST to `{endpoint}/@connections/{connectionId}`. The
boto3 client spends about 1 ms of CPU on each (parameter checks, serializers, event
hooks, response parsing), and botocore's signer alone about 0.15 ms, which caps one
function at about a thousand pushes a second whatever its pool. Here the request is
signed directly (sigv4.py, which keeps the day's signing key) and sent over a
kept-alive connection of the sending thread's own: the same request, byte for byte
(a test compares it with boto3's), for about a quarter of the CPU."""

import http.client
import ssl
import threading
from datetime import datetime
from urllib.parse import quote, urlsplit

from chat import tracing
from chat.adapters.sigv4 import SigV4Signer, aws_credentials, aws_region, connector
from chat.models.ports import ConnectionGone, PushRejected

SERVICE = "execute-api"
TRACED_SERVICE = "ApiGatewayManagementApi"  # as boto3 (and so X-Ray's service map) names it


class PushRefused(Exception):
    """API Gateway could not take the frame now (429 throttled, 5xx): worth trying again."""

    def __init__(self, connection_id: str, status: int, error_type: str) -> None:
        super().__init__(f"{status} {error_type} for {connection_id}")
        self.status = status
        self.error_type = error_type


# Connect and read timeouts. A push takes tens of milliseconds; one that takes a second is
# retried by the fan-out, and three tries of 200 pushes on 100 threads stay well inside the
# sending function's 15 s (a worker's 500, inside its 30 s).
TIMEOUT_SECONDS = 1
# What a kept-alive connection the server has since closed raises on reuse.
STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ssl.SSLEOFError)


class ApiGatewayPusher:
    def __init__(self, endpoint_url: str, *, region: str | None = None) -> None:
        parts = urlsplit(endpoint_url)
        # The region is the endpoint's ({api}.execute-api.{region}.amazonaws.com), else the environment's.
        labels = (parts.hostname or "").split(".")
        endpoint_region = labels[2] if len(labels) > 3 and labels[1] == SERVICE else None
        region = region or endpoint_region or aws_region("Management API calls")
        self._signer = SigV4Signer(SERVICE, region, aws_credentials("Management API calls"))
        self._region = region
        self._host = parts.netloc
        self._path = parts.path.rstrip("/") + "/@connections/"
        self._connect = connector(parts.scheme, parts.hostname or "", parts.port, TIMEOUT_SECONDS)
        self._connections = threading.local()  # each fan-out thread keeps one connection alive

    def signed_request(
        self, connection_id: str, frame: bytes, now: datetime | None = None, method: str = "POST"
    ) -> tuple[str, dict[str, str]]:
        """The path and headers of one push (or, with DELETE and no frame, one close), signed
        with SigV4 as boto3's PostToConnection (DeleteConnection) signs it."""
        path = self._path + quote(connection_id, safe="")
        return path, self._signer.sign(method, self._host, path, frame, now=now)

    def push(self, connection_id: str, frame: bytes) -> None:
        self._call("POST", connection_id, frame)

    def disconnect(self, connection_id: str) -> None:
        self._call("DELETE", connection_id, b"")

    def _call(self, method: str, connection_id: str, body: bytes) -> None:
        path, headers = self.signed_request(connection_id, body, method=method)
        operation = "PostToConnection" if method == "POST" else "DeleteConnection"
        with tracing.span(f"{TRACED_SERVICE}.{operation}", self._traced(operation)) as span:
            status, error_type = self._send(method, path, body, headers)
            if span is not None:
                failed = None if 200 <= status < 300 else error_type or str(status)
                tracing.annotate(span, error=failed, attributes={"http.response.status_code": status})
        if 200 <= status < 300:
            return
        if status == 410:
            raise ConnectionGone(connection_id)
        if 400 <= status < 500 and status != 429:
            raise PushRejected(f"{status} {error_type} for {connection_id}")
        raise PushRefused(connection_id, status, error_type)

    def _traced(self, operation: str) -> dict[str, tracing.AttributeValue]:
        return {**tracing.aws_call_attributes(TRACED_SERVICE, operation, self._region), "server.address": self._host}

    def _send(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        connection = getattr(self._connections, "connection", None)
        if connection is None:
            connection = self._connections.connection = self._connect()
        elif connection.sock is not None:
            try:
                return _exchange(connection, method, path, body, headers)
            except STALE_CONNECTION:
                connection.close()  # the server closed it while idle: once more, on a fresh one
            except Exception:
                connection.close()  # a timeout leaves it mid-request: the next push reconnects
                raise
        try:
            return _exchange(connection, method, path, body, headers)
        except Exception:
            connection.close()  # the next push reconnects
            raise


def _exchange(
    connection: http.client.HTTPConnection, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str]:
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()  # the whole answer, so the connection can carry the next push
    return response.status, response.getheader("x-amzn-ErrorType") or ""
