"""The security suite's stage: the real handlers in-process on the embedded store, a
stand-in Management API and moto, and one cast of users built once per module and put
back as it was before every test (argon2 makes sign-ups the slow part).

The store is checked the way the MongoDB driver and server would check it: every filter,
update, document and pipeline a handler sends is BSON-encoded first, so a payload that
would make the real driver raise (an integer beyond 64 bits, say) fails here too, instead
of passing on mongomock and failing in production."""

import copy
import dataclasses
import importlib
import json
import os
import re
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import bson
import pytest
from moto import mock_aws
from pymongo.errors import OperationFailure

from tests.conftest import database_installed, fresh_database, reset_containers
from tests.integration.conftest import CONTEXT, Account, load_event

# What a user keeps in the database; a refused request must leave every count as it was.
CONTENT = ("users", "conversations", "messages", "receipts", "refresh_tokens", "media", "connections")
PASSWORD = "password123"
MISSING_ID = "0" * 32  # well-formed, and nobody's


# --- the store as the driver sees it -------------------------------------------------


def _driver_checks(value: Any) -> None:
    """What pymongo refuses before sending, and what the server refuses on receipt that
    the payloads in this suite can reach."""
    if isinstance(value, Mapping):
        bson.encode(value)  # OverflowError past 64 bits, InvalidDocument for a NUL in a key...
        _no_nul_in_regex(value)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, Mapping):
                _driver_checks(item)


def _no_nul_in_regex(value: Any) -> None:
    # The server refuses it: BadValue, "Regular expression cannot contain an embedded null byte"
    # (RegexMatchExpression); mongomock would match it.
    if isinstance(value, Mapping):
        for key, item in value.items():
            pattern = item.pattern if isinstance(item, re.Pattern) else item
            if key == "$regex" and isinstance(pattern, str) and "\x00" in pattern:
                raise OperationFailure("Regular expression cannot contain an embedded null byte", code=2)
            _no_nul_in_regex(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _no_nul_in_regex(item)


class _CheckedCollection:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._collection, name)
        if not callable(attr):
            return attr

        def checked(*args: Any, **kwargs: Any) -> Any:
            for value in (*args, *kwargs.values()):
                _driver_checks(value)
            return attr(*args, **kwargs)

        return checked


class DriverCheckedDatabase:
    """The database handed to the handlers: collections whose every call is checked first."""

    def __init__(self, db: Any) -> None:
        self._db = db

    def __getitem__(self, name: str) -> _CheckedCollection:
        return _CheckedCollection(self._db[name])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


# --- the stack -------------------------------------------------------------------------


class _ManagementApi(BaseHTTPRequestHandler):
    """API Gateway's @connections: takes every push and every close, and remembers them."""

    protocol_version = "HTTP/1.1"
    calls: list[tuple[str, str]]  # (method, connection id)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(200)

    def do_DELETE(self) -> None:
        self._answer(204)

    def _answer(self, status: int) -> None:
        self.calls.append((self.command, urllib.parse.unquote(self.path.rsplit("/@connections/", 1)[-1])))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Stack:
    db: Any  # the raw store, for the tests' own reads
    pushed: list[tuple[str, str]]  # what reached the Management API: (method, connection id)
    _saved: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def collections(self) -> list[str]:
        return [name for name in self.db.list_collection_names() if not name.startswith("system.")]

    def snapshot(self) -> None:
        self._saved = {name: list(self.db[name].find()) for name in self.collections()}

    def restore(self) -> None:
        """Every collection back to the snapshot (indexes kept), and no frame pushed yet."""
        for name in self.collections():
            self.db[name].delete_many({})
            if self._saved.get(name):
                self.db[name].insert_many(copy.deepcopy(self._saved[name]))
        self.pushed.clear()

    def counts(self) -> dict[str, int]:
        return {name: self.db[name].count_documents({}) for name in CONTENT}


