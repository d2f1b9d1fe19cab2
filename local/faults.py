"""Faults the local Management API can inject, so clients can be tried against what
API Gateway does under stress: answers of 410 (the socket is gone: it is closed too),
429 (throttled) or 500 at given rates, rules that fail every post of a matching frame,
and latency on every post. Set at start from the environment, or at run time through
/_local/faults; never part of the product on AWS."""

import json
import os
import random
from dataclasses import dataclass, field
from typing import Any

STATUSES = (410, 429, 500)


class FaultSettingError(ValueError):
    pass


@dataclass
class FaultRule:
    contains: str  # a text the frame holds, e.g. a message's text or id
    status: int
    type: str | None = None  # only frames of this type, e.g. "messageReceived"

    def matches(self, frame: str) -> bool:
        return self.contains in frame and (self.type is None or f'"type":"{self.type}"' in frame)


@dataclass
class PushFaults:
    rates: dict[int, float] = field(default_factory=dict)
    latency_ms: int = 0
    rules: list[FaultRule] = field(default_factory=list)

    @classmethod
    def from_environment(cls) -> "PushFaults":
        """LOCAL_PUSH_FAULTS="500=0.1,429=0.05,410=0.01" and LOCAL_PUSH_LATENCY_MS=25."""
        rates: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in os.environ.get("LOCAL_PUSH_FAULTS", "").split(","))):
            status, _, rate = part.partition("=")
            try:
                rates[status.strip()] = float(rate)
            except ValueError as error:
                raise FaultSettingError(f"LOCAL_PUSH_FAULTS: {part!r} is not status=rate") from error
        latency = os.environ.get("LOCAL_PUSH_LATENCY_MS", "0").strip() or "0"
        if not latency.isdigit():
            raise FaultSettingError(f"LOCAL_PUSH_LATENCY_MS must be whole milliseconds, not {latency!r}")
        return cls.from_json({"rates": rates, "latencyMs": int(latency)})

    @classmethod
    def from_json(cls, body: Any) -> "PushFaults":
        if not isinstance(body, dict):
            raise FaultSettingError('send {"rates": {"500": 0.1}, "latencyMs": 25, "rules": [...]}')
        rates: dict[int, float] = {}
        for status, rate in (body.get("rates") or {}).items():
            if str(status) not in {str(s) for s in STATUSES}:
                raise FaultSettingError(f"rates: {status} is not one of {', '.join(map(str, STATUSES))}")
            if not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise FaultSettingError(f"rates: {status} needs a rate from 0 to 1")
            rates[int(status)] = float(rate)
        if sum(rates.values()) > 1:
            raise FaultSettingError("rates add up to more than 1")
        latency = body.get("latencyMs", 0)
        if not isinstance(latency, int) or not 0 <= latency <= 10_000:
            raise FaultSettingError("latencyMs must be whole milliseconds from 0 to 10000")
        rules = []
        for given in body.get("rules") or []:
            rule = given if isinstance(given, dict) else {}
            contains, status, kind = rule.get("contains"), rule.get("status"), rule.get("type")
            if (
                not isinstance(contains, str)
                or not contains
                or status not in STATUSES
                or not isinstance(kind, str | None)
            ):
                raise FaultSettingError(
                    'rules: each is {"contains": "text", "status": 410|429|500, "type"?: "frame type"}'
                )
            rules.append(FaultRule(contains, status, kind))
        return cls(rates, latency, rules)

    def to_json(self) -> dict[str, Any]:
        return {
            "rates": {str(status): rate for status, rate in self.rates.items()},
            "latencyMs": self.latency_ms,
            "rules": [{"contains": r.contains, "status": r.status, "type": r.type} for r in self.rules],
        }

    def status_for(self, frame: str) -> int | None:
        """The fault to answer this post with, or None to deliver it."""
        for rule in self.rules:
            if rule.matches(frame):
                return rule.status
        draw = random.random()  # noqa: S311 - chaos, not secrecy
        for status, rate in self.rates.items():
            if draw < rate:
                return status
            draw -= rate
        return None


@dataclass
class PushLog:
    """Every post the functions made to @connections, by frame type: what API Gateway would bill."""

    posts: dict[str, int] = field(default_factory=dict)
    delivered: int = 0

    def record(self, frame: str, delivered: bool) -> None:
        try:
            kind = str(json.loads(frame).get("type", "?"))
        except (ValueError, AttributeError):
            kind = "?"
        self.posts[kind] = self.posts.get(kind, 0) + 1
        self.delivered += delivered

    def to_json(self) -> dict[str, Any]:
        return {"total": sum(self.posts.values()), "delivered": self.delivered, "byType": dict(self.posts)}
