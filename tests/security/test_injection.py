"""Operator injection, type confusion, path tricks, unicode oddities, pollution keys and
oversized or deeply nested JSON, over HTTP and over the WebSocket routes. Each payload gets
a clear 4xx with the documented code (never a 5xx), logs nobody in, matches nobody, stores
nothing and pushes nothing."""

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.security.conftest import (
    CONTENT,
    MISSING_ID,
    PASSWORD,
    Answer,
    Stack,
    World,
    assert_error,
    assert_utf8,
    filled,
    http,
    nested,
    ws_reply,
)

pytestmark = pytest.mark.usefixtures("restored")

DEEP = 10_000
NE: dict[str, Any] = {"$ne": None}
GT: dict[str, Any] = {"$gt": ""}
REGEX: dict[str, Any] = {"$regex": ".*"}
WHERE: dict[str, Any] = {"$where": "function () { return true; }"}


def nested_objects(depth: int) -> str:
    """JSON `depth` objects deep: 60 KB at 10,000, under the 64 KiB body limit."""
    return '{"a":' * depth + '"x"' + "}" * depth


def contents(stack: Stack) -> dict[str, list[Any]]:
    """Everything a user keeps, to compare before and after: nothing may change."""
    return {name: sorted(map(repr, stack.db[name].find())) for name in CONTENT}


@dataclass(frozen=True)
class Payload:
    id: str
    method: str
    path: str  # a template: %(group)s and the like are filled in (World.names)
    body: Any = None  # JSON, its strings templates too
    raw: str | None = None  # text sent as is, once filled in
    status: int = 422
    code: str = "invalid_request"
    sender: str | None = "bob"  # who sends it (a member of both conversations); None: nobody

    def send(self, world: World) -> Answer:
        names = world.names()
        account = getattr(world, self.sender) if self.sender else None
        return http(
            self.method,
            self.path % names,
            filled(self.body, names),
            raw_body=self.raw % names if self.raw is not None else None,
            token=account.access_token if account else None,
        )


def login(case: str, body: Any = None, *, raw: str | None = None, status: int = 422) -> Payload:
    code = "invalid_credentials" if status == 401 else "invalid_request"
    return Payload(f"login-{case}", "POST", "/api/auth/login", body, raw, status, code, sender=None)


# the real password, then an operator under the same key: a parser keeping the last one sees the operator
DUPLICATE_PASSWORD = '{"username":"alice","password":"' + PASSWORD + '","password":{"$ne":null}}'


def with_password(username: str) -> dict[str, str]:
    return {"username": username, "password": PASSWORD}


LOGIN = [
    # operators where strings belong: refused at the edge, before any query
    login("both-ne", {"username": NE, "password": NE}),
    login("password-ne", {"username": "alice", "password": NE}),
    login("username-gt", {"username": GT, "password": PASSWORD}),
    login("username-regex", {"username": REGEX, "password": PASSWORD}),
    login("password-regex", {"username": "alice", "password": REGEX}),
    login("username-where", {"username": WHERE, "password": PASSWORD}),
    login("username-in", {"username": {"$in": ["alice", "bob"]}, "password": PASSWORD}),
    login("both-exists", {"username": {"$exists": True}, "password": {"$exists": True}}),
    login("arrays", {"username": ["alice"], "password": [PASSWORD]}),
    login("password-a-number", {"username": "alice", "password": 12345678}),
    login("nulls", {"username": None, "password": None}),
    login("booleans", {"username": True, "password": True}),
    login("top-level-where", {**with_password("alice"), "$where": "1 == 1"}),
    login("proto-key", {**with_password("alice"), "__proto__": {"isAdmin": True}}),
    login("constructor-key", {**with_password("alice"), "constructor": {"prototype": {"isAdmin": True}}}),
    login("duplicate-key-operator-last", raw=DUPLICATE_PASSWORD),
    login("deeply-nested-objects", raw='{"username":' + nested_objects(DEEP) + "}"),
    login("deeply-nested-arrays", raw=nested(DEEP)),
    # strings that are not alice's name, with alice's password: no pattern, no folding
    login(
        "duplicate-key-operator-first", raw='{"username":{"$ne":null},"username":"eve","password":"guess"}', status=401
    ),
    login("regex-dot-star", with_password(".*"), status=401),
    login("regex-anchored", with_password("^alice$"), status=401),
    login("regex-wildcard", with_password("al.ce"), status=401),
    login("nul-suffix", with_password("alice\x00"), status=401),
    login("zero-width-space", with_password("al\u200bice"), status=401),
    login("rtl-override", with_password("\u202eecila"), status=401),
    login("fullwidth-letters", with_password("\uff41\uff4c\uff49\uff43\uff45"), status=401),
    login("trailing-space", with_password("alice "), status=401),
    login("quote-or-true", {"username": "' || '1'=='1", "password": "' || '1'=='1"}, status=401),
    login("password-nul-then-more", {"username": "alice", "password": PASSWORD + "\x00anything"}, status=401),
    login("password-other-case", {"username": "alice", "password": PASSWORD.upper()}, status=401),
]


