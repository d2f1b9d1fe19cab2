"""Settings, read once per container.

On AWS the JWT key and the MongoDB URI live in Secrets Manager: the functions
get the secrets' ARNs and fetch the values once per container, through the reader
the composition root hands this module (`read_secrets_with`: Secrets Manager's
adapter, which keeps each value for an hour; `settings()` keeps them for the
container). Locally and in tests the values come straight from the
environment."""

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Literal

from chat.models.limits import RATE_LIMITS, LimitName, RateLimit

# The push services of Chrome, Edge, Opera and Samsung (FCM), Firefox (Mozilla), Edge on
# Windows (WNS) and Safari (Apple): an endpoint's host is one of these or under one.
KNOWN_PUSH_SERVICES = ("fcm.googleapis.com", "push.services.mozilla.com", "notify.windows.com", "push.apple.com")

# A dataclass, not a pydantic model: the authorizer and ping handlers import
# this, and pydantic would add ~70 ms to their cold start.


@dataclass(frozen=True)
class Settings:
    jwt_secret: str | None = field(default=None, repr=False)
    jwt_issuer: str = "chat"
    jwt_audience: str = "chat-api"
    access_token_ttl_seconds: int = 900  # the contract's ceiling: 15 minutes
    refresh_token_ttl_days: int = 30  # the contract's ceiling
    mongodb_uri: str | None = field(default=None, repr=False)
    mongodb_database: str = "chat"
    # Server selection and connecting (the deep health check: its whole ping), so a dead cluster is a quick 503.
    mongodb_timeout_ms: int = 3000
    # The API Gateway Management API endpoint: https://{api-id}.execute-api.{region}.amazonaws.com/{stage}
    ws_management_endpoint: str | None = None
    # Media: the S3 bucket, the CloudFront base URL members fetch from, and the
    # key pair CloudFront's key group trusts for signed URLs.
    media_bucket: str | None = None
    media_url: str | None = None
    media_key_pair_id: str | None = None
    s3_endpoint_url: str | None = None  # only the local stack's S3
    # Fan-out: pushes in flight per function (each thread keeps one connection alive);
    # above `fan_out_inline_max` sockets, the rest go to workers through the queue, if set,
    # `fan_out_batch_size` sockets per worker invocation.
    fan_out_threads: int = 100
    fan_out_queue_url: str | None = None
    fan_out_inline_max: int = 200
    fan_out_batch_size: int = 500
    # Who hears of presence and typing: beyond these group sizes they would cost O(N) pushes
    # per connect or keystroke, so larger groups ask on demand instead.
    presence_max_group_size: int = 20
    typing_max_group_size: int = 50
    # The web app's origins, the only pages that may open a socket (empty: any).
    ws_allowed_origins: frozenset[str] = frozenset()
    # Per-user (per-address before log-in) limits, by action; None when RATE_LIMITS=off.
    rate_limits: dict[LimitName, RateLimit] | None = None
    # Sockets one user may hold open at once; a new one beyond this closes their oldest.
    max_sockets_per_user: int = 20
    # Traces (chat/tracing.py): spans for what Lambda samples, unless off; at most this many per invocation.
    tracing: bool = True
    trace_max_spans: int = 1000
    # Members one message may mention (@username in a group); names beyond stay plain text.
    max_mentions: int = 50
    # People one user may block at once (a bound on storage and on what a block check reads).
    max_blocks_per_user: int = 1000
    # Archiving: messages older than this many days move to S3 chunks (0: everything); a run
    # moves at most archive_max_messages.
    archive_after_days: float = 90.0
    archive_max_messages: int = 100_000
    # Archived history older than this many days is deleted for good; None: kept for ever.
    retention_days: float | None = None
    # Push notifications: where sends queue them (None: no notifications), the server's VAPID
    # identity, and how the notifier sends (see services/notifications.py).
    notify_queue_url: str | None = None
    vapid_subject: str = "mailto:admin@example.com"
    push_services: tuple[str, ...] = KNOWN_PUSH_SERVICES
    push_allow_loopback: bool = False
    push_ttl_seconds: int = 86_400
    push_max_attempts: int = 5
    push_first_retry_seconds: int = 10
    push_timeout_seconds: int = 10
    push_threads: int = 20
    push_batch_size: int = 500
    max_push_subscriptions_per_user: int = 10


# How a secret is read by its ARN: set by the composition root (handlers/composition.py) to
# Secrets Manager's adapter, so this module, which everything imports, imports no adapter.
SecretReader = Callable[[str], str]
_secret_reader: SecretReader | None = None


def read_secrets_with(reader: SecretReader) -> None:
    global _secret_reader
    _secret_reader = reader


def _secret(value_var: str, arn_var: str) -> str | None:
    if value := os.environ.get(value_var):
        return value
    if arn := os.environ.get(arn_var):
        if _secret_reader is None:
            raise RuntimeError(f"{arn_var} is set but nothing reads secrets: import chat.handlers.composition first")
        return _secret_reader(arn)
    return None


