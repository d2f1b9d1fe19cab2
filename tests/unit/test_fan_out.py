import json
import threading
from datetime import timedelta
from typing import cast

from chat.clock import utc_now
from chat.models.chat import Connection
from chat.models.frames import ServerFrame
from chat.services.push import FanOut
from tests.fakes import FakeConnectionStore, FakePusher


def frame(kind: str, **fields: object) -> ServerFrame:
    """A made-up frame: the fan-out pushes whatever it is given, so these tests give it only
    the keys they look at."""
    return cast("ServerFrame", {"type": kind, **fields})


class BarrierPusher(FakePusher):
    """Every push waits until `parties` pushes are in flight at once: sequential
    fan-out could never get there and would break the barrier."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=5)

    def push(self, connection_id: str, frame: bytes) -> None:
        self.barrier.wait()
        super().push(connection_id, frame)


def test_fan_out_pushes_in_parallel() -> None:
    pusher = BarrierPusher(parties=8)
    report = FanOut(pusher, FakeConnectionStore(), threads=8).send(([f"c{i}" for i in range(8)], {"type": "pong"}))
    assert sorted(report.delivered) == sorted(f"c{i}" for i in range(8))
    assert report.failed == []


def test_frames_are_compact_utf8_json() -> None:
    pusher = FakePusher()
    FanOut(pusher, FakeConnectionStore(), threads=8).send((["c1"], frame("messageReceived", text="héllo ✓")))
    raw = pusher.frames["c1"][0]
    assert "héllo ✓".encode() in raw
    assert json.loads(raw) == {"type": "messageReceived", "text": "héllo ✓"}


def test_four_thousand_characters_fit_a_32_kb_frame() -> None:
    pusher = FakePusher()
    message = frame("messageReceived", message={"text": "😀" * 4000, "id": "x" * 32})
    FanOut(pusher, FakeConnectionStore(), threads=8).send((["c1"], message))
    assert len(pusher.frames["c1"][0]) < 32 * 1024


def test_nothing_to_send_to_nobody() -> None:
    pusher = FakePusher()
    report = FanOut(pusher, FakeConnectionStore(), threads=8).send(([], {"type": "pong"}))
    assert (report.delivered, report.gone, report.failed, pusher.attempts) == ([], [], [], {})


def test_batches_go_out_in_order_so_the_ack_leads() -> None:
    order: list[str] = []

    class OrderedPusher(FakePusher):
        def push(self, connection_id: str, frame: bytes) -> None:
            order.append(connection_id)
            super().push(connection_id, frame)

    fan_out = FanOut(OrderedPusher(), FakeConnectionStore(), threads=1)
    fan_out.send((["sender"], frame("messageAck")), (["a", "b"], frame("messageReceived")))
    assert order == ["sender", "a", "b"]


class FakeQueue:
    """Takes jobs as SQS would; `refuse` jobs (by index) come back unqueued, `broken` raises."""

    def __init__(self, refuse: frozenset[int] = frozenset(), broken: bool = False) -> None:
        self.jobs: list[tuple[list[str], bytes]] = []
        self.refuse = refuse
        self.broken = broken

    def enqueue(self, jobs: list[tuple[list[str], bytes]]) -> list[tuple[list[str], bytes]]:
        if self.broken:
            raise ConnectionError("queue unreachable")
        self.jobs.extend(job for index, job in enumerate(jobs) if index not in self.refuse)
        return [job for index, job in enumerate(jobs) if index in self.refuse]


def sockets(count: int, prefix: str = "m") -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


def test_a_large_fan_out_sends_its_first_share_here_and_queues_the_rest_in_batches() -> None:
    # Given a fan-out that pushes 3 sockets itself and queues jobs of 4
    pusher, queue = FakePusher(), FakeQueue()
    fan_out = FanOut(pusher, FakeConnectionStore(), threads=4, queue=queue, inline_max=3, batch_size=4)

    # When the sender's ack and a message for 10 others go out
    report = fan_out.send((["sender"], frame("messageAck")), (sockets(10), frame("messageReceived")))

    # Then the ack and the first two members are pushed here; the other 8 are queued in 2 jobs
    assert sorted(pusher.frames) == ["m0", "m1", "sender"]
    assert [ids for ids, _ in queue.jobs] == [sockets(10)[2:6], sockets(10)[6:]]
    assert {json.loads(frame)["type"] for _, frame in queue.jobs} == {"messageReceived"}
    assert sorted(report.delivered) == ["m0", "m1", "sender"]
    assert report.queued == sockets(10)[2:]


def test_jobs_never_mix_frames() -> None:
    queue = FakeQueue()
    fan_out = FanOut(FakePusher(), FakeConnectionStore(), threads=2, queue=queue, inline_max=1, batch_size=10)
    fan_out.send((sockets(1, "x"), frame("a")), (sockets(3, "y"), frame("b")), (sockets(2, "z"), frame("c")))
    assert [(ids, json.loads(frame)["type"]) for ids, frame in queue.jobs] == [
        (sockets(3, "y"), "b"),
        (sockets(2, "z"), "c"),
    ]


def test_small_fan_outs_and_fan_outs_without_a_queue_never_queue() -> None:
    pusher, queue = FakePusher(), FakeQueue()
    FanOut(pusher, FakeConnectionStore(), threads=4, queue=queue, inline_max=5).send((sockets(5), frame("t")))
    FanOut(pusher, FakeConnectionStore(), threads=4, inline_max=5).send((sockets(50, "n"), frame("t")))
    assert queue.jobs == []
    assert len(pusher.frames) == 55


def test_what_the_queue_refuses_or_cannot_take_is_pushed_here_once() -> None:
    # Given a queue that refuses the second of three jobs
    pusher, queue = FakePusher(), FakeQueue(refuse=frozenset({1}))
    fan_out = FanOut(pusher, FakeConnectionStore(), threads=4, queue=queue, inline_max=1, batch_size=2)

    report = fan_out.send((sockets(7), frame("t")))

    # Then m0 here, m1-m2 and m5-m6 queued, m3-m4 pushed here after all; nobody twice
    assert sorted(pusher.frames) == ["m0", "m3", "m4"]
    assert [ids for ids, _ in queue.jobs] == [["m1", "m2"], ["m5", "m6"]]
    assert sorted(report.queued) == ["m1", "m2", "m5", "m6"]

    # And a queue that is down: everything from here
    pusher = FakePusher()
    broken = FanOut(pusher, FakeConnectionStore(), threads=4, queue=FakeQueue(broken=True), inline_max=1)
    report = broken.send((sockets(7), frame("t")))
    assert sorted(pusher.frames) == sockets(7)
    assert report.queued == []


def test_a_workers_job_is_pushed_here_and_gone_sockets_are_forgotten() -> None:
    connections = FakeConnectionStore()
    for connection_id in ("a", "b"):
        connections.add(Connection(connectionId=connection_id, userId="u"), utc_now() - timedelta(minutes=5))
    pusher, queue = FakePusher(gone={"b"}), FakeQueue()
    fan_out = FanOut(pusher, connections, threads=2, queue=queue, inline_max=1)

    report = fan_out.push_here(["a", "b"], b'{"type":"t"}')

    assert (report.delivered, report.gone, queue.jobs) == (["a"], ["b"], [])
    assert connections.for_users(["u"]) == [Connection(connectionId="a", userId="u")]
