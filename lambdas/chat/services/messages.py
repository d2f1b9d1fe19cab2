"""Sending and reading messages.

A send stores the message first and only then tells anyone. On the usual path
it costs four MongoDB round trips whatever the group size: seq allocation with
the membership check, the insert, the conversation's last-message preview, and
one query for every member's connections; and, when a member has no socket open,
one SQS message for the notifier (push notifications), sent after the frames.
A reply costs two more (the quoted message, by id, before the insert and once after, in case
it changed meanwhile), and a group message whose text
has an @name one more (the members it names)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chat.clock import utc_now
from chat.models.api import ChangesPage, MessagePage, SendMessageRequest
from chat.models.chat import Attachment, Conversation, Message
from chat.models.errors import Conflict, Forbidden, InvalidRequest
from chat.models.ports import (
    ConnectionStore,
    ConversationStore,
    DuplicateMessage,
    HistorySlice,
    MembershipCheck,
    MessageStore,
    Metrics,
    SeqAllocation,
)
from chat.services.conversations import ConversationService, direct_key
from chat.services.ids import new_id
from chat.services.membership import require_membership
from chat.services.push import FanOut, except_connection
from chat.services.replies import quote_of
from chat.services.search_terms import terms

if TYPE_CHECKING:
    from chat.models.frames import MessageAckFrame, MessageReceivedFrame
    from chat.services.archive import ArchivedHistory, ArchivedMessages
    from chat.services.media import MediaService
    from chat.services.media_links import MediaLinks
    from chat.services.mentions import Mentions
    from chat.services.notifications import NotificationsOnSend

# Longer than any send can take from reserving its seq to inserting (the function timeout).
SETTLE_WINDOW = timedelta(seconds=30)


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool  # False when a resend of a known clientMsgId returned the original


def message_received(message: Message, version: int) -> "MessageReceivedFrame":
    """`version` is the conversation's version this message gave it: see docs/API.md, Catching up."""
    return {"type": "messageReceived", "message": message.model_dump(mode="json"), "version": version}


def message_ack(message: Message, version: int | None) -> "MessageAckFrame":
    """A resend's ack carries no version: the original's was told with the original."""
    frame: MessageAckFrame = {
        "type": "messageAck",
        "clientMsgId": message.clientMsgId,
        "message": message.model_dump(mode="json"),
    }
    if version is not None:
        frame["version"] = version
    return frame


