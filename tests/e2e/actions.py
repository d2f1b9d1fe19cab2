"""What a client does over the local stack's HTTP API and WebSocket, for the e2e tests: open a
direct chat, create a group, read a conversation, build a send frame."""

from typing import Any

from tests.e2e.conftest import Stack


def send_frame(conversation_id: str, text: str, client_msg_id: str) -> dict[str, Any]:
    return {"action": "sendMessage", "conversationId": conversation_id, "text": text, "clientMsgId": client_msg_id}


def open_direct(stack: Stack, me: dict[str, Any], other: dict[str, Any]) -> str:
    status, conversation = stack.http(
        "POST", "/api/conversations/direct", {"userId": other["user"]["id"]}, me["accessToken"]
    )
    assert status in (200, 201), conversation
    return str(conversation["id"])


def create_group(stack: Stack, creator: dict[str, Any], *members: dict[str, Any], name: str = "Team") -> str:
    status, group = stack.http(
        "POST",
        "/api/groups/create",
        {"name": name, "memberIds": [m["user"]["id"] for m in members]},
        creator["accessToken"],
    )
    assert status == 201, group
    assert group["adminIds"] == [creator["user"]["id"]]
    return str(group["id"])


def conversation_of(stack: Stack, account: dict[str, Any], conversation_id: str) -> dict[str, Any]:
    status, conversation = stack.http("GET", f"/api/conversations/{conversation_id}", token=account["accessToken"])
    assert status == 200, conversation
    return conversation  # type: ignore[no-any-return]
