"""In-memory fakes of the ports. They run the same contract tests as the
MongoDB adapters (tests/contract), so unit tests can trust them."""

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from chat.models.chat import Connection, Conversation, Message, Receipt, ReplyQuote, User
from chat.models.errors import UsernameTaken
from chat.models.ports import (
    ArchiveChunk,
    ConnectionGone,
    ConversationCursor,
    Credentials,
    DuplicateMessage,
    HistorySlice,
    LoginState,
    MediaUpload,
    NotificationJob,
    PushOutcome,
    PushSubscription,
    RefreshGrant,
    SeqAllocation,
    StoredObject,
    Unread,
)


class FakeBlockStore:
    def __init__(self) -> None:
        self.blocks: dict[tuple[str, str], datetime] = {}

    def block(self, blocker_id: str, blocked_id: str, at: datetime, max_blocks: int) -> bool:
        if (blocker_id, blocked_id) in self.blocks:
            return True
        if sum(1 for blocker, _ in self.blocks if blocker == blocker_id) >= max_blocks:
            return False
        self.blocks[(blocker_id, blocked_id)] = at
        return True

    def unblock(self, blocker_id: str, blocked_id: str) -> None:
        self.blocks.pop((blocker_id, blocked_id), None)

    def blocked_by(self, blocker_id: str, limit: int) -> list[str]:
        mine = [(at, blocked) for (blocker, blocked), at in self.blocks.items() if blocker == blocker_id]
        return [blocked for _, blocked in sorted(mine, reverse=True)[:limit]]

    def blockers_among(self, user_ids: list[str], blocked_id: str) -> set[str]:
        return {user for user in user_ids if (user, blocked_id) in self.blocks}

    def blocked_among(self, blocker_id: str, user_ids: list[str]) -> set[str]:
        return {user for user in user_ids if (blocker_id, user) in self.blocks}

    def between(self, user_a: str, user_b: str) -> set[str]:
        return {
            blocker for blocker, blocked in ((user_a, user_b), (user_b, user_a)) if (blocker, blocked) in self.blocks
        }


class FakeUserStore:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.hashes: dict[str, str] = {}

    def create_user(self, user: User, password_hash: str) -> None:
        if any(u.username.lower() == user.username.lower() for u in self.users.values()):
            raise UsernameTaken(f"The username {user.username!r} is taken.")
        self.users[user.id] = user
        self.hashes[user.id] = password_hash

    def find_credentials(self, username: str) -> Credentials | None:
        for user in self.users.values():
            if user.username.lower() == username.lower():
                return Credentials(user=user, password_hash=self.hashes[user.id])
        return None

    def update_password_hash(self, user_id: str, password_hash: str) -> None:
        self.hashes[user_id] = password_hash

    def get_user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def get_users(self, user_ids: list[str]) -> list[User]:
        return [self.users[u] for u in dict.fromkeys(user_ids) if u in self.users]

    def mark_online(self, user_id: str) -> bool:
        user = self.users.get(user_id)
        if user is None or user.online:
            return False
        self.users[user_id] = user.model_copy(update={"online": True})
        return True

    def mark_offline(self, user_id: str, at: datetime) -> User | None:
        user = self.users.get(user_id)
        if user is None or not user.online:
            return None
        self.users[user_id] = user.model_copy(update={"online": False, "lastSeenAt": at})
        return self.users[user_id]

    def update_profile(self, user_id: str, changes: dict[str, str | bool | None]) -> User | None:
        if user_id not in self.users:
            return None
        self.users[user_id] = self.users[user_id].model_copy(update=changes)
        return self.users[user_id]

    def existing_user_ids(self, user_ids: list[str]) -> set[str]:
        return set(user_ids) & set(self.users)

    def search_users(self, prefix: str | None, exclude_id: str, limit: int, after: str | None) -> list[User]:
        found = [
            u
            for u in self.users.values()
            if u.id != exclude_id
            and (
                not prefix
                or u.username.lower().startswith(prefix.lower())
                or u.displayName.lower().startswith(prefix.lower())
            )
            and (after is None or u.username.lower() > after)
        ]
        return sorted(found, key=lambda u: u.username.lower())[:limit]

    def members_named(self, usernames: list[str], member_ids: list[str]) -> dict[str, str]:
        members = [self.users[m] for m in member_ids if m in self.users]
        return {u.username.lower(): u.id for u in members if u.username.lower() in usernames}


class FakeLoginAttemptStore:
    def __init__(self) -> None:
        self.windows: dict[str, tuple[int, datetime]] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, now: datetime, window: timedelta, limit: int) -> datetime | None:
        with self._lock:
            current = self.windows.get(key)
            if current is None or current[1] <= now:
                self.windows[key] = (1, now + window)
                return None
            if current[0] >= limit:
                return current[1]
            self.windows[key] = (current[0] + 1, current[1])
            return None

    def clear(self, key: str) -> None:
        self.windows.pop(key, None)


