"""Real clients against the local stack: what users of the API see."""

import asyncio
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
import websockets

from chat.clock import utc_now
from tests.e2e.conftest import Client, Stack


def send_frame(target: dict[str, str], text: str, client_msg_id: str) -> dict[str, Any]:
    return {"action": "sendMessage", **target, "text": text, "clientMsgId": client_msg_id}


def test_two_users_chat_both_ways_in_real_time(stack: Stack) -> None:
    alice, bob = stack.sign_up("e2e_alice"), stack.sign_up("e2e_bob")

    async def scenario() -> None:
        a, b = await Client.connect(stack, alice["accessToken"]), await Client.connect(stack, bob["accessToken"])
        ack = await a.request(send_frame({"receiverId": bob["user"]["id"]}, "hi bob", "a1"))
        assert ack["type"] == "messageAck"
        received = await b.receive()
        assert received == {"type": "messageReceived", "message": ack["message"], "version": ack["version"]}
        reply = await b.request(send_frame({"conversationId": ack["message"]["conversationId"]}, "hi alice", "b1"))
        assert reply["message"]["seq"] == ack["message"]["seq"] + 1
        assert (await a.receive())["message"]["text"] == "hi alice"
        await a.assert_quiet()
        await b.assert_quiet()
        await a.close()
        await b.close()

    asyncio.run(scenario())


def test_group_of_three_and_the_senders_second_device(stack: Stack) -> None:
    ann, ben, cat = stack.sign_up("g_ann"), stack.sign_up("g_ben"), stack.sign_up("g_cat")
    status, group = stack.http(
        "POST",
        "/api/groups/create",
        {"name": "Three", "memberIds": [ben["user"]["id"], cat["user"]["id"]]},
        ann["accessToken"],
    )
    assert status == 201

    async def scenario() -> None:
        phone = await Client.connect(stack, ann["accessToken"])
        laptop = await Client.connect(stack, ann["accessToken"])
        b, c = await Client.connect(stack, ben["accessToken"]), await Client.connect(stack, cat["accessToken"])
        ack = await phone.request(send_frame({"conversationId": group["id"]}, "hello group", "g1"))
        assert ack["type"] == "messageAck"
        for other in (laptop, b, c):
            assert await other.receive() == {
                "type": "messageReceived",
                "message": ack["message"],
                "version": ack["version"],
            }
        for client in (phone, laptop, b, c):
            await client.assert_quiet()
            await client.close()

    asyncio.run(scenario())


def test_resend_is_acked_with_the_original_and_never_delivered_twice(stack: Stack) -> None:
    sender, receiver = stack.sign_up("r_sender"), stack.sign_up("r_receiver")

    async def scenario() -> None:
        s, r = await Client.connect(stack, sender["accessToken"]), await Client.connect(stack, receiver["accessToken"])
        frame = send_frame({"receiverId": receiver["user"]["id"]}, "only once", "same-id")
        first = await s.request(frame)
        assert (await r.receive())["message"] == first["message"]
        second = await s.request(frame)
        # the original again, without the version the first ack already told
        assert second == {key: value for key, value in first.items() if key != "version"}
        await r.assert_quiet()
        await s.close()
        await r.close()
        status, page = stack.http(
            "GET", f"/api/messages/{first['message']['conversationId']}", token=receiver["accessToken"]
        )
        assert status == 200
        assert [m["text"] for m in page["items"]] == ["only once"]

    asyncio.run(scenario())


def test_history_pages_back_and_catches_up(stack: Stack) -> None:
    writer, reader = stack.sign_up("h_writer"), stack.sign_up("h_reader")
    for i in range(1, 8):
        status, _ = stack.http(
            "POST", "/api/messages/", {"receiverId": reader["user"]["id"], "text": f"n{i}"}, writer["accessToken"]
        )
        assert status == 201
    status, conversations = stack.http("GET", "/api/conversations", token=reader["accessToken"])
    conversation_id = conversations["items"][0]["id"]
    path = f"/api/messages/{conversation_id}"
    _, newest = stack.http("GET", f"{path}?limit=3", token=reader["accessToken"])
    assert [m["text"] for m in newest["items"]] == ["n5", "n6", "n7"]
    _, older = stack.http("GET", f"{path}?limit=3&before={newest['nextBefore']}", token=reader["accessToken"])
    assert [m["text"] for m in older["items"]] == ["n2", "n3", "n4"]
    _, oldest = stack.http("GET", f"{path}?limit=3&before={older['nextBefore']}", token=reader["accessToken"])
    assert [m["text"] for m in oldest["items"]] == ["n1"]
    assert oldest["nextBefore"] is None
    _, caught_up = stack.http("GET", f"{path}?after=5", token=reader["accessToken"])
    assert [m["text"] for m in caught_up["items"]] == ["n6", "n7"]


