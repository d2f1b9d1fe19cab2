"""The keyboard in dialogs and the lightbox, the message list with a long history, and the draft,
in Chromium: focus stays in a dialog and goes back where it was, the list keeps the reader's place
and draws only the rows near the view, and what was being written survives a reload."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.pages import (
    OpenPage,
    alice_chatting_with_bob,
    api,
    api_sign_up,
    create_group,
    open_at_newest,
    open_chat_with,
    send,
    sign_up,
    texts,
    unique,
)
from tests.conftest import reset_containers
from tests.media_samples import png

# Where focus is, seen from a dialog: inside it or not, back on the control the round started from,
# and a name for the message when it is not where it should be.
WHERE_FOCUS_IS = """(dialog) => {
  const focused = document.activeElement;
  const label = focused && (focused.getAttribute('aria-label') || focused.textContent.trim().slice(0, 40));
  const name = !focused || focused === document.body
    ? 'the page itself (out of the document)'
    : `${focused.tagName.toLowerCase()} "${label}"`;
  return { inside: dialog.contains(focused), back: focused === window.__roundStart, name };
}"""


def assert_tab_goes_round(page: Page, dialog: Locator) -> None:
    """Tab, then Shift+Tab, pressed until focus comes back to where it started: every step stays
    inside the dialog, past its last control and its first."""
    for key in ("Tab", "Shift+Tab"):
        page.evaluate("() => { window.__roundStart = document.activeElement; }")
        for presses in range(1, 30):
            page.keyboard.press(key)
            where = dialog.evaluate(WHERE_FOCUS_IS)
            assert where["inside"], f"{key} pressed {presses} times took focus out of the dialog, to {where['name']}"
            if where["back"]:
                break
        else:
            raise AssertionError(f"{key} never brought focus back round to where it started")
        assert presses >= 2, f"{key} did not move focus"


def assert_focus_inside(dialog: Locator) -> None:
    where = dialog.evaluate(WHERE_FOCUS_IS)
    assert where["inside"], f"focus is on {where['name']}, not in the dialog"


def test_the_delete_confirmation_keeps_focus_and_gives_it_back(new_page: OpenPage) -> None:
    # Given Alice has sent a message
    a, _ = alice_chatting_with_bob(new_page)
    send(a, "a message to think twice about")
    expect(a.get_by_test_id("message").last).to_have_attribute("data-status", "sent")

    # When she asks to delete it from its menu
    texts(a).last.hover()
    actions = a.get_by_role("button", name="Message actions")
    actions.click()
    a.get_by_role("menuitem", name="Delete").click()

    # Then the confirmation holds focus, going round its two buttons either way
    dialog = a.get_by_role("dialog", name="Delete message")
    expect(dialog).to_be_visible()
    assert_focus_inside(dialog)
    assert_tab_goes_round(a, dialog)

    # And Escape closes it, nothing deleted, with focus back on the menu's button
    a.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(actions).to_be_focused()
    expect(texts(a)).to_have_text(["a message to think twice about"])


def test_the_group_info_and_profile_dialogs_keep_focus_and_give_it_back(new_page: OpenPage) -> None:
    ann, ben = unique("ann"), unique("ben")
    a, b = new_page(), new_page()
    sign_up(a, ann, ann.title())
    sign_up(b, ben, ben.title())
    create_group(a, "Keyboard club", [ben])
    expect(a.get_by_role("heading", name="Keyboard club")).to_be_visible()

    for opener_name, dialog_name in (("Group info", "Group info"), ("Edit your profile", "Your profile")):
        opener = a.get_by_role("button", name=opener_name)
        opener.focus()
        a.keyboard.press("Enter")
        dialog = a.get_by_role("dialog", name=dialog_name)
        expect(dialog).to_be_visible()
        assert_focus_inside(dialog)
        assert_tab_goes_round(a, dialog)
        a.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        expect(opener).to_be_focused()


def test_adding_and_removing_a_member_keeps_focus_in_the_group_info_dialog(new_page: OpenPage) -> None:
    ann, ben, cat = unique("ann"), unique("ben"), unique("cat")
    a, b, c = new_page(), new_page(), new_page()
    sign_up(a, ann, ann.title())
    sign_up(b, ben, ben.title())
    sign_up(c, cat, cat.title())
    create_group(a, "Focus club", [ben])
    a.get_by_role("button", name="Group info").click()
    dialog = a.get_by_role("dialog", name="Group info")

    # Adding Cat from the keyboard: the picked button goes, focus goes back to the search
    dialog.get_by_label("Add members").fill(cat)
    dialog.get_by_role("button", name=f"Add {cat.title()}").focus()
    a.keyboard.press("Enter")
    expect(dialog.get_by_role("button", name=f"Remove {cat.title()}")).to_be_visible()
    expect(dialog.get_by_label("Add members")).to_be_focused()

    # Removing her: her row goes, focus stays in the member list
    # (her row shows as the push arrives; its button is enabled once the add's answer has come too)
    expect(dialog.get_by_role("button", name=f"Remove {cat.title()}")).to_be_enabled()
    dialog.get_by_role("button", name=f"Remove {cat.title()}").focus()
    a.keyboard.press("Enter")
    expect(dialog.get_by_role("button", name=f"Remove {cat.title()}")).to_have_count(0)
    expect(dialog.get_by_role("list", name="Members")).to_be_focused()
    assert_focus_inside(dialog)


def test_whoever_signs_in_next_starts_at_the_list_and_asks_nothing_of_the_last_ones_chat(
    new_page: OpenPage,
) -> None:
    # Given Alice with her chat with Bob open, who logs out
    a, _ = alice_chatting_with_bob(new_page)
    conversation_id = a.evaluate(
        "() => fetch('/api/conversations', {headers: {Authorization: 'Bearer ' + "
        "JSON.parse(localStorage.getItem('chat.session')).accessToken}}).then(r => r.json())"
        ".then(page => page.items[0].id)"
    )
    asked: list[str] = []
    a.on("request", lambda request: asked.append(request.url))
    a.get_by_role("button", name="Log out").click()

    # When Carol signs up in the same browser
    sign_up(a, unique("carol"), "Carol")

    # Then she sees the list, and nothing of Alice's chat was asked for
    expect(a.get_by_text("Pick a conversation")).to_be_visible()
    assert not [url for url in asked if conversation_id in url]


def test_the_lightbox_takes_focus_and_escape_gives_it_back_to_the_photo(new_page: OpenPage) -> None:
    # Given Alice has sent a photo
    a, _ = alice_chatting_with_bob(new_page)
    a.get_by_label("Attach files").set_input_files(
        {"name": "view.png", "mimeType": "image/png", "buffer": png(40, 30, (20, 120, 200))}
    )
    expect(a.locator("[data-testid=upload][data-status=done]")).to_have_count(1)
    a.get_by_role("button", name="Send").click()
    expect(a.get_by_test_id("message").last).to_have_attribute("data-status", "sent")

    # When she opens it from the keyboard
    thumbnail = a.get_by_role("button", name="Open view.png")
    thumbnail.focus()
    a.keyboard.press("Enter")

    # Then the lightbox has focus, and Tab stays within it
    lightbox = a.get_by_role("dialog", name="view.png")
    expect(a.get_by_test_id("lightbox-image")).to_be_visible()
    assert_focus_inside(lightbox)
    a.keyboard.press("Tab")
    assert_focus_inside(lightbox)
    assert_tab_goes_round(a, lightbox)

    # And Escape closes it, with focus back on the photo
    a.keyboard.press("Escape")
    expect(a.get_by_test_id("lightbox-image")).to_have_count(0)
    expect(thumbnail).to_be_focused()


# Whether any value the app keeps in localStorage holds `text`.
SAVED = """(text) => Array.from({ length: localStorage.length }, (_, i) => localStorage.getItem(localStorage.key(i)))
  .some((value) => value !== null && value.includes(text))"""


def test_the_draft_survives_a_reload_and_goes_once_sent(new_page: OpenPage) -> None:
    alice, bob = unique("alice"), unique("bob")
    a, b = new_page(), new_page()
    sign_up(a, alice, "Alice")
    sign_up(b, bob, bob.title())
    open_chat_with(a, bob.title())
    box = a.get_by_label("Message", exact=True)

    # Written, then a pause: the draft is kept (it is saved once typing pauses, half a second)
    box.press_sequentially("half a thought")
    try:
        a.wait_for_function(SAVED, arg="half a thought", timeout=5_000)
    except PlaywrightTimeoutError:
        pytest.fail("the draft was not saved within 5 s of the last key")
    a.reload()
    a.get_by_role("button", name=f"Open {bob.title()}").click()
    expect(box).to_have_value("half a thought")

    # Finished and sent: the box empties, and stays empty after a reload
    box.press("End")
    box.press_sequentially(", finished")
    box.press("Enter")
    expect(texts(a)).to_have_text(["half a thought, finished"])
    expect(box).to_have_value("")
    expect(a.get_by_test_id("message").last).to_have_attribute("data-status", "sent")
    a.reload()
    a.get_by_role("button", name=f"Open {bob.title()}").click()
    expect(texts(a)).to_have_text(["half a thought, finished"])
    expect(box).to_have_value("")


# The message list with a long history. The history loads a page of 50 at a time.

HISTORY = 130
# The most message rows the list may draw: a view's worth and some to either side, not all it holds.
MOST_ROWS_DRAWN = 50
# How far the first message in view may move when a page arrives above it or a message below it.
STILL_PX = 3


@dataclass
class LongChat:
    alice: str  # her username: she opens it in the browser
    bob_name: str
    bob_token: str
    conversation_id: str


def text_of(index: int) -> str:
    """`#0007 …`, the index first; lengths vary, so rows are of one to several lines."""
    return f"#{index:04d} " + "words to read " * (index % 9 * 4)


@pytest.fixture
def long_chat(web_stack: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LongChat]:
    """A chat of 130 messages between Alice and Bob, written over the API (sending limits raised)."""
    monkeypatch.setenv("RATE_LIMIT_SEND", "100000/1")
    reset_containers()
    try:
        alice, bob = unique("alice"), unique("bob")
        bob_name = f"Bob {bob[-6:]}"
        a = api_sign_up(web_stack, alice, "Alice")
        b = api_sign_up(web_stack, bob, bob_name)
        chat = api(web_stack, "/api/conversations/direct", {"userId": b["user"]["id"]}, a["accessToken"])
        for index in range(HISTORY):
            sender = a if index % 2 else b
            body = {"conversationId": chat["id"], "text": text_of(index)}
            api(web_stack, "/api/messages", body, sender["accessToken"])
        yield LongChat(alice, bob_name, b["accessToken"], chat["id"])
    finally:
        monkeypatch.undo()
        reset_containers()


def open_long_chat(new_page: OpenPage, chat: LongChat) -> tuple[Page, Locator]:
    """Alice opens the chat at its newest message. Returns the page and the list."""
    page = new_page()
    return page, open_at_newest(page, chat.alice, chat.bob_name, f"#{HISTORY - 1:04d}")


# The first message wholly in view (or the one named) and its top, from the list's top, once it has held
# still for five frames: rows are measured as they are drawn, so the first frames may still move.
SETTLED_TOP = """async (list, wanted) => {
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const measure = () => {
    const view = list.getBoundingClientRect();
    const shown = [...list.querySelectorAll('[data-testid="message-text"]')]
      .map((text) => ({ text: text.textContent.slice(0, 5), top: text.getBoundingClientRect().top - view.top }))
      .filter((row) => (wanted ? row.text === wanted : row.top >= 0))
      .sort((x, y) => x.top - y.top);
    return shown[0] ? { ...shown[0], scrollTop: list.scrollTop } : null;
  };
  let last = null, still = 0;
  for (let frames = 0; frames < 300 && still < 5; frames++) {
    await frame();
    const now = measure();
    still = now && last && now.text === last.text && Math.abs(now.top - last.top) < 0.5 ? still + 1 : 0;
    last = now;
  }
  return last;
}"""


def settled_top(list_: Locator, wanted: str | None = None) -> dict[str, Any]:
    """Which message is first in view (`#0042`, or `wanted`) and where: its top and the list's scrollTop."""
    where: dict[str, Any] | None = list_.evaluate(SETTLED_TOP, wanted)
    assert where is not None, f"{wanted or 'no message'} is not drawn in the list"
    return where