def body(case: str, method: str, path: str, value: Any, *, status: int = 422, sender: str = "bob") -> Payload:
    code = {413: "payload_too_large", 415: "unsupported_media_type", 401: "invalid_refresh_token"}.get(
        status, "invalid_request"
    )
    return Payload(case, method, path, value, None, status, code, sender)


def raw(case: str, method: str, path: str, text: str, *, status: int = 422, sender: str = "bob") -> Payload:
    code = "payload_too_large" if status == 413 else "invalid_request"
    return Payload(case, method, path, None, text, status, code, sender)


def to_group(**fields: Any) -> dict[str, Any]:
    return {"conversationId": "%(group)s", "text": "hi", **fields}


def upload(**fields: Any) -> dict[str, Any]:
    return {"conversationId": "%(group)s", "fileName": "cat.png", "contentType": "image/png", "size": 10, **fields}


SIGNUP, DIRECT, GROUPS, MESSAGES = (
    "/api/auth/signup",
    "/api/conversations/direct",
    "/api/groups/create",
    "/api/messages/",
)
RECEIPTS, EDIT = "/api/conversations/%(group)s/receipts", "/api/messages/%(alice_group_message)s"
REACT = "/api/messages/%(alice_group_message)s/reactions"
MEMBERS, RENAME, UPLOAD = "/api/groups/%(group)s/members", "/api/groups/%(group)s", "/api/media/upload-url"


def signup(**fields: Any) -> dict[str, Any]:
    return {"username": "newcomer", "password": PASSWORD, **fields}