@dataclass
class _Token:
    grant: RefreshGrant
    expires_at: datetime
    used: bool = False


class FakeRefreshTokenStore:
    def __init__(self) -> None:
        self.tokens: dict[str, _Token] = {}

    def save(self, token_hash: str, grant: RefreshGrant, expires_at: datetime) -> None:
        self.tokens[token_hash] = _Token(grant, expires_at)

    def consume(self, token_hash: str, now: datetime) -> RefreshGrant | None:
        token = self.tokens.get(token_hash)
        if token is None or token.used or token.expires_at <= now:
            return None
        token.used = True
        return token.grant

    def grant_of(self, token_hash: str) -> RefreshGrant | None:
        token = self.tokens.get(token_hash)
        return token.grant if token else None

    def spent(self, token_hash: str) -> RefreshGrant | None:
        token = self.tokens.get(token_hash)
        return token.grant if token and token.used else None


CHANGE_LOG_SIZE = 256


@dataclass
class _StoredConversation:
    conversation: Conversation
    direct_key: str | None
    last_seq: int = 0
    last_message: Message | None = None
    log: list[str] = field(default_factory=list)

    def view(self) -> Conversation:
        return self.conversation.model_copy(update={"lastSeq": self.last_seq, "lastMessage": self.last_message})

    @property
    def activity(self) -> datetime:
        return self.last_message.createdAt if self.last_message else self.conversation.createdAt

    def change(self, message_id: str = "", **fields: object) -> Conversation:
        """One counted change, as the MongoDB adapter's `_logged` makes it."""
        self.log = [*self.log, message_id][-CHANGE_LOG_SIZE:]
        self.conversation = self.conversation.model_copy(update={**fields, "version": self.conversation.version + 1})
        return self.view()


