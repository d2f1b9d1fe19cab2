"""Every HTTP row of the contract, through the real handler."""

import json
from typing import Any

import pytest

from tests.integration.conftest import Account, Pushed, call_http, connect, sign_up


@pytest.fixture
def alice(installed_db: Any) -> Account:
    return sign_up("alice")


@pytest.fixture
def bob(installed_db: Any) -> Account:
    return sign_up("bob")


def error_code(response: Any) -> str:
    return str(response.body["error"]["code"])


def test_health_needs_no_token(installed_db: Any) -> None:
    response = call_http("GET", "/api/health")
    assert (response.status, response.body) == (200, {"status": "ok"})


def test_signup_shape_and_conflict(installed_db: Any) -> None:
    response = call_http(
        "POST", "/api/auth/signup", {"username": "Dora", "password": "password123", "displayName": "D"}
    )
    assert response.status == 201
    assert set(response.body) == {"user", "accessToken", "refreshToken", "expiresIn"}
    user_fields = {"id", "username", "displayName", "createdAt", "avatarUrl", "online", "lastSeenAt"}
    user_fields |= {"notificationPreviews"}  # the user's own setting, in their own profile only
    assert set(response.body["user"]) == user_fields
    assert response.body["user"]["createdAt"].endswith("Z")
    clash = call_http("POST", "/api/auth/signup", {"username": "dora", "password": "password123"})
    assert (clash.status, error_code(clash)) == (409, "username_taken")


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ab", "password": "password123"},
        {"username": "a" * 33, "password": "password123"},
        {"username": "bad name", "password": "password123"},
        {"username": "carol", "password": "short"},
        {"username": "carol", "password": "p" * 257},
        {"username": "carol", "password": "password123", "displayName": ""},
        {"username": "carol", "password": "password123", "displayName": "d" * 65},
        {"username": {"$ne": None}, "password": "password123"},
        {"username": "carol", "password": {"$gt": ""}},
        {"username": "carol", "password": "password123", "isAdmin": True},
        {"username": 12345, "password": "password123"},
        [],
    ],
)
def test_signup_rejects_bad_input_naming_the_field(installed_db: Any, body: Any) -> None:
    response = call_http("POST", "/api/auth/signup", body)
    assert response.status == 422
    assert error_code(response) == "invalid_request"
    assert response.body["error"]["details"]
    assert all("loc" in detail for detail in response.body["error"]["details"])


def test_malformed_json_is_422_not_500(installed_db: Any) -> None:
    response = call_http("POST", "/api/auth/login", raw_body="{not json")
    assert (response.status, error_code(response)) == (422, "invalid_request")


def test_oversized_body_is_413(installed_db: Any) -> None:
    response = call_http("POST", "/api/auth/login", raw_body="x" * (65 * 1024))
    assert (response.status, error_code(response)) == (413, "payload_too_large")


def test_no_route_rule_ends_in_a_slash() -> None:
    # Paths are routed without their trailing slashes (both spellings reach one route): a rule
    # ending in one could never match.
    from chat.handlers.http_api import app

    rules = [route.rule.pattern for route in (*app._static_routes, *app._dynamic_routes)]
    assert rules
    assert not [rule for rule in rules if rule.rstrip("$").endswith("/") and rule != "^/$"]


def test_the_body_limit_counts_bytes_not_characters(installed_db: Any) -> None:
    # 20,000 emoji are 20,000 characters here but 80,000 bytes on the wire, over the 64 KiB
    over = json.dumps({"username": "🙂" * 20_000, "password": "x"}, ensure_ascii=False)
    response = call_http("POST", "/api/auth/login", raw_body=over)
    assert (response.status, error_code(response)) == (413, "payload_too_large")
    # while 16,000 of them (64,000 bytes) are under it, and meet the schema's own limits instead
    under = json.dumps({"username": "🙂" * 16_000, "password": "x"}, ensure_ascii=False)
    assert call_http("POST", "/api/auth/login", raw_body=under).status == 422


def test_login_and_the_same_401_for_wrong_name_or_password(alice: Account) -> None:
    assert call_http("POST", "/api/auth/login", {"username": "ALICE", "password": "password123"}).status == 200
    wrong_password = call_http("POST", "/api/auth/login", {"username": "alice", "password": "password124"})
    wrong_name = call_http("POST", "/api/auth/login", {"username": "alicia", "password": "password123"})
    assert wrong_password.status == wrong_name.status == 401
    assert wrong_password.body == wrong_name.body


