"""Push notifications on the local stack: what they cost the sender, how soon they arrive, and
what one message's notifications cost the notifier as a group grows.

    make bench        # or: .venv/bin/python -m benchmarks.notifications --sends 50 --sizes 10,100,1000

1. The sender. A direct chat whose other member is away with one browser subscribed: the
   sender's ack over the WebSocket, and the notification's arrival at the push service, with
   notifications off (no queue) and on (moto's SQS, the notifier polling it as Lambda's event
   source does), then off again. Also, inside the sendMessage function, when its ack push
   is done and when the function returns. Each send waits until the previous one's
   notification is delivered and the notifier's poller is back waiting: moto's SQS runs in
   this Python process, and its work would otherwise slow whatever runs beside it (on AWS
   it runs elsewhere).
2. The notifier. One message to a group of N members, all but the sender away, one browser
   each: the notifier's jobs (PUSH_BATCH_SIZE pushes each; the first queues the rest), run
   here one after another (on AWS, in parallel), their time, MongoDB round trips and writes,
   and pushes.

Each MongoDB round trip also waits --mongo-ms (1 ms, an Atlas cluster in the region) and each
push service answer --push-ms (40 ms: a push service across the internet from a Lambda
function); both are simulated here, on loopback. The push service is the tests' own
(tests/push_service.py): it checks every VAPID JWT and decrypts every push, in this process,
so its CPU is part of what the notifier's figures share the machine with."""

import argparse
import asyncio
import json
import os
import secrets
import statistics
import time
from collections import Counter
from typing import Any

import websockets

from benchmarks.harness import count_round_trips, free_port, post
from chat.adapters.mongo.indexes import ensure_indexes
from chat.config import settings
from chat.handlers import composition
from chat.models.ports import NotificationJob
from local.background import gateway_in_background
from local.embedded_store import embedded_client
from local.environment import stack_environment
from local.media import LocalMedia
from local.queues import LocalNotifier
from tests.push_service import PushService

WRITES = ("insert", "update", "delete", "replace")


def reset_containers() -> None:
    """As a new Lambda container: settings and services read again."""
    settings.cache_clear()
    for factory in vars(composition).values():
        if callable(getattr(factory, "cache_clear", None)):
            factory.cache_clear()


def signup(base: str, username: str) -> Any:
    return post(base, "/api/auth/signup", {"username": username, "password": "password123"})


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


class SendTimeline:
    """Inside the sendMessage function: when its ack push returned and when it returned,
    from when it began."""

    def __init__(self) -> None:
        import chat.handlers.ws_send_message as handler
        from chat.adapters.apigw_push import ApiGatewayPusher

        self.ack_ms: list[float] = []
        self.done_ms: list[float] = []
        self._started = 0.0
        original_handler, original_push = handler.lambda_handler, ApiGatewayPusher.push
        timeline = self

        def timed_handler(event: Any, context: Any) -> Any:
            timeline._started = time.perf_counter()
            try:
                return original_handler(event, context)
            finally:
                timeline.done_ms.append((time.perf_counter() - timeline._started) * 1000)

        def timed_push(pusher: ApiGatewayPusher, connection_id: str, frame: bytes) -> None:
            original_push(pusher, connection_id, frame)
            if b'"type":"messageAck"' in frame:
                timeline.ack_ms.append((time.perf_counter() - timeline._started) * 1000)

        setattr(handler, "lambda_handler", timed_handler)  # noqa: B010 - patched for the measurement
        setattr(ApiGatewayPusher, "push", timed_push)  # noqa: B010

    def clear(self) -> None:
        self.ack_ms.clear()
        self.done_ms.clear()


async def sender_figures(
    base: str, ws_url: str, service: PushService, sends: int, *, timeline: SendTimeline, notifier: LocalNotifier
) -> dict[str, float]:
    run = secrets.token_hex(3)
    alice, bob = signup(base, f"n{run}a"), signup(base, f"n{run}b")
    browser = service.browser(f"bob-{run}")
    post(base, "/api/push/subscriptions", browser.subscription(), bob["accessToken"])
    chat = post(base, "/api/conversations/direct", {"userId": bob["user"]["id"]}, alice["accessToken"])
    acks, arrivals = [], []
    async with websockets.connect(f"{ws_url}?token={alice['accessToken']}") as ws:
        for i in range(-1, sends):  # the first send warms the container (and builds its SQS client): not counted
            text, client_msg_id = f"message {i}", f"{run}{i}"
            frame = {"action": "sendMessage", "conversationId": chat["id"], "text": text, "clientMsgId": client_msg_id}
            if i == 0:
                timeline.clear()
            started = time.perf_counter()
            await ws.send(json.dumps(frame))
            while json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] != "messageAck":
                pass
            ack_ms = (time.perf_counter() - started) * 1000
            if settings().notify_queue_url:
                # One at a time, each send measured on its own: until the notifier is done with the job.
                done = notifier.jobs_done
                while len(browser.deliveries) <= i + 1 or notifier.jobs_done == done:
                    await asyncio.sleep(0.002)
                # ...and its poller has asked moto for the next job: moto answers in this process.
                await asyncio.sleep(0.05)
                if i >= 0:
                    arrivals.append((browser.deliveries[i + 1].received_at - started) * 1000)
            if i >= 0:
                acks.append(ack_ms)
    while len(timeline.done_ms) < sends:  # the last function's return may follow its ack
        await asyncio.sleep(0.002)
    figures = {
        "ack_p50": statistics.median(acks),
        "ack_p95": percentile(acks, 0.95),
        "pushed_p50": statistics.median(timeline.ack_ms),
        "done_p50": statistics.median(timeline.done_ms),
    }
    if arrivals:
        figures |= {"push_p50": statistics.median(arrivals), "push_p95": percentile(arrivals, 0.95)}
    return figures


