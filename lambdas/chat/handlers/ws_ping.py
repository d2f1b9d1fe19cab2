"""WebSocket route `ping`: answers `pong` (clients use it as a heartbeat)."""

from chat.handlers.ws_protocol import Event, Frame, frame_route


@frame_route
def lambda_handler(event: Event) -> Frame:
    return {"type": "pong"}