def forget_read_settings() -> None:
    """Forgets every setting and secret read so far, so the next read fetches them again: a
    container restored from a SnapStart snapshot must not use what another container read."""
    for read in (settings, vapid_private_key, vapid_public_key, media_signing_key):
        read.cache_clear()


@cache
def settings() -> Settings:
    """Every setting, the secrets included (fetched once per container)."""
    jwt_secret = _secret("JWT_SECRET", "JWT_SECRET_ARN")
    if jwt_secret is not None:
        _check_jwt_key(jwt_secret)
    mongodb_uri = _secret("MONGODB_URI", "MONGODB_URI_SECRET_ARN")
    return replace(environment_settings(), jwt_secret=jwt_secret, mongodb_uri=mongodb_uri)


def environment_settings() -> Settings:
    """The settings read from the environment alone, no secret fetched: cheap enough for
    every cold start to check them first (handlers/composition.py does), so a setting that makes no
    sense stops the function there, named, instead of failing its first request. Not
    cached: `settings()` is the one read the functions keep."""
    return Settings(
        jwt_issuer=os.environ.get("JWT_ISSUER", "chat"),
        jwt_audience=os.environ.get("JWT_AUDIENCE", "chat-api"),
        mongodb_database=os.environ.get("MONGODB_DATABASE", "chat"),
        mongodb_timeout_ms=positive_setting("MONGODB_TIMEOUT_MS", 3000),
        ws_management_endpoint=os.environ.get("WS_MANAGEMENT_ENDPOINT"),
        media_bucket=os.environ.get("MEDIA_BUCKET"),
        media_url=os.environ.get("MEDIA_URL"),
        media_key_pair_id=os.environ.get("MEDIA_KEY_PAIR_ID"),
        s3_endpoint_url=os.environ.get("S3_ENDPOINT_URL"),
        fan_out_threads=positive_setting("FAN_OUT_THREADS", 100),
        fan_out_queue_url=os.environ.get("FAN_OUT_QUEUE_URL") or None,
        fan_out_inline_max=positive_setting("FAN_OUT_INLINE_MAX", 200),
        fan_out_batch_size=positive_setting("FAN_OUT_BATCH_SIZE", 500),
        presence_max_group_size=positive_setting("PRESENCE_MAX_GROUP_SIZE", 20),
        typing_max_group_size=positive_setting("TYPING_MAX_GROUP_SIZE", 50),
        ws_allowed_origins=frozenset(
            origin.strip().rstrip("/").lower()
            for origin in os.environ.get("WS_ALLOWED_ORIGINS", "").split(",")
            if origin.strip()
        ),
        rate_limits=_rate_limits(),
        max_sockets_per_user=positive_setting("MAX_SOCKETS_PER_USER", 20),
        tracing=on_off_setting("TRACING", default=True),
        trace_max_spans=positive_setting("TRACE_MAX_SPANS", 1000),
        max_mentions=positive_setting("MAX_MENTIONS", 50),
        max_blocks_per_user=positive_setting("MAX_BLOCKS_PER_USER", 1000),
        archive_after_days=_days("ARCHIVE_AFTER_DAYS", 90.0),
        archive_max_messages=positive_setting("ARCHIVE_MAX_MESSAGES", 100_000),
        retention_days=_retention_days(),
        notify_queue_url=os.environ.get("NOTIFY_QUEUE_URL") or None,
        vapid_subject=_vapid_subject(),
        push_services=_push_services(),
        push_allow_loopback=_switch("PUSH_ALLOW_LOOPBACK", default=False),
        push_ttl_seconds=positive_setting("PUSH_TTL_SECONDS", 86_400),
        push_max_attempts=positive_setting("PUSH_MAX_ATTEMPTS", 5),
        push_first_retry_seconds=positive_setting("PUSH_FIRST_RETRY_SECONDS", 10),
        push_timeout_seconds=positive_setting("PUSH_TIMEOUT_SECONDS", 10),
        push_threads=positive_setting("PUSH_THREADS", 20),
        push_batch_size=positive_setting("PUSH_BATCH_SIZE", 500),
        max_push_subscriptions_per_user=positive_setting("MAX_PUSH_SUBSCRIPTIONS_PER_USER", 10),
    )


# What a function may need, as the environment variables that give it (either of a pair: the
# value itself locally, a secret's ARN on AWS). MongoDB is not among them: the local stack and
# the tests hand the functions a client, and a cluster that is not configured is answered 503.
Need = Literal["jwt_key", "sockets", "media_bucket", "media_links", "vapid_key", "notify_queue"]
NEEDS: dict[Need, tuple[tuple[str, ...], ...]] = {
    "jwt_key": (("JWT_SECRET", "JWT_SECRET_ARN"),),
    "sockets": (("WS_MANAGEMENT_ENDPOINT",),),
    "media_bucket": (("MEDIA_BUCKET",),),
    "media_links": (("MEDIA_URL",), ("MEDIA_KEY_PAIR_ID",), ("MEDIA_SIGNING_KEY", "MEDIA_SIGNING_KEY_ARN")),
    "vapid_key": (("VAPID_PRIVATE_KEY", "VAPID_SECRET_ARN"),),
    "notify_queue": (("NOTIFY_QUEUE_URL",),),
}


