"""What both transports check in JSON text before parsing it."""

import json

# Every request and frame of the API nests 3 levels at most; Python's parser recurses once
# per level and fails (RecursionError) near a thousand, which a 20 KB body can reach.
MAX_JSON_DEPTH = 32


def nested_too_deeply(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the text opens more than `limit` arrays or objects inside each other."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the usual case, at C speed: too few brackets to nest that deep
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


TOO_DEEP = f"The JSON nests more than {MAX_JSON_DEPTH} levels deep."

# Python reads no integer of more than 4,300 digits (a guard against slow conversions).
TOO_LONG_NUMBER = "The JSON holds a number too long to read: no field takes more than 16 digits."


def number_too_long(error: ValueError) -> bool:
    """Whether parsing failed on such a number, not on the JSON itself."""
    return "digits" in str(error) and not isinstance(error, json.JSONDecodeError)
