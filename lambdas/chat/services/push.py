"""Fan-out: sends frames to many sockets at once, cleans up closed ones."""

import json
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chat.clock import utc_now
from chat.models.chat import Connection
from chat.models.ports import ConnectionGone, ConnectionStore, Pusher
from chat.observability import logger

MAX_PARALLEL_PUSHES = 16
PUSH_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.05
CONNECT_GRACE = timedelta(seconds=10)


def encode_frame(frame: dict[str, Any]) -> bytes:
    # ensure_ascii=False keeps a 4,000-character message well inside one 32 KB frame.
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode()


def except_connection(sockets: list[Connection], connection_id: str | None) -> list[str]:
    """The sockets' ids, without the one a request came from (it hears back another way)."""
    return [socket.connectionId for socket in sockets if socket.connectionId != connection_id]


def connection_ids(sockets: list[Connection]) -> list[str]:
    return [socket.connectionId for socket in sockets]


@dataclass
class FanOutReport:
    delivered: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class FanOut:
    def __init__(
        self,
        pusher: Pusher,
        connections: ConnectionStore,
        *,
        sleep: Callable[[float], None] = time.sleep,
        executor: ThreadPoolExecutor | None = None,
    ) -> None:
        self._pusher = pusher
        self._connections = connections
        self._sleep = sleep
        self._executor = executor or ThreadPoolExecutor(MAX_PARALLEL_PUSHES, thread_name_prefix="fan-out")

    def send(self, *batches: tuple[Sequence[str], dict[str, Any]]) -> FanOutReport:
        """Pushes each batch's frame to its connections, all in parallel and in
        the order given (so a first batch goes out first), then deletes the
        connections API Gateway says are gone.

        Never raises: the message is already stored, so a socket that cannot be
        reached catches up from history."""
        report = FanOutReport()
        deliveries = [(cid, encode_frame(frame)) for connection_ids, frame in batches for cid in connection_ids]
        if not deliveries:
            return report
        outcomes = self._executor.map(lambda delivery: self._push_one(*delivery), deliveries)
        for (connection_id, _), outcome in zip(deliveries, outcomes, strict=True):
            getattr(report, outcome).append(connection_id)
        if report.gone:
            try:
                # API Gateway also answers 410 while a socket's $connect is still
                # running: a record that young is left alone, not deleted.
                self._connections.remove(report.gone, connected_before=utc_now() - CONNECT_GRACE)
            except Exception:
                logger.exception("could not delete stale connections", extra={"connections": report.gone})
        return report

    def _push_one(self, connection_id: str, data: bytes) -> str:
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            try:
                self._pusher.push(connection_id, data)
                return "delivered"
            except ConnectionGone:
                return "gone"
            except Exception as error:
                if attempt == PUSH_ATTEMPTS:
                    logger.error(
                        "push failed; the member will catch up from history",
                        extra={"connection_id": connection_id, "error": repr(error), "attempts": attempt},
                    )
                    return "failed"
                logger.warning("push failed; retrying", extra={"connection_id": connection_id, "error": repr(error)})
                # Exponential backoff with full jitter.
                self._sleep(random.uniform(0, BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311 - jitter, not secrecy
        return "failed"
