"""WebSocket route `sendMessage`: store, then push the ack to this socket and the message to everyone else."""

from typing import TYPE_CHECKING

from chat.config import require
from chat.handlers import cold_start
from chat.handlers.composition import message_service, rate_limits
from chat.handlers.ws_protocol import Event, caller_id, connection_id, frame_route, parse_action
from chat.models.api import SendMessageAction

require("sockets", "media_bucket", "media_links")

if TYPE_CHECKING:
    from chat.models.frames import ServerFrame


@frame_route
def lambda_handler(event: Event) -> "ServerFrame | None":
    action = parse_action(event, SendMessageAction)
    rate_limits().check("send", caller_id(event))
    message_service().send_message(caller_id(event), action, from_connection=connection_id(event))
    return None  # the ack was pushed with the fan-out


# Last: what the first event imports goes into a SnapStart snapshot, and the import's objects are frozen.
cold_start.imported(
    cold_start.MONGODB,
    cold_start.PUSHES,
    cold_start.AWS_SDK,
    cold_start.MEDIA_LINKS,
    "chat.services.messages",
    "chat.services.mentions",
    "chat.services.rate_limits",
    "chat.services.media",
    "chat.services.notifications",
    "chat.adapters.s3_media",
    "chat.adapters.sqs_notifications",
)
