"""A member's own settings for a chat: archived, muted. Others' views are unaffected.

Archiving takes a conversation out of the member's main list until a new message comes, as
WhatsApp and Stream do. The member's mark (the seq of the last message when they archived)
rides on the conversation document, and the list compares the last message's seq with it,
so a send writes nothing more for it: the message itself brings the conversation back.

Muting stops the member's push notifications from it, until a time or until they unmute
(`mutedBy` on the conversation, which the notifier reads anyway).

Both are the member's own state, like their receipts, not changes of the conversation (no
version, not in the change feed); their devices hear them as `archivedChanged` and
`mutedChanged`."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chat.clock import as_stored, utc_now
from chat.models.chat import Conversation
from chat.models.errors import Forbidden, InvalidRequest
from chat.models.ports import ConnectionStore, ConversationStore, MembershipCheck
from chat.services.conversations import ConversationService
from chat.services.push import FanOut, connection_ids

if TYPE_CHECKING:
    from chat.models.frames import ArchivedChangedFrame, MutedChangedFrame

Change = Callable[[], tuple[Conversation, Conversation] | None]
MAX_MUTE = timedelta(days=366)  # beyond a year, "until I unmute" says it better


def archived_changed(conversation: Conversation) -> "ArchivedChangedFrame":
    """To the member's own sockets only: the conversation as they see it. Its version is no
    change of its own, so it moves no catch-up cursor (which is why this is no
    `conversationUpdated`, whose version is the change it tells of)."""
    return {"type": "archivedChanged", "conversation": conversation.model_dump(mode="json")}


def muted_changed(conversation: Conversation) -> "MutedChangedFrame":
    """As `archivedChanged`, for a mute: to the member's own sockets only."""
    return {"type": "mutedChanged", "conversation": conversation.model_dump(mode="json")}


class ChatSettingsService:
    def __init__(
        self,
        conversations: ConversationService,
        store: ConversationStore,
        connections: ConnectionStore,
        fan_out: FanOut,
        *,
        members: MembershipCheck,
    ) -> None:
        self._conversations = conversations
        self._store = store
        self._connections = connections
        self._fan_out = fan_out
        self._members = members

    def set_archived(self, user_id: str, conversation_id: str, archived: bool) -> Conversation:
        """Archives (or unarchives) the conversation for a member; the conversation as they see
        it after. Doing what is already so changes nothing and pushes nothing. Round trips: one
        atomic write (with the membership check), the member's view of it (receipts, and the
        unread count when anything may be unread) and, when the state moved, one query for the
        member's sockets; then one push to each of them (at most MAX_SOCKETS_PER_USER)."""
        before, view = self._change(
            user_id, conversation_id, lambda: self._store.set_archived(conversation_id, user_id, archived)
        )
        if before.archived_for(user_id) != view.archived:
            self._tell_own_sockets(user_id, archived_changed(view))
        return view

    def set_muted(self, user_id: str, conversation_id: str, muted: bool, until: datetime | None = None) -> Conversation:
        """Mutes the conversation for a member until `until` (None: until they unmute), or
        unmutes it; the conversation as they see it after. The same round trips and pushes as
        `set_archived`; a mute that changes nothing pushes nothing."""
        now = utc_now()
        if muted and until is not None and not now < until <= now + MAX_MUTE:
            raise InvalidRequest(
                "until must be in the future and at most a year ahead; null mutes until you unmute.",
                details=[{"loc": ["body", "until"], "type": "out_of_range"}],
            )
        until = as_stored(until) if until is not None else None
        before, view = self._change(
            user_id, conversation_id, lambda: self._store.set_muted(conversation_id, user_id, muted, until)
        )
        if before.mute_of(user_id, now) != {"muted": view.muted, "mutedUntil": view.mutedUntil}:
            self._tell_own_sockets(user_id, muted_changed(view))
        return view

    def _change(self, user_id: str, conversation_id: str, change: Change) -> tuple[Conversation, Conversation]:
        """(the conversation before, the member's view after) a change only a member may make."""
        changed = change()
        if changed is None:
            self._members.require_member(conversation_id, user_id)  # says why: 404 or 403
            changed = change()  # a member now: added between the write and the read
            if changed is None:
                raise Forbidden("You are not a member of this conversation.")
        before, after = changed
        return before, self._conversations.for_reader(after, user_id)

    def _tell_own_sockets(self, user_id: str, frame: "ArchivedChangedFrame | MutedChangedFrame") -> None:
        sockets = self._connections.for_users([user_id])
        self._fan_out.send((connection_ids(sockets), frame))
