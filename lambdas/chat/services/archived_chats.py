"""Archiving a chat: a member takes a conversation out of their own main list (the others'
lists are unaffected) until a new message comes, as WhatsApp and Stream do.

The member's mark (the seq of the last message when they archived) rides on the conversation
document, and the list compares the last message's seq with it, so a send writes nothing
more for it: the message itself brings the conversation back. Archiving is the member's own
state, like their receipts, not a change of the conversation (no version, not in the change
feed); their devices hear it as `archivedChanged`."""

from chat.models.chat import Conversation
from chat.models.errors import Forbidden
from chat.models.ports import ConnectionStore, ConversationStore
from chat.services.conversations import ConversationService
from chat.services.push import FanOut, connection_ids


def archived_changed(conversation: Conversation) -> dict[str, object]:
    """To the member's own sockets only: the conversation as they see it. Its version is no
    change of its own, so it moves no catch-up cursor (which is why this is no
    `conversationUpdated`, whose version is the change it tells of)."""
    return {"type": "archivedChanged", "conversation": conversation.model_dump(mode="json")}


class ArchivedChatService:
    def __init__(
        self,
        conversations: ConversationService,
        store: ConversationStore,
        connections: ConnectionStore,
        fan_out: FanOut,
    ) -> None:
        self._conversations = conversations
        self._store = store
        self._connections = connections
        self._fan_out = fan_out

    def set_archived(self, user_id: str, conversation_id: str, archived: bool) -> Conversation:
        """Archives (or unarchives) the conversation for a member; the conversation as they see
        it after. Doing what is already so changes nothing and pushes nothing. Round trips: one
        atomic write (with the membership check), the member's view of it (receipts, and the
        unread count when anything may be unread) and, when the state moved, one query for the
        member's sockets; then one push to each of them (at most MAX_SOCKETS_PER_USER)."""
        changed = self._store.set_archived(conversation_id, user_id, archived)
        if changed is None:
            self._conversations.require_member(conversation_id, user_id)  # says why: 404 or 403
            # A member now: added between the write and the read.
            changed = self._store.set_archived(conversation_id, user_id, archived)
            if changed is None:
                raise Forbidden("You are not a member of this conversation.")
        before, after = changed
        view = self._conversations.for_reader(after, user_id)
        if before.archived_for(user_id) != view.archived:
            sockets = self._connections.for_users([user_id])
            self._fan_out.send((connection_ids(sockets), archived_changed(view)))
        return view