class FakeConversationStore:
    def __init__(self) -> None:
        self.conversations: dict[str, _StoredConversation] = {}
        self._lock = threading.Lock()

    def create(self, conversation: Conversation, direct_key: str | None = None) -> Conversation:
        if direct_key is not None and (existing := self.find_direct(direct_key)) is not None:
            return existing
        self.conversations[conversation.id] = _StoredConversation(conversation, direct_key)
        return conversation

    def get(self, conversation_id: str) -> Conversation | None:
        stored = self.conversations.get(conversation_id)
        return stored.view() if stored else None

    def find_direct(self, direct_key: str) -> Conversation | None:
        for stored in self.conversations.values():
            if stored.direct_key == direct_key:
                return stored.view()
        return None

    def list_for_member(
        self, user_id: str, limit: int, after: ConversationCursor | None, *, archived: bool = False
    ) -> list[Conversation]:
        mine = [
            s
            for s in self.conversations.values()
            if user_id in s.conversation.memberIds and s.view().archived_for(user_id) == archived
        ]
        mine.sort(key=lambda s: (s.activity, s.conversation.id), reverse=True)
        if after is not None:
            mine = [
                s for s in mine if (s.activity, s.conversation.id) < (after.last_activity_at, after.conversation_id)
            ]
        return [s.view() for s in mine[:limit]]

    def set_archived(
        self, conversation_id: str, user_id: str, archived: bool
    ) -> tuple[Conversation, Conversation] | None:
        stored = self.conversations.get(conversation_id)
        if stored is None or user_id not in stored.conversation.memberIds:
            return None
        with self._lock:
            before = stored.view()
            marks = {u: seq for u, seq in before.archivedBy.items() if u != user_id}
            if archived:
                marks[user_id] = stored.last_message.seq if stored.last_message else 0
            # Not a change: no version, nothing logged.
            stored.conversation = stored.conversation.model_copy(update={"archivedBy": marks})
            return before, stored.view()

    def set_muted(
        self, conversation_id: str, user_id: str, muted: bool, until: datetime | None = None
    ) -> tuple[Conversation, Conversation] | None:
        stored = self.conversations.get(conversation_id)
        if stored is None or user_id not in stored.conversation.memberIds:
            return None
        with self._lock:
            before = stored.view()
            mutes = {u: t for u, t in before.mutedBy.items() if u != user_id}
            if muted:
                mutes[user_id] = until
            stored.conversation = stored.conversation.model_copy(update={"mutedBy": mutes})
            return before, stored.view()

    def _allocate(self, stored: _StoredConversation | None) -> SeqAllocation | None:
        if stored is None or stored.conversation.blockedBy:
            return None
        with self._lock:
            stored.last_seq += 1
            conversation = stored.conversation
            return SeqAllocation(conversation.id, stored.last_seq, list(conversation.memberIds), conversation.type)

    def allocate_seq(self, conversation_id: str, sender_id: str) -> SeqAllocation | None:
        stored = self.conversations.get(conversation_id)
        return self._allocate(stored if stored and sender_id in stored.conversation.memberIds else None)

    def allocate_direct_seq(self, direct_key: str) -> SeqAllocation | None:
        return self._allocate(next((s for s in self.conversations.values() if s.direct_key == direct_key), None))

    def set_direct_block(self, direct_key: str, blocker_id: str, blocked: bool) -> None:
        for stored in self.conversations.values():
            if stored.direct_key == direct_key:
                with self._lock:
                    others = [user for user in stored.conversation.blockedBy if user != blocker_id]
                    blocked_by = [*others, blocker_id] if blocked else others
                    stored.conversation = stored.conversation.model_copy(update={"blockedBy": blocked_by})

    def record_change(self, message: Message, *, new: bool) -> int:
        stored = self.conversations[message.conversationId]
        with self._lock:
            last = stored.last_message
            if (new and (last is None or last.seq < message.seq)) or (not new and last and last.seq == message.seq):
                stored.last_message = message
            return stored.change(message.id).version

    def change_log(self, conversation_id: str) -> tuple[Conversation, list[tuple[int, str]]] | None:
        stored = self.conversations.get(conversation_id)
        if stored is None:
            return None
        first = stored.conversation.version - len(stored.log) + 1
        return stored.view(), [(first + index, message_id) for index, message_id in enumerate(stored.log)]

    def _administered(self, conversation_id: str, admin_id: str) -> _StoredConversation | None:
        stored = self.conversations.get(conversation_id)
        if stored is None or stored.conversation.type != "group" or admin_id not in stored.conversation.adminIds:
            return None
        return stored

    def add_members(
        self, conversation_id: str, admin_id: str, user_ids: list[str], max_members: int
    ) -> Conversation | None:
        stored = self._administered(conversation_id, admin_id)
        if stored is None or len(stored.conversation.memberIds) + len(user_ids) > max_members:
            return None
        members = list(dict.fromkeys([*stored.conversation.memberIds, *user_ids]))
        former = {u: seq for u, seq in stored.conversation.formerMembers.items() if u not in user_ids}
        return stored.change(memberIds=members, formerMembers=former)

    def remove_member(self, conversation_id: str, user_id: str, at_seq: int) -> Conversation | None:
        stored = self.conversations.get(conversation_id)
        group = stored.conversation if stored else None
        if stored is None or group is None or group.type != "group" or user_id not in group.memberIds:
            return None
        if stored.last_seq != at_seq:
            return None
        return stored.change(
            memberIds=[m for m in group.memberIds if m != user_id],
            adminIds=[a for a in group.adminIds if a != user_id],
            formerMembers={**group.formerMembers, user_id: at_seq},
            receipts={u: r for u, r in group.receipts.items() if u != user_id},
        )

    def make_admin(self, conversation_id: str, user_id: str) -> Conversation | None:
        stored = self.conversations.get(conversation_id)
        if stored is None or stored.conversation.adminIds or user_id not in stored.conversation.memberIds:
            return None
        return stored.change(adminIds=[user_id])

    def rename(self, conversation_id: str, admin_id: str, name: str) -> Conversation | None:
        stored = self._administered(conversation_id, admin_id)
        return stored.change(name=name) if stored else None

    def readable_by(self, user_id: str) -> dict[str, int | None]:
        readable: dict[str, int | None] = {}
        for conversation in (s.conversation for s in self.conversations.values()):
            if user_id in conversation.formerMembers:
                readable[conversation.id] = conversation.formerMembers[user_id]
            elif user_id in conversation.memberIds:
                readable[conversation.id] = None
        return readable

    def sharing_with(self, user_id: str, others: list[str]) -> set[str]:
        mine = [s.conversation.memberIds for s in self.conversations.values() if user_id in s.conversation.memberIds]
        return {member for members in mine for member in members} & set(others)

    def presence_audience(self, user_id: str, max_group_size: int) -> list[str]:
        shared = [
            c.memberIds
            for c in (s.conversation for s in self.conversations.values())
            if user_id in c.memberIds and (c.type == "direct" or len(c.memberIds) <= max_group_size)
        ]
        return list({member for members in shared for member in members})


