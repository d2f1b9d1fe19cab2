"""WebSocket route `$default`: frames whose action no route knows."""

import json
from typing import NoReturn

from chat.handlers.ws_protocol import Event, frame_route, parse_frame
from chat.models.errors import ChatError, InvalidRequest

KNOWN_ACTIONS = (
    "sendMessage",
    "typing",
    "markDelivered",
    "markRead",
    "editMessage",
    "deleteMessage",
    "react",
    "ping",
)


class UnknownAction(ChatError):
    status = 400
    code = "unknown_action"


@frame_route
def lambda_handler(event: Event) -> NoReturn:
    action = parse_frame(event).get("action")
    if action is None:
        raise InvalidRequest('A frame needs an "action", e.g. {"action": "ping"}.')
    # Named as JSON, as it was sent (never as Python would print it).
    named = json.dumps(action, ensure_ascii=False)[:80]
    raise UnknownAction(f"Unknown action {named}; the actions are {', '.join(KNOWN_ACTIONS)}.")
