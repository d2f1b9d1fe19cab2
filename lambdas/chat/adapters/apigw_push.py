"""Pushes frames to WebSockets through the API Gateway Management API.

A push is one SigV4-signed POST to `{endpoint}/@connections/{connectionId}`. The
boto3 client spends about 1 ms of CPU on each (parameter checks, serializers, event
hooks, response parsing), and botocore's signer alone about 0.15 ms, which caps one
function at about a thousand pushes a second whatever its pool. Here the request is
signed directly (the signing key kept for the day, as SigV4 allows) and sent over a
kept-alive connection of the sending thread's own: the same request, byte for byte
(a test compares it with boto3's), for about a quarter of the CPU."""

import hashlib
import hmac
import http.client
import os
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from chat.clock import utc_now
from chat.models.ports import ConnectionGone, PushRejected

SERVICE = "execute-api"


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
        self._credentials = _credentials()
        parts = urlsplit(endpoint_url)
        # The region is the endpoint's ({api}.execute-api.{region}.amazonaws.com), else the environment's.
        labels = (parts.hostname or "").split(".")
        endpoint_region = labels[2] if len(labels) > 3 and labels[1] == SERVICE else None
        self._region = (
            region or endpoint_region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""
        )
        if not self._region:
            raise RuntimeError("no AWS region to sign Management API calls for: set AWS_REGION")
        self._host = parts.netloc
        self._path = parts.path.rstrip("/") + "/@connections/"
        # (date, secret key, signing key): replaced whole, so threads never see half of one
        self._keys: tuple[str, str, bytes] | None = None
        self._connect = _connector(parts.scheme, parts.hostname or "", parts.port)
        self._connections = threading.local()  # each fan-out thread keeps one connection alive

    def signed_request(
        self, connection_id: str, frame: bytes, now: datetime | None = None, method: str = "POST"
    ) -> tuple[str, dict[str, str]]:
        """The path and headers of one push (or, with DELETE and no frame, one close), signed
        with SigV4 as boto3's PostToConnection (DeleteConnection) signs it."""
        path = self._path + quote(connection_id, safe="")
        stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%SZ")
        credentials = self._credentials.get_frozen_credentials()
        headers = {"host": self._host, "x-amz-date": stamp}
        if credentials.token:
            headers["x-amz-security-token"] = credentials.token
        signed = ";".join(sorted(headers))
        canonical = "\n".join(
            [
                method,
                quote(path, safe="/~"),  # every service but S3 encodes the path twice
                "",
                *(f"{name}:{headers[name]}" for name in sorted(headers)),
                "",
                signed,
                hashlib.sha256(frame).hexdigest(),
            ]
        )
        scope = f"{stamp[:8]}/{self._region}/{SERVICE}/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        signature = hmac.new(self._signing_key(stamp[:8], credentials.secret_key), to_sign.encode(), hashlib.sha256)
        return path, {
            "X-Amz-Date": stamp,
            **({"X-Amz-Security-Token": credentials.token} if credentials.token else {}),
            "Authorization": f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature.hexdigest()}",
        }

    def push(self, connection_id: str, frame: bytes) -> None:
        self._call("POST", connection_id, frame)

    def disconnect(self, connection_id: str) -> None:
        self._call("DELETE", connection_id, b"")

    def _call(self, method: str, connection_id: str, body: bytes) -> None:
        path, headers = self.signed_request(connection_id, body, method=method)
        status, error_type = self._send(method, path, body, headers)
        if 200 <= status < 300:
            return
        if status == 410:
            raise ConnectionGone(connection_id)
        if 400 <= status < 500 and status != 429:
            raise PushRejected(f"{status} {error_type} for {connection_id}")
        raise PushRefused(connection_id, status, error_type)

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

    def _signing_key(self, date: str, secret_key: str) -> bytes:
        """The day's signing key (it depends only on the date, region, service and secret)."""
        keys = self._keys
        if keys is None or keys[0] != date or keys[1] != secret_key:
            key = hmac.new(f"AWS4{secret_key}".encode(), date.encode(), hashlib.sha256).digest()
            for part in (self._region, SERVICE, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            keys = self._keys = (date, secret_key, key)
        return keys[2]


def _exchange(
    connection: http.client.HTTPConnection, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str]:
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()  # the whole answer, so the connection can carry the next push
    return response.status, response.getheader("x-amzn-ErrorType") or ""


@dataclass(frozen=True)
class AwsCredentials:
    access_key: str
    secret_key: str
    token: str | None


class _EnvironmentCredentials:
    """What Lambda gives every function: the role's keys in the environment, for the
    container's life. Read directly, so a cold start does not import botocore (~250 ms)."""

    def __init__(self, credentials: AwsCredentials) -> None:
        self._credentials = credentials

    def get_frozen_credentials(self) -> AwsCredentials:
        return self._credentials


def _credentials() -> Any:
    access_key, secret_key = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if access_key and secret_key:
        return _EnvironmentCredentials(AwsCredentials(access_key, secret_key, os.environ.get("AWS_SESSION_TOKEN")))
    import botocore.session  # elsewhere: the whole credential chain (profiles, SSO, instance roles)

    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials to sign Management API calls with")
    return credentials


def _connector(scheme: str, host: str, port: int | None) -> Any:
    if scheme != "https":
        return lambda: http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
    context = ssl.create_default_context()  # the system's trusted CAs, as on Lambda
    return lambda: http.client.HTTPSConnection(host, port, timeout=TIMEOUT_SECONDS, context=context)
