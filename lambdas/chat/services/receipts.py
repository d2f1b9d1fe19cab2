"""Delivery and read receipts: each member's two cursors per conversation, which only move forward."""

from chat.models.chat import Receipt
from chat.models.errors import InvalidRequest
from chat.models.ports import ConnectionStore, ConversationStore
from chat.services.conversations import ConversationService
from chat.services.push import FanOut, except_connection


def receipt_frame(conversation_id: str, user_id: str, receipt: Receipt) -> dict[str, object]:
    return {"type": "receipt", "conversationId": conversation_id, "userId": user_id, **receipt.model_dump()}


class ReceiptService:
    def __init__(
        self,
        conversations: ConversationService,
        conversation_store: ConversationStore,
        connections: ConnectionStore,
        fan_out: FanOut,
    ) -> None:
        self._conversations = conversations
        self._conversation_store = conversation_store
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
        """Moves the caller's cursors forward (reading implies delivered) and, if they moved,
        tells every socket of every member but this one; the caller's other devices too,
        which is how reading on one device clears the unread count on the others."""
        delivered = max(delivered, read)
        moved = self._conversation_store.move_receipt(conversation_id, user_id, delivered, read)
        if moved is None:
            return self._unmoved(user_id, conversation_id, delivered)
        receipt, member_ids = moved
        sockets = except_connection(self._connections.for_users(member_ids), from_connection)
        self._fan_out.send((sockets, receipt_frame(conversation_id, user_id, receipt)))
        return receipt

    def _unmoved(self, user_id: str, conversation_id: str, seq: int) -> Receipt:
        """Off the usual path: one read to tell "already there" from a refusal."""
        conversation = self._conversations.require_member(conversation_id, user_id)
        if seq > conversation.lastSeq:
            raise InvalidRequest(
                f"seq {seq} is past the conversation's last seq ({conversation.lastSeq}).",
                details=[{"loc": ["seq"], "type": "beyond_last_seq"}],
            )
        return conversation.receipts.get(user_id, Receipt())
