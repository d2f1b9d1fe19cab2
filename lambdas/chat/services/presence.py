"""Presence: a user is online while any of their sockets is open, across devices.
Everyone who shares a direct chat or a small group with them hears when that changes;
members of larger groups see it when they look (`GET /api/users/{id}`), so what one
connect costs is bounded by the user's contacts, never by the size of their groups. People
the user blocked hear none of it, and see none of it when they look."""

from typing import TYPE_CHECKING

from chat.clock import utc_now
from chat.models.chat import Connection, User
from chat.models.errors import NotAuthenticated
from chat.models.ports import BlockStore, ConnectionStore, ConversationStore, LoginStore, UserStore
from chat.observability import logger
from chat.services.push import FanOut, connection_ids

if TYPE_CHECKING:
    from chat.models.frames import PresenceFrame


def presence_frame(user: User) -> "PresenceFrame":
    return {
        "type": "presence",
        "userId": user.id,
        "online": user.online,
        "lastSeenAt": user.model_dump(mode="json")["lastSeenAt"],
    }


class PresenceService:
    def __init__(
        self,
        users: UserStore,
        conversations: ConversationStore,
        connections: ConnectionStore,
        fan_out: FanOut,
        logins: LoginStore,
        *,
        blocks: BlockStore,
        max_group_size: int,
        max_sockets: int,
    ) -> None:
        self._blocks = blocks
        self._users = users
        self._conversations = conversations
        self._connections = connections
        self._fan_out = fan_out
        self._logins = logins
        self._max_group_size = max_group_size
        self._max_sockets = max_sockets

    def connected(self, connection: Connection) -> None:
        """Remembers the socket; the user's first one makes them online. Raises NotAuthenticated
        (the handshake is refused) if its login ended since the authorizer let it in."""
        self._connections.add(connection, utc_now())
        # A user has at most max_sockets open: the oldest beyond that are closed.
        excess = self._connections.oldest_beyond(connection.userId, self._max_sockets)
        if excess:
            logger.info("socket cap reached", extra={"user_id": connection.userId, "closing": len(excess)})
            self._fan_out.close(excess)
        # Checked after the record is written, as late as it can be: a log-out that ends the
        # login from now on finds this socket and closes it (waiting out this handshake, see
        # FanOut.close); one that ended it before is seen here.
        if connection.loginId and self._logins.state(connection.loginId, connection.userId) != "going on":
            self._connections.remove([connection.connectionId])
            raise NotAuthenticated("This login has ended; log in again.")
        if self._users.mark_online(connection.userId):
            self._announce(connection.userId)

    def disconnected(self, connection_id: str, user_id: str) -> None:
        """Forgets the socket; the user's last one makes them offline, seen now."""
        self._connections.remove([connection_id])
        if self._connections.has_any(user_id):
            return
        went_offline = self._users.mark_offline(user_id, utc_now())
        if went_offline is None:
            return
        if self._connections.has_any(user_id):
            # Another device connected between our check and our write, and saw them
            # online already: put that right, and say nothing of the blink.
            self._users.mark_online(user_id)
            return
        self._announce(user_id, went_offline)

    def hidden_from(self, user_id: str, blocked_id: str) -> None:
        """`user_id` just blocked `blocked_id`, who from now on sees them offline and never
        seen: their open sockets are told so at once (one read, then a push to each)."""
        sockets = connection_ids(self._connections.for_users([blocked_id]))
        if sockets:
            unseen: PresenceFrame = {"type": "presence", "userId": user_id, "online": False, "lastSeenAt": None}
            self._fan_out.send((sockets, unseen))

    def shown_to(self, user_id: str, other_id: str) -> None:
        """`user_id` just unblocked `other_id`: if they share a conversation, the other's open
        sockets see `user_id`'s presence again (up to three reads, then a push to each)."""
        if not self._conversations.sharing_with(other_id, [user_id]):
            return
        sockets = connection_ids(self._connections.for_users([other_id]))
        user = self._users.get_user(user_id) if sockets else None
        if user is not None:
            self._fan_out.send((sockets, presence_frame(user)))

    def _announce(self, user_id: str, user: User | None = None) -> None:
        user = user or self._users.get_user(user_id)
        if user is None:
            return
        audience = self._conversations.presence_audience(user_id, self._max_group_size)
        others = [member for member in audience if member != user_id]
        if others:
            blocked = self._blocks.blocked_among(user_id, others)  # they hear nothing of the blocker
            others = [member for member in others if member not in blocked]
        if others:
            self._fan_out.send((connection_ids(self._connections.for_users(others)), presence_frame(user)))
