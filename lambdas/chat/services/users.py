"""Profiles, contact search and blocking. Presence (`online`, `lastSeenAt`) shows only to people
who share a conversation with the user, as presence pushes do, and never to people the user
blocked; to anyone else it is not given."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from chat.clock import utc_now
from chat.models.api import BlockedUsers, UpdateProfileRequest, UserPage
from chat.models.chat import User
from chat.models.errors import Conflict, InvalidRequest, NotFound
from chat.models.ports import BlockStore, ConversationStore, UserStore
from chat.services.conversations import direct_key
from chat.services.cursors import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from chat.services.media import MediaService
    from chat.services.presence import PresenceService


class UserService:
    def __init__(
        self,
        users: UserStore,
        conversations: ConversationStore,
        blocks: BlockStore,
        media: "Callable[[], MediaService]",
        *,
        presence: "Callable[[], PresenceService]",
        max_blocks: int,
    ) -> None:
        self._presence = presence  # built on first use: only a block or an unblock tells anyone
        self._users = users
        self._conversations = conversations
        self._blocks = blocks
        self._media = media  # built on first use, by the profile calls that need it
        self._max_blocks = max_blocks

    def update_profile(self, user_id: str, request: UpdateProfileRequest) -> User:
        changes: dict[str, str | bool | None] = {}
        if request.displayName is not None:
            changes["displayName"] = request.displayName.strip()
        if request.notificationPreviews is not None:
            changes["notificationPreviews"] = request.notificationPreviews
        if "avatarMediaId" in request.model_fields_set:
            if request.avatarMediaId is None:
                changes["avatarUrl"] = None
            else:
                changes["avatarUrl"] = self._media().publish_avatar(user_id, request.avatarMediaId)
        user = self._users.update_profile(user_id, changes)
        if user is None:
            raise NotFound("No user has that id.")
        return user

    def get(self, caller_id: str, user_id: str) -> User:
        user = self._users.get_user(user_id)
        if user is None:
            raise NotFound("No user has that id.")
        return self._seen_by(caller_id, [user])[0]

    def search(self, caller_id: str, prefix: str | None, limit: int, cursor: str | None) -> UserPage:
        """Everyone but the caller whose username or display name starts with `prefix`, by username."""
        after = decode_cursor(cursor) if cursor else None
        if after is not None and not isinstance(after, str):
            raise InvalidRequest("The cursor is not valid; pass back a nextCursor exactly as received.")
        users = self._users.search_users(prefix or None, caller_id, limit + 1, after)
        page, more = users[:limit], len(users) > limit
        next_cursor = encode_cursor(page[-1].username.lower()) if more else None
        return UserPage(items=self._seen_by(caller_id, page), nextCursor=next_cursor)

    def block(self, caller_id: str, user_id: str) -> None:
        """The caller blocks `user_id`: no direct chat between them takes a message, and the
        blocked user sees none of the caller's presence or typing (docs/API.md, Blocking).
        Blocking twice is no change. Four round trips (the user, the block's two, the direct
        chat), then the blocked user's sockets: one read, and a push to each."""
        self._other_user(caller_id, user_id)
        if not self._blocks.block(caller_id, user_id, utc_now(), self._max_blocks):
            raise Conflict(f"You have blocked {self._max_blocks} people, the most there can be: unblock someone first.")
        # After the record: an unblock or block retried puts the chat right if a crash fell between.
        self._conversations.set_direct_block(direct_key(caller_id, user_id), caller_id, True)
        self._presence().hidden_from(caller_id, user_id)

    def unblock(self, caller_id: str, user_id: str) -> None:
        self._other_user(caller_id, user_id)
        self._blocks.unblock(caller_id, user_id)
        self._conversations.set_direct_block(direct_key(caller_id, user_id), caller_id, False)
        self._presence().shown_to(caller_id, user_id)

    def blocked(self, caller_id: str) -> BlockedUsers:
        """Whom the caller blocked, the latest first, as they see their profiles."""
        ids = self._blocks.blocked_by(caller_id, self._max_blocks)
        found = {user.id: user for user in self._users.get_users(ids)}
        return BlockedUsers(items=self._seen_by(caller_id, [found[i] for i in ids if i in found]))

    def _other_user(self, caller_id: str, user_id: str) -> None:
        if user_id == caller_id:
            raise InvalidRequest(
                "Name someone else: that id is your own.", details=[{"loc": ["path", "id"], "type": "self"}]
            )
        if self._users.get_user(user_id) is None:
            raise NotFound("No user has that id.")

    def _seen_by(self, caller_id: str, users: list[User]) -> list[User]:
        """The users as the caller may see them: presence only of those they share a conversation
        with and who have not blocked them (a query each for a whole page, none for the caller
        themselves), settings only their own."""
        others = [user.id for user in users if user.id != caller_id]
        shared = self._conversations.sharing_with(caller_id, others) if others else set()
        if shared:
            shared -= self._blocks.blockers_among(list(shared), caller_id)
        hidden = {"online": False, "lastSeenAt": None}
        return [
            user
            if user.id == caller_id
            else user.model_copy(update={"notificationPreviews": None, **({} if user.id in shared else hidden)})
            for user in users
        ]
