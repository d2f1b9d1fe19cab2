"""A send costs at most five MongoDB round trips (one is the sender's rate limit), whatever the group's size."""

from collections import Counter
from typing import Any

from chat.adapters.mongo import client as mongo
from tests.conftest import reset_containers
from tests.integration.conftest import Pushed, call_http, connect, sign_up, ws_call
from tests.round_trips import CountingDatabase, SingleDatabaseClient


def test_group_send_takes_five_round_trips_for_fifty_members(pushed: Pushed, installed_db: Any) -> None:
    # Given a group of 50, each member with a live socket
    members = [sign_up(f"member{i:02d}") for i in range(50)]
    sender = members[0]
    group = call_http(
        "POST",
        "/api/groups/create",
        {"name": "Fifty", "memberIds": [m.user_id for m in members[1:]]},
        token=sender.access_token,
    ).body
    for member in members:
        connect(member, f"socket-{member.username}")
    counting = CountingDatabase(installed_db)
    mongo.use_client(SingleDatabaseClient(counting))
    reset_containers()

    # When the sender sends over the WebSocket
    frame = {"action": "sendMessage", "conversationId": group["id"], "text": "hello all", "clientMsgId": "m1"}
    ws_call("ws_send_message", "ws_message", sender, "socket-member00", frame)

    # Then: the sender's rate limit, seq+membership, insert, preview (returning the version),
    # connections — and all 49 others got it
    assert [f["type"] for f in pushed.frames("socket-member00")] == ["messageAck"]
    assert sum(counting.calls.values()) == 5, counting.calls
    assert counting.calls == Counter(
        {
            "rate_limits.find_one_and_update": 1,
            "conversations.find_one_and_update": 2,
            "messages.insert_one": 1,
            "connections.find": 1,
        }
    )
    for member in members[1:]:
        assert len(pushed.frames(f"socket-{member.username}")) == 1
