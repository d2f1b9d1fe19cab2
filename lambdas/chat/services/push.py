"""Fan-out: sends frames to many sockets at once, cleans up closed ones."""

import functools
import itertools
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from chat.clock import utc_now
from chat.models.chat import Connection
from chat.models.ports import (
    ConnectionGone,
    ConnectionStore,
    FanOutJob,
    FanOutQueue,
    Metrics,
    Pusher,
    PushRejected,
)
from chat.observability import logger

if TYPE_CHECKING:
    from chat.models.frames import ServerFrame

PUSH_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.05
CONNECT_GRACE = timedelta(seconds=10)
# Waits between closes of a socket answered 410 that may still be in its $connect, whose last
# steps (presence to contacts) take well under these 1.5 s.
CONNECTING_WAITS = (0.25, 0.5, 0.75)


def encode_frame(frame: "ServerFrame") -> bytes:
    # ensure_ascii=False keeps a 4,000-character message well inside one 32 KB frame.
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode()


def except_connection(sockets: list[Connection], connection_id: str | None) -> list[str]:
    """The sockets' ids, without the one a request came from (it hears back another way)."""
    return [socket.connectionId for socket in sockets if socket.connectionId != connection_id]


def connection_ids(sockets: list[Connection]) -> list[str]:
    return [socket.connectionId for socket in sockets]


Delivery = tuple[str, bytes]  # a connection id and the frame for it


@dataclass
class FanOutReport:
    delivered: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # refused for good (a 4xx): not retried
    queued: list[str] = field(default_factory=list)  # handed to fan-out workers

    def pushes(self) -> int:
        """Every socket this fan-out was for, whatever became of its push."""
        return sum(len(outcome) for outcome in (self.delivered, self.gone, self.failed, self.rejected, self.queued))


# Counted for every fan-out, in the function that pushes (a queued push is counted again, by
# its outcome, in the worker that makes it).
OUTCOME_METRICS = {
    "delivered": "FanOutDelivered",
    "gone": "FanOutGone",
    "failed": "FanOutFailed",
    "rejected": "FanOutRejected",
    "queued": "FanOutQueued",
}


