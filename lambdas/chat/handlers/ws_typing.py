"""WebSocket route `typing`: tells the other members someone is (or stopped) typing."""

from chat.handlers.composition import typing_service
from chat.handlers.ws_protocol import Event, Frame, caller_id, frame_route, parse_frame
from chat.models.api import TypingAction
from chat.models.errors import InvalidRequest


@frame_route
def lambda_handler(event: Event) -> Frame | None:
    from pydantic import ValidationError

    try:
        action = TypingAction.model_validate(parse_frame(event))
    except ValidationError as error:
        details = [{"loc": list(e["loc"]), "type": e["type"], "message": e["msg"]} for e in error.errors()]
        raise InvalidRequest("The typing frame is not valid.", details=details) from error
    typing_service().typing(caller_id(event), action)
    return None  # nothing goes back to the typist
