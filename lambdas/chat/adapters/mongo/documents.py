"""How users, messages and conversations are stored: the documents several stores read
(a conversation keeps its last message; the archiver reads messages too). Records only
one store knows are mapped next to that store."""

from typing import Any

from chat.models.chat import Attachment, Conversation, Message, Receipt, User
from chat.models.ports import HistorySlice

Document = dict[str, Any]


def user_from(doc: Document) -> User:
    return User(
        id=doc["_id"],
        username=doc["username"],
        displayName=doc["displayName"],
        createdAt=doc["createdAt"],
        avatarUrl=doc.get("avatarUrl"),
        online=doc.get("online", False),
        lastSeenAt=doc.get("lastSeenAt"),
        notificationPreviews=doc.get("notificationPreviews", True),
    )


def message_document(message: Message) -> Document:
    # Attachment URLs are signed per read, never stored.
    doc = message.model_dump(exclude={"attachments": {"__all__": {"url"}}})
    doc["_id"] = doc.pop("id")
    return doc


def message_from(doc: Document) -> Message:
    return Message(
        id=doc["_id"],
        conversationId=doc["conversationId"],
        senderId=doc["senderId"],
        text=doc["text"],
        clientMsgId=doc["clientMsgId"],
        seq=doc["seq"],
        createdAt=doc["createdAt"],
        attachments=[Attachment(**a) for a in doc.get("attachments") or ()],
        editedAt=doc.get("editedAt"),
        deletedAt=doc.get("deletedAt"),
        # A reaction taken back can leave an empty list for a moment: it is no reaction.
        reactions={emoji: users for emoji, users in (doc.get("reactions") or {}).items() if users},
        revision=doc.get("revision", 0),
    )


def history_slice(docs: list[Document]) -> HistorySlice:
    """Message documents as read, and the skip markers among them (seqs a resend reserved) apart."""
    return HistorySlice(
        messages=[message_from(doc) for doc in docs if not doc.get("skipped")],
        skipped={doc["seq"] for doc in docs if doc.get("skipped")},
    )


def conversation_from(doc: Document) -> Conversation:
    last = doc.get("lastMessage")
    # Groups from before admins existed: their creator is the admin.
    legacy_admins = [doc["createdBy"]] if doc["type"] == "group" and doc["createdBy"] in doc["memberIds"] else []
    admins = doc.get("adminIds", legacy_admins)
    return Conversation(
        id=doc["_id"],
        type=doc["type"],
        name=doc.get("name"),
        memberIds=doc["memberIds"],
        createdBy=doc["createdBy"],
        createdAt=doc["createdAt"],
        lastSeq=doc["lastSeq"],
        lastMessage=message_from(last) if last else None,
        adminIds=admins,
        receipts={user: Receipt(**cursors) for user, cursors in (doc.get("receipts") or {}).items()},
        version=doc.get("version", 0),
        formerMembers=doc.get("formerMembers") or {},
        archivedBy=doc.get("archivedBy") or {},
        mutedBy=doc.get("mutedBy") or {},
        keptFrom=doc.get("keptFrom", 0),
        archivedThrough=doc.get("archivedThrough", 0),
    )
