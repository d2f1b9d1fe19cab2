"""Who may do what: every HTTP route of the app, taken from the resolver's route table (a new
route without a row here fails `test_every_route_has_rows`), against everyone who might
call it, with the exact status docs/API.md gives.

Conversation-scoped routes meet seven callers, each in the seat that tests them hardest:
nobody (no token), a stranger (mallory, in neither conversation), a member of the direct
chat (bob, with alice), a group member who is not admin (bob), the group's admin (alice),
a removed member (dave, removed from the group after writing in it) and a caller naming a
conversation or message that does not exist. The other routes, and the cases a single
seat cannot show (editing someone else's message, removing the admin, someone else's
upload...), have rows of their own."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.conftest import Account
from tests.push_service import Browser
from tests.security.conftest import MISSING_ID, PASSWORD, Answer, World, assert_error, filled, http, ws_reply

pytestmark = pytest.mark.usefixtures("restored")

CODES = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid_request"}
ROLES = ("anonymous", "stranger", "member", "non_admin", "admin", "removed", "missing")


@dataclass(frozen=True)
class Seat:
    """Who calls, and what they name: a conversation, a message of alice's in it, another
    member of it (whom a removal would target), and someone to add (erin)."""

    actor: Account | None
    conversation: str
    message: str
    member: str
    newcomer: str


def seat(world: World, role: str) -> Seat:
    group = (world.group, world.alice_group_message, world.carol.user_id, world.erin.user_id)
    seats = {
        "anonymous": Seat(None, *group),
        "stranger": Seat(world.mallory, *group),
        "member": Seat(world.bob, world.direct, world.alice_direct_message, world.alice.user_id, world.erin.user_id),
        "non_admin": Seat(world.bob, *group),
        "admin": Seat(world.alice, *group),
        "removed": Seat(world.dave, *group),
        "missing": Seat(world.alice, MISSING_ID, MISSING_ID, world.carol.user_id, world.erin.user_id),
    }
    return seats[role]


@dataclass(frozen=True)
class Request:
    path: str
    body: Any = None
    query: dict[str, str] | None = None


Check = Callable[[Answer, Seat], None]


@dataclass(frozen=True)
class Row:
    request: Callable[[Seat], Request]
    statuses: dict[str, int]
    check: Check = lambda answer, seat: None


def _id(account: Account | None) -> str | None:
    return account.user_id if account else None


def expect(**statuses: int) -> dict[str, int]:
    """Nobody is asked to log in, a stranger is forbidden and an unknown id is not found,
    on every conversation-scoped route; the rest is per route."""
    return {"anonymous": 401, "stranger": 403, "missing": 404, **statuses}


def _that(condition: Callable[[Any, Seat], bool]) -> Check:
    """A check of the answer's body for the seat that asked."""

    def check(answer: Answer, seat: Seat) -> None:
        assert condition(answer.body, seat), answer.body

    return check