BODIES = [
    # sign-up: names that only look like names, and fields nobody may set
    body("signup-username-ne", "POST", SIGNUP, signup(username=NE)),
    body("signup-username-rtl-override", "POST", SIGNUP, signup(username="al\u202eice")),
    body("signup-username-zero-width", "POST", SIGNUP, signup(username="ali\u200bce")),
    body("signup-username-path", "POST", SIGNUP, signup(username="../admin")),
    body("signup-username-nul", "POST", SIGNUP, signup(username="nul\x00l")),
    body("signup-username-lone-surrogate", "POST", SIGNUP, signup(username="ab\ud800")),
    body("signup-display-name-ne", "POST", SIGNUP, signup(displayName=NE)),
    body("signup-display-name-lone-surrogate", "POST", SIGNUP, signup(displayName="\udfff")),
    body("signup-constructor-key", "POST", SIGNUP, signup(constructor={"prototype": {"isAdmin": True}})),
    body("signup-chooses-its-id", "POST", SIGNUP, signup(id="f" * 32)),
    body("signup-password-hash", "POST", SIGNUP, signup(passwordHash="$argon2id$v=19$m=1,t=1,p=1$x$y")),
    # direct chats: the other user's id
    body("direct-user-ne", "POST", DIRECT, {"userId": NE}),
    body("direct-user-gt", "POST", DIRECT, {"userId": GT}),
    body("direct-user-regex", "POST", DIRECT, {"userId": REGEX}),
    body("direct-user-list", "POST", DIRECT, {"userId": ["%(alice)s"]}),
    body("direct-user-number", "POST", DIRECT, {"userId": 42}),
    body("direct-user-null", "POST", DIRECT, {"userId": None}),
    body("direct-user-true", "POST", DIRECT, {"userId": True}),
    body("direct-user-path", "POST", DIRECT, {"userId": "../users/me"}),
    body("direct-user-dollar", "POST", DIRECT, {"userId": "$where"}),
    body("direct-user-nul", "POST", DIRECT, {"userId": "%(alice)s\x00"}),
    body("direct-user-rtl-override", "POST", DIRECT, {"userId": "\u202e%(alice)s"}),
    body("direct-user-very-long", "POST", DIRECT, {"userId": "a" * 10_000}),
    # groups
    body("group-members-ne", "POST", GROUPS, {"name": "g", "memberIds": NE}),
    body("group-member-ne", "POST", GROUPS, {"name": "g", "memberIds": [NE]}),
    body("group-members-a-string", "POST", GROUPS, {"name": "g", "memberIds": "%(alice)s"}),
    body("group-members-nested-list", "POST", GROUPS, {"name": "g", "memberIds": [["%(alice)s"]]}),
    body("group-name-regex", "POST", GROUPS, {"name": REGEX, "memberIds": ["%(alice)s"]}),
    body("group-name-number", "POST", GROUPS, {"name": 7, "memberIds": ["%(alice)s"]}),
    body("group-proto-key", "POST", GROUPS, {"name": "g", "memberIds": ["%(alice)s"], "__proto__": {}}),
    body("group-admins-chosen", "POST", GROUPS, {"name": "g", "memberIds": ["%(alice)s"], "adminIds": ["%(bob)s"]}),
    # sending: targets, text and ids of the wrong type, and fields the server decides
    body("send-conversation-ne", "POST", MESSAGES, {"conversationId": NE, "text": "hi"}),
    body("send-receiver-gt", "POST", MESSAGES, {"receiverId": GT, "text": "hi"}),
    body("send-conversation-where", "POST", MESSAGES, {"conversationId": WHERE, "text": "hi"}),
    body("send-text-list", "POST", MESSAGES, to_group(text=["hi"])),
    body("send-text-set-operator", "POST", MESSAGES, to_group(text={"$set": {"senderId": "%(alice)s"}})),
    body("send-text-number", "POST", MESSAGES, to_group(text=1.5)),
    body("send-text-true", "POST", MESSAGES, to_group(text=True)),
    body("send-text-null", "POST", MESSAGES, to_group(text=None)),
    body("send-text-lone-surrogate", "POST", MESSAGES, to_group(text="\ud800")),
    body("send-text-over-4000", "POST", MESSAGES, to_group(text="x" * 4001)),
    body("send-client-msg-id-ne", "POST", MESSAGES, to_group(clientMsgId=NE)),
    body("send-client-msg-id-number", "POST", MESSAGES, to_group(clientMsgId=7)),
    body("send-client-msg-id-path", "POST", MESSAGES, to_group(clientMsgId="../../x")),
    body("send-attachment-media-ne", "POST", MESSAGES, to_group(attachments=[{"mediaId": NE}])),
    body("send-attachments-an-object", "POST", MESSAGES, to_group(attachments={"mediaId": "x"})),
    body("send-as-someone-else", "POST", MESSAGES, to_group(senderId="%(alice)s")),
    body("send-chooses-its-seq", "POST", MESSAGES, to_group(seq=1)),
    body("send-conversation-dot-dot", "POST", MESSAGES, {"conversationId": "%2e%2e", "text": "hi"}),
    body("send-both-targets", "POST", MESSAGES, to_group(receiverId="%(alice)s")),
    # profiles
    body("profile-display-name-ne", "PUT", "/api/users/me", {"displayName": NE}),
    body("profile-avatar-gt", "PUT", "/api/users/me", {"avatarMediaId": GT}),
    body("profile-display-name-number", "PUT", "/api/users/me", {"displayName": 42}),
    body("profile-display-name-too-long", "PUT", "/api/users/me", {"displayName": "x" * 65}),
    body("profile-display-name-whitespace", "PUT", "/api/users/me", {"displayName": " \t\n "}),
    body("profile-username", "PUT", "/api/users/me", {"displayName": "Bob", "username": "alice"}),
    body("profile-password-hash", "PUT", "/api/users/me", {"passwordHash": "x"}),
    body("profile-someone-elses-id", "PUT", "/api/users/me", {"id": "%(alice)s", "displayName": "A"}),
    # receipts: seq of every wrong kind
    body("receipt-negative", "POST", RECEIPTS, {"readSeq": -1}),
    body("receipt-zero", "POST", RECEIPTS, {"readSeq": 0}),
    body("receipt-float", "POST", RECEIPTS, {"readSeq": 1.5}),
    body("receipt-string", "POST", RECEIPTS, {"readSeq": "1"}),
    body("receipt-boolean", "POST", RECEIPTS, {"readSeq": True}),
    body("receipt-past-64-bits", "POST", RECEIPTS, {"readSeq": 2**64}),
    body("receipt-operator", "POST", RECEIPTS, {"readSeq": {"$gt": 0}}),
    body("receipt-nulls", "POST", RECEIPTS, {"readSeq": None, "deliveredSeq": None}),
    body("receipt-past-last-seq", "POST", RECEIPTS, {"readSeq": 2**53}),
    raw("receipt-infinity", "POST", RECEIPTS, '{"readSeq": 1e400}'),
    raw("receipt-nan", "POST", RECEIPTS, '{"readSeq": NaN}'),
    raw("receipt-huge-literal", "POST", RECEIPTS, '{"readSeq": 1' + "0" * 400 + "}"),
    # reactions and edits
    body("react-emoji-ne", "POST", REACT, {"emoji": NE, "on": True}),
    body("react-markup", "POST", REACT, {"emoji": "<img src=x onerror=alert(1)>", "on": True}),
    body("react-on-a-string", "POST", REACT, {"emoji": "👍", "on": "true"}),
    body("react-on-a-number", "POST", REACT, {"emoji": "👍", "on": 1}),
    body("react-two-emoji", "POST", REACT, {"emoji": "👍👍", "on": True}),
    body("react-zero-width", "POST", REACT, {"emoji": "\u200b", "on": True}),
    body("react-rtl-override", "POST", REACT, {"emoji": "\u202e", "on": True}),
    body("edit-text-set-operator", "PATCH", EDIT, {"text": {"$set": {"senderId": "x"}}}, sender="alice"),
    body("edit-text-null", "PATCH", EDIT, {"text": None}, sender="alice"),
    body("edit-sender-too", "PATCH", EDIT, {"text": "x", "senderId": "%(bob)s"}, sender="alice"),
    # membership and names, as the admin, so that anything let through would take effect
    body("members-ne", "POST", MEMBERS, {"userIds": [NE]}, sender="alice"),
    body("members-in-operator", "POST", MEMBERS, {"userIds": {"$in": ["%(erin)s"]}}, sender="alice"),
    body("members-a-string", "POST", MEMBERS, {"userIds": "%(erin)s"}, sender="alice"),
    body("rename-set-operator", "PATCH", RENAME, {"name": {"$set": "x"}}, sender="alice"),
    body("rename-list", "PATCH", RENAME, {"name": ["Crew 2"]}, sender="alice"),
    body("rename-whitespace", "PATCH", RENAME, {"name": "   "}, sender="alice"),
    # uploads
    body("upload-size-negative", "POST", UPLOAD, upload(size=-1)),
    body("upload-size-zero", "POST", UPLOAD, upload(size=0)),
    body("upload-size-float", "POST", UPLOAD, upload(size=1.5)),
    body("upload-size-string", "POST", UPLOAD, upload(size="10")),
    body("upload-size-huge", "POST", UPLOAD, upload(size=10**13)),
    body("upload-size-boolean", "POST", UPLOAD, upload(size=True)),
    body("upload-name-path", "POST", UPLOAD, upload(fileName="../../etc/passwd")),
    body("upload-name-backslash", "POST", UPLOAD, upload(fileName="..\\..\\boot.ini")),
    body("upload-name-nul", "POST", UPLOAD, upload(fileName="cat.png\x00.exe")),
    body("upload-name-too-long", "POST", UPLOAD, upload(fileName="x" * 256)),
    body("upload-conversation-ne", "POST", UPLOAD, upload(conversationId=NE)),
    body("upload-svg", "POST", UPLOAD, upload(contentType="image/svg+xml"), status=415),
    body("upload-html", "POST", UPLOAD, upload(contentType="text/html"), status=415),
    body("avatar-size-past-64-bits", "POST", "/api/users/me/avatar", {"contentType": "image/png", "size": 2**64}),
    body("avatar-type-ne", "POST", "/api/users/me/avatar", {"contentType": NE, "size": 10}),
    # refresh and log-out
    body("refresh-ne", "POST", "/api/auth/refresh", {"refreshToken": NE}),
    body("refresh-list", "POST", "/api/auth/refresh", {"refreshToken": ["x"]}),
    body("refresh-empty", "POST", "/api/auth/refresh", {"refreshToken": ""}),
    body("refresh-too-long", "POST", "/api/auth/refresh", {"refreshToken": "x" * 513}),
    body("refresh-regex-string", "POST", "/api/auth/refresh", {"refreshToken": ".*"}, status=401),
    body("logout-ne", "POST", "/api/auth/logout", {"refreshToken": NE}),
    # bodies that are not objects, or that no parser should have to take
    body("top-level-list", "POST", MESSAGES, []),
    body("top-level-string", "POST", MESSAGES, "hi"),
    body("top-level-number", "POST", MESSAGES, 42),
    body("top-level-true", "POST", MESSAGES, True),
    raw("top-level-null", "POST", MESSAGES, "null"),
    raw("duplicate-key-operator-last", "POST", MESSAGES, '{"conversationId":"%(group)s","conversationId":{"$ne":1}}'),
    raw("duplicate-key-text-list-last", "POST", MESSAGES, '{"conversationId":"%(group)s","text":"hi","text":["hi"]}'),
    raw("deeply-nested-arrays", "POST", MESSAGES, nested(DEEP)),
    raw("deeply-nested-in-a-field", "POST", MESSAGES, '{"conversationId":"%(group)s","text":' + nested(DEEP) + "}"),
    raw("deeply-nested-objects", "PUT", "/api/users/me", '{"displayName":' + nested_objects(DEEP) + "}"),
    body("oversized-text", "POST", MESSAGES, to_group(text="x" * 70_000), status=413),
]


