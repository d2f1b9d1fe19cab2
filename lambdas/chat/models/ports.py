"""What the services need from the outside world. The MongoDB and API Gateway
adapters implement these, and so do the in-memory fakes the unit tests use."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, Literal, Protocol

from chat.models.chat import Connection, Conversation, Message, Receipt, ReplyQuote, User


@dataclass(frozen=True)
class Credentials:
    user: User
    password_hash: str


@dataclass(frozen=True)
class RefreshGrant:
    """A refresh token that was just consumed: who it belongs to, which login it descends from,
    and when that login began (None for tokens from before logins kept it)."""

    user_id: str
    family_id: str
    logged_in_at: datetime | None = None


@dataclass(frozen=True)
class SeqAllocation:
    """A `seq` reserved for a new message, with the members it goes to."""

    conversation_id: str
    seq: int
    member_ids: list[str]
    conversation_type: Literal["direct", "group"]


@dataclass(frozen=True)
class ConversationCursor:
    last_activity_at: datetime
    conversation_id: str


class DuplicateMessage(Exception):
    """The (conversation, sender, clientMsgId) triple is already stored."""


class BlockStore(Protocol):
    """Who blocked whom: one record per pair, found by either side."""

    def block(self, blocker_id: str, blocked_id: str, at: datetime, max_blocks: int) -> bool:
        """Records the block (doing what is already so is no change); False, and nothing
        recorded, if `blocker_id` has `max_blocks` blocks already."""

    def unblock(self, blocker_id: str, blocked_id: str) -> None: ...

    def blocked_by(self, blocker_id: str, limit: int) -> list[str]:
        """Whom `blocker_id` blocked, the latest first."""

    def blockers_among(self, user_ids: list[str], blocked_id: str) -> set[str]:
        """Those of `user_ids` who blocked `blocked_id`."""

    def blocked_among(self, blocker_id: str, user_ids: list[str]) -> set[str]:
        """Those of `user_ids` whom `blocker_id` blocked."""

    def between(self, user_a: str, user_b: str) -> set[str]:
        """Which of the two blocked the other (one round trip)."""


class UserStore(Protocol):
    def create_user(self, user: User, password_hash: str) -> None:
        """Raises UsernameTaken if the name exists in any letter case."""

    def find_credentials(self, username: str) -> Credentials | None: ...
    def update_password_hash(self, user_id: str, password_hash: str) -> None: ...

    def update_profile(self, user_id: str, changes: dict[str, str | bool | None]) -> User | None:
        """Sets `displayName` and/or `avatarUrl` (None removes the picture); returns the user after."""

    def get_user(self, user_id: str) -> User | None: ...
    def get_users(self, user_ids: list[str]) -> list[User]:
        """Those of these users who exist, in one query, in no particular order."""

    def mark_online(self, user_id: str) -> bool:
        """Sets `online`; True if the user was offline (so this is news to tell)."""

    def mark_offline(self, user_id: str, at: datetime) -> User | None:
        """Clears `online` and sets `lastSeenAt`; the user after, or None if they were already offline."""

    def existing_user_ids(self, user_ids: list[str]) -> set[str]: ...

    def search_users(self, prefix: str | None, exclude_id: str, limit: int, after: str | None) -> list[User]:
        """Users whose username or display name starts with `prefix` (any case), by username."""

    def members_named(self, usernames: list[str], member_ids: list[str]) -> dict[str, str]:
        """Those of `member_ids` whose username, lowercased, is one of `usernames` (lowercase):
        username → user id, in one query (@mentions)."""


class RefreshTokenStore(Protocol):
    def save(self, token_hash: str, grant: RefreshGrant, expires_at: datetime) -> None: ...

    def consume(self, token_hash: str, now: datetime) -> RefreshGrant | None:
        """Atomically marks an unused, unexpired, unrevoked token used and returns its grant."""

    def grant_of(self, token_hash: str) -> RefreshGrant | None:
        """Whose login a token (used or not) belongs to; None for a token never issued."""

    def spent(self, token_hash: str) -> RefreshGrant | None:
        """Whose login a token that was already used belongs to; None for any other token."""


# Where a login stands: "unknown" is a login not on record (never, or from before logins were).
LoginState = Literal["going on", "ended", "unknown"]


class LoginStore(Protocol):
    """Logins, going on or ended: the one token check lets in only access tokens of a login
    that is going on, so ending a login refuses its unexpired access tokens at once."""

    def start(self, login_id: str, user_id: str, ends_at: datetime) -> None:
        """Records the login as going on until `ends_at`, unless it is recorded already (going
        on, or ended: a refresh racing a log-out never brings a login back)."""

    def end(self, user_id: str, login_ids: list[str] | None, at: datetime, keep_until: datetime) -> None:
        """Ends these logins of the user (None: every one, those not on record included:
        `ended_everywhere` says so until `keep_until`). A login named but not on record
        (from before logins were) is recorded as ended, until `keep_until`."""

    def ended_everywhere(self, user_id: str) -> bool:
        """Whether the user logged out everywhere in the last 30 days: no login of theirs that
        is not on record (every such login began before that) may go on."""

    def state(self, login_id: str, user_id: str) -> LoginState:
        """Where the user's login stands (one read by id); another user's login is "unknown"."""

    def going_on_among(self, login_ids: list[str]) -> set[str]:
        """Those of these logins that are on record and going on, in one query."""


class LoginAttemptStore(Protocol):
    """Log-in attempts per key (a username and source), counted in windows that start with
    the first attempt."""

    def reserve(self, key: str, now: datetime, window: timedelta, limit: int) -> datetime | None:
        """Takes one of the `limit` attempts of `key`'s current window (opening one if none is
        open) in one atomic write, before the password is checked; None when taken, else
        when the window ends."""

    def clear(self, key: str) -> None: ...


class RateLimitStore(Protocol):
    """Token buckets, one per key, shared by every container."""

    def take(self, key: str, capacity: int, per_second: float, now: datetime) -> float | None:
        """Takes one token from `key`'s bucket (full when new; refilled at `per_second` up to
        `capacity`) in one atomic write; None when taken, else the seconds until one is there."""


class ConversationStore(Protocol):
    def create(self, conversation: Conversation, direct_key: str | None = None) -> Conversation:
        """Stores a new conversation. For a direct one, returns the existing
        conversation instead if `direct_key` is already taken."""

    def get(self, conversation_id: str) -> Conversation | None: ...
    def find_direct(self, direct_key: str) -> Conversation | None: ...

    def list_for_member(
        self, user_id: str, limit: int, after: ConversationCursor | None, *, archived: bool = False
    ) -> list[Conversation]:
        """Most recent activity first: those the user has not archived (or that had a message
        since), or with `archived`, only those still archived (see `Conversation.archived_for`)."""

    def set_archived(
        self, conversation_id: str, user_id: str, archived: bool
    ) -> tuple[Conversation, Conversation] | None:
        """Archives the conversation for `user_id` at the seq of its last message (or unarchives
        it), if they are a member, in one atomic write: (before, after); None if they are not a
        member or there is no such conversation. Not a change of the conversation (no version)."""

    def set_muted(
        self, conversation_id: str, user_id: str, muted: bool, until: datetime | None = None
    ) -> tuple[Conversation, Conversation] | None:
        """Mutes the conversation for `user_id` until `until` (None: until they unmute), or
        unmutes it, if they are a member, in one atomic write: (before, after), or None as
        `set_archived`. Not a change of the conversation (no version)."""

    def allocate_seq(self, conversation_id: str, sender_id: str) -> SeqAllocation | None:
        """Atomically takes the next seq if `sender_id` is a member and no member blocked the
        other (a direct chat's `blockedBy`); None otherwise."""

    def allocate_direct_seq(self, direct_key: str) -> SeqAllocation | None:
        """The same for the direct chat with that key."""

    def set_direct_block(self, direct_key: str, blocker_id: str, blocked: bool) -> None:
        """Adds `blocker_id` to (or takes them from) the direct chat's `blockedBy`, if the chat
        exists. Not a change of the conversation (no version)."""

    def record_change(self, message: Message, *, new: bool) -> int:
        """Records that `message` was stored (`new`) or changed: bumps the conversation's
        version and logs the message id under it, after the message itself is written, so
        a reader who sees a version sees everything up to it. Also refreshes lastMessage
        (a new message unless a later one is recorded; a changed one if it is the last).
        Returns the version this change was given."""

    def change_log(self, conversation_id: str) -> tuple[Conversation, list[tuple[int, str]]] | None:
        """The conversation and its recent (version, messageId) log, oldest first."""

    def add_members(
        self, conversation_id: str, admin_id: str, user_ids: list[str], max_members: int
    ) -> Conversation | None:
        """Adds members to a group `admin_id` administers, if the group stays within
        `max_members`; the group after, or None."""

    def remove_member(self, conversation_id: str, user_id: str, at_seq: int) -> Conversation | None:
        """Removes a member, remembering they may read up to `at_seq`, if lastSeq is still `at_seq`."""

    def make_admin(self, conversation_id: str, user_id: str) -> Conversation | None:
        """Makes a member an admin when the group has none left."""

    def rename(self, conversation_id: str, admin_id: str, name: str) -> Conversation | None: ...

    def readable_by(self, user_id: str) -> dict[str, int | None]:
        """Every conversation `user_id` may read, by id: None for one they are a member of (all
        of it), else the last seq they may read (one they were removed from). One query."""

    def sharing_with(self, user_id: str, others: list[str]) -> set[str]:
        """Those of `others` who share a conversation with `user_id`: who may see their presence."""

    def presence_audience(self, user_id: str, max_group_size: int) -> list[str]:
        """Everyone who shares a direct chat, or a group of at most `max_group_size` members,
        with `user_id` (themselves included): who hears when they come and go."""


class MembershipCheck(Protocol):
    def require_member(self, conversation_id: str, user_id: str) -> Conversation:
        """The conversation, if it exists (else NotFound) and the user is a member of it (else Forbidden)."""

    def require_reader(self, conversation_id: str, user_id: str) -> tuple[Conversation, int | None]:
        """As require_member, but a removed member passes too: with the last seq they may read
        (None for a member: no limit)."""


class ReceiptStore(Protocol):
    """Each member's delivered and read cursors, one record per member and conversation, so
    a group's receipts spread over N records instead of queueing on the conversation's one."""

    def advance(self, conversation_id: str, user_id: str, delivered: int, read: int) -> tuple[Receipt, Receipt]:
        """Moves the cursors forward to at least these seqs (each 0 or more, at least one 1 or
        more), never back: (before, after), equal when nothing moved. One atomic write on the
        member's own record, made even when nothing moves (MongoDB then changes nothing)."""

    def of_conversation(self, conversation_id: str) -> dict[str, Receipt]:
        """Every stored receipt of the conversation, by user id."""

    def visible_to(self, reader_id: str, conversations: list[Conversation]) -> dict[str, dict[str, Receipt]]:
        """By conversation id, the receipts a reader sees with it: every member's in a direct
        chat, their own in a group. One round trip for a whole page."""


@dataclass(frozen=True)
class HistorySlice:
    """Messages ascending by seq, and the seqs in the same range that were reserved but never used."""

    messages: list[Message]
    skipped: set[int]

    def seqs(self) -> list[int]:
        """Every seq it covers, used or reserved, ascending."""
        return sorted([m.seq for m in self.messages] + list(self.skipped))


@dataclass(frozen=True)
class Unread:
    """One reader's unread messages in a conversation, and how many of them mention the reader."""

    messages: int
    mentions: int = 0


class MessageStore(Protocol):
    def insert(self, message: Message, terms: Sequence[str] = (), *, quote_revision: int | None = None) -> None:
        """Stores the message with the words it is found by (services/search_terms.py) and, for a
        reply, the revision of the original its quote shows (stored, never read back: see
        rewrite_quotes). Raises DuplicateMessage if this sender already used this clientMsgId here."""

    def find_by_client_msg_id(self, conversation_id: str, sender_id: str, client_msg_id: str) -> Message | None: ...

    def mark_skipped(self, conversation_id: str, seq: int, at: datetime) -> None:
        """Records that `seq` was reserved but will never hold a message (a resend used it)."""

    def page(
        self, conversation_id: str, limit: int, before: int | None, after: int | None, up_to: int | None = None
    ) -> HistorySlice:
        """Up to `limit` seqs, messages or skipped: the newest below `before`, or the oldest
        above `after`; none above `up_to` (what a former member may still read)."""

    def get(self, message_id: str) -> Message | None: ...
    def get_many(self, message_ids: list[str]) -> list[Message]: ...

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
        """Replaces the text (and with it the mentions and the words it is found by) of a message
        `sender_id` sent that is not deleted; the message after."""

    def delete(self, message_id: str, sender_id: str, at: datetime) -> Message | None:
        """Leaves a tombstone of a message `sender_id` sent (no text, files, reactions, quote,
        mentions or words to be found by); None if it is not theirs or already gone."""

    def rewrite_quotes(self, quote: ReplyQuote, revision: int) -> int:
        """Sets `quote`, the quoted message at `revision`, on every stored reply to that message
        whose quote shows an older revision (or none recorded), each reply one revision on (one
        write to each, in one round trip); how many. A rewrite that lands after a newer one
        changes nothing, so an edit's quote never comes back over a deletion's."""

    def search(
        self, terms: list[str], readable: Mapping[str, int | None], before: str | None, limit: int
    ) -> list[Message]:
        """Up to `limit` messages, not deleted, holding every one of `terms`, in the conversations
        of `readable` (each up to its seq; None: all of it), with ids below `before`, the newest
        (highest id) first."""

    def react(self, message_id: str, user_id: str, emoji: str, on: bool) -> Message | None:
        """Adds or takes back one reaction; None when that changes nothing."""

    def senders_between(self, conversation_id: str, ranges: list[tuple[int, int]], except_id: str) -> set[str]:
        """Who sent the messages with seq in any (low, high] range, `except_id` left out."""

    def unread_counts(self, reader_id: str, read_seqs: dict[str, int]) -> dict[str, Unread]:
        """Per conversation: messages from others above the reader's readSeq, not deleted, and
        how many of them mention the reader; in one round trip. A conversation with none may be
        left out."""


class ConnectionStore(Protocol):
    def add(self, connection: Connection, connected_at: datetime) -> None: ...
    def remove(self, connection_ids: list[str], connected_before: datetime | None = None) -> None:
        """Forgets these connections; with `connected_before`, only those older than that."""

    def for_users(self, user_ids: list[str]) -> list[Connection]: ...
    def has_any(self, user_id: str) -> bool: ...

    def oldest_beyond(self, user_id: str, keep: int) -> list[str]:
        """The user's connections other than the `keep` newest, oldest first."""


class TypingThrottle(Protocol):
    def allow(self, key: str, now: datetime, interval: timedelta, shown: timedelta) -> bool:
        """True at most once per `interval` for `key`, across every container (one atomic write);
        what it lets through is shown to others for `shown`."""

    def reset(self, key: str, now: datetime) -> bool:
        """Closes `key`'s window (the next `allow` is True); True if a start it let through
        was still shown, i.e. there is a "typing" to clear."""


class ConnectionGone(Exception):
    """The socket is closed; API Gateway answered 410 Gone."""


class PushRejected(Exception):
    """API Gateway refused the frame for good (403, 413, …): trying again would fail the same way."""


class Pusher(Protocol):
    def push(self, connection_id: str, frame: bytes) -> None:
        """Sends one frame; raises ConnectionGone for a closed socket, PushRejected for a frame
        API Gateway will never take, anything else for a failure worth trying again."""

    def disconnect(self, connection_id: str) -> None:
        """Closes one socket (`DELETE @connections`); raises ConnectionGone if it already is."""


# --- media -----------------------------------------------------------------------


@dataclass(frozen=True)
class MediaUpload:
    """An upload form handed out: what was promised, to whom, and where the bytes go."""

    media_id: str
    owner_id: str
    purpose: Literal["attachment", "avatar"]
    conversation_id: str | None  # attachments only
    upload_key: str  # in the private incoming/ area, never served
    name: str
    content_type: str
    max_size: int
    created_at: datetime
    published_key: str | None = None  # where it went once a message or profile took it
    size: int | None = None
    width: int | None = None
    height: int | None = None


class MediaStore(Protocol):
    def add(self, upload: MediaUpload, expires_at: datetime) -> None:
        """Records an upload form; the record is forgotten at `expires_at` unless published first."""

    def get_many(self, media_ids: list[str]) -> list[MediaUpload]: ...

    def mark_published(self, upload: MediaUpload) -> None:
        """Stores `published_key`, `size`, `width` and `height`, and keeps the record for good."""


@dataclass(frozen=True)
class StoredObject:
    """What S3 holds at a key: its size and type, and its first bytes for sniffing."""

    size: int
    content_type: str | None
    head: bytes


class MediaStorage(Protocol):
    """The media bucket. Bytes go from browsers to S3 and from S3 to CloudFront; only
    the first few bytes of an upload ever reach a function."""

    def upload_form(self, key: str, content_type: str, max_size: int, expires_in: int) -> tuple[str, dict[str, str]]:
        """A presigned POST (url, fields) that accepts exactly this key, type and size range."""

    def inspect(self, key: str, head_bytes: int) -> StoredObject | None:
        """One ranged read; None when nothing was uploaded."""

    def publish(
        self, source_key: str, target_key: str, content_type: str, disposition: str, cache_control: str
    ) -> None:
        """Copies inside the bucket (server-side), setting the headers it is served with."""


class MediaLinkSigner(Protocol):
    def signed_url(self, key: str, expires_at: datetime) -> str:
        """A URL only its holder can use, until `expires_at` (a CloudFront canned policy)."""

    def public_url(self, key: str) -> str: ...


class Metrics(Protocol):
    """What an operator counts (CloudWatch metrics in production: chat.observability). Counts are
    summed over an invocation. `by` breaks one down by a dimension of few values (a limit's name,
    a reason; never a user's or a conversation's id), and the total is kept too. Never raises."""

    def count(self, name: str, value: float = 1, *, by: Mapping[str, str] | None = None) -> None: ...


FanOutJob = tuple[list[str], bytes]  # connection ids, and the one frame for all of them


class FanOutQueue(Protocol):
    def enqueue(self, jobs: list[FanOutJob]) -> list[FanOutJob]:
        """Hands each job (connection ids, one frame for all of them) to a fan-out worker;
        returns the jobs it could not hand on. A job SQS confirmed is never returned; one whose
        call failed without an answer is, and may then reach its sockets twice (delivery is at
        least once)."""


# --- push notifications -----------------------------------------------------------


@dataclass(frozen=True)
class PushSubscription:
    """One browser's Web Push subscription: where to POST (`endpoint`, a push service's URL)
    and the keys to encrypt for it (RFC 8291). It belongs to the user and login that made it,
    so a login that ends stops its browser's notifications."""

    id: str  # derived from the endpoint: the same browser subscribing again is the same record
    user_id: str
    login_id: str
    endpoint: str
    p256dh: str  # the browser's P-256 public key, base64url
    auth: str  # its 16-byte authentication secret, base64url
    expires_at: datetime | None
    created_at: datetime


class PushSubscriptionStore(Protocol):
    def save(self, subscription: PushSubscription, keep_at_most: int) -> bool:
        """Records the subscription, replacing one with the same id that is the user's or has
        the same keys (the same browser, now someone else's), and forgets the user's oldest
        beyond `keep_at_most`. False, and nothing written, when another user holds the id with
        other keys (someone posting an endpoint that is not theirs)."""

    def delete(self, user_id: str, subscription_id: str) -> None:
        """Forgets the user's subscription with this id; nothing if it is not theirs."""

    def delete_ids(self, subscription_ids: list[str]) -> None: ...

    def for_users(self, user_ids: list[str]) -> list[PushSubscription]:
        """Every subscription of these users, in one query."""

    def get_many(self, subscription_ids: list[str]) -> list[PushSubscription]: ...


class PushDeliveryLog(Protocol):
    """Which (message, subscription) pairs were handed a push, so a job SQS delivers twice
    sends nothing twice."""

    def claim(self, message_id: str, subscription_ids: list[str], keep_until: datetime) -> set[str]:
        """Claims each pair not claimed before, in one write; the subscription ids claimed now."""

    def release(self, message_id: str, subscription_ids: list[str]) -> None:
        """Gives claims back (a push to retry later)."""


@dataclass(frozen=True)
class NotificationJob:
    """The notifications one message owes: on the first attempt to its members who had no
    socket when it was sent (`recipient_ids`); on a retry to the subscriptions whose push
    service asked to try again (`subscription_ids`)."""

    conversation_id: str
    message_id: str
    recipient_ids: list[str] = field(default_factory=list)
    subscription_ids: list[str] = field(default_factory=list)
    attempt: int = 1


class NotificationQueue(Protocol):
    def enqueue(self, job: NotificationJob, delay_seconds: int = 0) -> None:
        """Hands the job to the notifier (after `delay_seconds`, at most 900)."""


@dataclass(frozen=True)
class PushOutcome:
    """What the push service answered: 201 taken; 404/410 the subscription is gone; 429 and
    5xx worth another try, after `retry_after` seconds if it said. With no answer: NOT_SENT
    (the request never left: worth another try) or UNKNOWN (it left, and may have been taken:
    not tried again, so nothing is sent twice)."""

    status: int
    retry_after: float | None = None

    NOT_SENT: ClassVar[int] = 0
    UNKNOWN: ClassVar[int] = -1


class WebPushSender(Protocol):
    def send(
        self, subscription: PushSubscription, payload: bytes, *, ttl: int, urgency: str, topic: str
    ) -> PushOutcome:
        """One encrypted (aes128gcm), VAPID-signed POST to the subscription's endpoint."""


# --- archive ----------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveChunk:
    """One archived run of a conversation's history: seqs `first_seq`..`last_seq` (messages,
    and seqs reserved but never used), stored as one object at `key`. A chunk rewritten (a
    message deleted) moves to a new key, and `revision` counts the moves."""

    conversation_id: str
    first_seq: int
    last_seq: int
    key: str
    message_ids: list[str]
    revision: int = 0
    newest_at: datetime | None = None  # when its newest message was sent: retention goes by it
    count: int = 0  # messages in it (its message_ids may be left out of a listing)


class ArchiveIndex(Protocol):
    """Where each conversation's archived history is (MongoDB, small: one record per chunk)."""

    def record(self, chunk: ArchiveChunk) -> None:
        """Records a chunk that is written and verified (and on its conversation, how far its
        history is archived: `archivedThrough`, which only moves up); recording it again
        changes nothing."""

    def archived_through(self, conversation_id: str) -> int:
        """The highest seq archived in the conversation; 0 if none."""

    def below(self, conversation_id: str, seq: int, limit: int) -> list[ArchiveChunk]:
        """Up to `limit` chunks holding seqs under `seq`, the newest first."""

    def above(self, conversation_id: str, seq: int, limit: int) -> list[ArchiveChunk]:
        """Up to `limit` chunks holding seqs over `seq`, the oldest first."""

    def holding(self, message_id: str) -> ArchiveChunk | None:
        """The chunk that holds the message, if it is archived."""

    def holding_many(self, message_ids: list[str]) -> list[ArchiveChunk]:
        """The chunks that hold any of these messages (one query)."""

    def move(self, chunk: ArchiveChunk, key: str) -> bool:
        """Points the chunk at its rewritten object, unless someone moved it since `chunk` was
        read (then False: read it again)."""

    def older_than(self, cutoff: datetime, limit: int) -> list[ArchiveChunk]:
        """Chunks whose newest message was sent before `cutoff` (retention's)."""

    def drop(self, chunk: ArchiveChunk) -> None:
        """Forgets the chunk for good, and records on its conversation that history now starts
        after it (`keptFrom`, which only moves up)."""


class ArchiveStorage(Protocol):
    """Chunk objects (S3, under archive/): what was written is verified before `write` returns."""

    def write(self, key: str, history: HistorySlice) -> None: ...
    def read(self, key: str) -> HistorySlice: ...
    def delete(self, key: str) -> None: ...


class ArchivableMessages(Protocol):
    """The hot collection, as the archiver sees it."""

    def old_conversations(self, cutoff: datetime, after_id: str, limit: int) -> tuple[list[str], str]:
        """The conversations of the next `limit` messages sent before `cutoff`, walking them in
        id order (ids are time-ordered) from just after `after_id`: the conversations in the
        order first met, and the id to go on from ("" when the walk is over)."""

    def oldest(self, conversation_id: str, after_seq: int, cutoff: datetime, limit: int) -> HistorySlice:
        """Up to `limit` seqs after `after_seq`, ascending and contiguous, up to (not including)
        the first created at or after `cutoff`."""

    def at_or_below(self, conversation_id: str, seq: int, limit: int) -> HistorySlice:
        """Hot seqs at or below `seq`: those an interrupted run archived but did not delete."""

    def forget(self, conversation_id: str, archived: HistorySlice) -> int:
        """Deletes the hot copies of these messages unless changed since (their revision moved
        on: the newer copy stays hot), and the reserved seqs; how many messages went."""


class DatabaseProbe(Protocol):
    """The deep health check's view of the database."""

    def ping(self) -> bool:
        """Whether the database answers one `ping` within its configured timeout (MONGODB_TIMEOUT_MS
        in all, server selection included); never raises for a database that is down."""