CONVERSATION_ROUTES: dict[tuple[str, str], Row] = {
    ("GET", "/api/conversations/<conversation_id>"): Row(
        lambda s: Request(f"/api/conversations/{s.conversation}"),
        expect(member=200, non_admin=200, admin=200, removed=403),
        _that(lambda body, s: body["id"] == s.conversation),
    ),
    ("GET", "/api/conversations/<conversation_id>/changes"): Row(
        lambda s: Request(f"/api/conversations/{s.conversation}/changes", query={"since": "0"}),
        expect(member=200, non_admin=200, admin=200, removed=403),
        _that(lambda body, s: body["conversation"]["id"] == s.conversation),
    ),
    ("PUT", "/api/conversations/<conversation_id>/archived"): Row(
        lambda s: Request(f"/api/conversations/{s.conversation}/archived"),
        # for oneself only; a removed member no longer has the conversation to archive
        expect(member=200, non_admin=200, admin=200, removed=403),
        _that(lambda body, s: (body["id"], body["archived"]) == (s.conversation, True)),
    ),
    ("DELETE", "/api/conversations/<conversation_id>/archived"): Row(
        lambda s: Request(f"/api/conversations/{s.conversation}/archived"),
        expect(member=200, non_admin=200, admin=200, removed=403),
        _that(lambda body, s: (body["id"], body["archived"]) == (s.conversation, False)),
    ),
    ("PUT", "/api/conversations/<conversation_id>/mute"): Row(
        lambda s: Request(f"/api/conversations/{s.conversation}/mute", {"until": None}),
        # for oneself only, as archiving
        expect(member=200, non_admin=200, admin=200, removed=403),
        _that(lambda body, s: (body["id"], body["muted"], body["mutedUntil"]) == (s.conversation, True, None)),
    ),
    ("DELETE", "/api/conversations/<conversation_id>/mute"): Row(
        lambda s: Request(f"/api/conversations/{s.conversation}/mute"),
        expect(member=200, non_admin=200, admin=200, removed=403),
        _that(lambda body, s: (body["id"], body["muted"]) == (s.conversation, False)),
    ),
    ("GET", "/api/conversations/<conversation_id>/receipts"): Row(
        lambda s: Request(f"/api/conversations/{s.conversation}/receipts"),
        expect(member=200, non_admin=200, admin=200, removed=403),
        _that(lambda body, s: s.actor is not None and s.actor.user_id in body["receipts"]),
    ),
    ("POST", "/api/conversations/<conversation_id>/receipts"): Row(
        lambda s: Request(f"/api/conversations/{s.conversation}/receipts", {"readSeq": 1}),
        expect(member=200, non_admin=200, admin=200, removed=403),
        _that(lambda body, s: body["readSeq"] == 1),
    ),
    ("POST", "/api/groups/<group_id>/members"): Row(
        lambda s: Request(f"/api/groups/{s.conversation}/members", {"userIds": [s.newcomer]}),
        expect(member=422, non_admin=403, admin=200, removed=403),
        _that(lambda body, s: s.newcomer in body["memberIds"]),
    ),
    ("DELETE", "/api/groups/<group_id>/members/<member_id>"): Row(
        lambda s: Request(f"/api/groups/{s.conversation}/members/{s.member}"),
        expect(member=422, non_admin=403, admin=200, removed=403),
        _that(lambda body, s: s.member not in body["memberIds"]),
    ),
    ("PATCH", "/api/groups/<group_id>"): Row(
        lambda s: Request(f"/api/groups/{s.conversation}", {"name": "Renamed"}),
        expect(member=422, non_admin=403, admin=200, removed=403),
        _that(lambda body, s: body["name"] == "Renamed"),
    ),
    ("GET", "/api/messages/<id>"): Row(
        lambda s: Request(f"/api/messages/{s.conversation}"),
        # a removed member keeps reading what came before the removal (see its own row)
        expect(member=200, non_admin=200, admin=200, removed=200),
        _that(lambda body, s: {m["conversationId"] for m in body["items"]} == {s.conversation}),
    ),
    ("POST", "/api/messages"): Row(
        lambda s: Request("/api/messages/", {"conversationId": s.conversation, "text": "knock knock"}),
        expect(member=201, non_admin=201, admin=201, removed=403),
        _that(lambda body, s: (body["conversationId"], body["senderId"]) == (s.conversation, _id(s.actor))),
    ),
    ("PATCH", "/api/messages/<id>"): Row(
        lambda s: Request(f"/api/messages/{s.message}", {"text": "edited"}),
        # the message is alice's: only she may change it
        expect(member=403, non_admin=403, admin=200, removed=403),
        _that(lambda body, s: body["text"] == "edited"),
    ),
    ("DELETE", "/api/messages/<id>"): Row(
        lambda s: Request(f"/api/messages/{s.message}"),
        expect(member=403, non_admin=403, admin=200, removed=403),
        _that(lambda body, s: body["deletedAt"] is not None and body["text"] == ""),
    ),
    ("POST", "/api/messages/<message_id>/reactions"): Row(
        lambda s: Request(f"/api/messages/{s.message}/reactions", {"emoji": "👍", "on": True}),
        expect(member=200, non_admin=200, admin=200, removed=403),
        _that(lambda body, s: body["reactions"] == {"👍": [_id(s.actor)]}),
    ),
    ("GET", "/api/search"): Row(
        lambda s: Request("/api/search", query={"q": "ALICE", "conversationId": s.conversation}),
        # as history: a removed member finds what came before the removal (see its own row)
        expect(member=200, non_admin=200, admin=200, removed=200),
        _that(lambda body, s: bool(body["items"]) and {m["conversationId"] for m in body["items"]} == {s.conversation}),
    ),
    ("POST", "/api/media/upload-url"): Row(
        lambda s: Request(
            "/api/media/upload-url",
            {"conversationId": s.conversation, "fileName": "cat.png", "contentType": "image/png", "size": 100},
        ),
        expect(member=201, non_admin=201, admin=201, removed=403),
        _that(lambda body, s: bool(body["mediaId"])),
    ),
}


