"""WebSocket routes `editMessage`, `deleteMessage` and `react`: every member's sockets,
this one included, get `messageUpdated`."""

from typing import TYPE_CHECKING

from chat.config import require
from chat.handlers import cold_start
from chat.handlers.composition import message_change_service, rate_limits
from chat.handlers.ws_protocol import Event, caller_id, frame_route, parse_action, parse_frame
from chat.models.api import DeleteMessageAction, EditMessageAction, ReactAction

require("sockets", "media_bucket", "media_links")

if TYPE_CHECKING:
    from chat.models.frames import ServerFrame


@frame_route
def lambda_handler(event: Event) -> "ServerFrame | None":
    user_id, changes, frame = caller_id(event), message_change_service(), parse_frame(event)
    match frame.get("action"):
        case "editMessage":
            edit = parse_action(event, EditMessageAction, frame)
            rate_limits().check("edit", user_id)
            changes.edit(user_id, edit.messageId, edit.text)
        case "deleteMessage":
            message_id = parse_action(event, DeleteMessageAction, frame).messageId
            rate_limits().check("edit", user_id)
            changes.delete(user_id, message_id)
        case _:
            react = parse_action(event, ReactAction, frame)
            rate_limits().check("reaction", user_id)
            changes.react(user_id, react.messageId, react.emoji, react.on)
    return None


# Last: what the first event imports goes into a SnapStart snapshot, and the import's objects are frozen.
cold_start.imported(
    cold_start.MONGODB,
    cold_start.PUSHES,
    cold_start.AWS_SDK,
    cold_start.MEDIA_LINKS,
    "chat.services.message_changes",
    "chat.services.mentions",
    "chat.services.rate_limits",
    "chat.services.archive",
    "chat.adapters.s3_archive",
)
