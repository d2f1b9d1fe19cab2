"""Replies, @mentions and search over real WebSockets and HTTP against the local stack."""

import asyncio
import urllib.parse
from typing import Any

from tests.e2e.actions import conversation_of, create_group, open_direct, send_frame
from tests.e2e.conftest import Client, Stack


def reply_frame(conversation_id: str, text: str, client_msg_id: str, reply_to: str) -> dict[str, Any]:
    return {**send_frame(conversation_id, text, client_msg_id), "replyTo": reply_to}


def history(stack: Stack, account: dict[str, Any], conversation_id: str) -> list[dict[str, Any]]:
    status, page = stack.http("GET", f"/api/messages/{conversation_id}", token=account["accessToken"])
    assert status == 200, page
    return page["items"]  # type: ignore[no-any-return]


def search(stack: Stack, account: dict[str, Any], **query: str) -> tuple[int, Any]:
    return stack.http("GET", f"/api/search?{urllib.parse.urlencode(query)}", token=account["accessToken"])


def test_replies_quote_the_original_and_follow_its_edit_and_its_deletion(stack: Stack) -> None:
    alice, bob, carol = (stack.sign_up(f"rp_{name}") for name in ("alice", "bob", "carol"))
    group_id = create_group(stack, alice, bob, carol)
    direct_id = open_direct(stack, alice, bob)

    async def scenario() -> None:
        a, b, c = [await Client.connect(stack, x["accessToken"]) for x in (alice, bob, carol)]
        original = (await a.request(send_frame(group_id, "Lunch at\n  one?", "rp1")))["message"]
        for client in (b, c):
            await client.receive_type("messageReceived")

        # A reply: the sender's ack and everyone's messageReceived carry the quote
        ack = await b.request(reply_frame(group_id, "Yes!", "rp2", original["id"]))
        assert ack["type"] == "messageAck"
        quote = {
            "messageId": original["id"],
            "seq": original["seq"],
            "senderId": alice["user"]["id"],
            "excerpt": "Lunch at one?",
            "attachments": 0,
            "deleted": False,
        }
        assert ack["message"]["replyTo"] == quote
        for client in (a, c):
            received = await client.receive_type("messageReceived")
            assert received["message"] == ack["message"]

        # The original is edited: members hear of the original; the stored reply quotes the new text
        await a.send({"action": "editMessage", "messageId": original["id"], "text": "Lunch at two?"})
        for client in (a, b, c):
            updated = await client.receive_type("messageUpdated")
            assert updated["message"]["id"] == original["id"]
        reply = history(stack, carol, group_id)[-1]
        assert reply["replyTo"] == {**quote, "excerpt": "Lunch at two?"}
        assert reply["revision"] == 1
        # A reply to the edited message quotes it as it is now
        second = await c.request(reply_frame(group_id, "Two works", "rp3", original["id"]))
        assert second["message"]["replyTo"]["excerpt"] == "Lunch at two?"
        for client in (a, b):
            await client.receive_type("messageReceived")

        # It is deleted: every reply says so, and no new reply may quote it
        await a.send({"action": "deleteMessage", "messageId": original["id"]})
        for client in (a, b, c):
            await client.receive_type("messageUpdated")
        quotes = [m["replyTo"] for m in history(stack, bob, group_id) if m["replyTo"]]
        deleted = {**quote, "excerpt": "Original message deleted", "deleted": True}
        assert quotes == [deleted, deleted]
        refused = await b.request(reply_frame(group_id, "too late", "rp4", original["id"]))
        assert (refused["type"], refused["code"], refused["clientMsgId"]) == ("error", "conflict", "rp4")

        # A message of another conversation cannot be quoted, nor one that does not exist
        elsewhere = (await a.request(send_frame(direct_id, "just us", "rp5")))["message"]
        await b.receive_type("messageReceived")
        for reply_to in (elsewhere["id"], "0" * 32):
            refused = await b.request(reply_frame(group_id, "re", f"rp6-{reply_to[:4]}", reply_to))
            assert (refused["type"], refused["code"]) == ("error", "invalid_request")
            assert refused["details"] == [{"loc": ["body", "replyTo"], "type": "not_in_conversation"}]
        for client in (a, b, c):
            await client.assert_quiet()
            await client.close()

    asyncio.run(scenario())

    # Over HTTP too
    status, body = stack.http(
        "POST", "/api/messages", {"conversationId": direct_id, "text": "re", "replyTo": "0" * 32}, bob["accessToken"]
    )
    assert (status, body["error"]["details"]) == (422, [{"loc": ["body", "replyTo"], "type": "not_in_conversation"}])


