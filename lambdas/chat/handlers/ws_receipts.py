"""WebSocket routes `markDelivered` and `markRead`: move the caller's cursors forward."""

from typing import TYPE_CHECKING

from chat.config import require
from chat.handlers import cold_start
from chat.handlers.composition import rate_limits, receipt_service
from chat.handlers.ws_protocol import Event, caller_id, connection_id, frame_route, parse_action
from chat.models.api import ReceiptAction

require("sockets")

if TYPE_CHECKING:
    from chat.models.frames import ServerFrame


@frame_route
def lambda_handler(event: Event) -> "ServerFrame | None":
    action = parse_action(event, ReceiptAction)
    rate_limits().check("receipt", caller_id(event))
    read = action.seq if action.action == "markRead" else 0
    receipt_service().mark(
        caller_id(event), action.conversationId, delivered=action.seq, read=read, from_connection=connection_id(event)
    )
    return None  # the other members (and the caller's other devices) get a `receipt`


# Last: what the first event imports goes into a SnapStart snapshot, and the import's objects are frozen.
cold_start.imported(cold_start.MONGODB, cold_start.PUSHES, "chat.services.receipts", "chat.services.rate_limits")
