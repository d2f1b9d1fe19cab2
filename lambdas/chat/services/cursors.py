"""Opaque page cursors: base64url JSON that only this service reads."""

import base64
import binascii
import json
from typing import Any

from chat.models.errors import InvalidRequest


def encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as error:
        raise InvalidRequest(
            "The cursor is not valid; pass back a nextCursor exactly as received.",
            details=[{"loc": ["query", "cursor"], "type": "invalid_cursor"}],
        ) from error
