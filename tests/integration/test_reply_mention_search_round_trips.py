"""What replies, mentions and search cost in MongoDB round trips (the README's cost table),
through the real handlers: none of it grows with the history or the group."""

from collections import Counter
from typing import Any

from chat.adapters.mongo import client as mongo
from tests.conftest import reset_containers
from tests.integration.conftest import Pushed, call_http, connect, sign_up, ws_call
from tests.round_trips import CountingDatabase, SingleDatabaseClient


def test_a_reply_with_mentions_an_edit_and_a_search_cost_what_the_readme_says(
    pushed: Pushed, installed_db: Any
) -> None:
    # Given a group of 20, every member with a socket, and some history
    members = [sign_up(f"rms{i:02d}") for i in range(20)]
    sender = members[0]
    group = call_http(
        "POST",
        "/api/groups/create",
        {"name": "Twenty", "memberIds": [m.user_id for m in members[1:]]},
        token=sender.access_token,
    ).body["id"]
    for member in members:
        connect(member, f"socket-{member.username}")
    history = [
        call_http(
            "POST", "/api/messages", {"conversationId": group, "text": f"agenda item {n}"}, token=sender.access_token
        ).body
        for n in range(5)
    ]
    counting = CountingDatabase(installed_db)
    mongo.use_client(SingleDatabaseClient(counting))
    reset_containers()

    # When a member replies over the WebSocket, mentioning two members
    counting.calls.clear()
    frame = {
        "action": "sendMessage",
        "conversationId": group,
        "text": "@rms01 @rms02 see the agenda",
        "clientMsgId": "reply-1",
        "replyTo": history[0]["id"],
    }
    ws_call("ws_send_message", "ws_message", members[3], "socket-rms03", frame)

    # Then a send's five, two for the quoted message and one for the names
    ack = pushed.frames("socket-rms03")[-1]
    assert ack["type"] == "messageAck"
    assert ack["message"]["mentions"] == [members[1].user_id, members[2].user_id]
    assert ack["message"]["replyTo"]["messageId"] == history[0]["id"]
    assert counting.calls == Counter(
        {
            "rate_limits.find_one_and_update": 1,
            "messages.find_one": 2,  # the quoted message, before the insert and once after (unchanged)
            "conversations.find_one_and_update": 2,
            "users.find": 1,  # the members the text names
            "messages.insert_one": 1,
            "connections.find": 1,
        }
    )

    # When the quoted message is edited (over HTTP)
    counting.calls.clear()
    edited = call_http(
        "PATCH", f"/api/messages/{history[0]['id']}", {"text": "agenda, item zero"}, token=sender.access_token
    )
    assert edited.status == 200, edited.body
    # Then an edit's seven (of an earlier message), and one to rewrite the replies' quotes (no @name: no lookup)
    assert counting.calls == Counter(
        {
            "logins.find_one": 1,
            "rate_limits.find_one_and_update": 1,
            "messages.find_one": 1,
            "conversations.find_one": 1,
            "messages.find_one_and_update": 1,
            "messages.update_many": 1,  # the replies' quotes
            "conversations.find_one_and_update": 2,  # not the last message: the preview stays, then the version
            "connections.find": 1,
        }
    )

    # When a member searches everything they may read, then one conversation
    for query in ({"q": "agenda"}, {"q": "agenda", "conversationId": group}):
        counting.calls.clear()
        found = call_http("GET", "/api/search", token=members[5].access_token, query=query)
        assert found.status == 200, found.body
        assert len(found.body["items"]) == 6
        # Then the token's login, the rate limit, the conversations they may read, one page of messages
        assert counting.calls == Counter(
            {
                "logins.find_one": 1,
                "rate_limits.find_one_and_update": 1,
                "conversations.aggregate" if "conversationId" not in query else "conversations.find_one": 1,
                "messages.find": 1,
            }
        )

    # The conversation list counts the mentions in the same query as the unread messages
    counting.calls.clear()
    listed = call_http("GET", "/api/conversations", token=members[1].access_token)
    assert [(c["unreadCount"], c["mentionCount"]) for c in listed.body["items"]] == [(6, 1)]
    assert counting.calls["messages.aggregate"] == 1
    assert sum(counting.calls.values()) == 4  # the login, the conversations, the receipts, the counts