class FakeReceiptStore:
    def __init__(self) -> None:
        self.receipts: dict[tuple[str, str], Receipt] = {}
        self.writes = 0
        self._lock = threading.Lock()

    def advance(self, conversation_id: str, user_id: str, delivered: int, read: int) -> tuple[Receipt, Receipt]:
        with self._lock:
            before = self.receipts.get((conversation_id, user_id), Receipt())
            after = Receipt(deliveredSeq=max(before.deliveredSeq, delivered, read), readSeq=max(before.readSeq, read))
            if after != before:
                self.receipts[(conversation_id, user_id)] = after
                self.writes += 1
            return before, after

    def of_conversation(self, conversation_id: str) -> dict[str, Receipt]:
        return {user: r for (conversation, user), r in self.receipts.items() if conversation == conversation_id}

    def visible_to(self, reader_id: str, conversations: list[Conversation]) -> dict[str, dict[str, Receipt]]:
        visible: dict[str, dict[str, Receipt]] = {}
        for conversation in conversations:
            for user, receipt in self.of_conversation(conversation.id).items():
                if conversation.type == "direct" or user == reader_id:
                    visible.setdefault(conversation.id, {})[user] = receipt
        return visible


class FakeMessageStore:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.terms: dict[str, list[str]] = {}  # what each message is found by, as MongoDB keeps `terms`
        self.skipped: dict[str, set[int]] = {}
        self.skipped_at: dict[tuple[str, int], datetime] = {}
        # Which revision of the original each reply's quote shows, as MongoDB keeps `replyTo.revision`.
        self.quote_revisions: dict[str, int] = {}

    def mark_skipped(self, conversation_id: str, seq: int, at: datetime) -> None:
        self.skipped.setdefault(conversation_id, set()).add(seq)
        self.skipped_at[(conversation_id, seq)] = at

    def insert(self, message: Message, terms: Sequence[str] = (), *, quote_revision: int | None = None) -> None:
        if self.find_by_client_msg_id(message.conversationId, message.senderId, message.clientMsgId):
            raise DuplicateMessage(message.clientMsgId)
        # As in MongoDB: links are made per read, never stored.
        unlinked = [a.model_copy(update={"url": None}) for a in message.attachments]
        self.messages.append(message.model_copy(update={"attachments": unlinked}))
        self.terms[message.id] = list(terms)
        if message.replyTo is not None and quote_revision is not None:
            self.quote_revisions[message.id] = quote_revision

    def find_by_client_msg_id(self, conversation_id: str, sender_id: str, client_msg_id: str) -> Message | None:
        return next(
            (
                m
                for m in self.messages
                if (m.conversationId, m.senderId, m.clientMsgId) == (conversation_id, sender_id, client_msg_id)
            ),
            None,
        )

    def page(
        self, conversation_id: str, limit: int, before: int | None, after: int | None, up_to: int | None = None
    ) -> HistorySlice:
        by_seq: dict[int, Message | None] = {m.seq: m for m in self.messages if m.conversationId == conversation_id}
        by_seq.update(dict.fromkeys(self.skipped.get(conversation_id, set())))
        seqs = sorted(
            seq
            for seq in by_seq
            if (before is None or seq < before) and (after is None or seq > after) and (up_to is None or seq <= up_to)
        )
        chosen = seqs[:limit] if after is not None else seqs[-limit:]
        return HistorySlice(
            messages=[m for seq in chosen if (m := by_seq[seq]) is not None],
            skipped={seq for seq in chosen if by_seq[seq] is None},
        )

    def get(self, message_id: str) -> Message | None:
        return next((m for m in self.messages if m.id == message_id), None)

    def get_many(self, message_ids: list[str]) -> list[Message]:
        return sorted((m for m in self.messages if m.id in message_ids), key=lambda m: m.seq)

    def _change(self, message_id: str, allowed: bool, **fields: object) -> Message | None:
        message = self.get(message_id)
        if message is None or message.deletedAt is not None or not allowed:
            return None
        changed = message.model_copy(update={**fields, "revision": message.revision + 1})
        self.messages[self.messages.index(message)] = changed
        return changed

    def edit(
        self,
        message_id: str,
        sender_id: str,
        text: str,
        at: datetime,
        *,
        mentions: Sequence[str] = (),
        terms: Sequence[str] = (),
    ) -> Message | None:
        message = self.get(message_id)
        changed = self._change(
            message_id,
            bool(message and message.senderId == sender_id),
            text=text,
            editedAt=at,
            mentions=list(mentions),
        )
        if changed is not None:
            self.terms[message_id] = list(terms)
        return changed

    def delete(self, message_id: str, sender_id: str, at: datetime) -> Message | None:
        message = self.get(message_id)
        deleted = self._change(
            message_id,
            bool(message and message.senderId == sender_id),
            text="",
            attachments=[],
            reactions={},
            deletedAt=at,
            replyTo=None,
            mentions=[],
        )
        if deleted is not None:
            self.terms.pop(message_id, None)
        return deleted

    def rewrite_quotes(self, quote: ReplyQuote, revision: int) -> int:
        # Only quotes of an older revision (none recorded: older than any).
        replies = [
            m
            for m in self.messages
            if m.replyTo is not None
            and m.replyTo.messageId == quote.messageId
            and self.quote_revisions.get(m.id, -1) < revision
        ]
        for reply in replies:
            rewritten = reply.model_copy(update={"replyTo": quote, "revision": reply.revision + 1})
            self.messages[self.messages.index(reply)] = rewritten
            self.quote_revisions[reply.id] = revision
        return len(replies)

    def search(
        self, terms: list[str], readable: Mapping[str, int | None], before: str | None, limit: int
    ) -> list[Message]:
        found = [
            m
            for m in self.messages
            if m.conversationId in readable
            and (readable[m.conversationId] is None or m.seq <= (readable[m.conversationId] or 0))
            and m.deletedAt is None
            and (before is None or m.id < before)
            and terms
            and set(terms) <= set(self.terms.get(m.id, ()))
        ]
        return sorted(found, key=lambda m: m.id, reverse=True)[:limit]

    def react(self, message_id: str, user_id: str, emoji: str, on: bool) -> Message | None:
        message = self.get(message_id)
        if message is None:
            return None
        users = message.reactions.get(emoji, [])
        if on == (user_id in users):
            return None
        users = [*users, user_id] if on else [u for u in users if u != user_id]
        reactions = {e: u for e, u in {**message.reactions, emoji: users}.items() if u}
        return self._change(message_id, True, reactions=reactions)

    def senders_between(self, conversation_id: str, ranges: list[tuple[int, int]], except_id: str) -> set[str]:
        return {
            m.senderId
            for m in self.messages
            if m.conversationId == conversation_id
            and m.senderId != except_id
            and any(low < m.seq <= high for low, high in ranges)
        }

    def unread_counts(self, reader_id: str, read_seqs: dict[str, int]) -> dict[str, Unread]:
        counts: dict[str, Unread] = {}
        for m in self.messages:
            unread = m.conversationId in read_seqs and m.seq > read_seqs[m.conversationId]
            if unread and m.senderId != reader_id and m.deletedAt is None:
                was = counts.get(m.conversationId, Unread(0, 0))
                counts[m.conversationId] = Unread(was.messages + 1, was.mentions + (reader_id in m.mentions))
        return counts


