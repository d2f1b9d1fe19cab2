"""Delivery and read receipts: each member's two cursors per conversation, which only move forward.

A receipt is one write to the member's own receipt record, never to the conversation, and it
is pushed only to the sockets that need it: the reader's other devices (unread counts stay in
step) and the authors of the messages it newly covers (their ticks advance). Everyone else asks
for a group's receipts when they want them (`ConversationService.receipts`). So one message's
receipts in a group of N cost N-1 writes spread over N-1 records and at most 2 pushes per
member, instead of N writes to one document and N² pushes."""

from typing import TYPE_CHECKING

from chat.models.chat import Receipt
from chat.models.errors import InvalidRequest
from chat.models.ports import ConnectionStore, MembershipCheck, MessageStore, ReceiptStore
from chat.services.conversations import higher
from chat.services.push import FanOut, except_connection

if TYPE_CHECKING:
    from chat.models.frames import ReceiptFrame

# Authors are looked up among at most this many messages below a cursor's new place: a
# member's first read of a long history must not scan all of it, and those who wrote
# further back see their ticks when they next open the conversation.
AUTHOR_LOOKBACK = 1000


def receipt_frame(conversation_id: str, user_id: str, receipt: Receipt) -> "ReceiptFrame":
    return {
        "type": "receipt",
        "conversationId": conversation_id,
        "userId": user_id,
        "deliveredSeq": receipt.deliveredSeq,
        "readSeq": receipt.readSeq,
    }


class ReceiptService:
    def __init__(
        self,
        members: MembershipCheck,
        receipts: ReceiptStore,
        messages: MessageStore,
        connections: ConnectionStore,
        fan_out: FanOut,
    ) -> None:
        self._members = members
        self._receipts = receipts
        self._messages = messages
        self._connections = connections
        self._fan_out = fan_out

    def mark(
        self,
        user_id: str,
        conversation_id: str,
        *,
        delivered: int = 0,
        read: int = 0,
        from_connection: str | None = None,
    ) -> Receipt:
        """Moves the caller's cursors forward (reading implies delivered). Four round trips in
        a group (membership, the write, the authors, their sockets), three in a direct chat."""
        delivered = max(delivered, read)
        conversation = self._members.require_member(conversation_id, user_id)
        if delivered > conversation.lastSeq:
            raise InvalidRequest(
                f"seq {delivered} is past the conversation's last seq ({conversation.lastSeq}).",
                details=[{"loc": ["seq"], "type": "beyond_last_seq"}],
            )
        stored, after = self._receipts.advance(conversation_id, user_id, delivered, read)
        # Cursors from before receipts had records of their own ride on the conversation.
        before = higher(stored, conversation.receipts.get(user_id))
        after = higher(after, before)
        if after == before:
            return after  # already there: nothing to tell
        if conversation.type == "direct":
            authors = {member for member in conversation.memberIds if member != user_id}
        else:
            newly_covered = [
                (max(was, now - AUTHOR_LOOKBACK), now)
                for was, now in ((before.readSeq, after.readSeq), (before.deliveredSeq, after.deliveredSeq))
                if now > was
            ]
            # Only current members hear anything: a removed author is cut off like everyone removed.
            authors = self._messages.senders_between(conversation_id, newly_covered, user_id) & set(
                conversation.memberIds
            )
        sockets = except_connection(self._connections.for_users([user_id, *sorted(authors)]), from_connection)
        self._fan_out.send((sockets, receipt_frame(conversation_id, user_id, after)))
        return after
