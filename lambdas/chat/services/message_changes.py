"""Edits, deletions and reactions: each changes one message in one atomic write,
then counts as a change of its conversation, then goes to every member's sockets."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from chat.clock import utc_now
from chat.models.chat import Message
from chat.models.errors import Archived, Conflict, Forbidden, InvalidRequest, NotFound
from chat.models.ports import ConnectionStore, ConversationStore, MembershipCheck, MessageStore
from chat.services.push import FanOut, connection_ids
from chat.services.reactions import MAX_EMOJI_PER_MESSAGE, is_emoji

if TYPE_CHECKING:
    from chat.models.frames import MessageUpdatedFrame
    from chat.services.archive import ArchivedMessages
    from chat.services.media_links import MediaLinks


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
    ) -> None:
        self._members = members
        self._conversation_store = conversation_store
        self._messages = messages
        self._connections = connections
        self._fan_out = fan_out
        self._links = links
        self._archive = archive  # built on first use: only a message not in the hot collection needs it

    def edit(self, user_id: str, message_id: str, text: str) -> Message:
        """The sender replaces the text; empty text only if the message carries files."""
        message, members = self._own_message(user_id, message_id)
        if not text.strip() and not message.attachments:
            raise InvalidRequest(
                "The text needs a visible character (only a message with files may have none).",
                details=[{"loc": ["text"], "type": "empty"}],
            )
        return self._publish(members, self._messages.edit(message_id, user_id, text, utc_now()))

    def delete(self, user_id: str, message_id: str) -> Message:
        """The sender takes a message back: a tombstone keeps its seq, so order and every
        reader's cursors stay as they were. An archived one is rewritten in its chunk."""
        if self._messages.get(message_id) is None:
            archived = self._archive().chunk_of(message_id)
            if archived is not None:
                members = self._members.require_member(archived.conversation_id, user_id).memberIds
                return self._publish(members, self._archive().delete(message_id, user_id, utc_now()))
        _, members = self._own_message(user_id, message_id)
        return self._publish(members, self._messages.delete(message_id, user_id, utc_now()))

    def react(self, user_id: str, message_id: str, emoji: str, on: bool) -> Message:
        """Any member adds or takes back their reaction; doing what is already so is no change."""
        if not is_emoji(emoji):
            raise InvalidRequest(
                "A reaction is one emoji, such as 👍 or ❤️.", details=[{"loc": ["emoji"], "type": "emoji"}]
            )
        message, members = self._member_message(user_id, message_id)
        if message.deletedAt is not None:
            raise Conflict("That message was deleted.")
        if on and emoji not in message.reactions and len(message.reactions) >= MAX_EMOJI_PER_MESSAGE:
            raise InvalidRequest(f"A message has at most {MAX_EMOJI_PER_MESSAGE} different reactions.")
        changed = self._messages.react(message_id, user_id, emoji, on)
        if changed is None:  # already so (or deleted meanwhile): nothing to tell anyone
            return self._links.message(self._messages.get(message_id) or message)
        return self._publish(members, changed)

    def _member_message(self, user_id: str, message_id: str) -> tuple[Message, list[str]]:
        """The message and its conversation's members, if the caller is one of them."""
        message = self._messages.get(message_id)
        if message is None:
            archived = self._archive().chunk_of(message_id)
            if archived is None:
                raise NotFound("No message has that id.")
            self._members.require_member(archived.conversation_id, user_id)
            raise Archived("That message is in the archive: it can be read and deleted, not changed.")
        # Someone who was removed cannot change anything any more, their own messages included.
        return message, self._members.require_member(message.conversationId, user_id).memberIds

    def _own_message(self, user_id: str, message_id: str) -> tuple[Message, list[str]]:
        message, members = self._member_message(user_id, message_id)
        if message.senderId != user_id:
            raise Forbidden("Only the sender can change a message.")
        if message.deletedAt is not None:
            raise Conflict("That message was deleted.")
        return message, members

    def _publish(self, member_ids: list[str], changed: Message | None) -> Message:
        if changed is None:
            # It was deleted between our read and our write.
            raise Conflict("That message was deleted.")
        version = self._conversation_store.record_change(changed, new=False)
        updated = self._links.message(changed)
        self._fan_out.send((connection_ids(self._connections.for_users(member_ids)), message_updated(updated, version)))
        return updated