def path(case: str, method: str, where: str, *, status: int = 404, value: Any = None) -> Payload:
    code = "not_found" if status == 404 else "invalid_request"
    return Payload(case, method, where, value, None, status, code, sender="alice")


PATHS = [
    path("dot-dot-to-another-route", "GET", "/api/messages/../users/me"),
    path("dot-dot-encoded", "GET", "/api/messages/%%2e%%2e"),
    path("dot-dot-slash-encoded", "GET", "/api/messages/%%2e%%2e%%2fusers%%2fme"),
    path("dot-dot-mixed", "GET", "/api/messages/..%%2f..%%2fusers%%2fme"),
    path("dot-dot-after-an-id", "GET", "/api/messages/%(group)s/../../users/me"),
    path("user-dot-dot-me", "GET", "/api/users/..%%2fme"),
    path("user-operator", "GET", "/api/users/$ne"),
    path("user-regex", "GET", "/api/users/.*"),
    path("user-json-operator", "GET", '/api/users/{"$ne":null}'),
    path("user-nul", "GET", "/api/users/a\x00b"),
    path("user-encoded-nul", "GET", "/api/users/%(bob)s%%00"),
    path("user-zero-width", "GET", "/api/users/%(bob)s\u200b"),
    path("user-id-65", "GET", "/api/users/" + "a" * 65, status=422),
    path("user-id-10000", "GET", "/api/users/" + "a" * 10_000, status=422),
    path("conversation-nul", "GET", "/api/conversations/%(group)s\x00"),
    path("conversation-operator-changes", "GET", "/api/conversations/$where/changes?since=0"),
    path("conversation-dollar-receipts", "GET", "/api/conversations/%%24ne/receipts"),
    path("history-regex", "GET", "/api/messages/.*"),
    path("edit-regex-id", "PATCH", "/api/messages/.*", value={"text": "pwned"}),
    path("edit-operator-id", "PATCH", "/api/messages/$ne", value={"text": "pwned"}),
    path("delete-regex-id", "DELETE", "/api/messages/.*"),
    path("react-operator-id", "POST", "/api/messages/$gt/reactions", value={"emoji": "👍", "on": True}),
    path("remove-member-dot-dot", "DELETE", "/api/groups/%(group)s/members/%%2e%%2e"),
    path("remove-member-operator", "DELETE", "/api/groups/%(group)s/members/$ne"),
    path("rename-regex-group", "PATCH", "/api/groups/.*", value={"name": "pwned"}),
    path("missing-conversation", "GET", f"/api/conversations/{MISSING_ID}"),
]


