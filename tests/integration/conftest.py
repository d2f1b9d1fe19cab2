"""Handlers called in-process with API Gateway's events, moto for AWS and the
embedded store (or a real MongoDB when MONGODB_URI is set) for data."""

import copy
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar, cast

import jwt
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws
from moto.server import ThreadedMotoServer

from chat.adapters import secrets_manager
from local.gateway import select_route
from tests.conftest import reset_containers

EVENTS = Path(__file__).resolve().parent.parent / "events"
# What Powertools reads of the context object Lambda passes (Lambda builds the real one).
CONTEXT = cast(
    "LambdaContext",
    SimpleNamespace(
        function_name="chat-test",
        function_version="$LATEST",
        memory_limit_in_mb=1024,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:chat-test",
        aws_request_id="test-request",
    ),
)


def load_event(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text()))


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: Any


def call_http(
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    query: dict[str, str] | None = None,
    raw_body: str | None = None,
    source_ip: str | None = None,
) -> HttpResponse:
    from chat.handlers.http_api import lambda_handler

    event = load_event("http_api_request")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    if query:
        event["queryStringParameters"] = query
        event["rawQueryString"] = urllib.parse.urlencode(query)
    if token:
        event["headers"]["authorization"] = f"Bearer {token}"
    if source_ip:
        event["requestContext"]["http"]["sourceIp"] = source_ip
    if raw_body is not None or body is not None:
        event["body"] = raw_body if raw_body is not None else json.dumps(body)
    result = lambda_handler(event, CONTEXT)
    text = result.get("body") or ""
    content_type = (result.get("headers") or {}).get("Content-Type", "")
    parsed = json.loads(text) if text and "json" in content_type else text
    return HttpResponse(result["statusCode"], result.get("headers") or {}, parsed)


class _ManagementApi(BaseHTTPRequestHandler):
    """API Gateway's @connections: records each frame POSTed and each socket DELETEd (closed);
    ids in `gone` answer 410."""

    protocol_version = "HTTP/1.1"
    frames: ClassVar[dict[str, list[bytes]]]
    gone: ClassVar[set[str]]
    closed: ClassVar[list[str]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        connection_id = urllib.parse.unquote(self.path.rsplit("/@connections/", 1)[-1])
        if connection_id in self.gone:
            self._answer(410, b'{"message":"Gone"}', "GoneException")
            return
        self.frames.setdefault(connection_id, []).append(body)
        self._answer(200, b"", None)

    def do_DELETE(self) -> None:
        connection_id = urllib.parse.unquote(self.path.rsplit("/@connections/", 1)[-1])
        if connection_id in self.gone:
            self._answer(410, b'{"message":"Gone"}', "GoneException")
            return
        self.gone.add(connection_id)
        self.closed.append(connection_id)
        self._answer(204, b"", None)

    def _answer(self, status: int, body: bytes, error_type: str | None) -> None:
        self.send_response(status)
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Pushed:
    """Frames a stand-in Management API received over HTTP from the real pusher, per connection."""

    received: dict[str, list[bytes]]
    gone: set[str]
    closed: list[str]

    def frames(self, connection_id: str, *, presence: bool = False) -> list[dict[str, Any]]:
        """What reached the socket; presence frames (contacts connecting) only when asked for."""
        frames = [json.loads(raw) for raw in self.received.get(connection_id, [])]
        return [frame for frame in frames if presence or frame.get("type") != "presence"]


@pytest.fixture
def pushed(installed_db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pushed]:
    class ManagementApi(_ManagementApi):  # the server makes a handler per request: records live on the class
        frames: ClassVar[dict[str, list[bytes]]] = {}
        gone: ClassVar[set[str]] = set()
        closed: ClassVar[list[str]] = []

    server = ThreadingHTTPServer(("127.0.0.1", 0), ManagementApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("WS_MANAGEMENT_ENDPOINT", f"http://127.0.0.1:{server.server_port}/live")
    reset_containers()
    try:
        with mock_aws():
            yield Pushed(ManagementApi.frames, ManagementApi.gone, ManagementApi.closed)
    finally:
        server.shutdown()
        server.server_close()
        reset_containers()


@dataclass
class Account:
    user_id: str
    username: str
    access_token: str
    refresh_token: str
    sockets: list[str] = field(default_factory=list)

    @property
    def login_id(self) -> str:
        """The login the access token was issued to (what the authorizer hands each route)."""
        return str(jwt.decode(self.access_token, options={"verify_signature": False})["sid"])


def sign_up(username: str) -> Account:
    response = call_http("POST", "/api/auth/signup", {"username": username, "password": "password123"})
    assert response.status == 201, response.body
    body = response.body
    return Account(body["user"]["id"], username, body["accessToken"], body["refreshToken"])


def ws_call(module: str, template: str, account: Account | None, connection_id: str, body: Any = None) -> Any:
    import importlib

    event = load_event(template)
    event["requestContext"]["connectionId"] = connection_id
    if account is not None and "authorizer" in event["requestContext"]:
        event["requestContext"]["authorizer"].update(
            userId=account.user_id, loginId=account.login_id, principalId=account.user_id
        )
    if template == "ws_message":
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        event["requestContext"]["routeKey"] = select_route(event["body"])  # as API Gateway picks it
    handler = importlib.import_module(f"chat.handlers.{module}").lambda_handler
    return handler(event, CONTEXT)


def ws_frame(module: str, account: Account, connection_id: str, body: Any) -> dict[str, Any]:
    """Sends one frame to a route; returns the frame API Gateway would send back."""
    result = ws_call(module, "ws_message", account, connection_id, body)
    assert result["statusCode"] == 200
    return json.loads(result["body"])  # type: ignore[no-any-return]


def connect(account: Account, connection_id: str) -> None:
    assert ws_call("ws_connect", "ws_connect", account, connection_id) == {"statusCode": 200}
    account.sockets.append(connection_id)


@pytest.fixture
def secrets_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's Secrets Manager (its JSON protocol, not ours), where botocore would find it:
    AWS_ENDPOINT_URL_SECRETS_MANAGER; the container's kept secrets forgotten before and after."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint)
    secrets_manager.forget()
    try:
        yield endpoint
    finally:
        secrets_manager.forget()
        server.stop()