def test_too_many_wrong_passwords_get_429_with_retry_after(alice: Account) -> None:
    from chat.services.auth import MAX_LOGIN_FAILURES

    for _ in range(MAX_LOGIN_FAILURES):
        assert call_http("POST", "/api/auth/login", {"username": "alice", "password": "wrong-guess"}).status == 401
    limited = call_http("POST", "/api/auth/login", {"username": "alice", "password": "password123"})
    assert (limited.status, error_code(limited)) == (429, "rate_limited")
    assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60
    # The guesses came from one address: alice, from hers, is not locked out
    own = call_http("POST", "/api/auth/login", {"username": "alice", "password": "password123"}, source_ip="192.0.2.9")
    assert own.status == 200


def test_refresh_rotation_reuse_and_logout(alice: Account) -> None:
    rotated = call_http("POST", "/api/auth/refresh", {"refreshToken": alice.refresh_token})
    assert rotated.status == 200
    assert set(rotated.body) == {"accessToken", "refreshToken", "expiresIn"}
    # reuse of the first token kills the rotated one too
    reused = call_http("POST", "/api/auth/refresh", {"refreshToken": alice.refresh_token})
    assert (reused.status, error_code(reused)) == (401, "invalid_refresh_token")
    assert call_http("POST", "/api/auth/refresh", {"refreshToken": rotated.body["refreshToken"]}).status == 401
    # logout of a fresh login
    login = call_http("POST", "/api/auth/login", {"username": "alice", "password": "password123"}).body
    assert call_http("POST", "/api/auth/logout", {"refreshToken": login["refreshToken"]}).status == 204
    assert call_http("POST", "/api/auth/refresh", {"refreshToken": login["refreshToken"]}).status == 401


@pytest.mark.parametrize("header_token", [None, "not-a-jwt", ""])
def test_protected_routes_need_a_valid_bearer_token(installed_db: Any, header_token: str | None) -> None:
    for method, path in [
        ("GET", "/api/users/"),
        ("GET", "/api/users/me"),
        ("GET", "/api/users/someone"),
        ("GET", "/api/conversations"),
        ("GET", "/api/messages/c1"),
    ]:
        response = call_http(method, path, token=header_token)
        assert response.status == 401, path
        assert error_code(response) == "not_authenticated"


def test_users_me_by_id_and_search(alice: Account, bob: Account) -> None:
    me = call_http("GET", "/api/users/me", token=alice.access_token)
    assert me.body["username"] == "alice"
    assert call_http("GET", f"/api/users/{bob.user_id}", token=alice.access_token).body["username"] == "bob"
    missing = call_http("GET", "/api/users/nobody", token=alice.access_token)
    assert (missing.status, error_code(missing)) == (404, "not_found")
    found = call_http("GET", "/api/users/", token=alice.access_token, query={"q": "B", "limit": "5"})
    assert [u["username"] for u in found.body["items"]] == ["bob"]
    assert found.body["nextCursor"] is None
    # the trailing slash is optional
    assert call_http("GET", "/api/users", token=alice.access_token).status == 200


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"cursor": "%%%"}])
def test_bad_paging_parameters_are_422(alice: Account, query: dict[str, str]) -> None:
    response = call_http("GET", "/api/users/", token=alice.access_token, query=query)
    assert (response.status, error_code(response)) == (422, "invalid_request")


def test_direct_conversation_200_or_201(alice: Account, bob: Account) -> None:
    created = call_http("POST", "/api/conversations/direct", {"userId": bob.user_id}, token=alice.access_token)
    assert created.status == 201
    again = call_http("POST", "/api/conversations/direct", {"userId": alice.user_id}, token=bob.access_token)
    assert again.status == 200
    assert again.body["id"] == created.body["id"]
    assert set(created.body) == {
        "id",
        "type",
        "name",
        "memberIds",
        "createdBy",
        "createdAt",
        "lastSeq",
        "lastMessage",
        "adminIds",
        "receipts",
        "version",
        "unreadCount",
        "mentionCount",
        "archived",
        "muted",
        "mutedUntil",
    }
    assert (created.body["adminIds"], created.body["receipts"], created.body["unreadCount"]) == ([], {}, 0)
    assert (created.body["archived"], created.body["muted"], created.body["mutedUntil"]) == (False, False, None)
    assert call_http("POST", "/api/conversations/direct", {"userId": "ghost"}, token=alice.access_token).status == 404


