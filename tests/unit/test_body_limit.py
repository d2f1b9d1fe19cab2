"""The HTTP API's body limit counts bytes as they arrive, base64 or not."""

import base64

from chat.handlers.http_api import MAX_BODY_BYTES, body_too_large


def test_a_base64_body_is_measured_as_the_bytes_it_decodes_to() -> None:
    for size in (MAX_BODY_BYTES - 1, MAX_BODY_BYTES, MAX_BODY_BYTES + 1):
        encoded = base64.b64encode(b"x" * size).decode()
        assert body_too_large(encoded, base64_encoded=True) is (size > MAX_BODY_BYTES), size


def test_a_text_body_is_measured_in_utf8_bytes() -> None:
    at_limit = "é" * (MAX_BODY_BYTES // 2)  # two bytes each
    assert body_too_large(at_limit, base64_encoded=False) is False
    assert body_too_large(at_limit + "x", base64_encoded=False) is True
    assert body_too_large("x" * MAX_BODY_BYTES, base64_encoded=False) is False
