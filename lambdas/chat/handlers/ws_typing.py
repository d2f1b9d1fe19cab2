"""WebSocket route `typing`: tells the other members someone is (or stopped) typing."""

from typing import TYPE_CHECKING

from chat.config import require
from chat.handlers import cold_start
from chat.handlers.composition import rate_limits, typing_service
from chat.handlers.ws_protocol import Event, caller_id, frame_route, parse_action
from chat.models.api import TypingAction

require("sockets")

if TYPE_CHECKING:
    from chat.models.frames import ServerFrame


@frame_route
def lambda_handler(event: Event) -> "ServerFrame | None":
    action = parse_action(event, TypingAction)
    rate_limits().check("typing", caller_id(event))  # true and false alike: no alternating past it
    typing_service().typing(caller_id(event), action)
    return None  # nothing goes back to the typist


# Last: what the first event imports goes into a SnapStart snapshot, and the import's objects are frozen.
cold_start.imported(cold_start.MONGODB, cold_start.PUSHES, "chat.services.typing", "chat.services.rate_limits")