class MessageService:
    def __init__(
        self,
        conversations: ConversationService,
        conversation_store: ConversationStore,
        messages: MessageStore,
        connections: ConnectionStore,
        fan_out: FanOut,
        *,
        members: MembershipCheck,
        media: "Callable[[], MediaService]",
        links: "MediaLinks",
        archive: "Callable[[], ArchivedHistory]",
        archived_messages: "Callable[[], ArchivedMessages]",
        mentions: "Mentions",
        metrics: Metrics,
        notifications: "Callable[[], NotificationsOnSend] | None" = None,
    ) -> None:
        self._conversations = conversations
        self._mentions = mentions
        self._conversation_store = conversation_store
        self._messages = messages
        self._connections = connections
        self._fan_out = fan_out
        self._members = members
        # Built on first use: a text-only chat never loads the media code.
        self._media = media
        self._links = links
        # Built on first use: only a page that reaches the archive, or a feed entry changed in
        # it, needs them.
        self._archive = archive
        self._archived_messages = archived_messages
        # Built on the first send that finds a member away (None: this deploy sends no push).
        self._notifications = notifications
        self._metrics = metrics

    def send_message(
        self, sender_id: str, request: SendMessageRequest, from_connection: str | None = None
    ) -> SendResult:
        """Stores the message, then pushes `messageAck` to `from_connection` (the
        socket that sent it, if any) and `messageReceived` to every other socket
        of every member. The ack goes first in the same parallel push, so the
        sender hears back as fast in a group of 1,000 as in a chat of two.
        Attachments and the quoted message are checked before anything is reserved or stored.
        In a group, the @names of the text that name members become its mentions."""
        acks = [from_connection] if from_connection else []
        quoted: Message | None = None
        try:
            if request.replyTo is not None:
                quoted = self._quoted(sender_id, request.conversationId, request.replyTo)
        except (InvalidRequest, Conflict):
            # A resend of a reply whose original went since: the reply was stored, answer it.
            resent = self._resent(sender_id, request)
            if resent is None:
                raise
            return self._acknowledge_resend(resent, acks)
        attachments = self._attachments(sender_id, request) if request.attachments else []
        allocation = self._allocate(sender_id, request)
        message = Message(
            id=new_id(),
            conversationId=allocation.conversation_id,
            senderId=sender_id,
            text=request.text,
            clientMsgId=request.clientMsgId or new_id(),
            seq=allocation.seq,
            createdAt=utc_now(),
            attachments=attachments,
            replyTo=quote_of(quoted) if quoted is not None else None,
            mentions=self._mentions.resolve(
                request.text, allocation.conversation_type, allocation.member_ids, sender_id
            ),
        )
        try:
            self._messages.insert(
                message, terms(message.text), quote_revision=quoted.revision if quoted is not None else None
            )
        except DuplicateMessage:
            # A resend: the unique index kept the first copy, which members already have.
            original = self._messages.find_by_client_msg_id(message.conversationId, sender_id, message.clientMsgId)
            if original is None:
                raise
            # The seq this attempt reserved stays empty: say so, or readers would wait on it.
            self._messages.mark_skipped(message.conversationId, message.seq, message.createdAt)
            return self._acknowledge_resend(original, acks)
        if quoted is not None:
            message = self._follow_quote(message, quoted)
        version = self._conversation_store.record_change(message, new=True)
        sockets = self._connections.for_users(allocation.member_ids)
        message = self._links.message(message)
        report = self._fan_out.send(
            (acks, message_ack(message, version)),
            (except_connection(sockets, from_connection), message_received(message, version)),
        )
        self._metrics.count("MessagesSent")
        self._metrics.count("PushesPerMessage", report.pushes())
        if self._notifications is not None:
            # After the pushes, so the sender's ack never waits for it. Away: no socket took the
            # frame (none open, or only dead ones that answered 410), and none has it coming.
            reached = set(report.delivered) | set(report.queued)
            online = {socket.userId for socket in sockets if socket.connectionId in reached}
            away = [m for m in allocation.member_ids if m != sender_id and m not in online]
            if away:
                self._notifications().message_sent(message, away)
        return SendResult(message, created=True)

    def _acknowledge_resend(self, original: Message, acks: list[str]) -> SendResult:
        original = self._links.message(original)
        self._fan_out.send((acks, message_ack(original, None)))
        return SendResult(original, created=False)

    def _resent(self, sender_id: str, request: SendMessageRequest) -> Message | None:
        if request.conversationId is None or request.clientMsgId is None:
            return None
        return self._messages.find_by_client_msg_id(request.conversationId, sender_id, request.clientMsgId)

    def _quoted(self, sender_id: str, conversation_id: str | None, reply_to: str) -> Message:
        """The message a reply quotes (`reply_to`): one read by id (the archive's index, and
        its chunk, only for a message no longer hot). Refused alike whether the message does
        not exist or is another conversation's (nothing said about other conversations), and
        only after the membership check (a non-member learns nothing of the conversation)."""
        quoted = self._messages.get(reply_to)
        if quoted is None:
            quoted = next(iter(self._archived_messages().get_many([reply_to])), None)
        if quoted is None or conversation_id is None or quoted.conversationId != conversation_id:
            if conversation_id is not None:
                self._members.require_member(conversation_id, sender_id)
            raise InvalidRequest(
                "replyTo must name a message of this conversation (a reply needs conversationId).",
                details=[{"loc": ["body", "replyTo"], "type": "not_in_conversation"}],
            )
        if quoted.deletedAt is not None:
            self._members.require_member(conversation_id, sender_id)
            raise Conflict("That message was deleted.")
        return quoted

    def _follow_quote(self, reply: Message, quoted: Message) -> Message:
        """An edit or a deletion of the original between its read (the quote) and the reply's
        insert rewrote the quotes before this reply existed: read the original once more and, if
        its revision moved, rewrite the quotes as that change would have (only replies holding an
        older revision are touched, this one among them). One read per reply (two for an
        original no longer hot: its chunk too); a write and a read more only in that race."""
        now = self._messages.get(quoted.id)
        if now is None:
            now = next(iter(self._archived_messages().get_many([quoted.id])), None)
        if now is None or now.revision == quoted.revision:
            return reply
        self._messages.rewrite_quotes(quote_of(now), now.revision)
        return self._messages.get(reply.id) or reply

    def history(
        self, reader_id: str, conversation_id: str, limit: int, before: int | None, after: int | None
    ) -> MessagePage:
        conversation, up_to = self._members.require_reader(conversation_id, reader_id)
        found = self._messages.page(conversation_id, limit, before, after, up_to)
        if _reaches_archive(found, conversation, limit=limit, after=after):
            # Older history may be in the archive: read on there, as if it were not apart.
            found = self._archive().complete(
                conversation_id, found, limit=limit, before=before, after=after, up_to=up_to
            )
        seqs = found.seqs()
        first_kept = max(conversation.keptFrom, 1)
        reading_back = after is None and len(seqs) == limit and seqs[0] > first_kept
        return MessagePage(
            items=[self._links.message(m) for m in settled(found.messages, found.skipped, after, utc_now())],
            nextBefore=seqs[0] if reading_back else None,
            keptFrom=conversation.keptFrom or None,
        )

    def changes(self, reader_id: str, conversation_id: str, since: int) -> ChangesPage:
        """Everything that changed after version `since`: the conversation as it is now
        (members, name, the receipts the reader sees, unread count) and every message created
        or changed since, as it is now. Four MongoDB reads at most: the conversation and its
        log, the receipts, the unread count (only if something may be unread), the messages
        (only if some changed)."""
        conversation, log = self._conversation_store.change_log(conversation_id) or (None, [])
        conversation = require_membership(conversation, reader_id)
        current = self._conversations.for_reader(conversation, reader_id)
        # The log holds the newest versions only; a cursor older than its first entry has
        # lost entries (and one from the future is not ours): start over from history.
        first = log[0][0] if log else conversation.version + 1
        if not first - 1 <= since <= conversation.version:
            self._metrics.count("CatchUpResyncs")
            return ChangesPage(conversation=current, messages=[], cursor=conversation.version, resync=True)
        message_ids = list(dict.fromkeys(message_id for version, message_id in log if version > since and message_id))
        changed = self._messages.get_many(message_ids) if message_ids else []
        missing = [i for i in message_ids if i not in {m.id for m in changed}]
        if missing:  # changed in the archive since (a deletion)
            changed += self._archived_messages().get_many(missing)
        return ChangesPage(
            conversation=current,
            messages=[self._links.message(m) for m in changed],
            cursor=conversation.version,
            resync=False,
        )

    def _attachments(self, sender_id: str, request: SendMessageRequest) -> list[Attachment]:
        conversation_id = request.conversationId
        if conversation_id is None:
            assert request.receiverId is not None
            # Uploads name their conversation, so a direct chat must exist before anything was uploaded to it.
            direct = self._conversation_store.find_direct(direct_key(sender_id, request.receiverId))
            conversation_id = direct.id if direct else None
        return self._media().attach(sender_id, conversation_id, request.attachments)

    def _allocate(self, sender_id: str, request: SendMessageRequest) -> SeqAllocation:
        if request.conversationId is not None:
            allocation = self._conversation_store.allocate_seq(request.conversationId, sender_id)
            if allocation is None:
                # Off the happy path: one more read to tell "no such" and "not yours" from "blocked".
                conversation = self._members.require_member(request.conversationId, sender_id)
                raise _refused(conversation, sender_id)
            return allocation
        assert request.receiverId is not None
        if request.receiverId == sender_id:
            raise InvalidRequest(
                "Send to another user: receiverId is your own id.",
                details=[{"loc": ["body", "receiverId"], "type": "self"}],
            )
        key = direct_key(sender_id, request.receiverId)
        allocation = self._conversation_store.allocate_direct_seq(key)
        if allocation is None:
            # First message between the two: create the chat (unless one blocked the other), then take a seq.
            conversation, _ = self._conversations.open_direct(sender_id, request.receiverId)
            allocation = self._conversation_store.allocate_direct_seq(key)
            if allocation is None:
                raise _refused(conversation, sender_id)
        return allocation


