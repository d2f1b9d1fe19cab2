"""Push notifications, muted chats and the installable app, as people see them in Chromium.

Headless Chromium reaches no real push service, so each browser's PushManager hands out a
subscription on a test push service on 127.0.0.1 (the local stack accepts those): its keys are
real, so what the server sends there is decrypted here (RFC 8291) and handed to the browser's
service worker over the DevTools protocol, as a push service would hand it."""

import base64
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from playwright.sync_api import Locator, Page, Response, expect

from tests.browser.test_live_features import log_in
from tests.browser.test_web_client import OpenPage, open_chat_with, send, sign_up, texts, unique

PUSH_WAIT_SECONDS = 15.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf(salt: bytes, secret: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


@dataclass
class Pushed:
    path: str
    headers: dict[str, str]
    body: bytes


class PushService:
    """A push service on 127.0.0.1: takes every message (201 Created) and keeps it."""

    def __init__(self) -> None:
        self.received: list[Pushed] = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with service._lock:
                    service.received.append(Pushed(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "PushService":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def new_endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/push/{secrets.token_hex(8)}"

    def pushed_to(self, endpoint: str) -> list[Pushed]:
        path = endpoint.split(str(self._server.server_port), 1)[1]
        with self._lock:
            return [p for p in self.received if p.path == path]

    def wait_for(self, endpoint: str, count: int) -> list[Pushed]:
        deadline = time.monotonic() + PUSH_WAIT_SECONDS
        while len(found := self.pushed_to(endpoint)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(found) == count, f"{len(found)} pushes reached {endpoint}, not {count}"
        return found


@dataclass
class BrowserPushKeys:
    """One browser's subscription, as its push service knows it: where, and the keys to read it with."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def public_point(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    def to_json(self) -> dict[str, Any]:
        """What PushSubscription.toJSON() gives."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(self.public_point()), "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> Any:
        """An aes128gcm message (RFC 8188) encrypted for this browser (RFC 8291), one record."""
        salt, record_size, key_length = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        server_point, ciphertext = body[21 : 21 + key_length], body[21 + key_length :]
        assert len(ciphertext) <= record_size
        server_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), server_point)
        shared = self.private_key.exchange(ec.ECDH(), server_key)
        key_info = b"WebPush: info\x00" + self.public_point() + server_point
        ikm = hkdf(self.auth, shared, key_info, 32)
        key = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
        padded = AESGCM(key).decrypt(nonce, ciphertext, None).rstrip(b"\x00")
        assert padded.endswith(b"\x02"), "the last record ends with its delimiter"
        return json.loads(padded[:-1])


# Stands in for the browser's push service client: subscribe() and getSubscription() answer with the
# test's subscription (kept in localStorage, so it outlives a reload as a real one does), and note the
# options the app subscribed with.
STUB_PUSH_MANAGER = """
(({ endpoint, keys }) => {
  const SUBSCRIBED = "test.push.subscribedWith";
  const subscription = (key) => ({
    endpoint,
    expirationTime: null,
    options: { applicationServerKey: key, userVisibleOnly: true },
    toJSON: () => ({ endpoint, expirationTime: null, keys }),
    unsubscribe: async () => {
      localStorage.removeItem(SUBSCRIBED);
      return true;
    },
  });
  PushManager.prototype.subscribe = async function (options) {
    if (options.userVisibleOnly !== true) throw new DOMException("userVisibleOnly is required", "NotAllowedError");
    const key = new Uint8Array(options.applicationServerKey);
    localStorage.setItem(SUBSCRIBED, btoa(String.fromCharCode(...key)));
    return subscription(key.buffer);
  };
  PushManager.prototype.getSubscription = async function () {
    const saved = localStorage.getItem(SUBSCRIBED);
    return saved ? subscription(Uint8Array.from(atob(saved), (c) => c.charCodeAt(0)).buffer) : null;
  };
})
"""


@pytest.fixture(scope="module")
def push_service() -> Iterator[PushService]:
    with PushService() as service:
        yield service


def browser_with_push(new_page: OpenPage, push_service: PushService) -> tuple[Page, BrowserPushKeys]:
    """A browser that allows notifications, its push subscription on the test push service."""
    keys = BrowserPushKeys(push_service.new_endpoint())
    page = new_page(permissions=["notifications"])
    page.context.add_init_script(script=f"({STUB_PUSH_MANAGER})({json.dumps(keys.to_json())})")
    page.reload()  # opened before the stub was added
    return page, keys


def subscribed_with(page: Page) -> bytes | None:
    """The application server key the app subscribed this browser with, if it is subscribed."""
    saved = page.evaluate("localStorage.getItem('test.push.subscribedWith')")
    return base64.b64decode(saved) if saved else None


def open_profile(page: Page) -> Locator:
    page.get_by_role("button", name="Edit your profile").click()
    return page.get_by_role("dialog", name="Your profile")


def is_push_subscriptions(method: str) -> Callable[[Response], bool]:
    return lambda r: r.url.endswith("/api/push/subscriptions") and r.request.method == method


def enable_notifications(page: Page, keys: BrowserPushKeys) -> None:
    profile = open_profile(page)
    expect(profile.get_by_test_id("notifications-status")).to_have_attribute("data-status", "off")
    with page.expect_response(is_push_subscriptions("POST")) as answer:
        profile.get_by_role("button", name="Enable notifications").click()
    # The server stored this browser's subscription, sent as the browser gives it
    assert answer.value.status == 201, answer.value.text()
    assert answer.value.request.post_data_json == keys.to_json()
    assert answer.value.json()["endpoint"] == keys.endpoint
    expect(profile.get_by_test_id("notifications-status")).to_have_attribute("data-status", "on")
    profile.get_by_role("button", name="Cancel").click()


def deliver_push(page: Page, origin: str, data: str) -> None:
    """What the push service does when a push reaches the browser: a push event in the app's service
    worker, through the DevTools protocol."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # installed and active
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not (ours := [r for r in registrations if r["scopeURL"] == f"{origin}/" and not r["isDeleted"]]):
        assert time.monotonic() < deadline, registrations
        page.wait_for_timeout(50)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin, "registrationId": ours[-1]["registrationId"], "data": data},
    )
    cdp.detach()


Shown = list[dict[str, Any]]


def notifications_when(page: Page, ready: Callable[[Shown], bool]) -> Shown:
    """The notifications the app's service worker shows, once `ready` says they are as expected
    (or as they are after 10 seconds, for the assertion that follows to show)."""
    script = """async () => (await (await navigator.serviceWorker.ready).getNotifications()).map(
        (n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }))"""
    deadline = time.monotonic() + 10
    while not ready(shown := page.evaluate(script)) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return shown  # type: ignore[no-any-return]


def go_away(away: Page, watcher: Page) -> None:
    """`away` leaves the app (its socket closes); `watcher`, in their direct chat, sees them go."""
    away.goto("about:blank")
    expect(watcher.get_by_test_id("presence")).not_to_have_text("online")


def test_with_notifications_on_a_message_while_away_shows_a_notification(
    new_page: OpenPage, web_stack: str, push_service: PushService
) -> None:
    # Given Alice, in a browser that allows notifications, chatting with Bob
    bob = unique("bob")
    bob_name = f"Bob {bob[-6:]}"
    a, keys = browser_with_push(new_page, push_service)
    b = new_page()
    sign_up(a, unique("alice"), "Alice")
    sign_up(b, bob, bob_name)
    open_chat_with(a, bob_name)
    send(a, "Hi Bob")
    b.get_by_role("button", name="Open Alice").click()
    expect(b.get_by_test_id("presence")).to_have_text("online")

    # When she turns notifications on in her profile
    enable_notifications(a, keys)

    # Then her browser subscribed with the server's key
    vapid_key = a.request.get("/api/push/config").json()["vapidPublicKey"]
    assert subscribed_with(a) == b64url_decode(vapid_key)

    # When she leaves and Bob writes
    go_away(a, b)
    send(b, "Lunch at one?")

    # Then the server pushes the message to her browser's push service, encrypted for her browser
    [pushed] = push_service.wait_for(keys.endpoint, 1)
    assert pushed.headers["content-encoding"] == "aes128gcm"
    message = keys.decrypt(pushed.body)
    assert message["type"] == "message"
    assert (message["title"], message["body"], message["conversationType"]) == (bob_name, "Lunch at one?", "direct")

    # And the push, reaching her browser, shows a notification: who wrote, what, about which chat
    a.goto("/")
    expect(a.get_by_role("button", name="Log out")).to_be_visible()
    deliver_push(a, web_stack, json.dumps(message))
    [shown] = notifications_when(a, lambda shown: len(shown) > 0)
    assert (shown["title"], shown["body"], shown["tag"]) == (bob_name, "Lunch at one?", message["conversationId"])
    assert shown["data"]["conversationId"] == message["conversationId"]

    # When she turns message previews off, leaves, and Bob writes again
    profile = open_profile(a)
    previews = profile.get_by_label("Show message previews")
    expect(previews).to_be_checked()
    with a.expect_response(lambda r: r.url.endswith("/api/users/me") and r.request.method == "PUT") as answer:
        previews.uncheck()
    assert answer.value.status == 200
    assert answer.value.json()["notificationPreviews"] is False
    profile.get_by_role("button", name="Cancel").click()
    go_away(a, b)
    send(b, "The usual place")

    # Then the push says only that there is a message, and it joins the first notification
    second = keys.decrypt(push_service.wait_for(keys.endpoint, 2)[1].body)
    assert (second["title"], second["body"]) == (bob_name, "New message")
    a.goto("/")
    deliver_push(a, web_stack, json.dumps(second))
    [collapsed] = notifications_when(a, lambda shown: any(n["body"] == "New message" for n in shown))
    assert (collapsed["title"], collapsed["body"]) == (f"{bob_name} (2 new messages)", "New message")

    # And the setting stays off after a reload
    a.reload()
    expect(open_profile(a).get_by_label("Show message previews")).not_to_be_checked()


def test_a_notification_opens_its_chat_and_reading_it_clears_the_notification(
    new_page: OpenPage, web_stack: str, push_service: PushService
) -> None:
    # Given Alice, with notifications on, and a chat with Bob
    bob = unique("bob")
    bob_name = f"Bob {bob[-6:]}"
    a, keys = browser_with_push(new_page, push_service)
    b = new_page()
    sign_up(a, unique("alice"), "Alice")
    sign_up(b, bob, bob_name)
    enable_notifications(a, keys)
    open_chat_with(a, bob_name)
    send(a, "Hi Bob")
    token = a.evaluate("JSON.parse(localStorage.getItem('chat.session')).accessToken")
    conversations = a.request.get("/api/conversations", headers={"Authorization": f"Bearer {token}"}).json()
    conversation_id = conversations["items"][0]["id"]

    # When the app is opened at a notification's address (no window of it was open)
    a.goto(f"/?conversation={conversation_id}")

    # Then it shows that chat, and the address no longer names it (a reload shows the list)
    expect(a.get_by_role("heading", name=bob_name)).to_be_visible()
    expect(texts(a)).to_have_text(["Hi Bob"])
    assert "conversation=" not in a.url

    # When a notification for the chat shows while Alice is elsewhere in the app
    push = {
        "type": "message",
        "conversationId": conversation_id,
        "messageId": "m-test",
        "seq": 2,
        "title": bob_name,
        "body": "Are you coming?",
        "conversationType": "direct",
        "senderId": "u-test",
    }
    a.goto("/")
    deliver_push(a, web_stack, json.dumps(push))
    [shown] = notifications_when(a, lambda shown: len(shown) > 0)
    assert (shown["title"], shown["body"], shown["tag"]) == (bob_name, "Are you coming?", conversation_id)

    # And her open window is told to show it, as the service worker does when it is clicked
    a.bring_to_front()
    a.evaluate(
        """(conversationId) => navigator.serviceWorker.dispatchEvent(
            new MessageEvent("message", { data: { type: "openConversation", conversationId } }))""",
        conversation_id,
    )

    # Then the chat opens, and reading it clears its notification
    expect(a.get_by_role("heading", name=bob_name)).to_be_visible()
    assert notifications_when(a, lambda shown: shown == []) == []


def test_turning_notifications_off_or_logging_out_stops_them_for_this_browser(
    new_page: OpenPage, push_service: PushService
) -> None:
    # Given Alice with notifications on, chatting with Bob
    alice, bob = unique("alice"), unique("bob")
    alice_name = f"Alice {alice[-6:]}"
    a, keys = browser_with_push(new_page, push_service)
    b = new_page()
    sign_up(a, alice, alice_name)
    sign_up(b, bob, f"Bob {bob[-6:]}")
    enable_notifications(a, keys)

    # When she turns them off
    profile = open_profile(a)
    with a.expect_response(is_push_subscriptions("DELETE")) as answer:
        profile.get_by_role("button", name="Turn off notifications").click()

    # Then the server forgets the endpoint and the browser unsubscribes
    assert answer.value.status == 204
    assert answer.value.request.post_data_json == {"endpoint": keys.endpoint}
    expect(profile.get_by_test_id("notifications-status")).to_have_attribute("data-status", "off")
    assert subscribed_with(a) is None
    profile.get_by_role("button", name="Cancel").click()

    # When she turns them on again, then logs out
    enable_notifications(a, keys)
    sent: list[str] = []
    a.on("request", lambda request: sent.append(f"{request.method} {request.url.split('/api', 1)[-1]}"))
    with (
        a.expect_request(lambda request: request.url.endswith("/api/auth/logout")),
        a.expect_response(is_push_subscriptions("DELETE")) as answer,
    ):
        a.get_by_role("button", name="Log out").click()
    expect(a.get_by_role("button", name="Log in")).to_be_visible()

    # Then the server was told before the login ended, and the browser unsubscribed
    assert answer.value.status == 204
    assert sent.index("DELETE /push/subscriptions") < sent.index("POST /auth/logout")
    assert subscribed_with(a) is None

    # And a message for her while she is away reaches no push service for this browser (the first test
    # shows pushes arriving within a second or two)
    open_chat_with(b, alice_name)
    send(b, "Still there?")
    expect(b.get_by_test_id("message").last).to_have_attribute("data-status", "sent")
    time.sleep(3)
    assert push_service.pushed_to(keys.endpoint) == []

    # And logging in again finds notifications off in this browser
    log_in(a, alice)
    expect(open_profile(a).get_by_test_id("notifications-status")).to_have_attribute("data-status", "off")


def muted_icon(page: Page, name: str) -> Locator:
    chats = page.get_by_role("navigation", name="Conversations")
    return chats.get_by_role("button", name=f"Open {name}").get_by_test_id("muted-icon")


def test_a_muted_chat_shows_muted_on_every_device_until_unmuted(new_page: OpenPage) -> None:
    # Given Alice (on a laptop and a phone) and Bob, who have chatted
    alice, bob = unique("alice"), unique("bob")
    bob_name = f"Bob {bob[-6:]}"
    laptop, b = new_page(), new_page()
    sign_up(laptop, alice, "Alice")
    sign_up(b, bob, bob_name)
    phone = new_page()
    log_in(phone, alice)
    open_chat_with(laptop, bob_name)
    send(laptop, "Quiet for a bit")
    expect(muted_icon(laptop, bob_name)).to_have_count(0)

    # When Alice mutes the chat for 8 hours from its header, with the keyboard
    bell = laptop.get_by_role("button", name="Mute notifications")
    bell.focus()
    laptop.keyboard.press("Enter")
    menu = laptop.get_by_role("menu", name="Mute notifications")
    expect(menu.get_by_role("menuitem", name="For 8 hours")).to_be_focused()
    with laptop.expect_response(lambda r: r.url.endswith("/mute") and r.request.method == "PUT") as answer:
        laptop.keyboard.press("Enter")

    # Then the server took a mute ending in 8 hours, and the chat shows muted on both her devices
    assert answer.value.status == 200
    until = datetime.fromisoformat(json.loads(answer.value.request.post_data or "{}")["until"])
    assert 7.9 < (until - datetime.now(UTC)).total_seconds() / 3600 <= 8.0, until
    conversation = answer.value.json()
    assert conversation["muted"] is True
    assert datetime.fromisoformat(conversation["mutedUntil"]) == until
    for device in (laptop, phone):
        expect(muted_icon(device, bob_name)).to_be_visible()
    expect(laptop.get_by_role("button", name="Notifications muted until")).to_be_focused()
    # Bob's side is untouched
    expect(b.get_by_role("button", name="Open Alice").get_by_test_id("muted-icon")).to_have_count(0)

    # And it is still muted after a reload
    laptop.reload()
    expect(muted_icon(laptop, bob_name)).to_be_visible()

    # When she unmutes it on her phone
    phone.get_by_role("button", name=f"Open {bob_name}").click()
    phone.get_by_role("button", name="Notifications muted until").click()
    with phone.expect_response(lambda r: r.url.endswith("/mute") and r.request.method == "DELETE") as answer:
        phone.get_by_role("menuitem", name="Unmute").click()

    # Then the chat is unmuted everywhere, and stays so after a reload
    assert answer.value.status == 200
    assert answer.value.json()["muted"] is False
    for device in (laptop, phone):
        expect(muted_icon(device, bob_name)).to_have_count(0)
    expect(phone.get_by_role("button", name="Mute notifications")).to_be_visible()
    laptop.reload()
    expect(laptop.get_by_role("button", name=f"Open {bob_name}")).to_be_visible()
    expect(muted_icon(laptop, bob_name)).to_have_count(0)

    # When she mutes it until she unmutes it
    phone.get_by_role("button", name="Mute notifications").click()
    with phone.expect_response(lambda r: r.url.endswith("/mute") and r.request.method == "PUT") as answer:
        phone.get_by_role("menuitem", name="Until I unmute").click()

    # Then the mute has no end
    assert answer.value.request.post_data_json == {"until": None}
    expect(phone.get_by_role("button", name="Notifications muted until you unmute")).to_be_visible()
    expect(muted_icon(laptop, bob_name)).to_be_visible()


def test_the_app_can_be_installed(new_page: OpenPage, web_stack: str) -> None:
    # Given the app open in a browser
    page = new_page()

    # Then it links a web app manifest that makes it installable, with its icons
    manifest_url = page.locator("link[rel=manifest]").get_attribute("href")
    assert manifest_url == "/manifest.webmanifest"
    manifest = page.request.get(manifest_url).json()
    assert manifest["name"] == manifest["short_name"] == "Chat"
    assert (manifest["start_url"], manifest["display"]) == ("/", "standalone")
    assert manifest["theme_color"] == page.locator("meta[name=theme-color]").get_attribute("content")
    icons = {(icon["sizes"], icon.get("purpose", "any")): icon["src"] for icon in manifest["icons"]}
    assert set(icons) >= {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    apple = page.locator("link[rel=apple-touch-icon]").get_attribute("href")
    for (sizes, _), src in [*icons.items(), (("180x180", "apple"), apple)]:
        answer = page.request.get(src or "")
        assert answer.status == 200, src
        assert answer.headers["content-type"] == "image/png", src
        png = answer.body()
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), src
        assert f"{width}x{height}" == sizes, src

    # And its service worker runs for the whole site
    scope = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)")
    assert scope == f"{web_stack}/"
    worker = page.request.get("/sw.js")
    assert worker.status == 200
    assert "javascript" in worker.headers["content-type"]
    # Both keep their names from build to build: browsers must see new versions
    assert worker.headers["cache-control"] == page.request.get(manifest_url).headers["cache-control"] == "no-cache"
