"""Browsers' Web Push subscriptions: which push service URL to call for whom.

An endpoint is a URL the server will POST to, so it is the one place a user names where our
requests go: only https URLs on the known push services are taken (no private ranges, no
metadata services, no IP literals), and on the local stack also the test push services on
127.0.0.1."""

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from chat.clock import as_stored, utc_now
from chat.models.api import PushConfig, PushSubscriptionRequest, PushSubscriptionView
from chat.models.errors import Conflict, InvalidRequest
from chat.models.ports import PushSubscription, PushSubscriptionStore


def subscription_id(endpoint: str) -> str:
    """One record per endpoint (a browser's subscription), whoever holds it."""
    return hashlib.sha256(endpoint.encode()).hexdigest()[:32]


def endpoint_problem(endpoint: str, push_services: Iterable[str], *, allow_loopback: bool) -> str | None:
    """Why the server must not call this endpoint, or None when it may."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return "endpoint is not a URL"
    if not endpoint.isascii() or not endpoint.isprintable() or " " in endpoint:
        return "endpoint must be a URL of printable ASCII characters"  # what http.client can send, as checked
    host = (parts.hostname or "").lower()
    plain = parts.username is None and parts.password is None and not parts.fragment
    if allow_loopback and plain and parts.scheme == "http" and host == "127.0.0.1" and port is not None:
        return None  # the local stack's test push services
    checks = (
        (parts.scheme == "https", "endpoint must be an https URL"),
        (plain, "endpoint may not carry credentials or a fragment"),
        (port in (None, 443), "endpoint must use the https port"),
        (any(host == s or host.endswith(f".{s}") for s in push_services), "endpoint is not on a known push service"),
    )
    return next((problem for passed, problem in checks if not passed), None)


class PushSubscriptionService:
    def __init__(
        self,
        subscriptions: PushSubscriptionStore,
        *,
        vapid_public_key: str | None,
        push_services: tuple[str, ...],
        allow_loopback: bool,
        max_per_user: int,
    ) -> None:
        self._subscriptions = subscriptions
        self._vapid_public_key = vapid_public_key
        self._push_services = push_services
        self._allow_loopback = allow_loopback
        self._max_per_user = max_per_user

    def config(self) -> PushConfig:
        return PushConfig(vapidPublicKey=self._vapid_public_key)

    def subscribe(self, user_id: str, login_id: str, request: PushSubscriptionRequest) -> PushSubscriptionView:
        """Stores the browser's subscription for this user and login (ending the login ends its
        notifications). Two round trips; a third when it was one over the cap (the oldest goes)."""
        if self._vapid_public_key is None:
            raise InvalidRequest("This deploy sends no push notifications (it has no VAPID key).")
        problem = endpoint_problem(request.endpoint, self._push_services, allow_loopback=self._allow_loopback)
        if problem:
            raise InvalidRequest(f"{problem[0].upper()}{problem[1:]}.", details=[_at(["endpoint"], "push_endpoint")])
        _check_keys(request)
        now = utc_now()
        expires_at = None
        if request.expirationTime is not None:
            expires_at = as_stored(datetime.fromtimestamp(request.expirationTime / 1000, UTC))
            if expires_at <= now:
                raise InvalidRequest(
                    "The subscription has expired already: subscribe again in the browser.",
                    details=[_at(["expirationTime"], "expired")],
                )
        subscription = PushSubscription(
            id=subscription_id(request.endpoint),
            user_id=user_id,
            login_id=login_id,
            endpoint=request.endpoint,
            p256dh=request.keys.p256dh,
            auth=request.keys.auth,
            expires_at=expires_at,
            created_at=now,
        )
        if not self._subscriptions.save(subscription, self._max_per_user):
            raise Conflict("That endpoint is subscribed with other keys: subscribe again in the browser.")
        return PushSubscriptionView(
            id=subscription.id, endpoint=subscription.endpoint, expirationTime=request.expirationTime, createdAt=now
        )

    def unsubscribe(self, user_id: str, endpoint: str) -> None:
        """Forgets the caller's subscription at this endpoint; nothing if there is none."""
        self._subscriptions.delete(user_id, subscription_id(endpoint))


def _check_keys(request: PushSubscriptionRequest) -> None:
    # Imported here: only subscribing needs the curve arithmetic.
    from chat.push_keys import b64url_decode, browser_key

    try:
        browser_key(request.keys.p256dh)
    except ValueError as error:  # binascii.Error included
        details = [_at(["keys", "p256dh"], "not_p256")]
        raise InvalidRequest("keys.p256dh is not a P-256 public key.", details=details) from error
    try:
        auth = b64url_decode(request.keys.auth)
    except ValueError:
        auth = b""
    if len(auth) != 16:
        raise InvalidRequest("keys.auth is not a 16-byte secret.", details=[_at(["keys", "auth"], "not_16_bytes")])


def _at(field: list[str], kind: str) -> dict[str, object]:
    """An error detail: where in the body, and why."""
    return {"loc": ["body", *field], "type": kind}
