"""Push notifications, muted chats and the installable app, as people see them in Chromium.

Headless Chromium reaches no real push service, so each browser's PushManager hands out a
subscription on the tests' push service on 127.0.0.1 (tests/push_service.py; the local stack accepts
those): its keys are real, so what the server sends there is checked (VAPID) and decrypted as a push
service and browser would, then handed to the browser's service worker over the DevTools protocol."""

import base64
import json
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Locator, Page, Request, Response, Worker, expect

from tests.browser.pages import OpenPage, log_in, open_chat_with, send, sign_up, texts, unique
from tests.push_service import Browser, PushService

WAIT_SECONDS = 10.0


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pushed(push_service: PushService, browser: Browser, count: int) -> list[dict[str, Any]]:
    """The `count` payloads the browser's push service received, checked and decrypted, once they came."""
    payloads = push_service.wait_for(browser, count, timeout=WAIT_SECONDS)
    assert push_service.refusals == []
    assert len(payloads) == count, f"{len(payloads)} pushes reached {browser.name}, not {count}"
    return payloads


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


def browser_with_push(new_page: OpenPage, push_service: PushService, name: str) -> tuple[Page, Browser]:
    """A browser that allows notifications, its push subscription on the test push service."""
    push = push_service.browser(unique(name))
    page = new_page(permissions=["notifications"])
    page.context.add_init_script(script=f"({STUB_PUSH_MANAGER})({json.dumps(push.subscription())})")
    page.reload()  # opened before the stub was added
    return page, push


def subscribed_with(page: Page) -> bytes | None:
    """The application server key the app subscribed this browser with, if it is subscribed."""
    saved = page.evaluate("localStorage.getItem('test.push.subscribedWith')")
    return base64.b64decode(saved) if saved else None


def open_profile(page: Page) -> Locator:
    page.get_by_role("button", name="Edit your profile").click()
    return page.get_by_role("dialog", name="Your profile")


def is_push_subscriptions(method: str) -> Callable[[Response], bool]:
    return lambda r: r.url.endswith("/api/push/subscriptions") and r.request.method == method


def enable_notifications(page: Page, push: Browser) -> None:
    profile = open_profile(page)
    expect(profile.get_by_test_id("notifications-status")).to_have_attribute("data-status", "off")
    with page.expect_response(is_push_subscriptions("POST")) as answer:
        profile.get_by_role("button", name="Enable notifications").click()
    # The server stored this browser's subscription, sent as the browser gives it
    assert answer.value.status == 201, answer.value.text()
    assert answer.value.request.post_data_json == push.subscription()
    assert answer.value.json()["endpoint"] == push.endpoint
    expect(profile.get_by_test_id("notifications-status")).to_have_attribute("data-status", "on")
    profile.get_by_role("button", name="Cancel").click()


def deliver_push(page: Page, origin: str, data: str) -> tuple[CDPSession, list[dict[str, Any]]]:
    """What the push service does when a push reaches the browser: a push event in the app's service
    worker, through the DevTools protocol. Returns the session, to be detached once the push has done
    its work (a detach while the worker handles it may stop the worker), and the worker versions it
    has reported (their running status), for a report."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # installed and active
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.on("ServiceWorker.workerVersionUpdated", lambda event: versions.extend(event["versions"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + WAIT_SECONDS
    while not (ours := [r for r in registrations if r["scopeURL"] == f"{origin}/" and not r["isDeleted"]]):
        assert time.monotonic() < deadline, registrations
        page.wait_for_timeout(50)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin, "registrationId": ours[-1]["registrationId"], "data": data},
    )
    return cdp, versions


def service_worker(page: Page) -> Worker:
    """The app's service worker, running (a push delivered just now woke it)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (workers := [w for w in page.context.service_workers if w.url.endswith("/sw.js")]):
        assert time.monotonic() < deadline, "no service worker is running"
        page.wait_for_timeout(50)
    return workers[-1]


# A click on the notification tagged with the conversation, as the browser dispatches it to the worker.
# Only the browser can make a trusted event; a script-made one runs the worker's handler all the same,
# but its waitUntil throws and its window may not take focus, so the promises the handler hands
# waitUntil are kept here and their outcomes returned.
CLICK_NOTIFICATION = """async (tag) => {
  const [notification] = await self.registration.getNotifications({ tag });
  if (!notification) return null;
  const event = new NotificationEvent("notificationclick", { notification });
  const lifetime = [];
  Object.defineProperty(event, "waitUntil", { value: (promise) => lifetime.push(promise) });
  self.dispatchEvent(event);
  const outcomes = await Promise.allSettled(lifetime);
  return outcomes.map((o) => (o.status === "fulfilled" ? "done" : `${o.reason.name}: ${o.reason.message}`));
}"""


