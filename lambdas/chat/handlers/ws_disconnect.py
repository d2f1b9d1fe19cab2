"""WebSocket route `$disconnect`: forget the socket (the TTL index catches any we miss);
when it was the user's last, tell their contacts when they were last seen."""

from typing import Any

from chat.config import require
from chat.handlers.composition import presence_service
from chat.handlers.ws_protocol import Event, caller_id, connection_id
from chat.models.errors import ChatError
from chat.observability import logger

require("sockets")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Event, context: Any) -> Event:
    try:
        presence_service().disconnected(connection_id(event), caller_id(event))
    except ChatError as error:
        logger.warning("could not forget a closed connection", extra={"reason": error.message})
    return {"statusCode": 200}