def test_mentions_name_members_only_and_are_counted_for_them(stack: Stack) -> None:
    ann, ben, cat = (stack.sign_up(f"mn_{name}") for name in ("ann", "ben", "cat"))
    outsider = stack.sign_up("mn_dan")
    group_id = create_group(stack, ann, ben, cat)
    ben_id, cat_id = ben["user"]["id"], cat["user"]["id"]

    async def scenario() -> None:
        a, b = await Client.connect(stack, ann["accessToken"]), await Client.connect(stack, ben["accessToken"])
        text = "@MN_ben and @mn_dan (not here), @nobody, mail mn_cat@example.com"
        sent = (await a.request(send_frame(group_id, text, "mn1")))["message"]
        received = (await b.receive_type("messageReceived"))["message"]
        assert sent["mentions"] == received["mentions"] == [ben_id]

        assert conversation_of(stack, ben, group_id)["mentionCount"] == 1
        assert conversation_of(stack, cat, group_id)["mentionCount"] == 0
        _status, listed = stack.http("GET", "/api/conversations", token=ben["accessToken"])
        assert [(c["unreadCount"], c["mentionCount"]) for c in listed["items"] if c["id"] == group_id] == [(1, 1)]

        # An edit resolves them again
        await a.send({"action": "editMessage", "messageId": sent["id"], "text": "sorry, I meant @mn_cat."})
        edited = (await b.receive_type("messageUpdated"))["message"]
        assert edited["mentions"] == [cat_id]
        await a.receive_type("messageUpdated")
        assert conversation_of(stack, ben, group_id)["mentionCount"] == 0
        assert conversation_of(stack, cat, group_id)["mentionCount"] == 1

        # Read, it is no longer counted
        await b.close()
        c = await Client.connect(stack, cat["accessToken"])
        await c.send({"action": "markRead", "conversationId": group_id, "seq": sent["seq"]})
        await a.receive_type("receipt")
        assert conversation_of(stack, cat, group_id)["mentionCount"] == 0
        for client in (a, c):
            await client.close()

    asyncio.run(scenario())
    # In a direct chat a name is only text
    direct_id = open_direct(stack, ann, outsider)
    status, message = stack.http(
        "POST", "/api/messages", {"conversationId": direct_id, "text": "@mn_dan hi"}, ann["accessToken"]
    )
    assert (status, message["mentions"]) == (201, [])


def test_search_finds_what_the_caller_may_read_by_every_word(stack: Stack) -> None:
    ada, bea, cyd = (stack.sign_up(f"sr_{name}") for name in ("ada", "bea", "cyd"))
    eve = stack.sign_up("sr_eve")
    group_id = create_group(stack, ada, bea, cyd)
    direct_id = open_direct(stack, ada, bea)

    def send(account: dict[str, Any], conversation_id: str, text: str) -> dict[str, Any]:
        status, message = stack.http(
            "POST", "/api/messages", {"conversationId": conversation_id, "text": text}, account["accessToken"]
        )
        assert status == 201, message
        return message  # type: ignore[no-any-return]

    def texts(account: dict[str, Any], **query: str) -> list[str]:
        status, page = search(stack, account, **query)
        assert status == 200, page
        return [m["text"] for m in page["items"]]

    send(ada, group_id, "Le CAFÉ de la gare est fermé")
    send(bea, direct_id, "cafe at the Straße?")
    edited = send(ada, group_id, "meet at the zoetrope")
    deleted = send(bea, group_id, "café secret")
    assert stack.http("PATCH", f"/api/messages/{edited['id']}", {"text": "meet at the café"}, ada["accessToken"])[0]
    assert stack.http("DELETE", f"/api/messages/{deleted['id']}", token=bea["accessToken"])[0] == 200

    # Across both conversations, any case and accents, every word, whole words; edits re-indexed, deletions gone
    assert sorted(texts(bea, q="Cafe")) == ["Le CAFÉ de la gare est fermé", "cafe at the Straße?", "meet at the café"]
    assert texts(bea, q="strasse CAFÉ") == ["cafe at the Straße?"]
    assert texts(bea, q="zoetrope") == []
    assert texts(bea, q="secret") == []
    assert texts(bea, q="caf") == []
    # Only where the caller may read: cyd is not in the direct chat; eve in neither
    assert sorted(texts(cyd, q="cafe")) == ["Le CAFÉ de la gare est fermé", "meet at the café"]
    assert texts(eve, q="cafe") == []
    status, refused = search(stack, eve, q="cafe", conversationId=group_id)
    assert (status, refused["error"]["code"]) == (403, "forbidden")
    assert texts(ada, q="cafe", conversationId=direct_id) == ["cafe at the Straße?"]

    # Removed from the group, cyd finds what she could read, nothing sent after
    status, _ = stack.http("DELETE", f"/api/groups/{group_id}/members/{cyd['user']['id']}", token=ada["accessToken"])
    assert status == 200
    send(ada, group_id, "café after cyd left")
    assert sorted(texts(cyd, q="cafe")) == ["Le CAFÉ de la gare est fermé", "meet at the café"]
    assert texts(cyd, q="cafe", conversationId=group_id) == texts(cyd, q="cafe")
    assert "café after cyd left" in texts(bea, q="cafe")

    # Pages, newest first, keyset by nextBefore
    status, first = search(stack, bea, q="cafe", limit="2")
    assert (status, len(first["items"]), first["nextBefore"]) == (200, 2, first["items"][-1]["id"])
    status, rest = search(stack, bea, q="cafe", before=first["nextBefore"])
    assert (status, rest["nextBefore"]) == (200, None)
    ids = [m["id"] for m in first["items"] + rest["items"]]
    assert (ids, len(ids)) == (sorted(ids, reverse=True), 4)

    # What is not a search
    for query, reason in (({"q": "?!"}, "no_words"), ({"q": " ".join(f"w{i}" for i in range(11))}, "too_many_words")):
        status, body = search(stack, bea, **query)
        assert (status, body["error"]["details"][0]["type"]) == (422, reason)
    status, body = search(stack, bea, q="")
    assert status == 422