CELLS = [(route, role) for route, row in CONVERSATION_ROUTES.items() for role in row.statuses]


@pytest.mark.parametrize(("route", "role"), CELLS, ids=[f"{m} {p} | {role}" for (m, p), role in CELLS])
def test_conversation_scoped_route(restored: World, route: tuple[str, str], role: str) -> None:
    # Given someone in this seat
    row, where = CONVERSATION_ROUTES[route], seat(restored, role)
    request = row.request(where)
    # When they make the call
    answer = http(
        route[0],
        request.path,
        request.body,
        query=request.query,
        token=where.actor.access_token if where.actor else None,
    )
    # Then the answer is the one docs/API.md gives that seat
    status = row.statuses[role]
    if status >= 400:
        assert_error(answer, status, CODES[status])
    else:
        assert answer.status == status, answer.body
        row.check(answer, where)


# --- rows of their own -------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    route: tuple[str, str]  # as in the route table
    actor: str | None  # who calls: a name of the cast; None sends no token
    what: str
    path: str  # a template: %(group)s and the like are filled in (World.names)
    status: int
    body: Any = None  # JSON, its strings templates too
    query: dict[str, str] | None = None
    check: Callable[[Any, World], bool] | None = None  # what must hold of a 2xx body

    @property
    def id(self) -> str:
        return f"{self.route[0]} {self.route[1]} | {self.actor or 'nobody'} {self.what}"


def _items(body: Any) -> list[str]:
    return [item["id"] for item in body["items"]]


def _alice_unchanged(body: Any, world: World) -> bool:
    alice = http("GET", "/api/users/me", token=world.alice.access_token).body
    return bool(body["id"] == world.mallory.user_id and alice["displayName"] == "alice")


def _alice_still_logged_in(body: Any, world: World) -> bool:
    return http("GET", "/api/users/me", token=world.alice.access_token).status == 200


MEMBER = ("DELETE", "/api/groups/<group_id>/members/<member_id>")
ADD = ("POST", "/api/groups/<group_id>/members")
EDIT = ("PATCH", "/api/messages/<id>")
DELETE = ("DELETE", "/api/messages/<id>")
REACT = ("POST", "/api/messages/<message_id>/reactions")
HISTORY = ("GET", "/api/messages/<id>")
SEARCH = ("GET", "/api/search")
SEND = ("POST", "/api/messages")
LIST = ("GET", "/api/conversations")
PROFILE = ("PUT", "/api/users/me")
SUBSCRIBE = ("POST", "/api/push/subscriptions")
UNSUBSCRIBE = ("DELETE", "/api/push/subscriptions")
A_SUBSCRIPTION = {**Browser("any", "https://fcm.googleapis.com/fcm/send/matrix").subscription()}
USER = ("GET", "/api/users/<id>")
BLOCK = ("PUT", "/api/users/<id>/block")
UNBLOCK = ("DELETE", "/api/users/<id>/block")
BLOCKS = ("GET", "/api/users/me/blocks")
THUMBS_UP = {"emoji": "\N{THUMBS UP SIGN}", "on": True}
AVATAR = {"contentType": "image/png", "size": 9}


def sending(upload: str) -> dict[str, Any]:
    return {"conversationId": "%(group)s", "text": "", "attachments": [{"mediaId": upload}]}