def at_bottom(list_: Locator) -> float:
    """How far the list is from its end, in pixels."""
    return float(list_.evaluate("e => e.scrollHeight - e.scrollTop - e.clientHeight"))


def test_a_page_of_older_messages_keeps_the_readers_place(new_page: OpenPage, long_chat: LongChat) -> None:
    page, messages = open_long_chat(new_page, long_chat)
    loading = messages.get_by_role("button", name="Loading…")

    # When Alice scrolls to the top, the next page is asked for; it is held back until her place is noted
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(lambda url: "before=" in url, hold)
    with page.expect_request(lambda request: "before=" in request.url):
        messages.evaluate("e => { e.scrollTop = 0; }")
    before = settled_top(messages)
    assert len(held) == 1
    held[0].continue_()
    page.unroute_all()

    # Then the page arrives above, and the message she was looking at stays where it was on screen
    expect(texts(page).filter(has_text=f"#{HISTORY - 51:04d}")).to_be_attached()
    expect(loading).to_have_count(0)
    after = settled_top(messages, before["text"])
    assert abs(after["top"] - before["top"]) <= STILL_PX, (before, after)
    assert after["scrollTop"] > before["scrollTop"] + 1000  # the new page is above, out of view


def test_scrolled_all_the_way_back_only_the_rows_in_view_are_drawn(new_page: OpenPage, long_chat: LongChat) -> None:
    page, messages = open_long_chat(new_page, long_chat)
    loading = messages.get_by_role("button", name="Loading…")
    older = messages.get_by_role("button", name="Load older messages").or_(loading)

    # When Alice scrolls all the way back, a page at a time
    for _ in range(HISTORY // 50 + 2):
        if not older.count():
            break
        with page.expect_response(lambda response: "before=" in response.url):
            messages.evaluate("e => { e.scrollTop = 0; }")
        expect(loading).to_have_count(0)
    expect(older).to_have_count(0)
    messages.evaluate("e => { e.scrollTop = 0; }")
    expect(texts(page).filter(has_text="#0000")).to_be_in_viewport()

    # Then all 130 are held, but only the rows in and near the view are drawn
    drawn = page.get_by_test_id("message-row").count()
    assert 5 <= drawn <= MOST_ROWS_DRAWN, f"{drawn} message rows in the page with {HISTORY} messages loaded"


def test_a_new_message_keeps_the_list_at_the_bottom_and_leaves_a_reader_above_in_place(
    new_page: OpenPage, web_stack: str, long_chat: LongChat
) -> None:
    page, messages = open_long_chat(new_page, long_chat)
    assert at_bottom(messages) <= 2

    def bob_sends(text: str) -> None:
        api(
            web_stack, "/api/messages", {"conversationId": long_chat.conversation_id, "text": text}, long_chat.bob_token
        )
        expect(page.get_by_role("button", name=f"Open {long_chat.bob_name}")).to_contain_text(text)

    # At the bottom, a new message comes into view and the list stays at the end
    bob_sends("#0200 here is one more")
    expect(texts(page).filter(has_text="#0200")).to_be_in_viewport()
    settled_top(messages, "#0200")
    assert at_bottom(messages) <= 2, "the list left the bottom when a message arrived"

    # Scrolled up to read, a new message arriving leaves what she reads where it is
    messages.evaluate("e => { e.scrollTop = e.scrollHeight - e.clientHeight * 3; }")
    before = settled_top(messages)
    bob_sends("#0201 and another")
    after = settled_top(messages, before["text"])
    assert abs(after["top"] - before["top"]) <= STILL_PX, (before, after)
    expect(texts(page).filter(has_text="#0201")).not_to_be_in_viewport()