@contextmanager
def running_stack() -> Iterator[Stack]:
    handler: type[_ManagementApi] = type("ManagementApi", (_ManagementApi,), {"calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previous = os.environ.get("WS_MANAGEMENT_ENDPOINT")
    os.environ["WS_MANAGEMENT_ENDPOINT"] = f"http://127.0.0.1:{server.server_port}/live"
    try:
        with fresh_database() as raw, database_installed(DriverCheckedDatabase(raw)), mock_aws():
            yield Stack(raw, handler.calls)
    finally:
        if previous is None:
            os.environ.pop("WS_MANAGEMENT_ENDPOINT", None)
        else:
            os.environ["WS_MANAGEMENT_ENDPOINT"] = previous
        reset_containers()
        server.shutdown()
        server.server_close()


# --- calling the handlers --------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    text: str


def http(
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    authorization: str | None = None,
    query: dict[str, str] | None = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
) -> Answer:
    """One request through the real HTTP handler, as API Gateway (payload 2.0) passes it on."""
    from chat.handlers.http_api import lambda_handler

    event = load_event("http_api_request")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    if query is not None:
        event["queryStringParameters"] = query
        event["rawQueryString"] = urllib.parse.urlencode(query)
    if token is not None:
        event["headers"]["authorization"] = f"Bearer {token}"
    if authorization is not None:
        event["headers"]["authorization"] = authorization
    event["headers"].update(headers or {})
    if cookies is not None:
        event["cookies"] = cookies
        event["headers"]["cookie"] = "; ".join(cookies)
    if raw_body is not None:
        event["body"] = raw_body
    elif body is not None:
        event["body"] = json.dumps(body)
    result = lambda_handler(event, cast(Any, CONTEXT))
    text = result.get("body") or ""
    content_type = (result.get("headers") or {}).get("Content-Type", "")
    parsed = json.loads(text) if text and "json" in content_type else text
    return Answer(result["statusCode"], result.get("headers") or {}, parsed, text)


def assert_error(answer: Answer, status: int, code: str) -> None:
    """The documented error body: {"error": {"code", "message"[, "details"]}}, nothing else,
    and text any client can read (UTF-8)."""
    assert (answer.status, _code(answer.body)) == (status, code), answer.body
    assert set(answer.body) == {"error"}, answer.body
    error = answer.body["error"]
    assert set(error) <= {"code", "message", "details"}, error
    assert isinstance(error["message"], str), error
    assert error["message"], error
    assert_utf8(answer.text)


def assert_utf8(text: str) -> None:
    """An answer a client can be sent: API Gateway, the Lambda runtime (Python 3.12 and later
    serialize without escaping non-ASCII) and the local gateway all encode it as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        pytest.fail(f"the answer cannot be sent as UTF-8 ({error.reason} at {error.start}): {text!r}")


def _code(body: Any) -> Any:
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def authorize(query: dict[str, str] | None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The $connect authorizer with API Gateway's REQUEST event."""
    from chat.handlers import ws_authorizer

    event = load_event("ws_authorizer_request")
    event["queryStringParameters"] = query
    event["headers"].update(headers or {})
    return ws_authorizer.lambda_handler(event, CONTEXT)


def ws_reply(module: str, account: Account, body: Any, connection_id: str = "sec-socket") -> tuple[Any, str]:
    """A frame sent to a WebSocket route: the reply frame (None when the route sends none) and its text."""
    event = load_event("ws_message")
    event["requestContext"]["connectionId"] = connection_id
    event["requestContext"]["authorizer"].update(userId=account.user_id, principalId=account.user_id)
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    result = importlib.import_module(f"chat.handlers.{module}").lambda_handler(event, CONTEXT)
    assert result["statusCode"] == 200, result
    text = result.get("body") or ""
    return (json.loads(text) if text else None), text


def nested(depth: int, leaf: str = "1") -> str:
    """JSON `depth` arrays deep: 20 KB of text at 10,000, well under every size limit."""
    return "[" * depth + leaf + "]" * depth


# --- the cast --------------------------------------------------------------------------


@dataclass
class World:
    """alice runs the group "Crew" (bob and carol are members; dave was one until alice
    removed him); alice and bob also chat directly; mallory and erin are in neither."""

    stack: Stack
    alice: Account
    bob: Account
    carol: Account
    dave: Account
    mallory: Account
    erin: Account
    group: str
    direct: str
    alice_group_message: str
    bob_group_message: str
    dave_group_message: str
    after_removal_message: str
    alice_direct_message: str
    alice_group_upload: str
    alice_direct_upload: str
    alice_avatar_upload: str
    dave_group_upload: str

    def names(self) -> dict[str, str]:
        """Every id of the cast by name, for templates such as "/api/messages/%(group)s":
        each user by their name, each conversation, message and upload by its field."""
        names = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Account):
                names[item.name] = value.user_id
            elif isinstance(value, str):
                names[item.name] = value
        return names


def filled(value: Any, names: Mapping[str, str]) -> Any:
    """`value` with every %(name)s in its strings (keys included) replaced by that id."""
    if isinstance(value, str):
        return value % names if "%(" in value else value
    if isinstance(value, list):
        return [filled(item, names) for item in value]
    if isinstance(value, dict):
        return {filled(key, names): filled(item, names) for key, item in value.items()}
    return value


def sign_up(username: str) -> Account:
    answer = http("POST", "/api/auth/signup", {"username": username, "password": PASSWORD})
    assert answer.status == 201, answer.body
    body = answer.body
    return Account(body["user"]["id"], username, body["accessToken"], body["refreshToken"])


def _ok(answer: Answer, status: int = 200) -> Any:
    assert answer.status == status, answer.body
    return answer.body


def _send(account: Account, conversation_id: str, text: str) -> str:
    body = {"conversationId": conversation_id, "text": text}
    return str(_ok(http("POST", "/api/messages/", body, token=account.access_token), 201)["id"])


def _upload(account: Account, conversation_id: str) -> str:
    body = {"conversationId": conversation_id, "fileName": "cat.png", "contentType": "image/png", "size": 100}
    return str(_ok(http("POST", "/api/media/upload-url", body, token=account.access_token), 201)["mediaId"])


def build_world(stack: Stack) -> World:
    alice, bob, carol, dave, mallory, erin = (
        sign_up(name) for name in ("alice", "bob", "carol", "dave", "mallory", "erin")
    )
    first = http("POST", "/api/messages/", {"receiverId": bob.user_id, "text": "hi bob"}, token=alice.access_token)
    direct = _ok(first, 201)["conversationId"]
    _send(bob, direct, "hi alice")
    crew = {"name": "Crew", "memberIds": [bob.user_id, carol.user_id, dave.user_id]}
    group = _ok(http("POST", "/api/groups/create", crew, token=alice.access_token), 201)["id"]
    alice_group_message = _send(alice, group, "from alice")
    bob_group_message = _send(bob, group, "from bob")
    dave_group_message = _send(dave, group, "from dave")
    dave_group_upload = _upload(dave, group)
    _ok(http("DELETE", f"/api/groups/{group}/members/{dave.user_id}", token=alice.access_token))
    after_removal_message = _send(alice, group, "after dave left")
    avatar = http("POST", "/api/users/me/avatar", {"contentType": "image/png", "size": 100}, token=alice.access_token)
    # alice is online: presence is what strangers must not see
    connect = importlib.import_module("chat.handlers.ws_connect").lambda_handler
    event = load_event("ws_connect")
    event["requestContext"]["connectionId"] = "alice-socket"
    event["requestContext"]["authorizer"].update(userId=alice.user_id, principalId=alice.user_id)
    assert connect(event, CONTEXT) == {"statusCode": 200}
    world = World(
        stack=stack,
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        mallory=mallory,
        erin=erin,
        group=group,
        direct=direct,
        alice_group_message=alice_group_message,
        bob_group_message=bob_group_message,
        dave_group_message=dave_group_message,
        after_removal_message=after_removal_message,
        alice_direct_message=str(_ok(http("GET", f"/api/messages/{direct}", token=bob.access_token))["items"][0]["id"]),
        alice_group_upload=_upload(alice, group),
        alice_direct_upload=_upload(alice, direct),
        alice_avatar_upload=str(_ok(avatar, 201)["mediaId"]),
        dave_group_upload=dave_group_upload,
    )
    stack.snapshot()
    return world


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running


@pytest.fixture(scope="module")
def world(stack: Stack) -> World:
    return build_world(stack)


@pytest.fixture
def restored(world: World) -> World:
    """The cast as built: whatever an earlier test changed is undone."""
    world.stack.restore()
    return world
