"""WebSocket route `$connect`: the authorizer has let the user in; remember the socket
(and, for the user's first one, tell their contacts they are online)."""

from typing import Any

from chat.config import require
from chat.handlers import cold_start
from chat.handlers.composition import presence_service, rate_limits
from chat.handlers.refusals import log_refusal
from chat.handlers.ws_protocol import Event, caller_id, caller_login_id, connection_id, websocket_entry_point
from chat.models.chat import Connection
from chat.models.errors import ChatError

require("sockets")


@websocket_entry_point
def lambda_handler(event: Event, context: Any) -> Event:
    try:
        socket = Connection(connectionId=connection_id(event), userId=caller_id(event), loginId=caller_login_id(event))
        rate_limits().check("connect", socket.userId)  # each connect may tell every contact
        presence_service().connected(socket)
    except ChatError as error:
        # A non-2xx answer makes API Gateway refuse the handshake.
        log_refusal(error)
        return {"statusCode": error.status, "body": error.message}
    return {"statusCode": 200}


# Last: what the first event imports goes into a SnapStart snapshot, and the import's objects are frozen.
cold_start.imported(cold_start.MONGODB, cold_start.PUSHES, "chat.services.presence", "chat.services.rate_limits")