def notifier_figures(base: str, service: PushService, size: int, calls: Counter[str]) -> dict[str, float]:
    run = secrets.token_hex(3)
    users = [signup(base, f"g{run}_{i}") for i in range(size)]
    sender, members = users[0], users[1:]
    browsers = [service.browser(f"{run}-{i}") for i in range(size - 1)]
    for member, browser in zip(members, browsers, strict=True):
        post(base, "/api/push/subscriptions", browser.subscription(), member["accessToken"])
    team = {"name": "bench", "memberIds": [m["user"]["id"] for m in members]}
    group = post(base, "/api/groups/create", team, sender["accessToken"])
    message = post(base, "/api/messages", {"conversationId": group["id"], "text": "hello all"}, sender["accessToken"])
    job = NotificationJob(group["id"], message["id"], recipient_ids=[m["user"]["id"] for m in members])
    notifier = composition.notifier()
    queued = Jobs()
    notifier._queue = queued  # the jobs a large group is split into, run here one after another
    calls.clear()
    jobs, sent, started = [job], 0, time.perf_counter()
    while jobs:
        sent += notifier.deliver(jobs.pop(0))["sent"]
        jobs += queued.take()
    seconds = time.perf_counter() - started
    assert sent == size - 1 == sum(len(b.deliveries) for b in browsers), sent
    return {
        "seconds": seconds,
        "jobs": queued.count + 1,
        "round_trips": sum(calls.values()),
        "writes": sum(n for op, n in calls.items() if any(w in op for w in WRITES)),
        "pushes": sent,
    }


class Jobs:
    """The notification queue, kept here: on AWS each job is an invocation of its own."""

    def __init__(self) -> None:
        self._jobs: list[NotificationJob] = []
        self.count = 0

    def enqueue(self, job: NotificationJob, delay_seconds: int = 0) -> None:
        self._jobs.append(job)
        self.count += 1

    def take(self) -> list[NotificationJob]:
        jobs, self._jobs = self._jobs, []
        return jobs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=50)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--mongo-ms", type=float, default=1.0, help="simulated network time per MongoDB round trip")
    parser.add_argument("--push-ms", type=float, default=40.0, help="simulated answer time of the push service")
    args = parser.parse_args()
    port = free_port()
    base, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws"
    os.environ.update({**stack_environment(base), "RATE_LIMITS": "off"})
    os.environ.pop("NOTIFY_QUEUE_URL", None)
    db = embedded_client()["chat"]
    ensure_indexes(db)
    calls = count_round_trips(db, mongo_ms=args.mongo_ms).calls
    media = LocalMedia([base]).start()
    os.environ.update(media.environment())
    notifier = LocalNotifier(media.moto_url).start()
    print(
        f"Push notifications on the local stack: {args.mongo_ms:g} ms per MongoDB round trip and "
        f"{args.push_ms:g} ms per push service answer (both simulated)"
    )
    try:
        with PushService(latency_s=args.push_ms / 1000) as service, gateway_in_background(port, media=media):
            print(f"\nThe sender: {args.sends} sends in a direct chat whose other member is away")
            print(
                f"{'notifications':>14} {'ack p50 ms':>11} {'ack p95 ms':>11} {'in the function: ack pushed p50':>32}"
                f" {'returned p50':>13} {'push p50 ms':>12} {'push p95 ms':>12}"
            )
            timeline = SendTimeline()
            for label, environment in (("off", {}), ("on", notifier.environment()), ("off", {"NOTIFY_QUEUE_URL": ""})):
                os.environ.update(environment)
                reset_containers()
                figures = asyncio.run(
                    sender_figures(base, ws_url, service, args.sends, timeline=timeline, notifier=notifier)
                )
                push = f"{'-':>12} {'-':>12}"
                if "push_p50" in figures:
                    push = f"{figures['push_p50']:>12.1f} {figures['push_p95']:>12.1f}"
                print(
                    f"{label:>14} {figures['ack_p50']:>11.1f} {figures['ack_p95']:>11.1f}"
                    f" {figures['pushed_p50']:>32.1f} {figures['done_p50']:>13.1f} {push}"
                )
            notifier.stop()  # from here the notifier is called directly, job by job
            os.environ.update(notifier.environment())
            reset_containers()
            threads = settings().push_threads
            print(
                "\nThe notifier: one message to a group whose other members are all away, one browser each "
                f"({threads} pushes in flight)"
            )
            print(
                f"{'members':>8} {'jobs':>5} {'seconds':>8} {'pushes':>7} {'pushes/s':>9}"
                f" {'round trips':>12} {'writes':>7} {'per job':>8}"
            )
            for size in (int(s) for s in args.sizes.split(",")):
                figures = notifier_figures(base, service, size, calls)
                rate = figures["pushes"] / figures["seconds"]
                jobs = int(figures["jobs"])
                print(
                    f"{size:>8} {jobs:>5} {figures['seconds']:>8.2f} {int(figures['pushes']):>7} {rate:>9.0f}"
                    f" {int(figures['round_trips']):>12} {int(figures['writes']):>7} {figures['seconds'] / jobs:>7.2f}s"
                )
    finally:
        notifier.stop()
        media.stop()


if __name__ == "__main__":
    main()
