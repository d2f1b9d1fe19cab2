"""What a group message costs as the group grows, and how fast its fan-out is.

    make bench        # or: .venv/bin/python -m benchmarks.group_scale --sizes 10,40,100,1000

Part 1 runs the product's own services, wired as the functions wire them, on the
embedded store, with a push stub that counts what would reach API Gateway's
@connections. Every member is online on one socket; the author sends one message and
each member's client does what the web client does: markDelivered, then markRead.
It counts pushes per member, writes to the conversation document and change-log entries
caused by the receipts, MongoDB round trips of the send, and presence pushes per
connect and disconnect.

Part 2 times the fan-out with 25 ms per post_to_connection (API Gateway's Management
API from Lambda in the same region is typically 10-30 ms):
  - 1,000 sockets from one function: the product's pusher (signed HTTP) against the
    local Management API in another process, which waits 25 ms before each answer
    (LOCAL_PUSH_LATENCY_MS), and the same fan-out with a push stub;
  - 10,000 sockets across workers: the sending function's FanOut queues jobs of
    FAN_OUT_BATCH_SIZE sockets; each job is taken by its own worker (a FanOut with its
    own pool, as each Lambda container has) after simulated SQS hops: 15 ms per
    SendMessageBatch call and 50 ms from enqueue to the worker's invocation. It assumes
    warm workers as many as the jobs (a burst after a quiet spell first waits for Lambda
    to scale the event source out and for cold starts); the second figure gives the same
    jobs 5 workers, where SQS's pollers start. The workers run as threads of this one
    2-core process and share its CPU, where Lambda gives each its own."""

import argparse
import multiprocessing
import os
import secrets
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from benchmarks.harness import count_round_trips, free_port
from chat.adapters.mongo.accounts import MongoUserStore
from chat.adapters.mongo.indexes import ensure_indexes
from chat.clock import utc_now
from chat.config import settings
from chat.handlers import composition
from chat.models.api import CreateGroupRequest, SendMessageRequest
from chat.models.chat import Connection, User
from chat.models.frames import ServerFrame
from chat.services.ids import new_id
from chat.services.push import FanOut
from local.background import gateway_in_background
from local.embedded_store import embedded_client

PUSH_LATENCY_S = 0.025
SQS_CALL_S = 0.015
SQS_TO_WORKER_S = 0.050
RERUN = ".venv/bin/python -m benchmarks.group_scale"
COLD_POLLERS = 5  # how many batches Lambda's SQS event source takes at once before it scales out


class CountingPusher:
    """Stands in for API Gateway: counts each post by frame type, after `latency` seconds."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.posts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def push(self, connection_id: str, frame: bytes) -> None:
        if self.latency:
            time.sleep(self.latency)
        kind = frame.split(b'"type":"', 1)[1].split(b'"', 1)[0].decode()
        with self._lock:
            self.posts[kind] += 1

    def disconnect(self, connection_id: str) -> None:
        """Closing a socket is no part of these figures."""


def frame_of(kind: str) -> ServerFrame:
    """A frame with only its type: a fan-out's cost is per socket, not per key, and the
    counting pusher reads only the type."""
    return cast("ServerFrame", {"type": kind})


def group_costs(size: int, db: Any, calls: Counter[str], pusher: CountingPusher) -> dict[str, float]:
    users = MongoUserStore(db)
    ids = []
    for i in range(size):
        name = f"s{size}_{secrets.token_hex(3)}_{i}"
        user = User(id=new_id(), username=name, displayName=name, createdAt=utc_now())
        users.create_user(user, "not-a-real-hash")
        ids.append(user.id)
    group = composition.conversation_service().create_group(ids[0], CreateGroupRequest(name="Big", memberIds=ids[1:]))
    presence, receipts = composition.presence_service(), composition.receipt_service()

    pusher.posts.clear()
    for user_id in ids:
        presence.connected(Connection(connectionId=f"c-{user_id}", userId=user_id))
    presence_per_connect = sum(pusher.posts.values()) / size

    pusher.posts.clear()
    calls.clear()
    author = ids[0]
    sent = composition.message_service().send_message(
        author, SendMessageRequest(conversationId=group.id, text="hello, everyone"), f"c-{author}"
    )
    send_round_trips = sum(calls.values())
    calls.clear()
    version = db["conversations"].find_one({"_id": group.id})["version"]
    for user_id in ids[1:]:
        receipts.mark(user_id, group.id, delivered=sent.message.seq, from_connection=f"c-{user_id}")
        receipts.mark(user_id, group.id, read=sent.message.seq, from_connection=f"c-{user_id}")
    conversation_writes = sum(n for op, n in calls.items() if op.startswith("conversations.") and "find_one_and" in op)
    conversation_writes += sum(n for op, n in calls.items() if op in ("conversations.update_one",))
    log_entries = db["conversations"].find_one({"_id": group.id})["version"] - version
    message_pushes = dict(pusher.posts)

    pusher.posts.clear()
    for user_id in ids:
        presence.disconnected(f"c-{user_id}", user_id)
    presence_per_disconnect = sum(pusher.posts.values()) / size
    total = sum(message_pushes.values())
    return {
        "pushes": total,
        "per_member": total / size,
        "receipt_pushes": message_pushes.get("receipt", 0),
        "conversation_writes": conversation_writes,
        "log_entries": log_entries,
        "send_round_trips": send_round_trips,
        "presence_connect": presence_per_connect,
        "presence_disconnect": presence_per_disconnect,
    }


def _management_api(port: int, stop: Any) -> None:
    """The local Management API in a process of its own, as API Gateway is not in the function's."""
    os.environ["LOCAL_PUSH_LATENCY_MS"] = str(int(PUSH_LATENCY_S * 1000))
    with gateway_in_background(port):
        stop.wait()


