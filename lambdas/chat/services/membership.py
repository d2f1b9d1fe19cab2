"""Who may act in a conversation: the one membership check."""

from chat.models.chat import Conversation
from chat.models.errors import Forbidden, NotFound
from chat.models.ports import ConversationStore


def require_membership(conversation: Conversation | None, user_id: str) -> Conversation:
    """The conversation, if there is one (NotFound) and `user_id` is a member of it (Forbidden)."""
    if conversation is None:
        raise NotFound("No conversation has that id.")
    if user_id not in conversation.memberIds:
        raise Forbidden("You are not a member of this conversation.")
    return conversation


class Membership:
    """The membership check against the store (one read): the `MembershipCheck` port for
    the use cases that need nothing else of a conversation."""

    def __init__(self, conversations: ConversationStore) -> None:
        self._conversations = conversations

    def require_member(self, conversation_id: str, user_id: str) -> Conversation:
        return require_membership(self._conversations.get(conversation_id), user_id)
