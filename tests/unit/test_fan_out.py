import json
import threading
from concurrent.futures import ThreadPoolExecutor

from chat.services.push import FanOut
from tests.fakes import FakeConnectionStore, FakePusher


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
    report = FanOut(pusher, FakeConnectionStore()).send(([f"c{i}" for i in range(8)], {"type": "pong"}))
    assert sorted(report.delivered) == sorted(f"c{i}" for i in range(8))
    assert report.failed == []


def test_frames_are_compact_utf8_json() -> None:
    pusher = FakePusher()
    FanOut(pusher, FakeConnectionStore()).send((["c1"], {"type": "messageReceived", "text": "héllo ✓"}))
    raw = pusher.frames["c1"][0]
    assert "héllo ✓".encode() in raw
    assert json.loads(raw) == {"type": "messageReceived", "text": "héllo ✓"}


def test_four_thousand_characters_fit_a_32_kb_frame() -> None:
    pusher = FakePusher()
    message = {"type": "messageReceived", "message": {"text": "😀" * 4000, "id": "x" * 32}}
    FanOut(pusher, FakeConnectionStore()).send((["c1"], message))
    assert len(pusher.frames["c1"][0]) < 32 * 1024


def test_nothing_to_send_to_nobody() -> None:
    pusher = FakePusher()
    report = FanOut(pusher, FakeConnectionStore()).send(([], {"type": "pong"}))
    assert (report.delivered, report.gone, report.failed, pusher.attempts) == ([], [], [], {})


def test_batches_go_out_in_order_so_the_ack_leads() -> None:
    order: list[str] = []

    class OrderedPusher(FakePusher):
        def push(self, connection_id: str, frame: bytes) -> None:
            order.append(connection_id)
            super().push(connection_id, frame)

    fan_out = FanOut(OrderedPusher(), FakeConnectionStore(), executor=ThreadPoolExecutor(1))
    fan_out.send((["sender"], {"type": "messageAck"}), (["a", "b"], {"type": "messageReceived"}))
    assert order == ["sender", "a", "b"]
