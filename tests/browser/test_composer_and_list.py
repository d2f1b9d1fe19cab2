"""The composer and the message list at their edges, in Chromium: a draft typed just before a reload,
an edit, a confirmation or a photo left open while the list scrolls or new messages push it away,
what the list announces to a screen reader, where focus goes once a message is deleted, and a
failing server asked for older history only now and then."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, Request, Route, expect

from tests.browser.pages import (
    OpenPage,
    alice_chatting_with_bob,
    api,
    api_sign_up,
    open_at_newest,
    open_chat_with,
    send,
    sign_up,
    texts,
    unique,
)
from tests.conftest import reset_containers

# Enough that the newest rows are far from the oldest, with a page of older history still to load.
HISTORY = 60
# More new messages than the list draws beyond the view: the row they push up is no longer near it.
ARRIVING = 30


def test_a_draft_typed_just_before_a_reload_survives_it(new_page: OpenPage, web_stack: str) -> None:
    bob = unique("bob")
    api_sign_up(web_stack, bob, bob.title())
    a = new_page()
    sign_up(a, unique("alice"), "Alice")
    open_chat_with(a, bob.title())
    box = a.get_by_label("Message", exact=True)

    # Typed, then the page reloaded at once: well within the half second the composer waits to save
    box.press_sequentially("typed in a hurry")
    a.reload()

    # The draft was saved as the page went away
    a.get_by_role("button", name=f"Open {bob.title()}").click()
    expect(box).to_have_value("typed in a hurry")


@dataclass
class Chat:
    alice: str  # her username: she opens it in the browser
    bob_name: str
    bob_token: str
    alice_token: str
    conversation_id: str


@pytest.fixture
def chat(web_stack: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chat]:
    """Alice and Bob with 60 messages between them, written over the API (sending limits raised);
    the newest, #0059, is Alice's."""
    monkeypatch.setenv("RATE_LIMIT_SEND", "100000/1")
    reset_containers()
    try:
        alice, bob = unique("alice"), unique("bob")
        bob_name = f"Bob {bob[-6:]}"
        a = api_sign_up(web_stack, alice, "Alice")
        b = api_sign_up(web_stack, bob, bob_name)
        created = api(web_stack, "/api/conversations/direct", {"userId": b["user"]["id"]}, a["accessToken"])
        for index in range(HISTORY):
            sender = a if index % 2 else b
            body = {"conversationId": created["id"], "text": f"#{index:04d} " + "words to read " * (index % 5 * 3)}
            api(web_stack, "/api/messages", body, sender["accessToken"])
        yield Chat(alice, bob_name, b["accessToken"], a["accessToken"], created["id"])
    finally:
        monkeypatch.undo()
        reset_containers()


def open_chat(new_page: OpenPage, chat: Chat) -> tuple[Page, Locator]:
    """Alice opens the chat at its newest message. Returns the page and the list."""
    page = new_page()
    return page, open_at_newest(page, chat.alice, chat.bob_name, f"#{HISTORY - 1:04d}")


def bob_sends(web_stack: str, chat: Chat, text: str) -> None:
    api(web_stack, "/api/messages", {"conversationId": chat.conversation_id, "text": text}, chat.bob_token)


def bob_sends_many(page: Page, web_stack: str, chat: Chat) -> None:
    """Bob sends 30 messages; Alice, at the bottom, sees the list follow them to the last."""
    for index in range(ARRIVING):
        bob_sends(web_stack, chat, f"#{500 + index:04d} arriving")
    expect(texts(page).filter(has_text=f"#{500 + ARRIVING - 1:04d}")).to_be_in_viewport()


def message_actions(page: Page, prefix: str, item: str) -> None:
    """Opens the menu of Alice's message starting `prefix` and picks `item` (Edit, Delete)."""
    row = page.get_by_test_id("message-row").filter(has_text=prefix)
    row.get_by_test_id("message-text").hover()
    row.get_by_role("button", name="Message actions").click()
    page.get_by_role("menuitem", name=item).click()


def test_an_edit_being_written_survives_scrolling_far_away_and_back(new_page: OpenPage, chat: Chat) -> None:
    page, messages = open_chat(new_page, chat)

    # Alice starts editing her newest message
    message_actions(page, f"#{HISTORY - 1:04d}", "Edit")
    editor = page.get_by_label("Edit message")
    expect(editor).to_be_focused()
    editor.press_sequentially(" still being written")

    # She scrolls to the top (a page of older history arrives there) and reads the first message
    for _ in range(3):
        older = messages.get_by_role("button", name=re.compile("Load older messages|Loading…"))
        if not older.count():
            break
        with page.expect_response(lambda response: "before=" in response.url):
            messages.evaluate("e => { e.scrollTop = 0; }")
        expect(messages.get_by_role("button", name="Loading…")).to_have_count(0)
    messages.evaluate("e => { e.scrollTop = 0; }")
    expect(texts(page).filter(has_text="#0000")).to_be_in_viewport()
    expect(editor).not_to_be_in_viewport()

    # And back at the bottom, the edit is as she left it
    messages.evaluate("e => { e.scrollTop = e.scrollHeight; }")
    expect(editor).to_be_in_viewport()
    expect(editor).to_have_value(re.compile(r"^#0059 .* still being written$"))
    editor.press("Enter")
    expect(texts(page).filter(has_text="#0059")).to_have_text(re.compile("still being written$"))


