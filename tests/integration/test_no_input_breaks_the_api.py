"""No input a client can send gets a 5xx: arbitrary JSON at every route."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from tests.integration.conftest import call_http, sign_up

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(
    ["username", "password", "displayName", "refreshToken", "name", "memberIds", "userId", "conversationId",
     "receiverId", "text", "clientMsgId", "fileName", "contentType", "size", "attachments", "mediaId",
     "avatarMediaId", "$ne", "$gt", "$where"]
)  # fmt: skip
bodies = json_values | st.dictionaries(field_names, json_values, max_size=5)
ALLOWED = {200, 201, 204, 401, 403, 404, 405, 409, 413, 415, 422, 429}
ROUTES = [
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/groups/create"),
    ("POST", "/api/conversations/direct"),
    ("POST", "/api/messages/"),
    ("POST", "/api/media/upload-url"),
    ("POST", "/api/users/me/avatar"),
    ("PUT", "/api/users/me"),
]
HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize(("method", "path"), ROUTES)
@HYPOTHESIS
@given(body=bodies)
def test_arbitrary_json_bodies_never_cause_a_5xx(installed_db: Any, method: str, path: str, body: Any) -> None:
    token = _token()
    with mock_aws():  # media routes sign S3 forms; nothing may reach a real AWS
        response = call_http(method, path, body, token=token)
    assert response.status in ALLOWED, (response.status, response.body)
    if response.status >= 400:
        assert set(response.body["error"]) >= {"code", "message"}


@HYPOTHESIS
@given(
    path_part=st.text(max_size=80),
    query=st.dictionaries(st.sampled_from(["limit", "before", "after", "cursor", "q"]), st.text(max_size=30)),
)
def test_arbitrary_paths_and_queries_never_cause_a_5xx(
    installed_db: Any, path_part: str, query: dict[str, str]
) -> None:
    token = _token()
    for prefix in ("/api/messages/", "/api/users/", "/api/conversations"):
        response = call_http("GET", prefix + path_part, token=token, query=query or None)
        assert response.status in ALLOWED, (prefix, response.status, response.body)


_tokens: dict[int, str] = {}


def _token() -> str:
    # One account per database: the store is fresh for each test function.
    from chat.adapters.mongo import client as mongo

    key = id(mongo._client)
    if key not in _tokens:
        _tokens[key] = sign_up("fuzzer").access_token
    return _tokens[key]


def call_raw(method: str, path: str, body: bytes, content_type: str, token: str) -> tuple[int, Any]:
    """A request as API Gateway passes it on: text bodies as text, other bytes base64-encoded."""
    import base64
    import json

    from chat.handlers.http_api import lambda_handler
    from tests.integration.conftest import CONTEXT, load_event

    event = load_event("http_api_request")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["headers"].update({"authorization": f"Bearer {token}", "content-type": content_type})
    try:
        event["body"], event["isBase64Encoded"] = body.decode(), False
    except UnicodeDecodeError:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    result = lambda_handler(event, CONTEXT)
    return result["statusCode"], json.loads(result["body"]) if result.get("body") else None


@pytest.mark.parametrize(("method", "path"), [*ROUTES, ("POST", "/api/conversations/c1/receipts")])
def test_a_body_that_is_not_json_text_is_a_clear_4xx(installed_db: Any, method: str, path: str) -> None:
    token = _token()
    with mock_aws():
        # What a cross-site "simple" POST or a plain fetch sends: the type JSON routes do not take
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            status, body = call_raw(method, path, b'{"text": "hi"}', content_type, token)
            assert (status, body["error"]["code"]) == (415, "unsupported_media_type"), (content_type, body)
        # JSON that is not UTF-8
        status, body = call_raw(method, path, b'{"displayName": "\xff\xfe"}', "application/json", token)
        assert (status, body["error"]["code"]) == (422, "invalid_request"), body


def test_the_json_media_type_is_taken_in_any_letter_case(installed_db: Any) -> None:
    body = b'{"username": "casey", "password": "password123"}'
    status, created = call_raw("POST", "/api/auth/signup", body, "Application/JSON; charset=UTF-8", "unused")
    assert status == 201, created
    status, refused = call_raw("POST", "/api/auth/login", body, "application/vnd.api+json", "unused")
    assert (status, refused["error"]["code"]) == (415, "unsupported_media_type")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_number_too_long_for_python_is_a_clear_4xx(installed_db: Any, method: str, path: str) -> None:
    # Python reads no integer over 4,300 digits; the same digits in a string are just text
    answer = call_http(method, path, raw_body='{"size": ' + "9" * 4301 + "}")
    assert (answer.status, answer.body["error"]["code"]) == (422, "invalid_request"), answer.body
    assert answer.body["error"]["details"] == [{"loc": ["body"], "type": "json_number"}]


def test_refusals_made_before_routing_are_compact_json(installed_db: Any) -> None:
    answer = call_http("POST", "/api/auth/login", raw_body="[" * 100 + "]" * 100)
    assert answer.status == 422
    assert (
        '{"error":{"code":"invalid_request",' in str(answer.text if hasattr(answer, "text") else "") or answer.headers
    )


@pytest.mark.parametrize("authorization", ["Bearer \udcff\udcfe", "Bearer é.é.é", "Bearer \u200b"])
def test_a_token_that_is_not_ascii_is_a_401(installed_db: Any, authorization: str) -> None:
    from chat.handlers.http_api import lambda_handler
    from tests.integration.conftest import CONTEXT, load_event

    event = load_event("http_api_request")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/api/users/me"
    event["headers"]["authorization"] = authorization
    answer = lambda_handler(event, CONTEXT)
    assert answer["statusCode"] == 401, answer
