"""What a group message costs as the group grows, counted at the local Management API as
API Gateway would bill it; large fan-outs through the SQS workers; injected faults."""

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import websockets

from tests.conftest import reset_containers
from tests.e2e.actions import create_group, send_frame
from tests.e2e.conftest import Client, Stack


@pytest.fixture
def small_inline_share(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Functions push 5 sockets themselves and queue the rest for the workers, 8 a job."""
    monkeypatch.setenv("FAN_OUT_INLINE_MAX", "5")
    monkeypatch.setenv("FAN_OUT_BATCH_SIZE", "8")
    reset_containers()
    yield
    reset_containers()  # the next handler call reads the environment monkeypatch puts back


@pytest.fixture
def no_faults(stack: Stack) -> Iterator[None]:
    yield
    assert stack.http("DELETE", "/_local/faults")[0] == 200


def pushes(stack: Stack) -> dict[str, Any]:
    status, counts = stack.http("GET", "/_local/pushes")
    assert status == 200
    return counts  # type: ignore[no-any-return]


def members(stack: Stack, size: int) -> list[dict[str, Any]]:
    tag = uuid.uuid4().hex[:6]
    return [stack.sign_up(f"g{size}_{tag}_{i}") for i in range(size)]


async def settle(stack: Stack) -> dict[str, Any]:
    """The push counts once nothing more is being posted."""
    counts = pushes(stack)
    while True:
        await asyncio.sleep(0.3)
        again = pushes(stack)
        if again == counts:
            return again
        counts = again


@pytest.mark.parametrize("size", [10, 40])
def test_one_group_message_and_everyones_receipts_cost_three_pushes_a_member(
    stack: Stack, small_inline_share: None, size: int
) -> None:
    accounts = members(stack, size)
    group = create_group(stack, accounts[0], *accounts[1:], name="Big")
    author_id = accounts[0]["user"]["id"]

    async def scenario() -> None:
        await settle(stack)
        stack.http("DELETE", "/_local/pushes")
        # Given every member online, one socket each: arrivals are told to small groups only
        clients = [await Client.connect(stack, account["accessToken"]) for account in accounts]
        arrivals = await settle(stack)
        assert arrivals["byType"].get("presence", 0) == (sum(range(size)) if size <= 20 else 0)
        stack.http("DELETE", "/_local/pushes")
        jobs_before = stack.fan_out.jobs_done

        # When the author sends, and every member's client marks it delivered, then read
        author, others = clients[0], clients[1:]
        ack = await author.request(send_frame(group, "hello, everyone", f"big-{size}"))
        assert ack["type"] == "messageAck"
        seq = ack["message"]["seq"]
        for member in others:
            assert (await member.receive_type("messageReceived"))["message"]["seq"] == seq
            await member.send({"action": "markDelivered", "conversationId": group, "seq": seq})
        # (reading implies delivered: a markRead overtaking its markDelivered would leave
        # nothing for the latter to move, so the reads wait for the deliveries here)
        receipts = [await author.receive_type("receipt") for _ in others]
        for member in others:
            await member.send({"action": "markRead", "conversationId": group, "seq": seq})
        receipts += [await author.receive_type("receipt") for _ in others]

        # Then the author's ticks advanced for every member, and nobody else heard of it
        assert {r["userId"] for r in receipts if r["readSeq"] == seq} == {a["user"]["id"] for a in accounts[1:]}
        await asyncio.gather(*(member.assert_quiet() for member in others[:5]))
        # the ack and 4 copies from the sending function, the other copies by workers, 8 a job
        # (every copy arrived above; a worker counts its job once it has deleted it from the queue)
        jobs = -(-(size - 5) // 8)
        for _ in range(50):
            if stack.fan_out.jobs_done - jobs_before >= jobs:
                break
            await asyncio.sleep(0.1)
        assert stack.fan_out.jobs_done - jobs_before == jobs
        counts = await settle(stack)
        assert counts["byType"] == {"messageAck": 1, "messageReceived": size - 1, "receipt": 2 * (size - 1)}
        assert counts["delivered"] == counts["total"] <= 4 * size
        # "read by whom" on demand
        status, body = stack.http("GET", f"/api/conversations/{group}/receipts", token=accounts[0]["accessToken"])
        assert status == 200
        assert len(body["receipts"]) == size
        assert all(r["readSeq"] == seq for user, r in body["receipts"].items() if user != author_id)
        for client in clients:
            await client.close()

    asyncio.run(scenario())


def test_a_frame_the_management_api_refuses_on_every_attempt_is_dropped_and_the_rest_arrive(
    stack: Stack, no_faults: None
) -> None:
    alice, bob = members(stack, 2)
    group = create_group(stack, alice, bob)
    status, faults = stack.http(
        "PUT", "/_local/faults", {"rules": [{"contains": "lost on the way", "type": "messageReceived", "status": 500}]}
    )
    assert status == 200, faults

    async def scenario() -> None:
        a, b = await Client.connect(stack, alice["accessToken"]), await Client.connect(stack, bob["accessToken"])
        stack.http("DELETE", "/_local/pushes")
        await a.request(send_frame(group, "lost on the way", "f1"))  # the ack still arrives
        await a.request(send_frame(group, "arrives", "f2"))
        received = await b.receive_type("messageReceived")
        assert (received["message"]["text"], received["message"]["seq"]) == ("arrives", 2)
        await b.assert_quiet()
        # three attempts at the lost frame, all refused; the feed still has it
        counts = await settle(stack)
        assert counts["byType"] == {"messageAck": 2, "messageReceived": 4}
        assert counts["delivered"] == 3
        status, page = stack.http("GET", f"/api/conversations/{group}/changes?since=0", token=bob["accessToken"])
        assert status == 200
        assert [m["text"] for m in page["messages"]] == ["lost on the way", "arrives"]
        await a.close()
        await b.close()

    asyncio.run(scenario())


def test_an_injected_410_closes_the_socket_as_api_gateway_would(stack: Stack, no_faults: None) -> None:
    alice, bob = members(stack, 2)
    group = create_group(stack, alice, bob)
    assert (
        stack.http(
            "PUT", "/_local/faults", {"rules": [{"contains": "goodbye", "type": "messageReceived", "status": 410}]}
        )[0]
        == 200
    )

    async def scenario() -> None:
        a, b = await Client.connect(stack, alice["accessToken"]), await Client.connect(stack, bob["accessToken"])
        await a.request(send_frame(group, "goodbye", "g1"))
        # bob's socket was closed: his client reconnects and catches up
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await b.receive()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1001
        await a.close()

    asyncio.run(scenario())


def test_fault_settings_are_checked(stack: Stack, no_faults: None) -> None:
    bad: Any
    for bad in ({"rates": {"404": 0.5}}, {"rates": {"500": 2}}, {"latencyMs": -1}, {"rules": [{"contains": ""}]}, []):
        status, body = stack.http("PUT", "/_local/faults", bad)
        assert status == 400, (bad, body)
    status, body = stack.http("PUT", "/_local/faults", {"rates": {"500": 0.25}, "latencyMs": 5})
    assert (status, body) == (200, {"rates": {"500": 0.25}, "latencyMs": 5, "rules": []})
    assert stack.http("GET", "/_local/faults") == (200, body)