@dataclass(frozen=True)
class QueryPayload(Payload):
    params: dict[str, str] | None = None

    def send(self, world: World) -> Answer:
        return http(self.method, self.path % world.names(), query=self.params, token=world.bob.access_token)


def cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def q(case: str, where: str, params: dict[str, str]) -> QueryPayload:
    return QueryPayload(case, "GET", where, params=params)


HISTORY, CHANGES = "/api/messages/%(group)s", "/api/conversations/%(group)s/changes"
QUERIES = [
    q("users-limit-negative", "/api/users", {"limit": "-1"}),
    q("users-limit-float", "/api/users", {"limit": "2.5"}),
    q("users-limit-exponent", "/api/users", {"limit": "1e2"}),
    q("users-limit-past-64-bits", "/api/users", {"limit": str(2**64)}),
    q("users-q-too-long", "/api/users", {"q": "a" * 65}),
    q("users-cursor-operator", "/api/users", {"cursor": cursor(NE)}),
    q("users-cursor-not-base64", "/api/users", {"cursor": "%%%"}),
    q("conversations-cursor-operator", "/api/conversations", {"cursor": cursor(GT)}),
    q("conversations-cursor-operator-first", "/api/conversations", {"cursor": cursor([GT, "x"])}),
    q("conversations-cursor-number", "/api/conversations", {"cursor": cursor(1)}),
    q("history-before-negative", HISTORY, {"before": "-1"}),
    q("history-before-zero", HISTORY, {"before": "0"}),
    q("history-after-negative", HISTORY, {"after": "-1"}),
    q("history-before-float", HISTORY, {"before": "1.5"}),
    q("history-after-hex", HISTORY, {"after": "0x10"}),
    q("history-limit-zero", HISTORY, {"limit": "0"}),
    q("history-before-past-64-bits", HISTORY, {"before": str(2**64)}),
    q("history-after-past-64-bits", HISTORY, {"after": str(10**30)}),
    q("changes-since-negative", CHANGES, {"since": "-1"}),
    q("changes-since-past-2-53", CHANGES, {"since": str(2**53 + 1)}),
    q("changes-since-a-word", CHANGES, {"since": "abc"}),
    q("changes-since-missing", CHANGES, {}),
]


