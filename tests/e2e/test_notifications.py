"""Push notifications on the local stack, end to end: a browser subscribes over the HTTP API,
a message is sent, the notifier (fed by the local SQS, as on AWS) pushes through Web Push
to a push service on this machine, which checks VAPID and decrypts as a browser would."""

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import reset_containers
from tests.e2e.conftest import Client, Stack
from tests.push_service import Browser, PushService

QUIET = 1.5  # seconds in which nothing more may arrive


@pytest.fixture
def push_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[PushService]:
    monkeypatch.setenv("PUSH_FIRST_RETRY_SECONDS", "1")  # retries a second apart, not ten
    monkeypatch.setenv("RATE_LIMIT_SEND", "100000/1")
    reset_containers()
    with PushService() as service:
        yield service
    monkeypatch.undo()
    reset_containers()


def subscribe(stack: Stack, user: dict[str, Any], browser: Browser) -> dict[str, Any]:
    status, body = stack.http("POST", "/api/push/subscriptions", browser.subscription(), user["accessToken"])
    assert status == 201, body
    return body  # type: ignore[no-any-return]


def direct_chat(stack: Stack, alice: dict[str, Any], bob: dict[str, Any]) -> str:
    status, chat = stack.http("POST", "/api/conversations/direct", {"userId": bob["user"]["id"]}, alice["accessToken"])
    assert status in (200, 201), chat
    return chat["id"]  # type: ignore[no-any-return]


def send(stack: Stack, sender: dict[str, Any], conversation_id: str, text: str) -> dict[str, Any]:
    status, message = stack.http(
        "POST", "/api/messages", {"conversationId": conversation_id, "text": text}, sender["accessToken"]
    )
    assert status == 201, message
    return message  # type: ignore[no-any-return]


def settle(service: PushService, browser: Browser, count: int) -> list[dict[str, Any]]:
    """The browser's payloads once `count` arrived and nothing more came for a while."""
    service.wait_for(browser, count)
    time.sleep(QUIET)
    return browser.payloads()


def test_a_member_who_is_away_gets_one_push_per_message(stack: Stack, push_service: PushService) -> None:
    alice, bob = stack.sign_up("np_alice"), stack.sign_up("np_bob")
    phone = push_service.browser("bob-phone")
    view = subscribe(stack, bob, phone)
    assert view["endpoint"] == phone.endpoint
    chat = direct_chat(stack, alice, bob)

    first = send(stack, alice, chat, "Lunch at one?")
    second = send(stack, alice, chat, "  Or two,\n if that suits   you better. " + "x" * 200)

    payloads = sorted(settle(push_service, phone, 2), key=lambda p: p["seq"])  # two notifiers at once
    assert payloads == [
        {
            "type": "message",
            "conversationId": chat,
            "messageId": first["id"],
            "seq": first["seq"],
            "title": alice["user"]["displayName"],
            "body": "Lunch at one?",
            "conversationType": "direct",
            "senderId": alice["user"]["id"],
            "mention": False,
        },
        {
            "type": "message",
            "conversationId": chat,
            "messageId": second["id"],
            "seq": second["seq"],
            "title": alice["user"]["displayName"],
            "body": ("Or two, if that suits you better. " + "x" * 200)[:119].rstrip() + "…",
            "conversationType": "direct",
            "senderId": alice["user"]["id"],
            "mention": False,
        },
    ]
    headers = phone.deliveries[0].headers
    assert headers["urgency"] == "high"  # a direct message
    assert headers["topic"] == phone.deliveries[1].headers["topic"]  # one per conversation
    assert push_service.refusals == []
    # The sender's own browsers hear nothing of their own messages
    assert not push_service.browsers.get("alice")


def test_a_member_with_a_socket_gets_no_push_but_their_group_does(stack: Stack, push_service: PushService) -> None:
    alice, bob, carol = (stack.sign_up(f"np2_{n}") for n in ("alice", "bob", "carol"))
    bob_laptop, carol_phone = push_service.browser("bob-laptop"), push_service.browser("carol-phone")
    subscribe(stack, bob, bob_laptop)
    subscribe(stack, carol, carol_phone)
    status, group = stack.http(
        "POST",
        "/api/groups/create",
        {"name": "Climbing", "memberIds": [bob["user"]["id"], carol["user"]["id"]]},
        alice["accessToken"],
    )
    assert status == 201, group

    async def scenario() -> None:
        online = await Client.connect(stack, bob["accessToken"])  # bob has the app open
        try:
            await asyncio.to_thread(send, stack, alice, group["id"], "Wall at six")
            await online.receive_type("messageReceived")
            await asyncio.to_thread(settle, push_service, carol_phone, 1)
        finally:
            await online.close()

    asyncio.run(scenario())
    assert bob_laptop.deliveries == []
    [payload] = carol_phone.payloads()
    assert (payload["title"], payload["body"]) == ("Climbing", f"{alice['user']['displayName']}: Wall at six")
    assert carol_phone.deliveries[0].headers["urgency"] == "normal"