class FakeConnectionStore:
    def __init__(self) -> None:
        self.connections: dict[str, Connection] = {}
        self.connected_at: dict[str, datetime] = {}

    def add(self, connection: Connection, connected_at: datetime) -> None:
        self.connections[connection.connectionId] = connection
        self.connected_at[connection.connectionId] = connected_at

    def remove(self, connection_ids: list[str], connected_before: datetime | None = None) -> None:
        for connection_id in connection_ids:
            if connected_before is None or self.connected_at.get(connection_id, connected_before) < connected_before:
                self.connections.pop(connection_id, None)

    def for_users(self, user_ids: list[str]) -> list[Connection]:
        return [c for c in self.connections.values() if c.userId in user_ids]

    def has_any(self, user_id: str) -> bool:
        return any(c.userId == user_id for c in self.connections.values())

    def oldest_beyond(self, user_id: str, keep: int) -> list[str]:
        mine = sorted((self.connected_at[c], c) for c, s in self.connections.items() if s.userId == user_id)
        return [connection_id for _, connection_id in mine[: max(0, len(mine) - keep)]]


class FakeRateLimitStore:
    """The same token buckets, in memory."""

    def __init__(self) -> None:
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str, capacity: int, per_second: float, now: datetime) -> float | None:
        with self._lock:
            at = now.timestamp()
            tokens, last = self.buckets.get(key, (float(capacity), at))
            tokens = min(capacity, tokens + max(0.0, at - last) * per_second)
            taken = tokens >= 1
            self.buckets[key] = (tokens - 1 if taken else tokens, max(at, last))
            return None if taken else (1 - tokens) / per_second


@dataclass
class _Login:
    user_id: str
    ended_at: datetime | None
    expires_at: datetime


