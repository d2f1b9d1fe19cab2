"""Typing indicators: forwarded to the other members' sockets, never stored. Only in
conversations of at most `max_group_size` members: in a larger group every keystroke burst
would cost a push per member, and "someone is typing" among hundreds says little. None in a
direct chat either member blocked, and none to the people the typist blocked."""

from datetime import timedelta
from typing import TYPE_CHECKING

from chat.clock import utc_now
from chat.models.api import TypingAction
from chat.models.ports import BlockStore, ConnectionStore, ConversationStore, TypingThrottle
from chat.services.membership import require_membership
from chat.services.push import FanOut

if TYPE_CHECKING:
    from chat.models.frames import TypingFrame

# At most one "is typing" per user and conversation in this long; clients show it for
# CLIENT_EXPIRY and a typist repeats it while typing, so it never flickers off.
FORWARD_INTERVAL = timedelta(seconds=2)
CLIENT_EXPIRY = timedelta(seconds=6)


def typing_frame(conversation_id: str, user_id: str, is_typing: bool) -> "TypingFrame":
    return {"type": "typing", "conversationId": conversation_id, "userId": user_id, "isTyping": is_typing}


class TypingService:
    def __init__(
        self,
        conversations: ConversationStore,
        connections: ConnectionStore,
        fan_out: FanOut,
        throttle: TypingThrottle,
        blocks: BlockStore,
        *,
        max_group_size: int,
    ) -> None:
        self._conversations = conversations
        self._connections = connections
        self._fan_out = fan_out
        self._throttle = throttle
        self._blocks = blocks
        self._max_group_size = max_group_size

    def typing(self, user_id: str, action: TypingAction) -> bool:
        """Tells the other members; returns False when it was dropped: a start by the throttle,
        a stop with no start still shown to clear, anything in a group larger than
        `max_group_size`. A stop that clears one goes through at once and closes the window,
        so typing again right after sending shows at once too; stops on their own push
        nothing, so no run of them (or of starts and stops) costs more than the starts do."""
        conversation = require_membership(self._conversations.get(action.conversationId), user_id)
        if len(conversation.memberIds) > self._max_group_size or conversation.blockedBy:
            return False  # a direct chat either of the two blocked: nobody types there
        key = f"{conversation.id}:{user_id}"
        if not action.isTyping:
            if not self._throttle.reset(key, utc_now()):
                return False
        elif not self._throttle.allow(key, utc_now(), FORWARD_INTERVAL, CLIENT_EXPIRY):
            return False
        others = [member for member in conversation.memberIds if member != user_id]
        if conversation.type == "group" and others:
            # People the typist blocked see none of their typing (one read, groups only).
            blocked = self._blocks.blocked_among(user_id, others)
            others = [member for member in others if member not in blocked]
        sockets = [c.connectionId for c in self._connections.for_users(others)] if others else []
        self._fan_out.send((sockets, typing_frame(conversation.id, user_id, action.isTyping)))
        return True
