"""Receipts, presence, edits, deletions, reactions, group membership and catch-up,
over real WebSockets against the local stack."""

import asyncio
from typing import Any

from tests.e2e.actions import conversation_of, create_group, open_direct, send_frame
from tests.e2e.conftest import Client, Stack


def test_receipts_move_forward_only_and_reading_on_one_device_clears_unread_on_the_other(stack: Stack) -> None:
    alice, bob = stack.sign_up("rc_alice"), stack.sign_up("rc_bob")
    conversation_id = open_direct(stack, alice, bob)
    bob_id = bob["user"]["id"]

    async def scenario() -> None:
        a = await Client.connect(stack, alice["accessToken"])
        phone, laptop = await Client.connect(stack, bob["accessToken"]), await Client.connect(stack, bob["accessToken"])
        for n in range(1, 4):
            await a.request(send_frame(conversation_id, f"m{n}", f"rc{n}"))
            for device in (phone, laptop):
                await device.receive_type("messageReceived")
        assert conversation_of(stack, bob, conversation_id)["unreadCount"] == 3

        await phone.send({"action": "markDelivered", "conversationId": conversation_id, "seq": 3})
        delivered = {"type": "receipt", "conversationId": conversation_id, "userId": bob_id, "deliveredSeq": 3}
        assert await a.receive() == {**delivered, "readSeq": 0}
        assert await laptop.receive() == {**delivered, "readSeq": 0}
        assert conversation_of(stack, bob, conversation_id)["unreadCount"] == 3  # delivered is not read

        await phone.send({"action": "markRead", "conversationId": conversation_id, "seq": 2})
        assert await a.receive() == {**delivered, "readSeq": 2}
        # The laptop hears it too: that is how it knows one message is still unread.
        assert await laptop.receive() == {**delivered, "readSeq": 2}
        assert conversation_of(stack, bob, conversation_id)["unreadCount"] == 1

        await laptop.send({"action": "markRead", "conversationId": conversation_id, "seq": 3})
        read = {**delivered, "readSeq": 3}
        assert await a.receive() == read
        assert await phone.receive() == read
        assert conversation_of(stack, bob, conversation_id)["unreadCount"] == 0

        # Never backward: an older seq changes nothing and tells no one.
        await phone.send({"action": "markRead", "conversationId": conversation_id, "seq": 1})
        await phone.send({"action": "markDelivered", "conversationId": conversation_id, "seq": 2})
        for client in (a, phone, laptop):
            await client.assert_quiet()
        receipts = conversation_of(stack, alice, conversation_id)["receipts"]
        assert receipts[bob_id] == {"deliveredSeq": 3, "readSeq": 3}

        # Past the last seq, or someone else's conversation: refused, nothing moves.
        beyond = await phone.request({"action": "markRead", "conversationId": conversation_id, "seq": 9})
        assert (beyond["type"], beyond["code"]) == ("error", "invalid_request")
        for client in (a, phone, laptop):
            await client.close()

    asyncio.run(scenario())
    eve = stack.sign_up("rc_eve")
    status, body = stack.http(
        "POST", f"/api/conversations/{conversation_id}/receipts", {"readSeq": 1}, eve["accessToken"]
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = stack.http(
        "POST", f"/api/conversations/{conversation_id}/receipts", {"deliveredSeq": 3}, alice["accessToken"]
    )
    assert (status, body) == (200, {"deliveredSeq": 3, "readSeq": 0})


def test_presence_stays_online_until_the_last_device_closes(stack: Stack) -> None:
    dana, erin = stack.sign_up("pr_dana"), stack.sign_up("pr_erin")
    stranger = stack.sign_up("pr_stranger")
    open_direct(stack, erin, dana)
    dana_id = dana["user"]["id"]

    async def scenario() -> None:
        e = await Client.connect(stack, erin["accessToken"], presence=True)
        s = await Client.connect(stack, stranger["accessToken"], presence=True)
        phone = await Client.connect(stack, dana["accessToken"], presence=True)
        assert await e.receive() == {"type": "presence", "userId": dana_id, "online": True, "lastSeenAt": None}
        status, user = stack.http("GET", f"/api/users/{dana_id}", token=erin["accessToken"])
        assert (status, user["online"]) == (200, True)

        laptop = await Client.connect(stack, dana["accessToken"], presence=True)
        await e.assert_quiet()  # already online
        await phone.close()
        await e.assert_quiet()  # still online on the laptop
        status, user = stack.http("GET", f"/api/users/{dana_id}", token=erin["accessToken"])
        assert user["online"] is True

        await laptop.close()
        offline = await e.receive()
        assert (offline["type"], offline["userId"], offline["online"]) == ("presence", dana_id, False)
        status, user = stack.http("GET", f"/api/users/{dana_id}", token=erin["accessToken"])
        assert (user["online"], user["lastSeenAt"]) == (False, offline["lastSeenAt"])
        assert offline["lastSeenAt"] is not None
        # Someone who shares no conversation with dana hears nothing of her.
        await s.assert_quiet()
        await e.close()
        await s.close()

    asyncio.run(scenario())


def test_edit_delete_and_react_reach_every_member_and_only_the_sender_may_change(stack: Stack) -> None:
    alice, bob = stack.sign_up("ed_alice"), stack.sign_up("ed_bob")
    conversation_id = open_direct(stack, alice, bob)

    async def scenario() -> None:
        a, b = await Client.connect(stack, alice["accessToken"]), await Client.connect(stack, bob["accessToken"])
        message = (await a.request(send_frame(conversation_id, "helo", "ed1")))["message"]
        await b.receive_type("messageReceived")
        message_id = message["id"]

        refused = await b.request({"action": "editMessage", "messageId": message_id, "text": "mine now"})
        assert (refused["type"], refused["code"]) == ("error", "forbidden")
        status, body = stack.http("PATCH", f"/api/messages/{message_id}", {"text": "x"}, bob["accessToken"])
        assert (status, body["error"]["code"]) == (403, "forbidden")
        status, body = stack.http("DELETE", f"/api/messages/{message_id}", token=bob["accessToken"])
        assert (status, body["error"]["code"]) == (403, "forbidden")
        await a.assert_quiet()

        await a.send({"action": "editMessage", "messageId": message_id, "text": "hello"})
        edited_frame = await a.receive_type("messageUpdated")
        edited = edited_frame["message"]
        assert await b.receive() == edited_frame
        assert (edited["text"], edited["revision"], edited["seq"]) == ("hello", 1, message["seq"])
        assert edited["editedAt"] is not None

        await b.send({"action": "react", "messageId": message_id, "emoji": "👍", "on": True})
        reacted_frame = await b.receive_type("messageUpdated")
        reacted = reacted_frame["message"]
        assert await a.receive() == reacted_frame
        assert reacted_frame["version"] == edited_frame["version"] + 1
        assert (reacted["reactions"], reacted["revision"]) == ({"👍": [bob["user"]["id"]]}, 2)
        # The same reaction again is no change: no frame.
        await b.send({"action": "react", "messageId": message_id, "emoji": "👍", "on": True})
        await a.assert_quiet()
        not_emoji = await b.request({"action": "react", "messageId": message_id, "emoji": "lol", "on": True})
        assert (not_emoji["type"], not_emoji["code"]) == ("error", "invalid_request")

        status, tombstone = stack.http("DELETE", f"/api/messages/{message_id}", token=alice["accessToken"])
        assert status == 200
        assert (tombstone["text"], tombstone["attachments"], tombstone["reactions"]) == ("", [], {})
        assert tombstone["deletedAt"] is not None
        for client in (a, b):
            assert await client.receive() == {
                "type": "messageUpdated",
                "message": tombstone,
                "version": reacted_frame["version"] + 1,
            }
        late = await b.request({"action": "react", "messageId": message_id, "emoji": "❤️", "on": True})
        assert (late["type"], late["code"]) == ("error", "conflict")
        again = await a.request({"action": "deleteMessage", "messageId": message_id})
        assert (again["type"], again["code"]) == ("error", "conflict")

        # History keeps the tombstone in its place; the list's preview shows it too.
        status, history = stack.http("GET", f"/api/messages/{conversation_id}", token=bob["accessToken"])
        assert history["items"] == [tombstone]
        assert conversation_of(stack, bob, conversation_id)["lastMessage"] == tombstone
        assert conversation_of(stack, bob, conversation_id)["unreadCount"] == 0  # a deleted message is not unread
        for client in (a, b):
            await client.close()

    asyncio.run(scenario())


def test_group_membership_and_a_removed_member_is_cut_off(stack: Stack) -> None:
    ann, ben, cat, dan = (stack.sign_up(f"gm_{name}") for name in ("ann", "ben", "cat", "dan"))
    group_id = create_group(stack, ann, ben, cat)

    async def scenario() -> None:
        a, b, c = [await Client.connect(stack, x["accessToken"]) for x in (ann, ben, cat)]
        d = await Client.connect(stack, dan["accessToken"])
        before = (await a.request(send_frame(group_id, "before", "gm1")))["message"]
        for client in (b, c):
            await client.receive_type("messageReceived")

        status, body = stack.http(
            "POST", f"/api/groups/{group_id}/members", {"userIds": [dan["user"]["id"]]}, ben["accessToken"]
        )
        assert (status, body["error"]["code"]) == (403, "forbidden")
        status, grown = stack.http(
            "POST", f"/api/groups/{group_id}/members", {"userIds": [dan["user"]["id"]]}, ann["accessToken"]
        )
        assert status == 200
        assert dan["user"]["id"] in grown["memberIds"]
        for client in (a, b, c, d):
            updated = (await client.receive_type("conversationUpdated"))["conversation"]
            assert (updated["memberIds"], updated["unreadCount"]) == (grown["memberIds"], None)

        status, body = stack.http(
            "DELETE", f"/api/groups/{group_id}/members/{cat['user']['id']}", token=ben["accessToken"]
        )
        assert (status, body["error"]["code"]) == (403, "forbidden")
        status, shrunk = stack.http(
            "DELETE", f"/api/groups/{group_id}/members/{cat['user']['id']}", token=ann["accessToken"]
        )
        assert status == 200
        assert cat["user"]["id"] not in shrunk["memberIds"]
        for client in (a, b, c, d):
            assert (await client.receive_type("conversationUpdated"))["conversation"]["memberIds"] == shrunk[
                "memberIds"
            ]

        # Cut off at once: nothing more is pushed to cat, and cat may not send.
        await a.request(send_frame(group_id, "after", "gm2"))
        for client in (b, d):
            await client.receive_type("messageReceived")
        await c.assert_quiet()
        refused = await c.request(send_frame(group_id, "let me back", "gm3"))
        assert (refused["type"], refused["code"]) == ("error", "forbidden")
        typing = await c.request({"action": "typing", "conversationId": group_id, "isTyping": True})
        assert typing["code"] == "forbidden"
        # What cat could read stays readable; nothing after.
        status, history = stack.http("GET", f"/api/messages/{group_id}", token=cat["accessToken"])
        assert (status, [m["text"] for m in history["items"]]) == (200, ["before"])
        assert history["items"][0] == before
        status, body = stack.http("GET", f"/api/conversations/{group_id}/changes?since=0", token=cat["accessToken"])
        assert (status, body["error"]["code"]) == (403, "forbidden")

        status, renamed = stack.http("PATCH", f"/api/groups/{group_id}", {"name": "Crew"}, ann["accessToken"])
        assert (status, renamed["name"]) == (200, "Crew")
        for client in (a, b, d):
            assert (await client.receive_type("conversationUpdated"))["conversation"]["name"] == "Crew"
        await c.assert_quiet()

        # The last admin leaves: the longest-standing member takes over.
        status, left = stack.http(
            "DELETE", f"/api/groups/{group_id}/members/{ann['user']['id']}", token=ann["accessToken"]
        )
        assert status == 200
        assert (left["memberIds"], left["adminIds"]) == ([ben["user"]["id"], dan["user"]["id"]], [ben["user"]["id"]])
        for client in (a, b, c, d):
            await client.close()

    asyncio.run(scenario())


# --- catch-up --------------------------------------------------------------------------


def fresh_load(stack: Stack, account: dict[str, Any], conversation_id: str) -> tuple[dict[str, Any], list[Any]]:
    """What a client that starts now sees: the conversation and its whole history."""
    conversation = conversation_of(stack, account, conversation_id)
    messages: list[Any] = []
    before: int | None = None
    while True:
        query = f"?limit=100&before={before}" if before else "?limit=100"
        status, page = stack.http("GET", f"/api/messages/{conversation_id}{query}", token=account["accessToken"])
        assert status == 200
        messages = page["items"] + messages
        before = page["nextBefore"]
        if before is None:
            return conversation, messages


def catch_up(
    stack: Stack, account: dict[str, Any], held: dict[str, tuple[dict[str, Any], dict[str, Any]]]
) -> dict[str, int]:
    """The documented catch-up: list the conversations, and for each whose version moved
    past the held cursor, apply its changes. Returns how many messages each change page carried."""
    status, listed = stack.http("GET", "/api/conversations", token=account["accessToken"])
    assert status == 200
    carried = {}
    for listed_conversation in listed["items"]:
        conversation, messages = held[listed_conversation["id"]]
        if listed_conversation["version"] <= conversation["version"]:
            continue
        status, changes = stack.http(
            "GET",
            f"/api/conversations/{conversation['id']}/changes?since={conversation['version']}",
            token=account["accessToken"],
        )
        assert status == 200, changes
        assert changes["resync"] is False
        assert changes["cursor"] == changes["conversation"]["version"]
        for message in changes["messages"]:
            known = messages.get(message["id"])
            if known is None or known["revision"] < message["revision"]:
                messages[message["id"]] = message
        held[conversation["id"]] = (changes["conversation"], messages)
        carried[conversation["id"]] = len(changes["messages"])
    return carried


def test_a_client_offline_through_every_kind_of_change_catches_up_to_exactly_a_fresh_load(stack: Stack) -> None:
    ann, ben, cat, dan, eve = (stack.sign_up(f"cu_{name}") for name in ("ann", "ben", "cat", "dan", "eve"))
    group_id = create_group(stack, ann, ben, cat, dan)
    direct_id = open_direct(stack, ben, cat)

    async def before_going_offline() -> list[dict[str, Any]]:
        b = await Client.connect(stack, ben["accessToken"])
        sent = [(await b.request(send_frame(group_id, f"old {n}", f"cu{n}")))["message"] for n in range(4)]
        await b.request(send_frame(direct_id, "hi cat", "cu-d1"))
        await b.close()
        return sent

    old = asyncio.run(before_going_offline())
    # cat loads everything, then goes offline (no socket at all).
    held = {cid: fresh_load(stack, cat, cid) for cid in (group_id, direct_id)}
    held_by_id = {cid: (conversation, {m["id"]: m for m in messages}) for cid, (conversation, messages) in held.items()}

    async def while_cat_is_offline() -> None:
        a, b, d = [await Client.connect(stack, x["accessToken"]) for x in (ann, ben, dan)]
        await a.request(send_frame(group_id, "new while away", "cu-new1"))
        await b.request({"action": "editMessage", "messageId": old[0]["id"], "text": "old 0, edited"})
        await b.request({"action": "deleteMessage", "messageId": old[1]["id"]})
        await d.request({"action": "react", "messageId": old[2]["id"], "emoji": "🎉", "on": True})
        await a.request({"action": "react", "messageId": old[2]["id"], "emoji": "🎉", "on": True})
        await d.request({"action": "react", "messageId": old[2]["id"], "emoji": "🎉", "on": False})
        await d.send({"action": "markRead", "conversationId": group_id, "seq": 5})
        await a.send({"action": "markDelivered", "conversationId": group_id, "seq": 4})
        await b.request(send_frame(direct_id, "are you there?", "cu-d2"))
        await b.request({"action": "editMessage", "messageId": old[3]["id"], "text": "old 3, edited"})
        for client in (a, b, d):
            await asyncio.sleep(0.2)  # let the frames' routes finish before the sockets go
            await client.close()

    asyncio.run(while_cat_is_offline())
    assert stack.http("PATCH", f"/api/groups/{group_id}", {"name": "Renamed"}, ann["accessToken"])[0] == 200
    assert (
        stack.http("POST", f"/api/groups/{group_id}/members", {"userIds": [eve["user"]["id"]]}, ann["accessToken"])[0]
        == 200
    )
    assert (
        stack.http("DELETE", f"/api/groups/{group_id}/members/{dan['user']['id']}", token=ann["accessToken"])[0] == 200
    )

    carried = catch_up(stack, cat, held_by_id)
    # Only what changed came back: in the group the new message and the four changed ones.
    assert carried == {group_id: 5, direct_id: 1}
    for conversation_id in (group_id, direct_id):
        caught_up_conversation, caught_up_messages = held_by_id[conversation_id]
        fresh_conversation, fresh_messages = fresh_load(stack, cat, conversation_id)
        assert caught_up_conversation == fresh_conversation
        assert sorted(caught_up_messages.values(), key=lambda m: m["seq"]) == fresh_messages
    group, _ = held_by_id[group_id]
    assert (group["name"], group["unreadCount"]) == ("Renamed", 4)  # old 0, 2 and 3 and the new one
    assert eve["user"]["id"] in group["memberIds"]
    assert dan["user"]["id"] not in group["memberIds"]

    # Nothing new: the cursor is current and the next catch-up fetches nothing.
    assert catch_up(stack, cat, held_by_id) == {}


def test_a_cursor_the_log_no_longer_covers_asks_for_a_resync(stack: Stack, no_rate_limits: None) -> None:
    fay, gus = stack.sign_up("rs_fay"), stack.sign_up("rs_gus")
    conversation_id = open_direct(stack, fay, gus)
    status, sent = stack.http(
        "POST", "/api/messages", {"conversationId": conversation_id, "text": "one"}, fay["accessToken"]
    )
    assert status == 201
    for n in range(300):  # 300 changes overflow the 256-entry log
        stack.http("PATCH", f"/api/messages/{sent['id']}", {"text": f"edit {n}"}, fay["accessToken"])
    status, changes = stack.http(
        "GET", f"/api/conversations/{conversation_id}/changes?since=1", token=gus["accessToken"]
    )
    assert status == 200
    assert (changes["resync"], changes["messages"], changes["cursor"]) == (True, [], changes["conversation"]["version"])
    status, recent = stack.http(
        "GET",
        f"/api/conversations/{conversation_id}/changes?since={changes['cursor'] - 1}",
        token=gus["accessToken"],
    )
    assert (recent["resync"], [m["text"] for m in recent["messages"]]) == (False, ["edit 299"])
