"""How a function explains itself: the one logger (Powertools reads POWERTOOLS_LOG_LEVEL), the
one metrics recorder, and `entry_point`, which every Lambda entry point wears so each log line
carries the request's correlation keys and the invocation's metrics are printed once, at its end.

Metrics are CloudWatch's embedded metric format (EMF): JSON lines on stdout that CloudWatch Logs
turns into metrics, with no API call. POWERTOOLS_METRICS_NAMESPACE names the namespace (default
"Chat"); POWERTOOLS_METRICS_DISABLED=true, which the local stack and the tests set, prints none.
Traces are chat/tracing.py's: `entry_point` begins and ends each invocation's."""

import functools
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger

from chat import tracing

SERVICE = "chat"
DEFAULT_NAMESPACE = "Chat"

logger = Logger(service=SERVICE)

Handler = TypeVar("Handler", bound=Callable[[Any, Any], Any])

# The event a stage's keep-warm schedule invokes each SnapStart function's live alias with, daily, so
# its version is not left uninvoked for the 14 days that make it Inactive (infra/constructs/keep_warm.py).
# No API Gateway event has the key at its top: a client cannot send it.
KEEP_WARM = "chatKeepWarm"


def is_keep_warm(event: object) -> bool:
    """True for the keep-warm event alone, which entry points answer without doing anything."""
    return isinstance(event, dict) and event.get(KEEP_WARM) is True


class EmfMetrics:
    """The `Metrics` port (models/ports.py) as CloudWatch metrics. Counts are summed in memory and
    printed by `flush`: one EMF line per breakdown, its only dimensions `service` and the
    breakdown's (never an id: each distinct value is a metric CloudWatch bills). An invocation
    that counts nothing never reaches Powertools' metrics code."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # media checks and the local gateway count from threads
        self._pending: dict[tuple[tuple[str, str], ...], dict[str, float]] = {}

    def count(self, name: str, value: float = 1, *, by: Mapping[str, str] | None = None) -> None:
        breakdown = tuple(sorted(by.items())) if by else ()
        with self._lock:
            counts = self._pending.setdefault(breakdown, {})
            counts[name] = counts.get(name, 0) + value

    def flush(self) -> None:
        """Prints what was counted since the last flush (nothing when there is nothing) and forgets it."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

        namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
        for breakdown, counts in pending.items():
            emf = EphemeralMetrics(namespace=namespace, service=SERVICE)
            for dimension, label in breakdown:
                emf.add_dimension(name=dimension, value=label)
            if breakdown:
                # A second dimension set on the same line: the service-wide total, for alarms.
                emf.add_dimensions(service=SERVICE)
            for name, total in counts.items():
                emf.add_metric(name=name, unit=MetricUnit.Count, value=total)
            emf.flush_metrics()


metrics = EmfMetrics()


def entry_point(correlation: Callable[[Any], Mapping[str, object]] | None = None) -> Callable[[Handler], Handler]:
    """What every Lambda entry point wears: the Lambda context and `correlation(event)` (for a
    request: `correlation_id`, API Gateway's request id, which its access log also carries; the
    route, connection and user) on every log line of the invocation, its metrics flushed once
    and its trace sent when it ends, however it ends. `correlation` must not raise on an event
    missing fields. The keep-warm event is answered at once: the invocation alone is its purpose."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(event: Any, context: Any) -> Any:
            # Inside the logger's wrapper (it prints nothing of its own): a container the keep-warm
            # started spends its cold start here, and the next request logs cold_start=false.
            if is_keep_warm(event):
                return {KEEP_WARM: "ok"}
            if correlation is not None:
                logger.append_keys(**{key: value for key, value in correlation(event).items() if value})
            try:
                tracing.begin_invocation()
            except Exception:
                # A trace lost is not worth the request's answer: this one goes untraced.
                logger.warning("could not begin this invocation's trace", exc_info=True)
            try:
                return handler(event, context)
            finally:
                try:
                    metrics.flush()
                except Exception:
                    logger.exception("could not print this invocation's metrics")
                try:
                    if dropped := tracing.end_invocation():
                        logger.warning("trace cut short", extra={"spans_dropped": dropped})
                except Exception:
                    # A trace lost is not worth the request's answer.
                    logger.warning("could not send this invocation's trace", exc_info=True)

        return cast(Handler, logger.inject_lambda_context(run, clear_state=True))

    return decorate
