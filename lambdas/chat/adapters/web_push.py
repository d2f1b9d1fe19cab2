"""Sends Web Push messages (RFC 8030): one encrypted POST per subscription, signed for the
push service with a VAPID JWT (RFC 8292), over a kept-alive connection per push service and
thread (most subscriptions share a handful of push services). Redirects are not followed:
the endpoint was checked when it was stored, and a redirect could lead anywhere."""

import http.client
import ssl
import threading
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import jwt

from chat.adapters.push_encryption import encrypt
from chat.clock import utc_now
from chat.models.ports import PushOutcome, PushSubscription
from chat.push_keys import vapid_public_key

# A JWT is good for at most 24 hours (RFC 8292); one is signed per push service every 12.
JWT_LIFETIME_SECONDS = 12 * 3600
STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ssl.SSLEOFError)


class HttpWebPush:
    def __init__(self, private_key_pem: str, subject: str, *, timeout_seconds: float) -> None:
        self._private_key = private_key_pem
        self._public_key = vapid_public_key(private_key_pem)
        self._subject = subject
        self._timeout = timeout_seconds
        self._tokens: dict[str, tuple[str, float]] = {}  # origin -> (JWT, when to sign anew)
        self._tokens_lock = threading.Lock()
        self._local = threading.local()

    def send(
        self, subscription: PushSubscription, payload: bytes, *, ttl: int, urgency: str, topic: str
    ) -> PushOutcome:
        parts = urlsplit(subscription.endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        body = encrypt(payload, subscription.p256dh, subscription.auth)
        headers = {
            "Authorization": f"vapid t={self._token(origin)}, k={self._public_key}",
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(ttl),
            "Urgency": urgency,
            "Topic": topic,
        }
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            status, retry_after = self._post(origin, path or "/", body, headers)
        except (OSError, http.client.HTTPException):
            return PushOutcome(0)  # no answer: worth another try
        return PushOutcome(status, retry_after)

    def _token(self, origin: str) -> str:
        now = time.time()
        with self._tokens_lock:
            cached = self._tokens.get(origin)
            if cached and cached[1] > now:
                return cached[0]
            claims = {"aud": origin, "exp": int(now) + JWT_LIFETIME_SECONDS, "sub": self._subject}
            token = jwt.encode(claims, self._private_key, algorithm="ES256")
            self._tokens[origin] = (token, now + JWT_LIFETIME_SECONDS / 2)
            return token

    def _post(self, origin: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, float | None]:
        connections: dict[str, http.client.HTTPConnection] = self._local.__dict__.setdefault("connections", {})
        for attempt in range(2):  # a kept-alive connection the service closed is opened again once
            connection = connections.get(origin) or self._connect(origin)
            connections[origin] = connection
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except STALE_CONNECTION:
                connection.close()
                del connections[origin]
                if attempt:
                    raise
                continue
            except BaseException:
                connection.close()
                del connections[origin]
                raise
            if response.will_close:
                connection.close()
                del connections[origin]
            return response.status, retry_after_seconds(response.getheader("Retry-After"))
        raise AssertionError("unreachable")

    def _connect(self, origin: str) -> http.client.HTTPConnection:
        parts = urlsplit(origin)
        host, port = parts.hostname or "", parts.port
        if parts.scheme == "http":  # the local stack's test push services only: checked when stored
            return http.client.HTTPConnection(host, port, timeout=self._timeout)
        return http.client.HTTPSConnection(host, port, timeout=self._timeout, context=ssl.create_default_context())


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - utc_now()).total_seconds())
    except (TypeError, ValueError):
        return None