@pytest.mark.parametrize("payload", LOGIN, ids=lambda p: p.id)
def test_login_payloads_log_nobody_in(restored: World, payload: Payload) -> None:
    refused(restored, payload)


@pytest.mark.parametrize("payload", BODIES, ids=lambda p: p.id)
def test_body_payloads_are_refused(restored: World, payload: Payload) -> None:
    refused(restored, payload)


@pytest.mark.parametrize("payload", PATHS, ids=lambda p: p.id)
def test_path_tricks_reach_nothing(restored: World, payload: Payload) -> None:
    refused(restored, payload)


@pytest.mark.parametrize("payload", QUERIES, ids=lambda p: p.id)
def test_query_payloads_are_refused(restored: World, payload: QueryPayload) -> None:
    refused(restored, payload)


def refused(world: World, payload: Payload) -> None:
    # Given the cast as built
    before = contents(world.stack)
    # When the payload is sent
    answer = payload.send(world)
    # Then it is refused as documented, and nothing happened
    assert_error(answer, payload.status, payload.code)
    assert "accessToken" not in answer.text
    assert contents(world.stack) == before
    assert world.stack.pushed == []


# --- query strings whose operators must be taken literally ------------------------------


LITERAL_SEARCHES = [
    {"q": "zzz", "q[$ne]": ""},
    {"q": "zzz", "q[$regex]": ".*"},
    {"q": "zzz", "q[$gt]": ""},
    {"q": ".*"},
    {"q": "^"},
    {"q": "a|b"},
    {"q": "("},
    {"q": "["},
    {"q": "\\"},
    {"q": "$where"},
    {"q": '{"$ne": null}'},
]


