"""How messages are stored: the documents several stores read (a conversation keeps its
last message; the archiver reads messages too), and the Document alias every store uses.
Records only one store knows (users, conversations, receipts...) are mapped next to that
store."""

from typing import Any

from chat.models.chat import Attachment, Message, ReplyQuote
from chat.models.ports import HistorySlice

Document = dict[str, Any]


def message_document(message: Message) -> Document:
    # Attachment URLs are signed per read, never stored; most messages quote and mention no one,
    # and store no field for it (the sparse index of replies holds only replies).
    doc = message.model_dump(exclude={"attachments": {"__all__": {"url"}}})
    doc["_id"] = doc.pop("id")
    if doc["replyTo"] is None:
        del doc["replyTo"]
    if not doc["mentions"]:
        del doc["mentions"]
    return doc


def message_from(doc: Document) -> Message:
    """The message a document holds (its search `terms` are never part of it)."""
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
        # The quote's `revision` (which revision of the original it shows) is the store's own.
        replyTo=ReplyQuote(**{k: v for k, v in doc["replyTo"].items() if k != "revision"})
        if doc.get("replyTo")
        else None,
        mentions=doc.get("mentions") or [],
    )


def history_slice(docs: list[Document]) -> HistorySlice:
    """Message documents as read, and the skip markers among them (seqs a resend reserved) apart."""
    return HistorySlice(
        messages=[message_from(doc) for doc in docs if not doc.get("skipped")],
        skipped={doc["seq"] for doc in docs if doc.get("skipped")},
    )
