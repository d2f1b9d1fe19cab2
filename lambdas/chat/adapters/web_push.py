"""Sends Web Push messages (RFC 8030): one encrypted POST per subscription, signed for the
push service with a VAPID JWT (RFC 8292), over a kept-alive connection per push service and
thread (most subscriptions share a handful of push services). Redirects are not followed:
the endpoint was checked when it was stored, and a redirect could lead anywhere.

`send` never raises: whatever goes wrong with one subscription is an outcome for it alone."""

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
from chat.observability import logger
from chat.push_keys import vapid_public_key

# A JWT is good for at most 24 hours (RFC 8292); one is signed per push service every 12.
JWT_LIFETIME_SECONDS = 12 * 3600
# What a kept-alive connection the push service closed while idle raises when reused.
STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ssl.SSLEOFError)
DEFAULT_PORTS = {"https": 443, "http": 80}


class _NotSent(Exception):
    """The request did not leave: trying again cannot send it twice."""


class HttpWebPush:
    def __init__(self, private_key_pem: str, subject: str, *, timeout_seconds: float) -> None:
        self._private_key = private_key_pem
        self._public_key = vapid_public_key(private_key_pem)
        self._subject = subject
        self._timeout = timeout_seconds
        self._tls = ssl.create_default_context()  # the CA store is read once, not per connection
        self._tokens: dict[str, tuple[str, float]] = {}  # origin -> (JWT, when to sign anew)
        self._tokens_lock = threading.Lock()
        self._local = threading.local()

    def send(
        self, subscription: PushSubscription, payload: bytes, *, ttl: int, urgency: str, topic: str
    ) -> PushOutcome:
        try:
            parts = urlsplit(subscription.endpoint)
            origin = _origin(parts.scheme, parts.hostname or "", parts.port)
            headers = {
                "Authorization": f"vapid t={self._token(origin)}, k={self._public_key}",
                "Content-Encoding": "aes128gcm",
                "Content-Type": "application/octet-stream",
                "TTL": str(ttl),
                "Urgency": urgency,
                "Topic": topic,
            }
            body = encrypt(payload, subscription.p256dh, subscription.auth)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            status, retry_after = self._post(origin, path, body, headers)
        except _NotSent:
            return PushOutcome(PushOutcome.NOT_SENT)
        except Exception as error:  # after the request left, or a subscription no push can reach
            logger.warning("push failed", extra={"subscription": subscription.id, "error": repr(error)})
            return PushOutcome(PushOutcome.UNKNOWN)
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
        """The status and Retry-After. Raises _NotSent when the request surely did not leave;
        anything else it raises may follow a request that did."""
        connections: dict[str, http.client.HTTPConnection] = self._local.__dict__.setdefault("connections", {})
        reused = origin in connections
        connection = connections.pop(origin, None) or self._connect(origin)
        if connection.sock is None:
            try:
                connection.connect()
            except OSError as error:  # refused, unreachable, TLS: nothing was sent
                connection.close()
                raise _NotSent from error
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except STALE_CONNECTION:
            connection.close()
            if reused:  # closed by the service while idle, before it read anything: once more, afresh
                return self._post(origin, path, body, headers)
            raise
        except BaseException:
            connection.close()
            raise
        if not response.will_close:
            connections[origin] = connection
        else:
            connection.close()
        return response.status, retry_after_seconds(response.getheader("Retry-After"))

    def _connect(self, origin: str) -> http.client.HTTPConnection:
        parts = urlsplit(origin)
        host, port = parts.hostname or "", parts.port
        if parts.scheme == "http":  # the local stack's test push services only: checked when stored
            return http.client.HTTPConnection(host, port, timeout=self._timeout)
        return http.client.HTTPSConnection(host, port, timeout=self._timeout, context=self._tls)


def _origin(scheme: str, host: str, port: int | None) -> str:
    """As the push service names itself, which VAPID's `aud` must equal: a lower-case host
    (urlsplit gives one), and no port when it is the scheme's own."""
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS.get(scheme)) else f"{scheme}://{host}:{port}"


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date; None if neither."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - utc_now()).total_seconds())
    except (TypeError, ValueError, OverflowError):
        return None