def one_function_fan_out(sockets: int) -> float:
    """Seconds for one FanOut to post to `sockets` sockets through the product's pusher and
    the local Management API, which waits 25 ms per post (every socket is unknown to it, so
    each answer is a 410 after the wait, and the FanOut then forgets them: one MongoDB delete)."""
    port = free_port()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=_management_api, args=(port, stop), daemon=True)
    server.start()
    os.environ["WS_MANAGEMENT_ENDPOINT"] = f"http://127.0.0.1:{port}"
    settings.cache_clear()
    composition.pusher.cache_clear()
    try:
        _wait_for(port)
        fan_out = FanOut(composition.pusher(), composition.connection_store(), threads=settings().fan_out_threads)
        fan_out.send(([f"warm{i}" for i in range(settings().fan_out_threads)], {"type": "pong"}))  # warm pool
        started = time.perf_counter()
        report = fan_out.send(([f"socket{i}" for i in range(sockets)], frame_of("messageReceived")))
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        server.join(10)
        composition.pusher.cache_clear()
    assert len(report.gone) == sockets, report
    return elapsed


def stub_fan_out(sockets: int) -> float:
    """The same fan-out with a push stub that only waits 25 ms: the fan-out's own cost."""
    fan_out = FanOut(CountingPusher(PUSH_LATENCY_S), composition.connection_store(), threads=settings().fan_out_threads)
    started = time.perf_counter()
    fan_out.send(([f"socket{i}" for i in range(sockets)], frame_of("messageReceived")))
    return time.perf_counter() - started


def _wait_for(port: int) -> None:
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the local Management API did not start")


class SimulatedSqs:
    """Each job goes to its own worker (Lambda scales the event source out to the queue's
    depth within the maximum concurrency), after the hops SQS would add."""

    def __init__(self, workers: int, pusher: CountingPusher) -> None:
        threads = settings().fan_out_threads
        self._workers = [FanOut(pusher, composition.connection_store(), threads=threads) for _ in range(workers)]
        self._next = 0
        self._invocations = ThreadPoolExecutor(workers, thread_name_prefix="worker")
        self.done: list[Any] = []

    def enqueue(self, jobs: list[tuple[list[str], bytes]]) -> list[tuple[list[str], bytes]]:
        for start in range(0, len(jobs), 10):  # SendMessageBatch: 10 jobs a call
            time.sleep(SQS_CALL_S)
            for connection_ids, frame in jobs[start : start + 10]:
                worker = self._workers[self._next % len(self._workers)]
                self._next += 1
                self.done.append(self._invocations.submit(self._invoke, worker, connection_ids, frame))
        return []

    @staticmethod
    def _invoke(worker: FanOut, connection_ids: list[str], frame: bytes) -> None:
        time.sleep(SQS_TO_WORKER_S)
        worker.push_here(connection_ids, frame)