class FakeLoginStore:
    def __init__(self) -> None:
        self.logins: dict[str, _Login] = {}
        self.everywhere: dict[str, datetime] = {}  # user -> until when the mark lasts

    def start(self, login_id: str, user_id: str, ends_at: datetime) -> None:
        self.logins.setdefault(login_id, _Login(user_id, None, ends_at))

    def end(self, user_id: str, login_ids: list[str] | None, at: datetime, keep_until: datetime) -> None:
        if login_ids is None:
            self.everywhere[user_id] = keep_until
            login_ids = [i for i, login in self.logins.items() if login.user_id == user_id]
        for login_id in login_ids:
            login = self.logins.setdefault(login_id, _Login(user_id, None, keep_until))
            login.ended_at = login.ended_at or at

    def ended_everywhere(self, user_id: str) -> bool:
        return user_id in self.everywhere

    def state(self, login_id: str, user_id: str) -> LoginState:
        login = self.logins.get(login_id)
        if login is None or login.user_id != user_id:
            return "unknown"
        return "going on" if login.ended_at is None else "ended"

    def going_on_among(self, login_ids: list[str]) -> set[str]:
        return {i for i in login_ids if (login := self.logins.get(i)) is not None and login.ended_at is None}


@dataclass
class FakePusher:
    """Records frames; sockets in `gone` answer 410, those in `flaky` fail that many times first."""

    frames: dict[str, list[bytes]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    flaky: dict[str, int] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)  # sockets closed with DELETE @connections
    connecting: dict[str, int] = field(default_factory=dict)  # answered 410 this many times, mid-$connect

    def push(self, connection_id: str, frame: bytes) -> None:
        self.attempts[connection_id] = self.attempts.get(connection_id, 0) + 1
        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        if self.flaky.get(connection_id, 0) > 0:
            self.flaky[connection_id] -= 1
            raise ConnectionError("network blip")
        self.frames.setdefault(connection_id, []).append(frame)

    def disconnect(self, connection_id: str) -> None:
        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        if self.connecting.get(connection_id, 0) > 0:
            self.connecting[connection_id] -= 1
            raise ConnectionGone(connection_id)
        if self.flaky.get(connection_id, 0) > 0:
            self.flaky[connection_id] -= 1
            raise ConnectionError("network blip")
        self.gone.add(connection_id)
        self.closed.append(connection_id)


class FakeMediaStore:
    def __init__(self) -> None:
        self.uploads: dict[str, MediaUpload] = {}
        self.expires_at: dict[str, datetime] = {}

    def add(self, upload: MediaUpload, expires_at: datetime) -> None:
        self.uploads[upload.media_id] = upload
        self.expires_at[upload.media_id] = expires_at

    def get_many(self, media_ids: list[str]) -> list[MediaUpload]:
        return [self.uploads[m] for m in media_ids if m in self.uploads]

    def mark_published(self, upload: MediaUpload) -> None:
        self.uploads[upload.media_id] = upload
        self.expires_at.pop(upload.media_id, None)


@dataclass
class _Object:
    data: bytes
    content_type: str | None
    headers: dict[str, str] = field(default_factory=dict)


class FakeMediaStorage:
    """An in-memory bucket. `put` is what a browser's upload would leave behind."""

    def __init__(self) -> None:
        self.objects: dict[str, _Object] = {}
        self.forms: dict[str, tuple[str, int]] = {}

    def put(self, key: str, data: bytes, content_type: str | None) -> None:
        self.objects[key] = _Object(data, content_type)

    def upload_form(self, key: str, content_type: str, max_size: int, expires_in: int) -> tuple[str, dict[str, str]]:
        self.forms[key] = (content_type, max_size)
        return "https://bucket.example/", {"key": key, "Content-Type": content_type}

    def inspect(self, key: str, head_bytes: int) -> StoredObject | None:
        found = self.objects.get(key)
        if found is None:
            return None
        return StoredObject(size=len(found.data), content_type=found.content_type, head=found.data[:head_bytes])

    def publish(
        self, source_key: str, target_key: str, content_type: str, disposition: str, cache_control: str
    ) -> None:
        source = self.objects[source_key]
        headers = {"Content-Disposition": disposition, "Cache-Control": cache_control}
        self.objects[target_key] = _Object(source.data, content_type, headers)


class FakeLinkSigner:
    def signed_url(self, key: str, expires_at: datetime) -> str:
        return f"https://media.example/{key}?Expires={int(expires_at.timestamp())}&Signature=fake"

    def public_url(self, key: str) -> str:
        return f"https://media.example/{key}"


class FakeTypingThrottle:
    def __init__(self) -> None:
        self.windows: dict[str, tuple[datetime, datetime]] = {}  # key -> (until, shown until)

    def allow(self, key: str, now: datetime, interval: timedelta, shown: timedelta) -> bool:
        if key in self.windows and self.windows[key][0] > now:
            return False
        self.windows[key] = (now + interval, now + shown)
        return True

    def reset(self, key: str, now: datetime) -> bool:
        window = self.windows.get(key)
        if window is None or window[1] <= now:
            return False
        del self.windows[key]
        return True


