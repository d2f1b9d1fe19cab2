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


def readable_up_to(conversation: Conversation | None, user_id: str) -> tuple[Conversation, int | None]:
    """The conversation and the last seq `user_id` may read: None for a member (no limit); for
    someone removed, the last seq from while they were a member; else as require_membership."""
    if conversation is not None and user_id in conversation.formerMembers:
        return conversation, conversation.formerMembers[user_id]
    return require_membership(conversation, user_id), None


class Membership:
    """The membership check against the store (one read): the `MembershipCheck` port for
    the use cases that need nothing else of a conversation."""

    def __init__(self, conversations: ConversationStore) -> None:
        self._conversations = conversations

    def require_member(self, conversation_id: str, user_id: str) -> Conversation:
        return require_membership(self._conversations.get(conversation_id), user_id)

    def require_reader(self, conversation_id: str, user_id: str) -> tuple[Conversation, int | None]:
        return readable_up_to(self._conversations.get(conversation_id), user_id)
