"""Edits, deletions and reactions: each changes one message in one atomic write,
then counts as a change of its conversation, then goes to every member's sockets.
An edit or a deletion also rewrites the quote in every reply to the message (one more
round trip: an update_many on the index of replies)."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from chat.clock import utc_now
from chat.models.chat import Conversation, Message
from chat.models.errors import Archived, Conflict, Forbidden, InvalidRequest, NotFound
from chat.models.ports import ConnectionStore, ConversationStore, MembershipCheck, MessageStore
from chat.services.push import FanOut, connection_ids
from chat.services.reactions import MAX_EMOJI_PER_MESSAGE, is_emoji
from chat.services.replies import quote_of
from chat.services.search_terms import terms

if TYPE_CHECKING:
    from chat.models.frames import MessageUpdatedFrame
    from chat.services.archive import ArchivedMessages
    from chat.services.media_links import MediaLinks
    from chat.services.mentions import Mentions


def message_updated(message: Message, version: int) -> "MessageUpdatedFrame":
    return {"type": "messageUpdated", "message": message.model_dump(mode="json"), "version": version}


class MessageChangeService:
    def __init__(
        self,
        members: MembershipCheck,
        conversation_store: ConversationStore,
        messages: MessageStore,
        connections: ConnectionStore,
        fan_out: FanOut,
        *,
        links: "MediaLinks",
        archive: "Callable[[], ArchivedMessages]",
        mentions: "Mentions",
    ) -> None:
        self._members = members
        self._mentions = mentions
        self._conversation_store = conversation_store
        self._messages = messages
        self._connections = connections
        self._fan_out = fan_out
        self._links = links
        self._archive = archive  # built on first use: only a message not in the hot collection needs it

    def edit(self, user_id: str, message_id: str, text: str) -> Message:
        """The sender replaces the text; empty text only if the message carries files. Its
        mentions are resolved again from the new text."""
        message, conversation = self._own_message(user_id, message_id)
        if not text.strip() and not message.attachments:
            raise InvalidRequest(
                "The text needs a visible character (only a message with files may have none).",
                details=[{"loc": ["text"], "type": "empty"}],
            )
        mentions = self._mentions.resolve(text, conversation.type, conversation.memberIds, user_id)
        edited = self._messages.edit(message_id, user_id, text, utc_now(), mentions=mentions, terms=terms(text))
        return self._publish(conversation.memberIds, self._requoted(edited))

    def delete(self, user_id: str, message_id: str) -> Message:
        """The sender takes a message back: a tombstone keeps its seq, so order and every
        reader's cursors stay as they were. An archived one is rewritten in its chunk."""
        if self._messages.get(message_id) is None:
            archived = self._archive().chunk_of(message_id)
            if archived is not None:
                members = self._members.require_member(archived.conversation_id, user_id).memberIds
                deleted = self._archive().delete(message_id, user_id, utc_now())
                return self._publish(members, self._requoted(deleted))
        _, conversation = self._own_message(user_id, message_id)
        deleted = self._messages.delete(message_id, user_id, utc_now())
        return self._publish(conversation.memberIds, self._requoted(deleted))

    def react(self, user_id: str, message_id: str, emoji: str, on: bool) -> Message:
        """Any member adds or takes back their reaction; doing what is already so is no change."""
        if not is_emoji(emoji):
            raise InvalidRequest(
                "A reaction is one emoji, such as 👍 or ❤️.", details=[{"loc": ["emoji"], "type": "emoji"}]
            )
        message, conversation = self._member_message(user_id, message_id)
        if message.deletedAt is not None:
            raise Conflict("That message was deleted.")
        if on and emoji not in message.reactions and len(message.reactions) >= MAX_EMOJI_PER_MESSAGE:
            raise InvalidRequest(f"A message has at most {MAX_EMOJI_PER_MESSAGE} different reactions.")
        changed = self._messages.react(message_id, user_id, emoji, on)
        if changed is None:  # already so (or deleted meanwhile): nothing to tell anyone
            return self._links.message(self._messages.get(message_id) or message)
        return self._publish(conversation.memberIds, changed)

    def _member_message(self, user_id: str, message_id: str) -> tuple[Message, Conversation]:
        """The message and its conversation, if the caller is one of its members."""
        message = self._messages.get(message_id)
        if message is None:
            archived = self._archive().chunk_of(message_id)
            if archived is None:
                raise NotFound("No message has that id.")
            self._members.require_member(archived.conversation_id, user_id)
            raise Archived("That message is in the archive: it can be read and deleted, not changed.")
        # Someone who was removed cannot change anything any more, their own messages included.
        return message, self._members.require_member(message.conversationId, user_id)

    def _own_message(self, user_id: str, message_id: str) -> tuple[Message, Conversation]:
        message, conversation = self._member_message(user_id, message_id)
        if message.senderId != user_id:
            raise Forbidden("Only the sender can change a message.")
        if message.deletedAt is not None:
            raise Conflict("That message was deleted.")
        return message, conversation

    def _requoted(self, changed: Message | None) -> Message | None:
        """After an edit or a deletion: every hot reply to the message quotes it as it now is,
        written before the change is recorded, so a reader who sees its version reads the
        replies' new quotes too. (Replies in the archive keep the quote they were archived with.)"""
        if changed is not None:
            self._messages.rewrite_quotes(quote_of(changed), changed.revision)
        return changed

    def _publish(self, member_ids: list[str], changed: Message | None) -> Message:
        if changed is None:
            # It was deleted between our read and our write.
            raise Conflict("That message was deleted.")
        version = self._conversation_store.record_change(changed, new=False)
        updated = self._links.message(changed)
        self._fan_out.send((connection_ids(self._connections.for_users(member_ids)), message_updated(updated, version)))
        return updated