def test_group_create_list_and_membership(alice: Account, bob: Account) -> None:
    carol = sign_up("carol")
    group = call_http(
        "POST", "/api/groups/create", {"name": "Trio", "memberIds": [bob.user_id]}, token=alice.access_token
    )
    assert group.status == 201
    assert group.body["memberIds"] == [alice.user_id, bob.user_id]
    listed = call_http("GET", "/api/conversations", token=bob.access_token, query={"limit": "10"})
    assert [c["id"] for c in listed.body["items"]] == [group.body["id"]]
    # carol is not a member: 403 for reading and sending
    history = call_http("GET", f"/api/messages/{group.body['id']}", token=carol.access_token)
    assert (history.status, error_code(history)) == (403, "forbidden")
    send = call_http(
        "POST", "/api/messages/", {"conversationId": group.body["id"], "text": "hi"}, token=carol.access_token
    )
    assert (send.status, error_code(send)) == (403, "forbidden")
    for bad in ({"name": " ", "memberIds": [bob.user_id]}, {"name": "n" * 101, "memberIds": [bob.user_id]}):
        assert call_http("POST", "/api/groups/create", bad, token=alice.access_token).status == 422


def test_send_over_http_is_idempotent_and_pushed(pushed: Pushed, alice: Account, bob: Account) -> None:
    connect(bob, "bob-socket")
    connect(alice, "alice-socket")
    body = {"receiverId": bob.user_id, "text": "hello bob", "clientMsgId": "m-1"}
    first = call_http("POST", "/api/messages/", body, token=alice.access_token)
    assert first.status == 201
    again = call_http("POST", "/api/messages", body, token=alice.access_token)
    assert again.status == 200
    assert again.body == first.body
    # HTTP sends have no sending socket: every member socket hears it once
    for socket in ("bob-socket", "alice-socket"):
        assert pushed.frames(socket) == [{"type": "messageReceived", "message": first.body, "version": 1}]


def test_archiving_a_chat_hides_it_from_the_callers_list_until_a_new_message(
    pushed: Pushed, alice: Account, bob: Account
) -> None:
    # Given alice (on her phone) and bob in a chat with one message from bob
    connect(alice, "alice-phone")
    connect(bob, "bob-socket")
    sent = call_http("POST", "/api/messages/", {"receiverId": alice.user_id, "text": "hi"}, token=bob.access_token)
    path = f"/api/conversations/{sent.body['conversationId']}/archived"

    def listed(account: Account, archived: bool = False) -> list[tuple[str, bool]]:
        query = {"archived": "true"} if archived else None
        items = call_http("GET", "/api/conversations", token=account.access_token, query=query).body["items"]
        return [(c["id"], c["archived"]) for c in items]

    # When alice archives it, twice
    archived = call_http("PUT", path, token=alice.access_token)
    again = call_http("PUT", path, token=alice.access_token)

    # Then she gets the chat as she sees it, it is only in her archived list, and bob's is as it was
    assert archived.status == again.status == 200
    assert (archived.body["id"], archived.body["archived"], archived.body["unreadCount"]) == (
        sent.body["conversationId"],
        True,
        1,
    )
    assert again.body == archived.body
    assert listed(alice) == []
    assert listed(alice, archived=True) == [(sent.body["conversationId"], True)]
    assert listed(bob) == [(sent.body["conversationId"], False)]
    # Her devices heard it once, as she sees it; bob's heard nothing
    assert [f for f in pushed.frames("alice-phone") if f["type"] == "archivedChanged"] == [
        {"type": "archivedChanged", "conversation": archived.body}
    ]
    assert [f["type"] for f in pushed.frames("bob-socket")] == ["messageReceived"]

    # When bob writes again, it is back in her main list, with no call of hers
    call_http("POST", "/api/messages/", {"receiverId": alice.user_id, "text": "back?"}, token=bob.access_token)
    assert listed(alice) == [(sent.body["conversationId"], False)]
    assert listed(alice, archived=True) == []

    # And unarchiving (idempotent too) answers the chat as she sees it
    call_http("PUT", path, token=alice.access_token)
    unarchived = call_http("DELETE", path, token=alice.access_token)
    assert (unarchived.status, unarchived.body["archived"]) == (200, False)
    assert call_http("DELETE", path, token=alice.access_token).body == unarchived.body
    assert listed(alice) == [(sent.body["conversationId"], False)]