@pytest.mark.parametrize("params", LITERAL_SEARCHES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_search_operators_match_nobody(restored: World, params: dict[str, str]) -> None:
    # q is a literal prefix, and the brackets of q[$ne] mean nothing: no name starts with these
    answer = http("GET", "/api/users", query=params, token=restored.bob.access_token)
    assert (answer.status, answer.body) == (200, {"items": [], "nextCursor": None})


@pytest.mark.parametrize("value", ["\x00", "a\x00"], ids=["nul", "a-nul"])
def test_search_for_a_nul_is_refused_or_matches_nobody(restored: World, value: str) -> None:
    # A NUL cannot go into a MongoDB regex (the server refuses it), so the API must stop it
    # or never build a regex from it; either way the answer is not a 5xx
    answer = http("GET", "/api/users", query={"q": value}, token=restored.bob.access_token)
    if answer.status == 200:
        assert answer.body == {"items": [], "nextCursor": None}
    else:
        assert_error(answer, 422, "invalid_request")


def test_a_forged_cursor_never_reaches_past_the_callers_conversations(restored: World) -> None:
    # A cursor of the right shape with an operator inside is a cursor the server did not give
    forged = cursor(["2999-01-01T00:00:00+00:00", NE])
    answer = http("GET", "/api/conversations", query={"cursor": forged}, token=restored.mallory.access_token)
    if answer.status == 200:
        assert answer.body["items"] == []
    else:
        assert_error(answer, 422, "invalid_request")


# --- WebSocket frames ------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    id: str
    route: str  # the handler module API Gateway would call for this action
    frame: Any  # JSON with %(name)s templates, or a string sent as is
    code: str = "invalid_request"


def send(**fields: Any) -> dict[str, Any]:
    return {"action": "sendMessage", "conversationId": "%(group)s", "text": "hi", "clientMsgId": "c-1", **fields}


def typing(**fields: Any) -> dict[str, Any]:
    return {"action": "typing", "conversationId": "%(group)s", "isTyping": True, **fields}


def receipt(action: str = "markRead", **fields: Any) -> dict[str, Any]:
    return {"action": action, "conversationId": "%(group)s", "seq": 1, **fields}


def change(action: str, **fields: Any) -> dict[str, Any]:
    return {"action": action, "messageId": "%(bob_group_message)s", **fields}


FRAMES = [
    Frame("send-conversation-ne", "ws_send_message", send(conversationId=NE)),
    Frame("send-receiver-gt", "ws_send_message", send(conversationId=None, receiverId=GT)),
    Frame("send-text-set-operator", "ws_send_message", send(text={"$set": {"senderId": "x"}})),
    Frame("send-text-list", "ws_send_message", send(text=["hi"])),
    Frame("send-client-msg-id-ne", "ws_send_message", send(clientMsgId=NE)),
    Frame("send-client-msg-id-path", "ws_send_message", send(clientMsgId="../x")),
    Frame("send-client-msg-id-lone-surrogate", "ws_send_message", send(clientMsgId="\ud800")),
    Frame("send-as-someone-else", "ws_send_message", send(senderId="%(alice)s")),
    Frame("send-proto-key", "ws_send_message", send(__proto__={"isAdmin": True})),
    Frame("send-lone-surrogate-key", "ws_send_message", send(**{"\udfff": 1})),
    Frame("send-attachment-media-ne", "ws_send_message", send(attachments=[{"mediaId": NE}])),
    Frame("send-text-over-4000", "ws_send_message", send(text="x" * 4001)),
    Frame(
        "send-duplicate-key-operator-last",
        "ws_send_message",
        '{"action":"sendMessage","conversationId":"x","conversationId":{"$ne":null},"text":"hi","clientMsgId":"c"}',
    ),
    Frame("send-deeply-nested", "ws_send_message", nested(DEEP)),
    Frame("send-deeply-nested-in-a-field", "ws_send_message", '{"action":"sendMessage","text":' + nested(DEEP) + "}"),
    Frame("typing-conversation-ne", "ws_typing", typing(conversationId=NE)),
    Frame("typing-conversation-number", "ws_typing", typing(conversationId=42)),
    Frame("typing-is-typing-a-string", "ws_typing", typing(isTyping="yes")),
    Frame("typing-is-typing-a-number", "ws_typing", typing(isTyping=1)),
    Frame("typing-is-typing-null", "ws_typing", typing(isTyping=None)),
    Frame("typing-constructor-key", "ws_typing", typing(constructor={"prototype": {}})),
    Frame("typing-deeply-nested", "ws_typing", nested(DEEP)),
    Frame("read-seq-negative", "ws_receipts", receipt(seq=-1)),
    Frame("read-seq-zero", "ws_receipts", receipt(seq=0)),
    Frame("read-seq-float", "ws_receipts", receipt(seq=1.5)),
    Frame("read-seq-string", "ws_receipts", receipt(seq="1")),
    Frame("read-seq-boolean", "ws_receipts", receipt(seq=True)),
    Frame("read-seq-past-64-bits", "ws_receipts", receipt(seq=2**64)),
    Frame("read-seq-operator", "ws_receipts", receipt(seq={"$gt": 0})),
    Frame("read-conversation-ne", "ws_receipts", receipt(conversationId=NE)),
    Frame("read-seq-past-last-seq", "ws_receipts", receipt(seq=2**53)),
    Frame("delivered-seq-null", "ws_receipts", receipt("markDelivered", seq=None)),
    Frame("edit-message-ne", "ws_message_changes", change("editMessage", messageId=NE, text="pwned")),
    Frame("edit-text-set-operator", "ws_message_changes", change("editMessage", text={"$set": {"text": "x"}})),
    Frame("delete-message-regex", "ws_message_changes", change("deleteMessage", messageId=REGEX)),
    Frame("react-emoji-ne", "ws_message_changes", change("react", emoji=NE, on=True)),
    Frame("react-on-a-string", "ws_message_changes", change("react", emoji="👍", on="true")),
    Frame("react-markup", "ws_message_changes", change("react", emoji="<script>", on=True)),
    Frame("default-action-operator", "ws_default", {"action": NE}, code="unknown_action"),
    Frame("default-top-level-list", "ws_default", "[]"),
    Frame("default-deeply-nested", "ws_default", '{"action":' + nested(DEEP) + "}", code="invalid_request"),
]


@pytest.mark.parametrize("payload", FRAMES, ids=lambda f: f.id)
def test_websocket_frames_are_refused(restored: World, payload: Frame) -> None:
    # Given bob, a member of the group, on a socket
    before = contents(restored.stack)
    frame = payload.frame if isinstance(payload.frame, str) else filled(payload.frame, restored.names())
    # When he sends the frame
    reply, text = ws_reply(payload.route, restored.bob, frame)
    # Then the reply is an error frame with the documented code, in text a client can read
    assert reply is not None, "the frame was taken"
    assert (reply["type"], reply["code"]) == ("error", payload.code), reply
    assert reply["message"], reply
    assert_utf8(text)
    # and nothing was stored or pushed
    assert contents(restored.stack) == before
    assert restored.stack.pushed == []


def test_there_are_at_least_sixty_payloads() -> None:
    total = len(LOGIN) + len(BODIES) + len(PATHS) + len(QUERIES) + len(FRAMES) + len(LITERAL_SEARCHES)
    assert total >= 60
    for cases in (LOGIN, BODIES, PATHS, QUERIES, FRAMES):
        assert len({case.id for case in cases}) == len(cases)