CASES = [
    # group membership
    Case(MEMBER, "bob", "(not admin) removes the admin", "/api/groups/%(group)s/members/%(alice)s", 403),
    Case(
        MEMBER,
        "alice",
        "(admin) leaves: the longest-standing member takes over",
        "/api/groups/%(group)s/members/%(alice)s",
        200,
        check=lambda body, w: body["adminIds"] == [w.bob.user_id] and w.alice.user_id not in body["memberIds"],
    ),
    Case(MEMBER, "bob", "(not admin) leaves", "/api/groups/%(group)s/members/%(bob)s", 200),
    Case(MEMBER, "dave", "(removed) leaves again", "/api/groups/%(group)s/members/%(dave)s", 403),
    Case(MEMBER, "mallory", "(stranger) leaves", "/api/groups/%(group)s/members/%(mallory)s", 403),
    Case(MEMBER, "alice", "(admin) removes a stranger", "/api/groups/%(group)s/members/%(mallory)s", 404),
    Case(MEMBER, "alice", "(admin) removes the removed member again", "/api/groups/%(group)s/members/%(dave)s", 404),
    Case(ADD, "alice", "(admin) adds nobody's id", "/api/groups/%(group)s/members", 404, {"userIds": [MISSING_ID]}),
    Case(
        ADD,
        "alice",
        "(admin) adds the removed member back",
        "/api/groups/%(group)s/members",
        200,
        {"userIds": ["%(dave)s"]},
        check=lambda body, w: w.dave.user_id in body["memberIds"],
    ),
    Case(ADD, "mallory", "(stranger) adds herself", "/api/groups/%(group)s/members", 403, {"userIds": ["%(mallory)s"]}),
    Case(ADD, "dave", "(removed) adds himself back", "/api/groups/%(group)s/members", 403, {"userIds": ["%(dave)s"]}),
    # someone else's message, and one's own after a removal
    Case(EDIT, "alice", "(admin) edits someone else's", "/api/messages/%(bob_group_message)s", 403, {"text": "x"}),
    Case(DELETE, "alice", "(admin) deletes someone else's", "/api/messages/%(bob_group_message)s", 403),
    Case(EDIT, "bob", "edits his own", "/api/messages/%(bob_group_message)s", 200, {"text": "x"}),
    Case(DELETE, "bob", "deletes his own", "/api/messages/%(bob_group_message)s", 200),
    Case(EDIT, "dave", "(removed) edits his own old one", "/api/messages/%(dave_group_message)s", 403, {"text": "x"}),
    Case(DELETE, "dave", "(removed) deletes his own old one", "/api/messages/%(dave_group_message)s", 403),
    Case(
        REACT, "dave", "(removed) reacts to his own", "/api/messages/%(dave_group_message)s/reactions", 403, THUMBS_UP
    ),
    Case(
        REACT,
        "mallory",
        "(stranger) reacts in a direct chat",
        "/api/messages/%(alice_direct_message)s/reactions",
        403,
        THUMBS_UP,
    ),
    # reading
    Case(
        HISTORY,
        "dave",
        "(removed) reads up to his removal only",
        "/api/messages/%(group)s",
        200,
        check=lambda body, w: w.dave_group_message in _items(body) and w.after_removal_message not in _items(body),
    ),
    Case(HISTORY, "mallory", "(stranger) reads a direct chat", "/api/messages/%(direct)s", 403),
    Case(SEARCH, None, "searches", "/api/search", 401, query={"q": "alice"}),
    Case(
        SEARCH,
        "mallory",
        "(stranger) finds nothing of anyone's",
        "/api/search",
        200,
        query={"q": "alice"},
        check=lambda body, w: body["items"] == [],
    ),
    Case(
        SEARCH,
        "dave",
        "(removed) finds what he could read, nothing after",
        "/api/search",
        200,
        query={"q": "dave"},
        check=lambda body, w: _items(body) == [w.dave_group_message],
    ),
    Case(
        SEARCH,
        "bob",
        "finds in every conversation he is in",
        "/api/search",
        200,
        query={"q": "alice"},
        check=lambda body, w: {m["conversationId"] for m in body["items"]} == {w.group, w.direct},
    ),
    Case(LIST, None, "lists conversations", "/api/conversations", 401),
    Case(LIST, "mallory", "(stranger) sees none", "/api/conversations", 200, check=lambda body, w: body["items"] == []),
    Case(
        LIST,
        "dave",
        "(removed) no longer sees the group",
        "/api/conversations",
        200,
        check=lambda body, w: _items(body) == [],
    ),
    Case(
        LIST,
        "mallory",
        "(stranger) sees no archived ones",
        "/api/conversations",
        200,
        query={"archived": "true"},
        check=lambda body, w: body["items"] == [],
    ),
    Case(
        LIST,
        "bob",
        "(member) sees both",
        "/api/conversations",
        200,
        check=lambda body, w: set(_items(body)) == {w.group, w.direct},
    ),
    # sending where one is not a member, and other people's uploads
    Case(
        SEND,
        "mallory",
        "(stranger) sends into a direct chat",
        "/api/messages/",
        403,
        {"conversationId": "%(direct)s", "text": "hi"},
    ),
    Case(
        SEND,
        "mallory",
        "(stranger) writes to bob: a chat of her own",
        "/api/messages/",
        201,
        {"receiverId": "%(bob)s", "text": "hi"},
        check=lambda body, w: body["conversationId"] not in (w.direct, w.group),
    ),
    Case(SEND, "bob", "sends alice's upload", "/api/messages/", 403, sending("%(alice_group_upload)s")),
    Case(
        SEND,
        "alice",
        "sends an upload made for another chat",
        "/api/messages/",
        403,
        sending("%(alice_direct_upload)s"),
    ),
    Case(
        SEND, "dave", "(removed) sends what he uploaded before", "/api/messages/", 403, sending("%(dave_group_upload)s")
    ),
    Case(
        ("POST", "/api/media/upload-url"),
        "mallory",
        "(stranger) uploads to a direct chat",
        "/api/media/upload-url",
        403,
        {"conversationId": "%(direct)s", "fileName": "a.png", "contentType": "image/png", "size": 9},
    ),
    Case(
        PROFILE,
        "bob",
        "takes alice's avatar upload",
        "/api/users/me",
        403,
        {"avatarMediaId": "%(alice_avatar_upload)s"},
    ),
    Case(
        PROFILE,
        "bob",
        "takes an attachment as avatar",
        "/api/users/me",
        404,
        {"avatarMediaId": "%(alice_group_upload)s"},
    ),
    Case(
        PROFILE, "mallory", "changes only her own", "/api/users/me", 200, {"displayName": "Mal"}, check=_alice_unchanged
    ),
    Case(PROFILE, None, "changes a profile", "/api/users/me", 401, {"displayName": "x"}),
    # users
    Case(("GET", "/api/users"), None, "lists users", "/api/users", 401),
    Case(
        ("GET", "/api/users"),
        "mallory",
        "(stranger) lists users without presence",
        "/api/users",
        200,
        query={"q": "alice"},
        check=lambda body, w: [(u["id"], u["online"]) for u in body["items"]] == [(w.alice.user_id, False)],
    ),
    Case(("GET", "/api/users/me"), None, "reads a profile", "/api/users/me", 401),
    Case(
        ("GET", "/api/users/me"),
        "mallory",
        "reads her own",
        "/api/users/me",
        200,
        check=lambda body, w: body["id"] == w.mallory.user_id,
    ),
    Case(USER, None, "reads alice", "/api/users/%(alice)s", 401),
    Case(
        USER,
        "mallory",
        "(stranger) reads alice, without presence",
        "/api/users/%(alice)s",
        200,
        check=lambda body, w: (body["online"], body["lastSeenAt"]) == (False, None),
    ),
    Case(
        USER, "bob", "(member) reads alice, online", "/api/users/%(alice)s", 200, check=lambda body, w: body["online"]
    ),
    Case(USER, "bob", "reads nobody", f"/api/users/{MISSING_ID}", 404),
    Case(("POST", "/api/users/me/avatar"), None, "asks for an avatar form", "/api/users/me/avatar", 401, AVATAR),
    Case(("POST", "/api/users/me/avatar"), "mallory", "asks for an avatar form", "/api/users/me/avatar", 201, AVATAR),
    # blocking: each caller's own list, whoever they name (every case starts from the same world)
    Case(BLOCK, None, "blocks alice", "/api/users/%(alice)s/block", 401),
    Case(BLOCK, "mallory", "blocks nobody", f"/api/users/{MISSING_ID}/block", 404),
    Case(BLOCK, "mallory", "blocks alice, in her own list", "/api/users/%(alice)s/block", 204),
    Case(UNBLOCK, None, "unblocks alice", "/api/users/%(alice)s/block", 401),
    Case(UNBLOCK, "mallory", "unblocks alice (never blocked: no change)", "/api/users/%(alice)s/block", 204),
    Case(BLOCKS, None, "reads blocks", "/api/users/me/blocks", 401),
    Case(BLOCKS, "mallory", "reads her own list", "/api/users/me/blocks", 200, check=lambda b, w: b["items"] == []),
    # starting conversations
    Case(
        ("POST", "/api/groups/create"),
        None,
        "starts a group",
        "/api/groups/create",
        401,
        {"name": "G", "memberIds": ["%(alice)s"]},
    ),
    Case(
        ("POST", "/api/groups/create"),
        "mallory",
        "(stranger) starts a group with alice",
        "/api/groups/create",
        201,
        {"name": "G", "memberIds": ["%(alice)s"]},
        check=lambda body, w: body["adminIds"] == [w.mallory.user_id],
    ),
    Case(
        ("POST", "/api/conversations/direct"),
        None,
        "opens a chat",
        "/api/conversations/direct",
        401,
        {"userId": "%(alice)s"},
    ),
    Case(
        ("POST", "/api/conversations/direct"),
        "mallory",
        "(stranger) opens her own chat with alice",
        "/api/conversations/direct",
        201,
        {"userId": "%(alice)s"},
        check=lambda body, w: body["id"] != w.direct and body["lastMessage"] is None,
    ),
    # sessions
    Case(
        ("POST", "/api/auth/signup"),
        None,
        "signs up",
        "/api/auth/signup",
        201,
        {"username": "frank", "password": PASSWORD},
    ),
    Case(
        ("POST", "/api/auth/login"),
        None,
        "logs in",
        "/api/auth/login",
        200,
        {"username": "alice", "password": PASSWORD},
    ),
    Case(
        ("POST", "/api/auth/refresh"),
        None,
        "refreshes",
        "/api/auth/refresh",
        200,
        {"refreshToken": "%(alice_refresh)s"},
    ),
    Case(
        ("POST", "/api/auth/logout"), None, "logs out", "/api/auth/logout", 204, {"refreshToken": "%(alice_refresh)s"}
    ),
    Case(("POST", "/api/auth/logout-all"), None, "logs everyone out", "/api/auth/logout-all", 401),
    Case(
        ("POST", "/api/auth/logout-all"),
        "mallory",
        "logs out everywhere: only her own logins end",
        "/api/auth/logout-all",
        204,
        check=_alice_still_logged_in,
    ),
    # push notifications
    Case(SUBSCRIBE, None, "subscribes a browser", "/api/push/subscriptions", 401, A_SUBSCRIPTION),
    Case(
        SUBSCRIBE,
        "mallory",
        "subscribes her browser",
        "/api/push/subscriptions",
        201,
        A_SUBSCRIPTION,
        check=lambda body, w: body["endpoint"] == A_SUBSCRIPTION["endpoint"],
    ),
    Case(UNSUBSCRIBE, None, "unsubscribes", "/api/push/subscriptions", 401, {"endpoint": A_SUBSCRIPTION["endpoint"]}),
    Case(
        UNSUBSCRIBE, "mallory", "unsubscribes", "/api/push/subscriptions", 204, {"endpoint": A_SUBSCRIPTION["endpoint"]}
    ),
    # needing no token
    Case(("GET", "/api/health"), None, "asks for health", "/api/health", 200),
    Case(
        ("GET", "/api/push/config"),
        None,
        "asks for the push key",
        "/api/push/config",
        200,
        check=lambda body, w: set(body) == {"vapidPublicKey"},
    ),
    Case(("GET", "/api/openapi.json"), None, "reads the OpenAPI document", "/api/openapi.json", 200),
    Case(("GET", "/api/docs"), None, "opens Swagger UI", "/api/docs", 200),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_case(restored: World, case: Case) -> None:
    # Given the caller
    names = {**restored.names(), "alice_refresh": restored.alice.refresh_token}
    actor = getattr(restored, case.actor) if case.actor else None
    # When they make the call
    answer = http(
        case.route[0],
        case.path % names,
        filled(case.body, names),
        query=case.query,
        token=actor.access_token if actor else None,
    )
    # Then the answer is the one docs/API.md gives
    if case.status >= 400:
        assert_error(answer, case.status, CODES[case.status])
    else:
        assert answer.status == case.status, answer.body
        assert case.check is None or case.check(answer.body, restored), answer.body


def route_table() -> set[tuple[str, str]]:
    """Every (method, path) the HTTP resolver answers, paths as registered (no trailing slash)."""
    from chat.handlers.http_api import app

    return {(route.method, route.path) for route in [*app._static_routes, *app._dynamic_routes]}


def test_every_route_has_rows() -> None:
    covered = set(CONVERSATION_ROUTES) | {case.route for case in CASES}
    assert route_table() - covered == set(), "routes with no row in the authorization matrix"
    assert covered - route_table() == set(), "rows for routes the app does not have"


def test_every_conversation_scoped_route_meets_every_seat() -> None:
    for route, row in CONVERSATION_ROUTES.items():
        assert set(row.statuses) == set(ROLES), route


def test_the_openapi_document_lists_the_same_routes(restored: World) -> None:
    document = http("GET", "/api/openapi.json").body
    listed = {
        (method.upper(), path.replace("{", "<").replace("}", ">").rstrip("/") or "/")
        for path, operations in document["paths"].items()
        for method in operations
    }
    hidden = {("GET", "/api/openapi.json"), ("GET", "/api/docs")}
    assert listed == route_table() - hidden


# --- the same seats over WebSocket ---------------------------------------------------------


def _frame(action: str, world: World) -> dict[str, Any]:
    frames: dict[str, dict[str, Any]] = {
        "sendMessage": {"action": "sendMessage", "conversationId": world.group, "text": "hi", "clientMsgId": "c-1"},
        "typing": {"action": "typing", "conversationId": world.group, "isTyping": True},
        "markRead": {"action": "markRead", "conversationId": world.group, "seq": 1},
        "markDelivered": {"action": "markDelivered", "conversationId": world.group, "seq": 1},
        "editMessage": {"action": "editMessage", "messageId": world.alice_group_message, "text": "x"},
        "deleteMessage": {"action": "deleteMessage", "messageId": world.alice_group_message},
        "react": {"action": "react", "messageId": world.alice_group_message, "emoji": "👍", "on": True},
    }
    return frames[action]


ROUTE_OF = {
    "sendMessage": "ws_send_message",
    "typing": "ws_typing",
    "markRead": "ws_receipts",
    "markDelivered": "ws_receipts",
    "editMessage": "ws_message_changes",
    "deleteMessage": "ws_message_changes",
    "react": "ws_message_changes",
}
FRAME_CELLS = [(role, action) for role in ("stranger", "removed", "non_admin") for action in ROUTE_OF]
FRAME_CODES = {("non_admin", "editMessage"): "forbidden", ("non_admin", "deleteMessage"): "forbidden"}


@pytest.mark.parametrize(("role", "action"), FRAME_CELLS, ids=[f"{role} | {action}" for role, action in FRAME_CELLS])
def test_websocket_frames_need_membership(restored: World, role: str, action: str) -> None:
    # A stranger and a removed member are forbidden everything; a member may do all but
    # change alice's message
    actor = seat(restored, role).actor
    assert actor is not None
    reply, _ = ws_reply(ROUTE_OF[action], actor, _frame(action, restored))
    expected = FRAME_CODES.get((role, action), "forbidden" if role != "non_admin" else None)
    if expected is None:
        assert reply is None, reply
    else:
        assert reply is not None
        assert (reply["type"], reply["code"]) == ("error", expected), reply
