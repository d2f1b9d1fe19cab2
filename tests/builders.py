"""The documents the contract tests store: users, groups, direct chats and messages as the
services make them."""

from typing import Any

from chat.clock import utc_now
from chat.models.chat import Conversation, Message, User
from chat.services.ids import new_id


def a_user(name: str, display: str | None = None) -> User:
    return User(id=new_id(), username=name, displayName=display or name.title(), createdAt=utc_now())


def a_group(*member_ids: str, created_at: Any = None) -> Conversation:
    """A group as GroupService creates it: the creator (first member) is its admin."""
    return Conversation(
        id=new_id(),
        type="group",
        name="g",
        memberIds=list(member_ids),
        createdBy=member_ids[0],
        createdAt=created_at or utc_now(),
        lastSeq=0,
        lastMessage=None,
        adminIds=[member_ids[0]],
    )


def a_direct(a: str, b: str) -> Conversation:
    return a_group(a, b).model_copy(update={"type": "direct", "name": None, "adminIds": []})


def a_message(conversation_id: str, sender: str, seq: int, client_msg_id: str | None = None, **fields: Any) -> Message:
    return Message(
        **{
            "id": new_id(),
            "conversationId": conversation_id,
            "senderId": sender,
            "text": f"message {seq}",
            "clientMsgId": client_msg_id or f"c{seq}-{sender}",
            "seq": seq,
            "createdAt": utc_now(),
            **fields,  # any of them, the text included
        }
    )
