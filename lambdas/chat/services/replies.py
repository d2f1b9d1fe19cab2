"""Replies: the quote a reply carries of the message it answers. The rule is in docs/API.md
(Replies), so a client that rewrites the quotes it holds when the original changes
(`messageUpdated`) writes what the server writes."""

from chat.models.chat import Message, ReplyQuote

REPLY_EXCERPT_LENGTH = 100  # characters, "…" included when cut
DELETED_EXCERPT = "Original message deleted"


def excerpt(text: str) -> str:
    """`text` with each run of whitespace one space (none at either end), cut to
    REPLY_EXCERPT_LENGTH characters with "…" when longer."""
    collapsed = " ".join(text.split())
    if len(collapsed) <= REPLY_EXCERPT_LENGTH:
        return collapsed
    return collapsed[: REPLY_EXCERPT_LENGTH - 1].rstrip() + "…"


def quote_of(message: Message) -> ReplyQuote:
    """The quote of `message` as it is now; of a deleted one, that it was deleted."""
    deleted = message.deletedAt is not None
    return ReplyQuote(
        messageId=message.id,
        seq=message.seq,
        senderId=message.senderId,
        excerpt=DELETED_EXCERPT if deleted else excerpt(message.text),
        attachments=0 if deleted else len(message.attachments),
        deleted=deleted,
    )