def require(*needs: Need) -> None:
    """Each handler names what it cannot work without, at import: a function deployed without
    one stops at its cold start, naming the variable, instead of answering 500 to its first
    request. Only presence is checked here (no secret is fetched)."""
    missing = [
        " or ".join(names) for need in needs for names in NEEDS[need] if not any(os.environ.get(n) for n in names)
    ]
    if missing:
        raise RuntimeError(f"this function needs {', '.join(missing)} set: see the README's settings")
    if "jwt_key" in needs and (key := os.environ.get("JWT_SECRET")):
        _check_jwt_key(key)  # one from Secrets Manager is checked when it is fetched


def _check_jwt_key(key: str) -> None:
    if len(key.encode()) < 32:
        raise RuntimeError("JWT_SECRET (or JWT_SECRET_ARN) must hold a random key of at least 256 bits")


def _vapid_subject() -> str:
    subject = os.environ.get("VAPID_SUBJECT", "").strip() or "mailto:admin@example.com"
    if not subject.startswith(("mailto:", "https://")):
        raise RuntimeError(f"VAPID_SUBJECT must be a mailto: or https: URL (push services want one), not {subject!r}")
    return subject


def _push_services() -> tuple[str, ...]:
    raw = os.environ.get("PUSH_SERVICE_HOSTS", "").strip()
    if not raw:
        return KNOWN_PUSH_SERVICES
    return tuple(host.strip().lower().lstrip(".") for host in raw.split(",") if host.strip())


def _switch(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("true", "false"):
        raise RuntimeError(f"{name} must be true or false, not {raw!r}")
    return raw == "true"


def _retention_days() -> float | None:
    if not os.environ.get("RETENTION_DAYS", "").strip():
        return None
    days = _days("RETENTION_DAYS", 0.0)
    if days <= _days("ARCHIVE_AFTER_DAYS", 90.0):
        raise RuntimeError("RETENTION_DAYS must be more than ARCHIVE_AFTER_DAYS: history is archived before it goes")
    return days


def _days(name: str, default: float) -> float:
    """A number of days, fractions and 0 allowed (tests archive at once)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        days = float(raw)
    except ValueError:
        days = -1.0
    if not days >= 0 or days == float("inf"):
        raise RuntimeError(f"{name} must be a number of days of at least 0, not {raw!r}")
    return days


def _rate_limits() -> dict[LimitName, RateLimit] | None:
    if not on_off_setting("RATE_LIMITS", default=True):
        return None
    known = {f"RATE_LIMIT_{name.upper()}" for name in RATE_LIMITS}
    # A misspelt limit would silently keep its default: say so instead.
    unknown = sorted(v for v in os.environ if v.startswith("RATE_LIMIT_") and v not in known)
    if unknown:
        raise RuntimeError(f"unknown rate limit {', '.join(unknown)}: the limits are {', '.join(sorted(known))}")
    limits: dict[LimitName, RateLimit] = {}
    for name, (default, _) in RATE_LIMITS.items():
        variable = f"RATE_LIMIT_{name.upper()}"
        raw = os.environ.get(variable, "").strip() or str(default)
        count, _, seconds = raw.partition("/")
        if not (count.isdigit() and seconds.isdigit() and int(count) >= 1 and int(seconds) >= 1):
            raise RuntimeError(f'{variable} must be "count/seconds" with whole numbers of at least 1, not {raw!r}')
        limits[name] = RateLimit(int(count), int(seconds))
    return limits


def on_off_setting(name: str, *, default: bool) -> bool:
    """A switch from the environment: `on` or `off` (any letter case); `default` when unset."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise RuntimeError(f"{name} must be on or off, not {raw!r}")
    return raw == "on"


def positive_setting(name: str, default: int) -> int:
    """A whole-number setting of at least 1 from the environment; `default` when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise RuntimeError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


@cache
def vapid_private_key() -> str | None:
    """The VAPID private key (PEM), read by the notifier on its first job."""
    return _secret("VAPID_PRIVATE_KEY", "VAPID_SECRET_ARN")


@cache
def vapid_public_key() -> str | None:
    """The application server key browsers subscribe with: set by the deploy, or derived from
    the private key where that is at hand (the local stack)."""
    if key := os.environ.get("VAPID_PUBLIC_KEY", "").strip():
        return key
    private = os.environ.get("VAPID_PRIVATE_KEY")
    if not private:
        return None
    from chat.push_keys import vapid_public_key as public_of

    return public_of(private)


@cache
def media_signing_key() -> str | None:
    """The private key for signed media links. Read on first use, not with the other
    settings: most requests never link to media, so they skip the secret fetch."""
    return _secret("MEDIA_SIGNING_KEY", "MEDIA_SIGNING_KEY_ARN")
