"""Group membership and names. The creator is the first admin; admins add and remove
members and rename the group; anyone may leave. A new group and every change go to the
members (and to anyone removed) as `conversationUpdated`."""

from typing import TYPE_CHECKING

from chat.models.api import MAX_GROUP_MEMBERS, CreateGroupRequest
from chat.models.chat import Conversation
from chat.models.errors import Forbidden, InvalidRequest, NotFound, ServiceUnavailable
from chat.models.ports import ConnectionStore, ConversationStore, MembershipCheck, UserStore
from chat.observability import logger
from chat.services.conversations import ConversationService
from chat.services.push import FanOut, connection_ids

if TYPE_CHECKING:
    from chat.models.frames import ConversationUpdatedFrame

# Removal is conditional on lastSeq (what the leaver may still read); a send between our
# read and our write moves it, and we read again.
REMOVE_ATTEMPTS = 5


def conversation_updated(conversation: Conversation) -> "ConversationUpdatedFrame":
    return {"type": "conversationUpdated", "conversation": conversation.model_dump(mode="json")}


class GroupService:
    def __init__(
        self,
        conversations: ConversationService,
        store: ConversationStore,
        users: UserStore,
        connections: ConnectionStore,
        fan_out: FanOut,
        *,
        members: MembershipCheck,
    ) -> None:
        self._conversations = conversations
        self._store = store
        self._users = users
        self._connections = connections
        self._fan_out = fan_out
        self._members = members

    def create(self, creator_id: str, request: CreateGroupRequest) -> Conversation:
        """Starts a group, and shows it to its members at once rather than at its first message."""
        group = self._conversations.create_group(creator_id, request)
        try:
            self._tell(group)
        except Exception:
            # The group exists: a failed announcement must not make the creator retry and
            # start a second one. Members see it at their next list load or message.
            logger.exception("could not announce a new group", extra={"conversation_id": group.id})
        return group

    def add_members(self, admin_id: str, group_id: str, user_ids: list[str]) -> Conversation:
        group = self._admin_group(admin_id, group_id)
        new = [user_id for user_id in dict.fromkeys(user_ids) if user_id not in group.memberIds]
        if not new:
            return self._conversations.for_reader(group, admin_id)  # all members already: no change
        unknown = set(new) - self._users.existing_user_ids(new)
        if unknown:
            raise NotFound(f"No user has the id(s): {', '.join(sorted(unknown))}.")
        grown = self._store.add_members(group_id, admin_id, new, MAX_GROUP_MEMBERS)
        if grown is None:
            self._admin_group(admin_id, group_id)  # still an admin: then the group was full
            raise InvalidRequest(
                f"A group has at most {MAX_GROUP_MEMBERS} members.",
                details=[{"loc": ["body", "userIds"], "type": "group_size"}],
            )
        self._tell(grown)
        return self._conversations.for_reader(grown, admin_id)

    def remove_member(self, caller_id: str, group_id: str, user_id: str) -> Conversation:
        """An admin removes anyone; anyone removes themselves (leaves). The one removed keeps
        reading what came before, and nothing after: no pushes, 403 on anything new."""
        for _ in range(REMOVE_ATTEMPTS):
            group = self._group(caller_id, group_id)
            if user_id != caller_id and caller_id not in group.adminIds:
                raise Forbidden("Only an admin can remove someone else.")
            if user_id not in group.memberIds:
                raise NotFound("That user is not a member of this group.")
            removed = self._store.remove_member(group_id, user_id, group.lastSeq)
            if removed is not None:
                break
        else:
            raise ServiceUnavailable("The group is too busy to change right now; try again.")
        if removed.memberIds and not removed.adminIds:
            # The last admin left: the longest-standing member takes over, so the group stays run.
            removed = self._store.make_admin(group_id, removed.memberIds[0]) or removed
        self._tell(removed, also=[user_id])
        return self._conversations.for_reader(removed, caller_id)

    def rename(self, admin_id: str, group_id: str, name: str) -> Conversation:
        renamed = self._store.rename(group_id, admin_id, name.strip())
        if renamed is None:
            self._admin_group(admin_id, group_id)  # says why
            raise NotFound("No group has that id.")
        self._tell(renamed)
        return self._conversations.for_reader(renamed, admin_id)

    def _group(self, caller_id: str, group_id: str) -> Conversation:
        group = self._members.require_member(group_id, caller_id)
        if group.type != "group":
            raise InvalidRequest("A direct conversation has no members to change; start a group instead.")
        return group

    def _admin_group(self, admin_id: str, group_id: str) -> Conversation:
        group = self._group(admin_id, group_id)
        if admin_id not in group.adminIds:
            raise Forbidden("Only a group admin can do that.")
        return group

    def _tell(self, group: Conversation, also: list[str] | None = None) -> None:
        sockets = self._connections.for_users([*group.memberIds, *(also or [])])
        self._fan_out.send((connection_ids(sockets), conversation_updated(self._conversations.for_push(group))))