class FanOut:
    """Pushes frames to sockets, wide: `threads` pushes in flight at once. With a queue, a
    fan-out to more than `inline_max` sockets sends its first `inline_max` deliveries from
    here (the caller's own ack is first) and hands the rest to parallel fan-out workers in
    jobs of `batch_size` sockets, so a group of 10,000 costs the sender no more time than
    one of 200. Without a queue every push goes from here."""

    def __init__(
        self,
        pusher: Pusher,
        connections: ConnectionStore,
        *,
        threads: int,
        queue: FanOutQueue | None = None,
        inline_max: int = 200,
        batch_size: int = 500,
        sleep: Callable[[float], None] = time.sleep,
        metrics: Metrics | None = None,
    ) -> None:
        self._pusher = pusher
        self._connections = connections
        self._queue = queue
        self._inline_max = inline_max
        self._batch_size = batch_size
        self._sleep = sleep
        self._metrics = metrics
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="fan-out")

    def send(self, *batches: tuple[Sequence[str], "ServerFrame"]) -> FanOutReport:
        """Pushes each batch's frame to its connections, in the order given (so a first batch
        goes out first), then deletes the connections API Gateway says are gone.

        Never raises: the message is already stored, so a socket that cannot be
        reached catches up from history."""
        deliveries = [(cid, encode_frame(frame)) for connection_ids, frame in batches for cid in connection_ids]
        here, elsewhere = deliveries, []
        if self._queue is not None and len(deliveries) > self._inline_max:
            here, elsewhere = deliveries[: self._inline_max], deliveries[self._inline_max :]
        # Submitted before the hand-off, so the first pushes are on their way while it runs.
        outcomes = self._start(here)
        report = FanOutReport()
        if elsewhere and (unqueued := self._hand_off(elsewhere, report)):
            outcomes = itertools.chain(outcomes, self._start(unqueued))
            here = here + unqueued
        return self._settle(report, here, outcomes)

    def push_here(self, connection_ids: Sequence[str], frame: bytes) -> FanOutReport:
        """One worker's job: every push from this function, never handed on."""
        deliveries = [(connection_id, frame) for connection_id in connection_ids]
        return self._settle(FanOutReport(), deliveries, self._start(deliveries))

    def close(self, connection_ids: Sequence[str], *, may_be_connecting: bool = False) -> None:
        """Closes these sockets (API Gateway then runs their $disconnect), each tried like a
        push, and forgets them all, so nothing more is pushed to them even if a close failed
        (that socket then hears nothing, and API Gateway ends it within 2 hours). Never raises.
        `may_be_connecting`: a socket may still be in its $connect, for which API Gateway
        answers 410 too; such a 410 is tried again until the handshake is surely over."""
        if not connection_ids:
            return
        close = functools.partial(self._close_one, patient=may_be_connecting)
        outcomes = self._executor.map(close, connection_ids)
        unclosed = [c for c, closed in zip(connection_ids, outcomes, strict=True) if not closed]
        if unclosed:
            logger.error("could not close sockets; they hear nothing more", extra={"connections": unclosed})
        try:
            self._connections.remove(list(connection_ids))
        except Exception:
            logger.exception("could not delete closed connections", extra={"connections": list(connection_ids)})

    def _close_one(self, connection_id: str, *, patient: bool = False) -> bool:
        for wait in CONNECTING_WAITS if patient else ():
            try:
                self._pusher.disconnect(connection_id)
                return True
            except ConnectionGone:
                self._sleep(wait)  # gone, or not open yet: ask again once its $connect is done
            except Exception:
                break  # not a 410: tried below like any close
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            try:
                self._pusher.disconnect(connection_id)
                return True
            except ConnectionGone:
                return True
            except PushRejected:
                return False
            except Exception as error:
                if attempt == PUSH_ATTEMPTS:
                    return False
                logger.warning("close failed; retrying", extra={"connection_id": connection_id, "error": repr(error)})
                self._sleep(random.uniform(0, BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311 - jitter
        return False

    def _start(self, deliveries: list[Delivery]) -> Iterator[str]:
        """Submits every push at once; their outcomes, in order, as they finish."""
        return self._executor.map(lambda delivery: self._push_one(*delivery), deliveries)

    def _hand_off(self, deliveries: list[Delivery], report: FanOutReport) -> list[Delivery]:
        """Queues the deliveries as jobs of one frame and up to `batch_size` sockets each;
        returns those the queue did not take, to be pushed from here instead."""
        assert self._queue is not None
        jobs: list[FanOutJob] = []
        for frame, group in itertools.groupby(deliveries, key=lambda delivery: delivery[1]):
            ids = [connection_id for connection_id, _ in group]
            jobs.extend((ids[i : i + self._batch_size], frame) for i in range(0, len(ids), self._batch_size))
        try:
            unqueued = self._queue.enqueue(jobs)
        except Exception:
            logger.exception("could not queue the fan-out; pushing from here", extra={"sockets": len(deliveries)})
            return deliveries
        left = [(connection_id, frame) for ids, frame in unqueued for connection_id in ids]
        left_ids = {connection_id for connection_id, _ in left}
        report.queued.extend(connection_id for connection_id, _ in deliveries if connection_id not in left_ids)
        return left

    def _settle(self, report: FanOutReport, deliveries: list[Delivery], outcomes: Iterable[str]) -> FanOutReport:
        """Waits for the pushes' outcomes, then forgets the connections API Gateway says are gone."""
        for (connection_id, _), outcome in zip(deliveries, outcomes, strict=True):
            getattr(report, outcome).append(connection_id)
        if self._metrics is not None:
            for outcome, metric in OUTCOME_METRICS.items():
                if count := len(getattr(report, outcome)):
                    self._metrics.count(metric, count)
        if report.rejected:
            # Once per fan-out, not per socket: a 403 here means a role or signing fault.
            logger.error("pushes rejected by API Gateway", extra={"rejected": len(report.rejected)})
        if not report.gone:
            return report
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
            except PushRejected as error:
                # Not worth retrying; a 403 means every push is refused (a role or signing fault).
                logger.debug("push rejected", extra={"connection_id": connection_id, "error": str(error)})
                return "rejected"
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
