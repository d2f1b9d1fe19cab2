"""Links to attachments: the one place a member's copy of a message gets a signed `url` on
each of its files (CloudFront serves `attachments/` only through signed URLs)."""

from collections.abc import Callable
from datetime import datetime, timedelta

from chat.clock import utc_now
from chat.models.chat import Conversation, Message
from chat.models.ports import MediaLinkSigner


def link_expiry(now: datetime) -> datetime:
    """Signed links end 1 to 2 hours from now, on the hour: every read within an
    hour gets the same URL, so browsers and CloudFront serve it from cache."""
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)


def attachment_key(conversation_id: str, media_id: str, content_type: str) -> str:
    """Where an attachment is served from, once its upload is checked and published."""
    from chat.services.media_types import KINDS  # only with a file: text-only sends skip its tables

    return f"attachments/{conversation_id}/{media_id}.{KINDS[content_type].extension}"


class MediaLinks:
    """Puts a signed `url` on each attachment a member is about to receive. The signer is
    built on the first file signed: text-only traffic never loads it (nor fetches its key)."""

    def __init__(self, signer: Callable[[], MediaLinkSigner]) -> None:
        self._signer = signer

    def message(self, message: Message) -> Message:
        if not message.attachments:
            return message
        signer, expires_at = self._signer(), link_expiry(utc_now())
        attachments = [
            a.model_copy(
                update={
                    "url": signer.signed_url(
                        attachment_key(message.conversationId, a.mediaId, a.contentType), expires_at
                    )
                }
            )
            for a in message.attachments
        ]
        return message.model_copy(update={"attachments": attachments})

    def conversation(self, conversation: Conversation) -> Conversation:
        """The conversation with its last message's files linked."""
        if conversation.lastMessage is None or not conversation.lastMessage.attachments:
            return conversation
        return conversation.model_copy(update={"lastMessage": self.message(conversation.lastMessage)})