Shown = list[dict[str, Any]]


def notifications_when(page: Page, ready: Callable[[Shown], bool], seconds: float = WAIT_SECONDS) -> Shown:
    """The notifications the app's service worker shows, once `ready` says they are as expected
    (or as they are after `seconds`, for the assertion that follows to show)."""
    script = """async () => (await (await navigator.serviceWorker.ready).getNotifications()).map(
        (n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }))"""
    deadline = time.monotonic() + seconds
    while not ready(shown := page.evaluate(script)) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return shown  # type: ignore[no-any-return]


def push_and_see(page: Page, origin: str, data: str, ready: Callable[[Shown], bool]) -> Shown:
    """A push delivered to the app's service worker, and the notifications once `ready` says so. A push
    the DevTools protocol handed over has, three times in many full runs and never alone, shown nothing
    (its session was then detached at once; it is now kept until the push has shown). If it happens, the
    push is handed over once more, with a warning in the test report that says what state the worker
    was in. A message id the worker has counted is not counted again, so the second delivery cannot
    make a wrong notification look right."""
    cdp, versions = deliver_push(page, origin, data)
    shown = notifications_when(page, ready, WAIT_SECONDS / 2)
    cdp.detach()
    if not ready(shown):
        states = [(v.get("status"), v.get("runningStatus")) for v in versions]
        warnings.warn(
            f"a push delivered through DevTools showed nothing in {WAIT_SECONDS / 2:.0f} s (worker versions, "
            f"as reported: {states}): delivered again",
            stacklevel=2,
        )
        cdp, _ = deliver_push(page, origin, data)
        shown = notifications_when(page, ready)
        cdp.detach()
    return shown


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
    a, push = browser_with_push(new_page, push_service, "alice")
    b = new_page()
    sign_up(a, unique("alice"), "Alice")
    sign_up(b, bob, bob_name)
    open_chat_with(a, bob_name)
    send(a, "Hi Bob")
    b.get_by_role("button", name="Open Alice").click()
    expect(b.get_by_test_id("presence")).to_have_text("online")

    # When she turns notifications on in her profile
    enable_notifications(a, push)

    # Then her browser subscribed with the server's key
    vapid_key = a.request.get("/api/push/config").json()["vapidPublicKey"]
    assert subscribed_with(a) == b64url_decode(vapid_key)

    # When she leaves and Bob writes
    go_away(a, b)
    send(b, "Lunch at one?")

    # Then the server pushes the message to her browser's push service, signed (VAPID) and encrypted
    # for her browser (the push service checks and decrypts it)
    [message] = pushed(push_service, push, 1)
    assert push.deliveries[0].headers["content-encoding"] == "aes128gcm"
    assert message["type"] == "message"
    assert (message["title"], message["body"], message["conversationType"]) == (bob_name, "Lunch at one?", "direct")

    # And the push, reaching her browser, shows a notification: who wrote, what, about which chat
    posted: list[Request] = []
    a.on("request", lambda r: posted.append(r) if r.url.endswith("/api/push/subscriptions") else None)
    a.goto("/")
    expect(a.get_by_role("button", name="Log out")).to_be_visible()
    [shown] = push_and_see(a, web_stack, json.dumps(message), lambda shown: len(shown) > 0)
    assert (shown["title"], shown["body"], shown["tag"]) == (bob_name, "Lunch at one?", message["conversationId"])
    assert shown["data"]["conversationId"] == message["conversationId"]

    # When she turns message previews off, leaves, and Bob writes again
    profile = open_profile(a)
    # (the app, started again with the same login, found her subscription on and did not post it again)
    expect(profile.get_by_test_id("notifications-status")).to_have_attribute("data-status", "on")
    assert posted == []
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
    second = pushed(push_service, push, 2)[1]
    assert (second["title"], second["body"]) == (bob_name, "New message")
    a.goto("/")
    expect(a.get_by_role("button", name="Log out")).to_be_visible()
    [collapsed] = push_and_see(
        a, web_stack, json.dumps(second), lambda shown: any(n["body"] == "New message" for n in shown)
    )
    assert (collapsed["title"], collapsed["body"]) == (f"{bob_name} (2 new messages)", "New message")

    # And the setting stays off after a reload
    a.reload()
    expect(open_profile(a).get_by_label("Show message previews")).not_to_be_checked()


