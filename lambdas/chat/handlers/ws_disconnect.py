"""WebSocket route `$disconnect`: forget the socket (the TTL index catches any we miss)."""

from typing import Any

from chat.handlers.composition import connection_store
from chat.handlers.ws_protocol import Event, connection_id
from chat.models.errors import ChatError
from chat.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Event, context: Any) -> Event:
    try:
        connection_store().remove([connection_id(event)])
    except ChatError as error:
        logger.warning("could not forget a closed connection", extra={"reason": error.message})
    return {"statusCode": 200}