def test_muting_stops_pushes_until_unmuted(stack: Stack, push_service: PushService) -> None:
    alice, bob, carol = (stack.sign_up(f"np3_{n}") for n in ("alice", "bob", "carol"))
    phone, sentinel = push_service.browser("np3-phone"), push_service.browser("np3-carol")
    subscribe(stack, bob, phone)
    subscribe(stack, carol, sentinel)  # hears every message: once she has, bob would have too
    status, group = stack.http(
        "POST", "/api/groups/create", {"name": "Quiet", "memberIds": [bob["user"]["id"], carol["user"]["id"]]},
        alice["accessToken"],
    )  # fmt: skip
    assert status == 201, group

    status, muted = stack.http("PUT", f"/api/conversations/{group['id']}/mute", {"until": None}, bob["accessToken"])
    assert status == 200, muted
    assert (muted["muted"], muted["mutedUntil"]) == (True, None)
    send(stack, alice, group["id"], "you will not hear this")
    assert len(push_service.wait_for(sentinel, 1)) == 1
    assert phone.attempts == 0

    status, unmuted = stack.http("DELETE", f"/api/conversations/{group['id']}/mute", None, bob["accessToken"])
    assert (status, unmuted["muted"]) == (200, False)
    send(stack, alice, group["id"], "but this")
    assert [p["body"] for p in settle(push_service, phone, 1)] == [f"{alice['user']['displayName']}: but this"]
    # A mute must end in the future, within a year
    for until in ("2020-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "2030-01-01T00:00:00", 1893456000, "soon"):
        status, answer = stack.http(
            "PUT", f"/api/conversations/{group['id']}/mute", {"until": until}, bob["accessToken"]
        )
        assert status == 422, (until, answer)


def test_previews_off_says_only_that_a_message_came(stack: Stack, push_service: PushService) -> None:
    alice, bob = stack.sign_up("np4_alice"), stack.sign_up("np4_bob")
    phone = push_service.browser("np4-phone")
    subscribe(stack, bob, phone)
    status, me = stack.http("PUT", "/api/users/me", {"notificationPreviews": False}, bob["accessToken"])
    assert (status, me["notificationPreviews"]) == (200, False)
    # Others never see the setting
    status, seen = stack.http("GET", f"/api/users/{bob['user']['id']}", None, alice["accessToken"])
    assert (status, seen["notificationPreviews"]) == (200, None)
    send(stack, alice, direct_chat(stack, alice, bob), "a secret")
    [payload] = settle(push_service, phone, 1)
    assert (payload["title"], payload["body"]) == (alice["user"]["displayName"], "New message")


def wait_until_gone(stack: Stack, subscription_id: str) -> bool:
    deadline = time.monotonic() + 10
    while stack.db["push_subscriptions"].find_one({"_id": subscription_id}) and time.monotonic() < deadline:
        time.sleep(0.05)
    return stack.db["push_subscriptions"].find_one({"_id": subscription_id}) is None


def test_a_gone_subscription_is_forgotten(stack: Stack, push_service: PushService) -> None:
    alice, bob = stack.sign_up("np5_alice"), stack.sign_up("np5_bob")
    phone, laptop = push_service.browser("np5-phone"), push_service.browser("np5-laptop")
    subscription = subscribe(stack, bob, phone)
    subscribe(stack, bob, laptop)  # still subscribed: once it hears, the phone would have too
    phone.answers = [(410, {})]
    chat = direct_chat(stack, alice, bob)
    send(stack, alice, chat, "anyone there?")
    assert wait_until_gone(stack, subscription["id"])
    send(stack, alice, chat, "hello?")
    assert len(push_service.wait_for(laptop, 2)) == 2
    assert (phone.attempts, phone.deliveries) == (1, [])  # never asked again


def test_a_push_service_that_says_slow_down_is_tried_again_once_delivered(
    stack: Stack, push_service: PushService
) -> None:
    alice, bob = stack.sign_up("np6_alice"), stack.sign_up("np6_bob")
    phone = push_service.browser("np6-phone")
    subscribe(stack, bob, phone)
    phone.answers = [(429, {"Retry-After": "1"}), (503, {})]
    message = send(stack, alice, direct_chat(stack, alice, bob), "third time lucky")
    payloads = settle(push_service, phone, 1)
    assert [p["messageId"] for p in payloads] == [message["id"]]  # once, after two refusals
    assert phone.attempts == 3


def log_in(stack: Stack, user: dict[str, Any]) -> dict[str, Any]:
    status, session = stack.http(
        "POST", "/api/auth/login", {"username": user["user"]["username"], "password": "password123"}
    )
    assert status == 200, session
    return session  # type: ignore[no-any-return]


def test_logging_out_stops_that_browsers_pushes(stack: Stack, push_service: PushService) -> None:
    alice, bob_phone_login = stack.sign_up("np7_alice"), stack.sign_up("np7_bob")
    bob_laptop_login = log_in(stack, bob_phone_login)
    phone, laptop = push_service.browser("np7-phone"), push_service.browser("np7-laptop")
    phone_record = subscribe(stack, bob_phone_login, phone)
    subscribe(stack, bob_laptop_login, laptop)
    status, _ = stack.http("POST", "/api/auth/logout", {"refreshToken": bob_phone_login["refreshToken"]})
    assert status == 204
    send(stack, alice, direct_chat(stack, alice, bob_laptop_login), "after you left")
    # The laptop's login goes on: it hears; the phone's ended: it does not, and is forgotten
    assert len(push_service.wait_for(laptop, 1)) == 1
    assert phone.attempts == 0
    assert wait_until_gone(stack, phone_record["id"])


def test_unsubscribing_stops_pushes(stack: Stack, push_service: PushService) -> None:
    alice, bob = stack.sign_up("np8_alice"), stack.sign_up("np8_bob")
    phone, laptop = push_service.browser("np8-phone"), push_service.browser("np8-laptop")
    subscribe(stack, bob, phone)
    subscribe(stack, bob, laptop)
    status, _ = stack.http("DELETE", "/api/push/subscriptions", {"endpoint": phone.endpoint}, bob["accessToken"])
    assert status == 204
    status, _ = stack.http("DELETE", "/api/push/subscriptions", {"endpoint": phone.endpoint}, bob["accessToken"])
    assert status == 204  # idempotent
    send(stack, alice, direct_chat(stack, alice, bob), "gone quiet")
    assert len(push_service.wait_for(laptop, 1)) == 1
    assert phone.attempts == 0


def test_someone_elses_endpoint_cannot_be_taken(stack: Stack, push_service: PushService) -> None:
    bob, mallory = stack.sign_up("np11_bob"), stack.sign_up("np11_mallory")
    phone = push_service.browser("np11-phone")
    mine = subscribe(stack, bob, phone)
    other_keys = push_service.browser("np11-mallory").subscription()["keys"]
    status, answer = stack.http(
        "POST", "/api/push/subscriptions", {**phone.subscription(), "keys": other_keys}, mallory["accessToken"]
    )
    assert status == 409, answer
    assert answer["error"]["code"] == "conflict"
    # Her DELETE of it changes nothing either
    status, _ = stack.http("DELETE", "/api/push/subscriptions", {"endpoint": phone.endpoint}, mallory["accessToken"])
    assert status == 204
    assert stack.db["push_subscriptions"].find_one({"_id": mine["id"]})["userId"] == bob["user"]["id"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://10.0.0.7/push/abc",
        "https://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "https://192.168.1.1:443/push",
        "https://metadata.google.internal/computeMetadata/v1/",
        "http://localhost:8000/@connections/x",
        "https://fcm.googleapis.com.attacker.example/fcm/send/x",
    ],
)
def test_an_endpoint_off_the_push_services_is_refused(stack: Stack, endpoint: str) -> None:
    user = stack.sign_up(f"np9_{abs(hash(endpoint)) % 10**8}")
    with PushService() as service:
        subscription = service.browser("x").subscription()
    status, answer = stack.http(
        "POST", "/api/push/subscriptions", {**subscription, "endpoint": endpoint}, user["accessToken"]
    )
    assert status == 422, answer
    assert answer["error"]["code"] == "invalid_request"
    assert stack.db["push_subscriptions"].find_one({"userId": user["user"]["id"]}) is None


def test_push_config_and_bad_subscriptions(stack: Stack) -> None:
    status, config = stack.http("GET", "/api/push/config")
    assert status == 200
    assert len(config["vapidPublicKey"]) == 87
    user = stack.sign_up("np10_user")
    with PushService() as service:
        good = service.browser("x").subscription()
    for bad in (
        {**good, "keys": {**good["keys"], "p256dh": "B" + "A" * 86}},  # not a point on the curve
        {**good, "keys": {**good["keys"], "auth": "A" * 40}},
        {**good, "expirationTime": 1000},  # long expired
        {**good, "endpoint": 42},
        {**good, "extra": True},
        {"endpoint": good["endpoint"]},
    ):
        status, answer = stack.http("POST", "/api/push/subscriptions", bad, user["accessToken"])
        assert status == 422, (bad, answer)
    status, _ = stack.http("POST", "/api/push/subscriptions", good)
    assert status == 401
