"""Per-user limits on what costs the service (and everyone else) something: sends, typing,
receipts, reactions, edits, new conversations, membership changes, uploads, connections;
and per source address before anyone is logged in: sign-ups, log-ins and refreshes.
Each is a token bucket in MongoDB, so every container counts against the same budget;
a check is one atomic write."""

import math
from collections.abc import Mapping

from chat.clock import utc_now
from chat.models.errors import RateLimited
from chat.models.limits import RATE_LIMITS, LimitName, RateLimit
from chat.models.ports import RateLimitStore


class RateLimits:
    def __init__(self, buckets: RateLimitStore, limits: Mapping[LimitName, RateLimit] | None) -> None:
        self._buckets = buckets
        self._limits = limits  # None: limits are off (load tests, benchmarks)

    def check(self, action: LimitName, who: str) -> None:
        """Spends one of `who`'s `action` tokens; raises RateLimited (nothing done) when none is left."""
        if self._limits is None:
            return
        limit = self._limits[action]
        wait = self._buckets.take(f"{action}:{who}", limit.count, limit.count / limit.seconds, utc_now())
        if wait is None:
            return
        retry_after = max(1, math.ceil(wait))
        # Logged and counted, by its limit's name, where the refusal is answered (chat.handlers.refusals).
        raise RateLimited(
            f"Too many {RATE_LIMITS[action][1]}: at most {limit.count} in {limit.seconds} s. "
            f"Slow down and try again in {retry_after} s.",
            retry_after=retry_after,
            limit=action,
        )