class FakeArchivableMessages:
    """The archiver's view of a FakeMessageStore."""

    def __init__(self, store: FakeMessageStore) -> None:
        self.store = store

    def _entries(self, conversation_id: str) -> list[tuple[int, datetime, Message | None]]:
        entries: list[tuple[int, datetime, Message | None]] = [
            (m.seq, m.createdAt, m) for m in self.store.messages if m.conversationId == conversation_id
        ]
        entries += [
            (seq, self.store.skipped_at[(conversation_id, seq)], None)
            for seq in self.store.skipped.get(conversation_id, set())
        ]
        return sorted(entries, key=lambda entry: entry[0])

    @staticmethod
    def _slice(entries: list[tuple[int, datetime, Message | None]]) -> HistorySlice:
        return HistorySlice(
            messages=[m for _, _, m in entries if m is not None], skipped={seq for seq, _, m in entries if m is None}
        )

    def old_conversations(self, cutoff: datetime, after_id: str, limit: int) -> tuple[list[str], str]:
        before = f"{int(cutoff.timestamp() * 1000):012x}"
        old = sorted((m.id, m.conversationId) for m in self.store.messages if after_id < m.id < before)[:limit]
        return list(dict.fromkeys(c for _, c in old)), old[-1][0] if len(old) == limit else ""

    def oldest(self, conversation_id: str, after_seq: int, cutoff: datetime, limit: int) -> HistorySlice:
        taken = []
        for entry in [e for e in self._entries(conversation_id) if e[0] > after_seq][:limit]:
            if entry[1] >= cutoff:
                break
            taken.append(entry)
        return self._slice(taken)

    def at_or_below(self, conversation_id: str, seq: int, limit: int) -> HistorySlice:
        return self._slice([e for e in self._entries(conversation_id) if e[0] <= seq][:limit])

    def forget(self, conversation_id: str, archived: HistorySlice) -> int:
        unchanged = {(m.id, m.revision) for m in archived.messages}
        before = len(self.store.messages)
        self.store.messages = [m for m in self.store.messages if (m.id, m.revision) not in unchanged]
        self.store.skipped[conversation_id] = self.store.skipped.get(conversation_id, set()) - archived.skipped
        return before - len(self.store.messages)


class FakeArchiveIndex:
    def __init__(self, conversations: "FakeConversationStore | None" = None) -> None:
        self.chunks: dict[str, ArchiveChunk] = {}
        self._conversations = conversations  # where `drop` records that history starts later

    def record(self, chunk: ArchiveChunk) -> None:
        self.chunks.setdefault(chunk.key, chunk)
        stored = self._conversations.conversations.get(chunk.conversation_id) if self._conversations else None
        if stored is not None:
            through = max(stored.conversation.archivedThrough, chunk.last_seq)
            stored.conversation = stored.conversation.model_copy(update={"archivedThrough": through})

    def holding_many(self, message_ids: list[str]) -> list[ArchiveChunk]:
        return [c for c in self.chunks.values() if set(message_ids) & set(c.message_ids)]

    def _of(self, conversation_id: str) -> list[ArchiveChunk]:
        return sorted(
            (c for c in self.chunks.values() if c.conversation_id == conversation_id), key=lambda c: c.first_seq
        )

    def archived_through(self, conversation_id: str) -> int:
        return max((c.last_seq for c in self._of(conversation_id)), default=0)

    def below(self, conversation_id: str, seq: int, limit: int) -> list[ArchiveChunk]:
        return [c for c in reversed(self._of(conversation_id)) if c.first_seq < seq][:limit]

    def above(self, conversation_id: str, seq: int, limit: int) -> list[ArchiveChunk]:
        return [c for c in self._of(conversation_id) if c.last_seq > seq][:limit]

    def holding(self, message_id: str) -> ArchiveChunk | None:
        return next((c for c in self.chunks.values() if message_id in c.message_ids), None)

    def older_than(self, cutoff: datetime, limit: int) -> list[ArchiveChunk]:
        old = [c for c in self.chunks.values() if c.newest_at is not None and c.newest_at < cutoff]
        return sorted(old, key=lambda c: c.newest_at or cutoff)[:limit]

    def drop(self, chunk: ArchiveChunk) -> None:
        stored = self._conversations.conversations.get(chunk.conversation_id) if self._conversations else None
        if stored is not None:
            kept = max(stored.conversation.keptFrom, chunk.last_seq + 1)
            stored.conversation = stored.conversation.model_copy(update={"keptFrom": kept})
        for first_key, held in list(self.chunks.items()):
            if (held.conversation_id, held.first_seq) == (chunk.conversation_id, chunk.first_seq):
                del self.chunks[first_key]

    def move(self, chunk: ArchiveChunk, key: str) -> bool:
        for first_key, held in self.chunks.items():
            if (held.conversation_id, held.first_seq, held.key) == (chunk.conversation_id, chunk.first_seq, chunk.key):
                self.chunks[first_key] = replace(held, key=key, revision=held.revision + 1)
                return True
        return False