def test_only_members_archive_a_chat(alice: Account, bob: Account) -> None:
    carol = sign_up("carol")
    sent = call_http("POST", "/api/messages/", {"receiverId": bob.user_id, "text": "hi"}, token=alice.access_token)
    path = f"/api/conversations/{sent.body['conversationId']}/archived"
    for method in ("PUT", "DELETE"):
        stranger = call_http(method, path, token=carol.access_token)
        assert (stranger.status, error_code(stranger)) == (403, "forbidden")
        missing = call_http(method, "/api/conversations/nope/archived", token=alice.access_token)
        assert (missing.status, error_code(missing)) == (404, "not_found")
        assert call_http(method, path).status == 401
    bad = call_http("GET", "/api/conversations", token=alice.access_token, query={"archived": "maybe"})
    assert (bad.status, error_code(bad)) == (422, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        {"text": "no target"},
        {"conversationId": "c", "receiverId": "u", "text": "both targets"},
        {"receiverId": "u", "text": ""},
        {"receiverId": "u", "text": "   "},
        {"receiverId": "u", "text": "x" * 4001},
        {"receiverId": "u", "text": "ok", "clientMsgId": "has space"},
        {"receiverId": "u", "text": "ok", "clientMsgId": "x" * 65},
        {"receiverId": {"$ne": None}, "text": "ok"},
    ],
)
def test_send_rejects_bad_input(alice: Account, body: dict[str, Any]) -> None:
    response = call_http("POST", "/api/messages/", body, token=alice.access_token)
    assert (response.status, error_code(response)) == (422, "invalid_request")


def test_history_paging_both_ways(alice: Account, bob: Account) -> None:
    for i in range(5):
        call_http("POST", "/api/messages/", {"receiverId": bob.user_id, "text": f"m{i}"}, token=alice.access_token)
    conversation = call_http("GET", "/api/conversations", token=bob.access_token).body["items"][0]
    assert conversation["lastSeq"] == 5
    assert conversation["lastMessage"]["text"] == "m4"
    path = f"/api/messages/{conversation['id']}"
    newest = call_http("GET", path, token=bob.access_token, query={"limit": "2"}).body
    assert [m["seq"] for m in newest["items"]] == [4, 5]
    older = call_http("GET", path, token=bob.access_token, query={"limit": "2", "before": str(newest["nextBefore"])})
    assert [m["seq"] for m in older.body["items"]] == [2, 3]
    after = call_http("GET", path, token=bob.access_token, query={"after": "3"}).body
    assert [m["seq"] for m in after["items"]] == [4, 5]
    assert set(after["items"][0]) == {
        "id",
        "conversationId",
        "senderId",
        "text",
        "clientMsgId",
        "seq",
        "createdAt",
        "attachments",
        "editedAt",
        "deletedAt",
        "reactions",
        "revision",
        "replyTo",
        "mentions",
    }
    unknown = call_http("GET", "/api/messages/nope", token=bob.access_token)
    assert unknown.status == 404


def test_unknown_route_is_a_404_in_the_error_shape(installed_db: Any) -> None:
    response = call_http("GET", "/api/nothing-here")
    assert (response.status, error_code(response)) == (404, "not_found")


