"""The lean Management API pusher signs exactly the request boto3's PostToConnection
would send: same URL, same body, same SigV4 headers, byte for byte."""

import datetime
from typing import Any

import boto3.session
import botocore.auth
import pytest
from botocore.awsrequest import AWSResponse

from chat.adapters.apigw_push import ApiGatewayPusher

ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com/live"
FROZEN = datetime.datetime(2026, 12, 1, 12, 30, 45, tzinfo=datetime.UTC)


class _Raw:
    def stream(self, **_: Any) -> Any:
        return iter([b""])


def boto3_request(connection_id: str, frame: bytes | None) -> dict[str, Any]:
    """What boto3 sends for a push, or (with no frame) for closing the socket."""
    # A session of its own, so it reads the credentials as they are now.
    client = boto3.session.Session().client("apigatewaymanagementapi", endpoint_url=ENDPOINT, region_name="eu-west-1")
    sent: dict[str, Any] = {}

    def capture(request: Any, **_: Any) -> AWSResponse:
        headers = {
            name: value.decode() if isinstance(value, bytes) else value for name, value in request.headers.items()
        }
        sent.update(url=request.url, headers=headers, body=request.body)
        return AWSResponse(request.url, 200, {}, _Raw())

    client.meta.events.register("before-send.apigatewaymanagementapi", capture)
    if frame is None:
        client.delete_connection(ConnectionId=connection_id)
    else:
        client.post_to_connection(ConnectionId=connection_id, Data=frame)
    return sent


@pytest.mark.parametrize("connection_id", ["L0SM9cOFvHcCIhw=", "a+b/c=="])
@pytest.mark.parametrize("token", [None, "session-token-from-the-lambda-role"])
def test_a_push_is_signed_as_boto3_signs_it(
    monkeypatch: pytest.MonkeyPatch, connection_id: str, token: str | None
) -> None:
    # Given one clock and one set of credentials (a Lambda role's carry a session token)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FROZEN)
    if token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    frame = '{"type":"messageReceived","text":"héllo"}'.encode()

    # When both sign the same push
    expected = boto3_request(connection_id, frame)
    path, headers = ApiGatewayPusher(ENDPOINT).signed_request(connection_id, frame, FROZEN)

    # Then the URL and every header API Gateway checks are the same
    assert "https://abc123.execute-api.eu-west-1.amazonaws.com" + path == expected["url"]
    for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
        assert headers.get(name) == expected["headers"].get(name), name
    assert expected["body"] == frame
    assert "eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    assert ("X-Amz-Security-Token" in headers) == bool(token)


def test_the_days_signing_key_is_renewed_when_the_date_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    pusher = ApiGatewayPusher(ENDPOINT)
    for moment in (FROZEN, FROZEN + datetime.timedelta(days=1), FROZEN + datetime.timedelta(days=1, hours=3)):
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda moment=moment: moment)
        expected = boto3_request("abc=", b"{}")
        _, headers = pusher.signed_request("abc=", b"{}", moment)
        assert headers["Authorization"] == expected["headers"]["Authorization"]


def test_a_close_is_signed_as_boto3_signs_delete_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FROZEN)
    expected = boto3_request("L0SM9cOFvHcCIhw=", None)
    path, headers = ApiGatewayPusher(ENDPOINT).signed_request("L0SM9cOFvHcCIhw=", b"", FROZEN, method="DELETE")
    assert "https://abc123.execute-api.eu-west-1.amazonaws.com" + path == expected["url"]
    assert headers["Authorization"] == expected["headers"]["Authorization"]
    # and it differs from a push's signature: the method is signed
    _, push_headers = ApiGatewayPusher(ENDPOINT).signed_request("L0SM9cOFvHcCIhw=", b"", FROZEN)
    assert push_headers["Authorization"] != headers["Authorization"]