def test_a_page_from_another_origin_cannot_open_a_socket(stack: Stack) -> None:
    user = stack.sign_up("origin_user")
    url = f"{stack.ws_url}?token={user['accessToken']}"

    async def scenario() -> None:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url, origin="https://evil.example")  # type: ignore[arg-type]
        assert refused.value.response.status_code == 403
        # the web app's own page, and a native client (no Origin), are let in
        for origin in (stack.base_url, None):
            client = await websockets.connect(url, origin=origin)  # type: ignore[arg-type]
            await client.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("token", ["", "garbage", "expired"])
def test_handshake_is_refused_without_a_valid_token(stack: Stack, token: str) -> None:
    user = stack.sign_up(f"hs_{token or 'none'}")
    if token == "expired":
        now = utc_now() - timedelta(hours=1)
        claims = {"sub": user["user"]["id"], "typ": "access", "iss": "chat", "aud": "chat-api", "iat": now, "exp": now}
        token = jwt.encode(claims, __import__("os").environ["JWT_SECRET"], algorithm="HS256")
    connections_before = stack.db["connections"].count_documents({})

    async def scenario() -> None:
        url = f"{stack.ws_url}?token={token}" if token else stack.ws_url
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url)
        assert refused.value.response.status_code == 401

    asyncio.run(scenario())
    assert stack.db["connections"].count_documents({}) == connections_before


def test_stale_connection_answered_410_is_deleted_and_the_send_succeeds(stack: Stack) -> None:
    sender, receiver = stack.sign_up("s_sender"), stack.sign_up("s_receiver")
    # A connection API Gateway never told us had closed (its $disconnect was lost).
    an_hour_ago = utc_now() - timedelta(hours=1)
    stack.db["connections"].insert_one(
        {
            "_id": "stale-connection=",
            "userId": receiver["user"]["id"],
            "connectedAt": an_hour_ago,
            "expiresAt": utc_now(),
        }
    )

    async def scenario() -> None:
        s, r = await Client.connect(stack, sender["accessToken"]), await Client.connect(stack, receiver["accessToken"])
        ack = await s.request(send_frame({"receiverId": receiver["user"]["id"]}, "are you there", "st1"))
        assert ack["type"] == "messageAck"
        assert (await r.receive())["message"]["id"] == ack["message"]["id"]
        await s.close()
        await r.close()

    asyncio.run(scenario())
    assert stack.db["connections"].find_one({"_id": "stale-connection="}) is None
    # the sender's own record was not touched by the cleanup (it was removed by its own $disconnect)


def test_malformed_frames_get_error_frames_and_the_socket_stays_open(stack: Stack) -> None:
    user = stack.sign_up("m_user")

    async def scenario() -> None:
        client = await Client.connect(stack, user["accessToken"])
        assert (await client.request("this is not json"))["code"] == "invalid_request"
        assert (await client.request({"no": "action"}))["code"] == "invalid_request"
        assert (await client.request({"action": "teleport"}))["code"] == "unknown_action"
        bad = await client.request({"action": "sendMessage", "text": {"$ne": None}, "clientMsgId": "x1"})
        assert (bad["type"], bad["code"], bad["clientMsgId"]) == ("error", "invalid_request", "x1")
        assert await client.request({"action": "ping"}) == {"type": "pong"}
        await client.close()

    asyncio.run(scenario())


def test_a_huge_frame_is_refused_from_its_header_before_its_bytes_arrive(stack: Stack) -> None:
    user = stack.sign_up("huge_user")

    async def scenario() -> None:
        client = await Client.connect(stack, user["accessToken"])
        # A text frame's header declaring 400 MiB (masked, as clients must), and 4 bytes of it
        header = bytes([0x81, 0x80 | 127]) + (400 * 1024 * 1024).to_bytes(8, "big") + b"\x00\x00\x00\x00"
        client.ws.transport.write(header + b"{..}")
        # Then the gateway closes at once (1009), not after buffering the 400 MiB that never come
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await client.receive()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009

    asyncio.run(scenario())


