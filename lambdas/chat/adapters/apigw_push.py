"""Pushes frames to WebSockets through the API Gateway Management API.

A push is one SigV4-signed POST to `{endpoint}/@connections/{connectionId}`. The
boto3 client spends about 1 ms of CPU on each (parameter checks, serializers, event
hooks, response parsing), and botocore's signer alone about 0.15 ms, which caps one
function at about a thousand pushes a second whatever its pool. Here the request is
signed directly (the signing key kept for the day, as SigV4 allows) and sent with
urllib3, which ships with the Lambda runtime: the same request, byte for byte (a test
compares it with boto3's), for about a third of the CPU."""

import hashlib
import hmac
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from chat.models.ports import ConnectionGone

SERVICE = "execute-api"


class PushRefused(Exception):
    """API Gateway answered something other than 200 or 410 (throttled, too large, down)."""

    def __init__(self, connection_id: str, status: int, error_type: str) -> None:
        super().__init__(f"{status} {error_type} for {connection_id}")
        self.status = status
        self.error_type = error_type


class ApiGatewayPusher:
    def __init__(self, endpoint_url: str, *, pool_size: int, region: str | None = None) -> None:
        """`pool_size` is the fan-out's thread count, so no thread waits for a connection."""
        import botocore.session
        import urllib3
        from botocore.httpsession import get_cert_path

        session = botocore.session.get_session()
        self._credentials = session.get_credentials()
        if self._credentials is None:
            raise RuntimeError("no AWS credentials to sign Management API calls with")
        parts = urlsplit(endpoint_url)
        # The region is the endpoint's ({api}.execute-api.{region}.amazonaws.com), else the session's.
        labels = (parts.hostname or "").split(".")
        endpoint_region = labels[2] if len(labels) > 3 and labels[1] == SERVICE else None
        self._region = region or endpoint_region or session.get_config_variable("region") or "us-east-1"
        self._host = parts.netloc
        self._path = parts.path.rstrip("/") + "/@connections/"
        self._keys: tuple[str, str, bytes] | None = None  # (date, secret key, signing key)
        self._keys_lock = threading.Lock()
        self._pool: Any = urllib3.connection_from_url(
            endpoint_url,
            maxsize=pool_size,
            block=True,
            timeout=urllib3.Timeout(connect=2, read=3),
            retries=False,  # the fan-out retries with its own backoff and logging
            **({"ca_certs": get_cert_path(True)} if parts.scheme == "https" else {}),
        )

    def signed_request(
        self, connection_id: str, frame: bytes, now: datetime | None = None
    ) -> tuple[str, dict[str, str]]:
        """The path and headers of one push, signed with SigV4 as boto3's PostToConnection signs it."""
        path = self._path + quote(connection_id, safe="")
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        credentials = self._credentials.get_frozen_credentials()
        headers = {"host": self._host, "x-amz-date": stamp}
        if credentials.token:
            headers["x-amz-security-token"] = credentials.token
        signed = ";".join(sorted(headers))
        canonical = "\n".join(
            [
                "POST",
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
        path, headers = self.signed_request(connection_id, frame)
        response = self._pool.urlopen("POST", path, body=frame, headers=headers)
        if response.status == 200:
            return
        if response.status == 410:
            raise ConnectionGone(connection_id)
        raise PushRefused(connection_id, response.status, response.headers.get("x-amzn-ErrorType", ""))

    def _signing_key(self, date: str, secret_key: str) -> bytes:
        """The day's signing key (it depends only on the date, region, service and secret)."""
        keys = self._keys
        if keys is None or keys[0] != date or keys[1] != secret_key:
            key = hmac.new(f"AWS4{secret_key}".encode(), date.encode(), hashlib.sha256).digest()
            for part in (self._region, SERVICE, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            keys = (date, secret_key, key)
            with self._keys_lock:
                self._keys = keys
        return keys[2]