def test_clicking_a_notification_opens_its_chat_and_reading_a_chat_clears_its_notification(
    new_page: OpenPage, web_stack: str, push_service: PushService
) -> None:
    # Given Alice, with notifications on, and a chat with Bob
    bob = unique("bob")
    bob_name = f"Bob {bob[-6:]}"
    a, push = browser_with_push(new_page, push_service, "alice")
    b = new_page()
    sign_up(a, unique("alice"), "Alice")
    sign_up(b, bob, bob_name)
    enable_notifications(a, push)
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

    def notify(message_id: str, body: str) -> None:
        """A push about the chat while Alice is elsewhere in the app, and its notification showing."""
        a.goto("/")
        expect(a.get_by_role("button", name="Log out")).to_be_visible()  # the app has started
        expect(a.get_by_role("heading", name=bob_name)).to_have_count(0)
        payload = {
            "type": "message",
            "conversationId": conversation_id,
            "messageId": message_id,
            "seq": 2,
            "title": bob_name,
            "body": body,
            "conversationType": "direct",
            "senderId": "u-test",
        }
        [shown] = push_and_see(a, web_stack, json.dumps(payload), lambda shown: len(shown) > 0)
        assert (shown["title"], shown["body"], shown["tag"]) == (bob_name, body, conversation_id)

    # When a notification for the chat shows, and Alice opens the chat from the list
    notify("m-test-1", "Are you coming?")
    a.bring_to_front()
    a.get_by_role("button", name=f"Open {bob_name}").click()

    # Then reading it clears its notification
    expect(a.get_by_role("heading", name=bob_name)).to_be_visible()
    assert notifications_when(a, lambda shown: shown == []) == []

    # When another shows, and she clicks it (the browser dispatches notificationclick to the worker)
    notify("m-test-2", "Still coming?")
    outcomes = service_worker(a).evaluate(CLICK_NOTIFICATION, conversation_id)

    # Then the worker closes it and tells her open window to show the chat, which it does
    assert outcomes is not None, "no notification to click"
    expect(a.get_by_role("heading", name=bob_name)).to_be_visible()
    expect(texts(a)).to_have_text(["Hi Bob"])
    assert notifications_when(a, lambda shown: shown == []) == []
    # (a script-made click may not focus the window: that alone of the handler's work may fail)
    assert all(o == "done" or o.startswith("InvalidAccessError") for o in outcomes), outcomes


def test_turning_notifications_off_or_logging_out_stops_them_for_this_browser(
    new_page: OpenPage, push_service: PushService
) -> None:
    # Given Alice with notifications on in two browsers (a laptop and a phone), and Bob
    alice, bob = unique("alice"), unique("bob")
    alice_name = f"Alice {alice[-6:]}"
    a, laptop = browser_with_push(new_page, push_service, "alice-laptop")
    phone_page, phone = browser_with_push(new_page, push_service, "alice-phone")
    b = new_page()
    sign_up(a, alice, alice_name)
    log_in(phone_page, alice)
    sign_up(b, bob, f"Bob {bob[-6:]}")
    enable_notifications(a, laptop)
    enable_notifications(phone_page, phone)

    # When she turns them off on the laptop
    profile = open_profile(a)
    with a.expect_response(is_push_subscriptions("DELETE")) as answer:
        profile.get_by_role("button", name="Turn off notifications").click()

    # Then the server forgets the endpoint and the browser unsubscribes
    assert answer.value.status == 204
    assert answer.value.request.post_data_json == {"endpoint": laptop.endpoint}
    expect(profile.get_by_test_id("notifications-status")).to_have_attribute("data-status", "off")
    assert subscribed_with(a) is None
    profile.get_by_role("button", name="Cancel").click()

    # When she turns them on again, then logs out
    enable_notifications(a, laptop)
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

    # And a message for her while she is away reaches her phone and, pushed with it or not at all,
    # nothing reaches the laptop's push service
    open_chat_with(b, alice_name)
    expect(b.get_by_test_id("presence")).to_have_text("online")  # her phone
    go_away(phone_page, b)
    send(b, "Still there?")
    [message] = pushed(push_service, phone, 1)
    assert message["body"] == "Still there?"
    assert (laptop.attempts, laptop.deliveries) == (0, [])

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
