"""Rate limits as settings and services share them (plain dataclasses: the settings module
imports this, and it must stay light for the authorizer's cold start)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """`count` actions per `seconds`, as a token bucket: up to `count` at once, then one
    more every `seconds / count`."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}"