def _refused(conversation: Conversation, sender_id: str) -> Forbidden:
    """Why a member's send found no seq: a block in a direct chat (the blocked sender is not told
    why), else they are no member (they were removed as they sent)."""
    if sender_id in conversation.blockedBy:
        return Forbidden("You blocked this user: unblock them to send.")
    if conversation.blockedBy:
        return Forbidden("This message could not be sent.")
    return Forbidden("You are not a member of this conversation.")


def _reaches_archive(found: HistorySlice, conversation: Conversation, *, limit: int, after: int | None) -> bool:
    """Whether a page's range reaches archived seqs (the conversation, read anyway, says how
    far its archive goes): a conversation never archived, or a page above the archive, costs
    nothing more. Catching up, from a cursor below the archive's end; reading back, when the
    hot page is short or reaches down into archived seqs (a copy changed while its chunk was
    written stays hot among them until the next run folds it in)."""
    through = conversation.archivedThrough
    if through == 0:
        return False
    if after is not None:
        return after < through
    seqs = sorted([m.seq for m in found.messages] + list(found.skipped))
    return len(seqs) < limit or seqs[0] <= through


def settled(page: list[Message], skipped: set[int], after: int | None, now: datetime) -> list[Message]:
    """Cuts a page at the first gap in seq that may still fill.

    A seq is reserved before its message is inserted, so two concurrent sends
    can land out of order: seq 8 may be readable while seq 7 is in flight. A
    reader that took 8 as its cursor would never see 7. A gap is final when
    its seqs are marked skipped (a resend reserved them) or when the message
    after it is older than SETTLE_WINDOW (no send takes that long); otherwise
    the page stops before it, so a reader's cursor never passes a message that
    is on its way."""
    expected = after + 1 if after is not None else None
    for index, message in enumerate(page):
        if expected is not None:
            while expected in skipped:
                expected += 1
            if message.seq != expected and now - message.createdAt < SETTLE_WINDOW:
                return page[:index]
        expected = message.seq + 1
    return page
