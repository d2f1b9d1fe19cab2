"""WebSocket route `ping`: answers `pong` (clients use it as a heartbeat)."""

from typing import TYPE_CHECKING

from chat.handlers.ws_protocol import Event, frame_route

if TYPE_CHECKING:
    from chat.models.frames import PongFrame


@frame_route
def lambda_handler(event: Event) -> "PongFrame":
    return {"type": "pong"}
