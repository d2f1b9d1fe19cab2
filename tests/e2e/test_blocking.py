"""Blocking over HTTP and real WebSockets against the local stack: every path a block closes
(sending, opening a chat, presence, typing) and that unblocking opens them again."""

import asyncio

from tests.e2e.actions import create_group, open_direct, send_frame
from tests.e2e.conftest import Client, Stack


def test_a_blocked_user_cannot_reach_the_blocker_until_unblocked(stack: Stack) -> None:
    alice, bob, carol = stack.sign_up("bl_alice"), stack.sign_up("bl_bob"), stack.sign_up("bl_carol")
    alice_id, bob_id = alice["user"]["id"], bob["user"]["id"]
    direct = open_direct(stack, alice, bob)
    group = create_group(stack, alice, bob, carol, name="Blockers")

    async def scenario() -> None:
        a = await Client.connect(stack, alice["accessToken"])
        b = await Client.connect(stack, bob["accessToken"])
        c = await Client.connect(stack, carol["accessToken"])

        # Alice blocks bob
        status, _ = stack.http("PUT", f"/api/users/{bob_id}/block", token=alice["accessToken"])
        assert status == 204
        status, blocks = stack.http("GET", "/api/users/me/blocks", token=alice["accessToken"])
        assert (status, [u["id"] for u in blocks["items"]]) == (200, [bob_id])

        # Bob's send in their direct chat is refused, over the socket and over HTTP, saying nothing of a block
        refused = await b.request(send_frame(direct, "you there?", "bl1"))
        assert (refused["type"], refused["code"], refused["message"]) == (
            "error",
            "forbidden",
            "This message could not be sent.",
        )
        status, body = stack.http(
            "POST", "/api/messages", {"conversationId": direct, "text": "hello?"}, bob["accessToken"]
        )
        assert (status, body["error"]["message"]) == (403, "This message could not be sent.")
        await a.assert_quiet()

        # Typing in the direct chat goes nowhere; alice's typing in the group reaches carol, not bob
        await b.send({"action": "typing", "conversationId": direct, "isTyping": True})
        await a.send({"action": "typing", "conversationId": group, "isTyping": True})
        typing = await c.receive_type("typing")
        assert (typing["userId"], typing["conversationId"]) == (alice_id, group)
        await a.assert_quiet()  # nor did bob's typing in the direct chat reach alice

        # Alice's presence reaches carol, not bob; bob sees her offline
        bob_hears = await Client.connect(stack, bob["accessToken"], presence=True)  # bob was online: no news
        carol_hears = await Client.connect(stack, carol["accessToken"], presence=True)
        await a.close()
        offline = await carol_hears.receive_type("presence")
        assert (offline["userId"], offline["online"]) == (alice_id, False)
        await bob_hears.assert_quiet()
        _, seen = stack.http("GET", f"/api/users/{alice_id}", token=bob["accessToken"])
        assert (seen["online"], seen["lastSeenAt"]) == (False, None)
        _, seen_by_carol = stack.http("GET", f"/api/users/{alice_id}", token=carol["accessToken"])
        assert seen_by_carol["lastSeenAt"] is not None

        # Group messages still reach everyone, bob's included
        a = await Client.connect(stack, alice["accessToken"])
        # (and the first frame bob gets is his ack: no typing of alice's came before it)
        assert (await b.request(send_frame(group, "hi all", "bl2")))["type"] == "messageAck"
        assert (await a.receive_type("messageReceived"))["message"]["text"] == "hi all"

        # Alice unblocks: the direct chat takes bob's message again
        status, _ = stack.http("DELETE", f"/api/users/{bob_id}/block", token=alice["accessToken"])
        assert status == 204
        ack = await b.request(send_frame(direct, "friends again?", "bl3"))
        assert ack["type"] == "messageAck"
        assert (await a.receive_type("messageReceived"))["message"]["text"] == "friends again?"
        for client in (a, b, c, bob_hears, carol_hears):
            await client.close()

    asyncio.run(scenario())


def test_a_blocked_user_cannot_open_a_chat_with_the_blocker(stack: Stack) -> None:
    dave, erin = stack.sign_up("bl_dave"), stack.sign_up("bl_erin")
    status, _ = stack.http("PUT", f"/api/users/{erin['user']['id']}/block", token=dave["accessToken"])
    assert status == 204

    status, body = stack.http("POST", "/api/conversations/direct", {"userId": dave["user"]["id"]}, erin["accessToken"])
    assert (status, body["error"]["message"]) == (403, "You cannot start a chat with this user.")
    status, body = stack.http(
        "POST", "/api/messages", {"receiverId": dave["user"]["id"], "text": "hi"}, erin["accessToken"]
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")
    # Refused where it makes no sense
    assert stack.http("PUT", f"/api/users/{dave['user']['id']}/block", token=dave["accessToken"])[0] == 422
    assert stack.http("PUT", "/api/users/nobody/block", token=dave["accessToken"])[0] == 404
    assert stack.http("PUT", f"/api/users/{erin['user']['id']}/block")[0] == 401
