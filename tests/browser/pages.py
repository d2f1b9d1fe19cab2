"""What a person does in the web client, as the browser tests drive it: sign up, log in,
find someone, send, start a group; and where the messages show."""

import json
import secrets
import urllib.request
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Locator, Page, expect

OpenPage = Callable[..., Page]


def unique(name: str) -> str:
    return f"{name}_{secrets.token_hex(3)}"


def sign_up(page: Page, username: str, display_name: str) -> None:
    page.get_by_role("button", name="Create an account").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password123")
    page.get_by_label("Display name").fill(display_name)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)  # connected: no offline banner


def open_chat_with(page: Page, display_name: str) -> None:
    page.get_by_label("Search people").fill(display_name)
    page.get_by_role("button", name=f"Chat with {display_name}").click()
    expect(page.get_by_role("heading", name=display_name)).to_be_visible()


def send(page: Page, text: str) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")


def create_group(page: Page, name: str, usernames: list[str]) -> None:
    """Starts a group from the New group dialog; members show as their username, title-cased."""
    page.get_by_role("button", name="New group").click()
    dialog = page.get_by_role("dialog", name="New group")
    dialog.get_by_label("Group name").fill(name)
    for username in usernames:
        dialog.get_by_label("Add members").fill(username)
        dialog.get_by_role("button", name=f"Add {username.title()}").click()
    dialog.get_by_role("button", name="Create group").click()


def texts(page: Page) -> Any:
    return page.get_by_test_id("message-text")


def log_in(page: Page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def alice_chatting_with_bob(new_page: OpenPage) -> tuple[Page, Page]:
    """Alice and Bob (fresh accounts) in two browsers, Alice with their chat open."""
    bob = unique("bob")
    a, b = new_page(), new_page()
    sign_up(a, unique("alice"), "Alice")
    sign_up(b, bob, f"Bob {bob[-6:]}")
    open_chat_with(a, f"Bob {bob[-6:]}")
    return a, b


def api(base_url: str, path: str, body: Any, token: str | None = None) -> Any:
    """POSTs to the stack's HTTP API as an app would, for what a test sets up faster than clicking."""
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def api_sign_up(base_url: str, username: str, display_name: str) -> dict[str, Any]:
    """A fresh account made over the API: its `user` and `accessToken`."""
    body = {"username": username, "password": "password123", "displayName": display_name}
    return api(base_url, "/api/auth/signup", body)  # type: ignore[no-any-return]


def open_at_newest(page: Page, username: str, other_name: str, newest: str) -> Locator:
    """`username` logs in and opens their chat with `other_name` at its newest message (the one
    whose text holds `newest`). Returns the message list."""
    log_in(page, username)
    page.get_by_role("button", name=f"Open {other_name}").click()
    expect(texts(page).filter(has_text=newest)).to_be_in_viewport()
    return page.get_by_role("log", name="Messages")
