"""A Web Push service for the tests: an HTTP server on a free port that does what FCM or
Mozilla's service does with a push, and what the browser does with it after.

It checks the VAPID JWT (RFC 8292: ES256 under the key in `k`, `aud` the endpoint's origin,
`exp` within 24 hours, `sub` a mailto: or https: URL), decrypts the body with the browser's
private key and auth secret (RFC 8291, with http_ece, the reference implementation), and
records what arrived. Each browser can be told to answer with other statuses (410, 429...)."""

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Delivery:
    payload: dict[str, Any]
    headers: dict[str, str]
    claims: dict[str, Any]
    received_at: float = field(default_factory=time.perf_counter)


@dataclass
class Browser:
    """One browser's push subscription: its keys, and what its push service received for it."""

    name: str
    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))
    deliveries: list[Delivery] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # next statuses, then 201
    attempts: int = 0

    def subscription(self) -> dict[str, Any]:
        """As `PushSubscription.toJSON()` gives it."""
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }

    def payloads(self) -> list[dict[str, Any]]:
        return [delivery.payload for delivery in self.deliveries]


class PushService:
    """`latency_s` is how long each answer takes (a push service across the network, for the
    benchmarks)."""

    def __init__(self, *, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s
        self.browsers: dict[str, Browser] = {}
        self.refusals: list[str] = []  # pushes the service refused, and why
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "PushService":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def browser(self, name: str) -> Browser:
        browser = Browser(name, f"{self.origin}/push/{name}")
        self.browsers[name] = browser
        return browser

    def wait_for(self, browser: Browser, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The browser's payloads once it has `count` of them (or what it has at the timeout)."""
        deadline = time.monotonic() + timeout
        while len(browser.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return browser.payloads()

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        if self.latency_s:
            time.sleep(self.latency_s)
        browser = self.browsers.get(path.removeprefix("/push/"))
        if browser is None:
            return 404, {}
        try:
            claims = self._check_vapid(headers)
            plaintext = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm")
        except Exception as error:  # what a real push service answers for a bad JWT or body
            self.refusals.append(f"{browser.name}: {error!r}")
            return 400, {}
        with self._lock:
            browser.attempts += 1
            if browser.answers:
                return browser.answers.pop(0)
            browser.deliveries.append(Delivery(json.loads(plaintext), headers, claims))
        return 201, {}

    def _check_vapid(self, headers: dict[str, str]) -> dict[str, Any]:
        scheme, _, params = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError("no VAPID authorization")
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        point = base64.urlsafe_b64decode(fields["k"] + "=" * (-len(fields["k"]) % 4))
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        claims: dict[str, Any] = jwt.decode(fields["t"], public_key, algorithms=["ES256"], audience=self.origin)
        if not 0 < claims["exp"] - time.time() <= 24 * 3600:
            raise ValueError("exp is not within 24 hours")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            raise ValueError("sub is not a mailto: or https: URL")
        for header in ("ttl", "content-encoding"):
            if header not in headers:
                raise ValueError(f"no {header} header")
        if headers["content-encoding"] != "aes128gcm":
            raise ValueError("the content encoding is not aes128gcm")
        return claims

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as push services speak

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, extra = service._receive(self.path, headers, body)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        return Handler
