"""Rate limits as settings and services share them (plain Python: the settings module
imports this, and it must stay light for the authorizer's cold start)."""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class RateLimit:
    """`count` actions per `seconds`, as a token bucket: up to `count` at once, then one
    more every `seconds / count`."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}"


LimitName = Literal[
    "send",
    "typing",
    "receipt",
    "reaction",
    "edit",
    "group",
    "direct",
    "membership",
    "upload",
    "subscription",
    "search",
    "block",
    "connect",
    "signup",
    "login",
    "refresh",
]

# Each limit: its default, which no real person meets (RATE_LIMIT_<NAME>="count/seconds"),
# and how a refusal names what was done too often. Per user, unless it says "per address".
RATE_LIMITS: dict[LimitName, tuple[RateLimit, str]] = {
    "send": (RateLimit(30, 10), "messages"),  # over HTTP or the socket
    "typing": (RateLimit(40, 10), "typing updates"),  # starts and stops alike
    "receipt": (RateLimit(600, 60), "receipts"),  # markDelivered / markRead, either transport
    "reaction": (RateLimit(60, 10), "reactions"),
    "edit": (RateLimit(30, 10), "edits and deletions"),
    "group": (RateLimit(20, 3600), "new groups"),
    "direct": (RateLimit(60, 3600), "new direct chats"),  # each one shares presence
    "membership": (RateLimit(60, 60), "membership changes"),  # members added or removed, renames
    "upload": (RateLimit(60, 60), "uploads"),  # upload forms (one per file)
    "subscription": (RateLimit(30, 3600), "notification subscription changes"),  # push subscribe/unsubscribe
    "search": (RateLimit(30, 60), "searches"),  # GET /api/search (each one reads the term index)
    "block": (RateLimit(60, 60), "blocks and unblocks"),  # each one writes the block and the direct chat
    "connect": (RateLimit(30, 60), "connections"),  # WebSocket handshakes
    "signup": (RateLimit(60, 3600), "sign-ups from this address"),  # per address
    "login": (RateLimit(60, 60), "log-ins from this address"),  # per address, beside the wrong-password limit
    "refresh": (RateLimit(300, 600), "token refreshes from this address"),  # per address
}
