"""WebSocket route `$connect`: the authorizer has let the user in; remember the socket
(and, for the user's first one, tell their contacts they are online)."""

from typing import Any

from chat.config import require
from chat.handlers.composition import presence_service, rate_limits
from chat.handlers.ws_protocol import Event, caller_id, caller_login_id, connection_id
from chat.models.chat import Connection
from chat.models.errors import ChatError
from chat.observability import logger

require("sockets")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Event, context: Any) -> Event:
    try:
        socket = Connection(connectionId=connection_id(event), userId=caller_id(event), loginId=caller_login_id(event))
        rate_limits().check("connect", socket.userId)  # each connect may tell every contact
        presence_service().connected(socket)
    except ChatError as error:
        # A non-2xx answer makes API Gateway refuse the handshake.
        logger.warning("connection refused", extra={"reason": error.message})
        return {"statusCode": error.status, "body": error.message}
    return {"statusCode": 200}