def test_openapi_document_covers_the_contract(installed_db: Any) -> None:
    response = call_http("GET", "/api/openapi.json")
    assert response.status == 200
    paths = response.body["paths"]
    for path, method in [
        ("/api/auth/signup", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/refresh", "post"),
        ("/api/auth/logout", "post"),
        ("/api/users", "get"),
        ("/api/users/me", "get"),
        ("/api/users/{id}", "get"),
        ("/api/groups/create", "post"),
        ("/api/conversations/direct", "post"),
        ("/api/conversations", "get"),
        ("/api/messages", "post"),
        ("/api/messages/{id}", "get"),
        ("/api/health", "get"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} is missing"
    assert "bearerAuth" in response.body["components"]["securitySchemes"]
    signup_schema = response.body["components"]["schemas"]["SignupRequest"]
    assert signup_schema["additionalProperties"] is False
    swagger = call_http("GET", "/api/docs")
    assert swagger.status == 200
    assert "swagger" in swagger.body.lower()


def test_openapi_lists_every_answer_with_the_error_body(installed_db: Any) -> None:
    document = call_http("GET", "/api/openapi.json").body
    assert "HTTPValidationError" not in json.dumps(document)  # Powertools' 422 shape: no answer has it
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            name, responses = f"{method.upper()} {path}", operation["responses"]
            errors = {int(status): r for status, r in responses.items() if int(status) >= 400}
            assert all(r["content"]["application/json"]["schema"] == error_body for r in errors.values()), name
            if "security" in operation:
                assert 401 in errors, name
            if path != "/api/health":
                assert {500, 503} <= set(errors), name
            if "requestBody" in operation:
                assert {413, 415, 422} <= set(errors), name
            if 429 in errors:
                assert errors[429]["headers"]["Retry-After"]["required"] is True, name
    assert set(document["components"]["schemas"]["ErrorInfo"]["required"]) == {"code", "message"}


def test_a_method_the_path_does_not_take_is_405_naming_the_ones_it_does(installed_db: Any) -> None:
    for method, path, allowed in [
        ("DELETE", "/api/users/me", "GET, PUT"),
        ("GET", "/api/auth/login", "POST"),
        ("PUT", "/api/groups/create", "POST"),  # a fixed path: not the {group_id} of PATCH /api/groups/{id}
        ("POST", "/api/messages/m1", "DELETE, GET, PATCH"),
    ]:
        response = call_http(method, path)
        assert (response.status, error_code(response)) == (405, "method_not_allowed"), path
        assert response.headers["Allow"] == allowed, path


def test_who_asks_is_checked_before_what_they_ask(installed_db: Any) -> None:
    # Not valid input either way: no token is still the answer, so nothing about the input leaks.
    for method, path, body, query in [
        ("POST", "/api/messages", {"text": 5}, None),
        ("GET", "/api/users", None, {"limit": "0"}),
        ("GET", "/api/messages/" + "x" * 65, None, None),
    ]:
        response = call_http(method, path, body, query=query)
        assert (response.status, error_code(response)) == (401, "not_authenticated"), path
        response = call_http(method, path, body, query=query, token="not-a-jwt")
        assert (response.status, error_code(response)) == (401, "not_authenticated"), path


def test_a_whole_number_written_with_a_point_is_an_integer(alice: Account, bob: Account) -> None:
    sent = call_http("POST", "/api/messages", {"receiverId": bob.user_id, "text": "hi"}, token=alice.access_token)
    path = f"/api/conversations/{sent.body['conversationId']}/receipts"
    read = call_http("POST", path, {"readSeq": 1.0}, token=bob.access_token)
    assert (read.status, read.body["readSeq"]) == (200, 1)
    for bad in (1.5, "1", True):
        response = call_http("POST", path, {"readSeq": bad}, token=bob.access_token)
        assert (response.status, error_code(response)) == (422, "invalid_request"), bad


def test_database_down_is_a_clear_503(installed_db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pymongo import MongoClient

    from chat.adapters.mongo import client as mongo
    from tests.conftest import reset_containers

    # Nothing listens on port 9: the driver gives up after its server-selection timeout.
    monkeypatch.setattr(mongo, "_client", MongoClient("mongodb://127.0.0.1:9", serverSelectionTimeoutMS=300))
    reset_containers()
    response = call_http("POST", "/api/auth/login", {"username": "alice", "password": "password123"})
    assert (response.status, error_code(response)) == (503, "service_unavailable")
    assert "database" in response.body["error"]["message"]


def test_a_bug_is_a_500_with_no_detail_for_the_client(alice: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def get(self, user_id: str) -> None:
            raise RuntimeError("internal detail: mongodb+srv://user:secret@cluster")

    # The users router calls user_service() for each request: hand it a broken service.
    monkeypatch.setattr("chat.handlers.http_routes.users.user_service", Broken)
    response = call_http("GET", "/api/users/me", token=alice.access_token)
    assert response.status == 500
    assert response.body == {"error": {"code": "internal_error", "message": "Something went wrong on our side."}}