def distributed_fan_out(sockets: int, workers: int) -> tuple[float, int]:
    """Seconds until all `sockets` posts are done, and how many jobs were queued."""
    config = settings()
    pusher = CountingPusher(latency=PUSH_LATENCY_S)
    queue = SimulatedSqs(workers, pusher)
    fan_out = FanOut(
        pusher,
        composition.connection_store(),
        threads=config.fan_out_threads,
        queue=queue,
        inline_max=config.fan_out_inline_max,
        batch_size=config.fan_out_batch_size,
    )
    started = time.perf_counter()
    fan_out.send((["sender"], frame_of("messageAck")), ([f"s{i}" for i in range(sockets)], frame_of("messageReceived")))
    for job in queue.done:
        job.result()
    elapsed = time.perf_counter() - started
    assert sum(pusher.posts.values()) == sockets + 1, pusher.posts
    return elapsed, len(queue.done)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,40,100,1000")
    parser.add_argument("--fan-out", type=int, default=1000, help="sockets for one function")
    parser.add_argument("--distributed", type=int, default=10_000, help="sockets across workers")
    parser.add_argument("--workers", type=int, default=50, help="the event source's maximum concurrency")
    args = parser.parse_args()

    os.environ.setdefault("WS_MANAGEMENT_ENDPOINT", "http://127.0.0.1:9")
    db = embedded_client()["chat"]
    ensure_indexes(db)
    calls = count_round_trips(db).calls
    pusher = CountingPusher()
    composition.pusher.cache_clear()
    real_pusher = composition.pusher
    composition.pusher = lambda: pusher  # type: ignore[assignment]  # the stub, for part 1
    config = settings()

    print(f"Group costs: one message, then every member's markDelivered and markRead  (rerun: {RERUN})")
    print(
        f"{'members':>8} {'pushes':>8} {'per member':>11} {'receipt pushes':>15} {'conv. writes':>13}"
        f" {'log entries':>12} {'send round trips':>17} {'presence/connect':>17} {'presence/disconnect':>20}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        f = group_costs(size, db, calls, pusher)
        print(
            f"{size:>8} {int(f['pushes']):>8} {f['per_member']:>11.2f} {int(f['receipt_pushes']):>15}"
            f" {int(f['conversation_writes']):>13} {int(f['log_entries']):>12} {int(f['send_round_trips']):>17}"
            f" {f['presence_connect']:>17.2f} {f['presence_disconnect']:>20.2f}"
        )
    print(
        f"  (presence goes to direct contacts and groups of at most PRESENCE_MAX_GROUP_SIZE="
        f"{config.presence_max_group_size}; 'log entries' are the conversation's change-log entries)"
    )

    composition.pusher = real_pusher
    print()
    print(f"Fan-out wall time, {int(PUSH_LATENCY_S * 1000)} ms per post_to_connection  (rerun: {RERUN})")
    seconds = stub_fan_out(args.fan_out)
    threads = config.fan_out_threads
    print(f"  {args.fan_out:>6} sockets, one function, FAN_OUT_THREADS={threads}, push stub: {seconds:.2f} s")
    seconds = one_function_fan_out(args.fan_out)
    print(
        f"  {args.fan_out:>6} sockets, one function, FAN_OUT_THREADS={config.fan_out_threads}, the product's"
        f" signed HTTP pusher to the local Management API in another process: {seconds:.2f} s"
    )
    for workers in (args.workers, COLD_POLLERS):
        seconds, jobs = distributed_fan_out(args.distributed, workers)
        print(
            f"  {args.distributed:>6} sockets, FAN_OUT_INLINE_MAX={config.fan_out_inline_max} from the sender and"
            f" {jobs} jobs of <= {config.fan_out_batch_size} on {min(workers, jobs)} warm workers: {seconds:.2f} s"
        )
    print(
        f"  ({args.distributed:,} pushes are {args.distributed / 10_000:.0%} of one second of API Gateway's"
        f" account-wide 10,000 requests/s: one such message a second is the whole account's budget)"
    )


if __name__ == "__main__":
    main()