def test_frame_over_32_kb_closes_the_socket_as_api_gateway_does(stack: Stack) -> None:
    user = stack.sign_up("big_user")

    async def scenario() -> None:
        client = await Client.connect(stack, user["accessToken"])
        # 32 KB exactly is fine
        exactly = '{"action":"ping","padding":"' + "x" * (32 * 1024 - 30) + '"}'
        assert len(exactly.encode()) == 32 * 1024
        assert await client.request(exactly) == {"type": "pong"}
        await client.send({"action": "ping", "padding": "x" * (33 * 1024)})
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await client.receive()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009

    asyncio.run(scenario())


def test_non_members_are_refused(stack: Stack) -> None:
    one, two, outsider = stack.sign_up("n_one"), stack.sign_up("n_two"), stack.sign_up("n_outsider")
    _, conversation = stack.http("POST", "/api/conversations/direct", {"userId": two["user"]["id"]}, one["accessToken"])

    async def scenario() -> None:
        client = await Client.connect(stack, outsider["accessToken"])
        reply = await client.request(send_frame({"conversationId": conversation["id"]}, "let me in", "o1"))
        assert (reply["type"], reply["code"]) == ("error", "forbidden")
        await client.close()

    asyncio.run(scenario())
    status, body = stack.http("GET", f"/api/messages/{conversation['id']}", token=outsider["accessToken"])
    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_message_sent_over_http_reaches_every_socket(stack: Stack) -> None:
    sender, receiver = stack.sign_up("x_sender"), stack.sign_up("x_receiver")

    async def scenario() -> None:
        mine, theirs = (
            await Client.connect(stack, sender["accessToken"]),
            await Client.connect(stack, receiver["accessToken"]),
        )
        body = {"receiverId": receiver["user"]["id"], "text": "from http", "clientMsgId": "h1"}
        status, message = await asyncio.to_thread(stack.http, "POST", "/api/messages/", body, sender["accessToken"])
        assert status == 201
        # the chat's first change: version 1
        assert await mine.receive() == {"type": "messageReceived", "message": message, "version": 1}
        assert await theirs.receive() == {"type": "messageReceived", "message": message, "version": 1}
        await mine.close()
        await theirs.close()

    asyncio.run(scenario())


def test_management_api_get_delete_and_410(stack: Stack) -> None:
    import boto3

    user = stack.sign_up("mgmt_user")
    management = boto3.client("apigatewaymanagementapi", endpoint_url=stack.base_url, region_name="us-east-1")

    async def scenario() -> None:
        client = await Client.connect(stack, user["accessToken"])
        connection_id = next(iter(stack.gateway.sockets))
        info = await asyncio.to_thread(management.get_connection, ConnectionId=connection_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"
        await asyncio.to_thread(management.post_to_connection, ConnectionId=connection_id, Data=b'{"type":"pong"}')
        assert await client.receive() == {"type": "pong"}
        await asyncio.to_thread(management.delete_connection, ConnectionId=connection_id)
        with pytest.raises(websockets.ConnectionClosed):
            await client.receive()
        deadline = time.monotonic() + 5
        while stack.db["connections"].find_one({"_id": connection_id}) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert stack.db["connections"].find_one({"_id": connection_id}) is None
        with pytest.raises(management.exceptions.GoneException):
            await asyncio.to_thread(management.post_to_connection, ConnectionId=connection_id, Data=b"{}")

    asyncio.run(scenario())


def test_concurrent_requests_never_get_a_5xx(stack: Stack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def signup(i: int) -> int:
        status, _ = stack.http("POST", "/api/auth/signup", {"username": f"burst{i % 20}", "password": "password123"})
        return status

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(signup, range(120)))
    assert statuses.count(201) == 20
    assert set(statuses) <= {201, 409}


def test_without_a_built_client_the_front_page_is_the_api_docs(stack: Stack) -> None:
    import urllib.request

    with urllib.request.urlopen(stack.base_url + "/", timeout=10) as response:
        assert response.url.endswith("/api/docs")
