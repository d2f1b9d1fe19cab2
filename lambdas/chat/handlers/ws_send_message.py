"""WebSocket route `sendMessage`: store, then push the ack to this socket and the message to everyone else."""

from chat.handlers.composition import message_service
from chat.handlers.ws_protocol import Event, Frame, caller_id, connection_id, frame_route, parse_frame
from chat.models.api import SendMessageAction
from chat.models.errors import InvalidRequest


@frame_route
def lambda_handler(event: Event) -> Frame | None:
    from pydantic import ValidationError

    try:
        action = SendMessageAction.model_validate(parse_frame(event))
    except ValidationError as error:
        details = [{"loc": list(e["loc"]), "type": e["type"], "message": e["msg"]} for e in error.errors()]
        raise InvalidRequest("The sendMessage frame is not valid.", details=details) from error
    message_service().send_message(caller_id(event), action, from_connection=connection_id(event))
    return None  # the ack was pushed with the fan-out