class FakeArchiveStorage:
    """Chunks as the bytes S3 would hold (the same encoding), and how often each was read."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.reads: dict[str, int] = {}

    def write(self, key: str, history: HistorySlice) -> None:
        from chat.adapters.s3_archive import encode_chunk

        self.objects[key] = encode_chunk(history)

    def read(self, key: str) -> HistorySlice:
        from chat.adapters.s3_archive import decode_chunk

        self.reads[key] = self.reads.get(key, 0) + 1
        return decode_chunk(self.objects[key])

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)


class FakePushSubscriptionStore:
    def __init__(self) -> None:
        self.subscriptions: dict[str, PushSubscription] = {}

    def save(self, subscription: PushSubscription, keep_at_most: int) -> bool:
        held = self.subscriptions.get(subscription.id)
        same_browser = held is not None and (held.p256dh, held.auth) == (subscription.p256dh, subscription.auth)
        if held is not None and held.user_id != subscription.user_id and not same_browser:
            return False
        self.subscriptions[subscription.id] = subscription
        mine = sorted(
            (s for s in self.subscriptions.values() if s.user_id == subscription.user_id),
            key=lambda s: (s.created_at, s.id),
        )
        for oldest in mine[: max(0, len(mine) - keep_at_most)][:1]:
            del self.subscriptions[oldest.id]
        return True

    def delete(self, user_id: str, subscription_id: str) -> None:
        found = self.subscriptions.get(subscription_id)
        if found is not None and found.user_id == user_id:
            del self.subscriptions[subscription_id]

    def delete_ids(self, subscription_ids: list[str]) -> None:
        for subscription_id in subscription_ids:
            self.subscriptions.pop(subscription_id, None)

    def for_users(self, user_ids: list[str]) -> list[PushSubscription]:
        return [s for s in self.subscriptions.values() if s.user_id in user_ids]

    def get_many(self, subscription_ids: list[str]) -> list[PushSubscription]:
        return [self.subscriptions[i] for i in dict.fromkeys(subscription_ids) if i in self.subscriptions]


class FakePushDeliveryLog:
    def __init__(self) -> None:
        self.claims: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def claim(self, message_id: str, subscription_ids: list[str], keep_until: datetime) -> set[str]:
        with self._lock:
            claimed = {s for s in subscription_ids if f"{message_id}:{s}" not in self.claims}
            self.claims.update({f"{message_id}:{s}": keep_until for s in claimed})
            return claimed

    def release(self, message_id: str, subscription_ids: list[str]) -> None:
        with self._lock:
            for subscription_id in subscription_ids:
                self.claims.pop(f"{message_id}:{subscription_id}", None)


@dataclass
class FakeNotificationQueue:
    jobs: list[tuple[NotificationJob, int]] = field(default_factory=list)

    def enqueue(self, job: NotificationJob, delay_seconds: int = 0) -> None:
        self.jobs.append((job, delay_seconds))


@dataclass
class FakeWebPush:
    """Records each push; answers with `statuses` per endpoint (201 when none is set)."""

    statuses: dict[str, list[PushOutcome]] = field(default_factory=dict)
    sent: list[tuple[PushSubscription, bytes, dict[str, object]]] = field(default_factory=list)

    def send(
        self, subscription: PushSubscription, payload: bytes, *, ttl: int, urgency: str, topic: str
    ) -> PushOutcome:
        self.sent.append((subscription, payload, {"ttl": ttl, "urgency": urgency, "topic": topic}))
        answers = self.statuses.get(subscription.endpoint)
        return answers.pop(0) if answers else PushOutcome(201)


@dataclass
class FakeDatabaseProbe:
    """A database that answers its ping while `up`; counts the pings."""

    up: bool = True
    pings: int = 0

    def ping(self) -> bool:
        self.pings += 1
        return self.up


class FakeMetrics:
    """Counts as the production recorder sums them (chat.observability.EmfMetrics): per name and
    breakdown, a breakdown also counted in the name's total."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    def count(self, name: str, value: float = 1, *, by: Mapping[str, str] | None = None) -> None:
        keys = [(name, ())] + ([(name, tuple(sorted(by.items())))] if by else [])
        with self._lock:
            for key in keys:
                self.counts[key] = self.counts.get(key, 0) + value

    def total(self, name: str, **by: str) -> float:
        """The count of `name` (in the breakdown `by`, if given); 0 if never counted."""
        return self.counts.get((name, tuple(sorted(by.items()))), 0)