def test_an_edit_and_a_confirmation_stay_open_while_new_messages_push_them_away(
    new_page: OpenPage, web_stack: str, chat: Chat
) -> None:
    page, _ = open_chat(new_page, chat)

    # Alice is editing her newest message when Bob sends 30 more
    message_actions(page, f"#{HISTORY - 1:04d}", "Edit")
    editor = page.get_by_label("Edit message")
    editor.press_sequentially(" and then some")
    bob_sends_many(page, web_stack, chat)

    # The edit was pushed out of view but kept: back at it, it holds what she wrote
    expect(editor).not_to_be_in_viewport()
    editor.scroll_into_view_if_needed()
    expect(editor).to_have_value(re.compile(r"^#0059 .* and then some$"))
    editor.press("Escape")
    expect(editor).to_have_count(0)

    # Asked whether to delete a message, the question stays while 30 more arrive, and is answered
    page.get_by_role("log", name="Messages").evaluate("e => { e.scrollTop = e.scrollHeight; }")
    send(page, "#0900 to be deleted")
    expect(page.get_by_test_id("message").last).to_have_attribute("data-status", "sent")
    message_actions(page, "#0900", "Delete")
    dialog = page.get_by_role("dialog", name="Delete message")
    expect(dialog).to_be_visible()
    for index in range(ARRIVING):
        bob_sends(web_stack, chat, f"#{600 + index:04d} arriving")
    expect(page.get_by_role("button", name=f"Open {chat.bob_name}")).to_contain_text(f"#{600 + ARRIVING - 1:04d}")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete").click()
    expect(dialog).to_have_count(0)
    expect(texts(page).filter(has_text="#0900")).to_have_count(0)


def test_new_messages_from_others_are_announced_and_older_pages_are_not(
    new_page: OpenPage, web_stack: str, chat: Chat
) -> None:
    page, messages = open_chat(new_page, chat)
    announced = page.get_by_test_id("new-messages")

    # The list itself is silent: drawing rows as it scrolls must not read them out
    expect(messages).to_have_attribute("aria-live", "off")
    expect(announced).to_have_attribute("aria-live", "polite")
    expect(announced).to_have_text("")

    # A page of older history is not news
    with page.expect_response(lambda response: "before=" in response.url):
        messages.evaluate("e => { e.scrollTop = 0; }")
    expect(texts(page).filter(has_text="#0009")).to_be_attached()
    expect(messages.get_by_role("button", name="Loading…")).to_have_count(0)
    expect(announced).to_have_text("")

    # A message from Bob is, with his name
    bob_sends(web_stack, chat, "#0700 are you there?")
    expect(announced).to_have_text(f"{chat.bob_name}: #0700 are you there?")

    # And what Alice sends herself is not
    messages.evaluate("e => { e.scrollTop = e.scrollHeight; }")
    send(page, "#0701 yes, here")
    expect(texts(page).filter(has_text="#0701")).to_be_visible()
    expect(page.get_by_test_id("message").last).to_have_attribute("data-status", "sent")
    expect(announced).to_have_text(f"{chat.bob_name}: #0700 are you there?")


def test_focus_goes_to_the_message_box_once_a_message_is_deleted(new_page: OpenPage) -> None:
    a, _ = alice_chatting_with_bob(new_page)
    send(a, "never mind")
    expect(a.get_by_test_id("message").last).to_have_attribute("data-status", "sent")

    # Deleted from its menu, from the keyboard to the end
    message_actions(a, "never mind", "Delete")
    dialog = a.get_by_role("dialog", name="Delete message")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    a.keyboard.press("Tab")
    a.keyboard.press("Enter")

    # Its tools go with it; focus does not fall out of the page but lands in the Message box
    expect(a.get_by_test_id("message-deleted")).to_be_visible()
    expect(a.get_by_label("Message", exact=True)).to_be_focused()


def test_a_failing_server_is_not_asked_for_older_history_on_every_scroll(new_page: OpenPage, chat: Chat) -> None:
    page, messages = open_chat(new_page, chat)
    asked: list[Request] = []

    def fail(route: Route) -> None:
        asked.append(route.request)
        route.fulfill(status=503, json={"error": {"code": "unavailable", "message": "Try again later."}})

    page.route(lambda url: "before=" in url, fail)

    # Scrolled to the top, the page is asked for, and fails
    with page.expect_response(lambda response: "before=" in response.url):
        messages.evaluate("e => { e.scrollTop = 0; }")
    load_older = messages.get_by_role("button", name="Load older messages")
    expect(load_older).to_be_visible()

    # Scrolling about near the top does not ask again straight away
    messages.evaluate("""async (e) => {
      const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      for (const top of [30, 0, 20, 0, 40, 0, 10, 0]) { e.scrollTop = top; await frame(); await frame(); }
    }""")

    # But a click on "Load older messages" does
    with page.expect_request(lambda request: "before=" in request.url):
        load_older.click()
    expect(load_older).to_be_visible()
    assert len(asked) == 2, f"the failing page was asked for {len(asked)} times, not twice"
