"""WebSocket route `$disconnect`: forget the socket (the TTL index catches any we miss);
when it was the user's last, tell their contacts when they were last seen."""

from typing import Any

from chat.config import require
from chat.handlers import cold_start
from chat.handlers.composition import presence_service
from chat.handlers.ws_protocol import Event, caller_id, connection_id, websocket_entry_point
from chat.models.errors import ChatError
from chat.observability import logger

require("sockets")


@websocket_entry_point
def lambda_handler(event: Event, context: Any) -> Event:
    try:
        presence_service().disconnected(connection_id(event), caller_id(event))
    except ChatError as error:
        # Nothing to answer (the socket is closed): the TTL index forgets it.
        logger.warning(
            "could not forget a closed connection",
            extra={"status": error.status, "code": error.code, "reason": error.message},
        )
    return {"statusCode": 200}


# Last: what the first event imports goes into a SnapStart snapshot, and the import's objects are frozen.
cold_start.imported(cold_start.MONGODB, cold_start.PUSHES, "chat.services.presence")
