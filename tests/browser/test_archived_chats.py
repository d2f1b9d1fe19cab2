"""Archiving a chat, as people see it in Chromium: out of the list, under Archived, and back
with the next message."""

import json
import time
import urllib.request

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import OpenPage, log_in, open_chat_with, send, sign_up, texts, unique
from tests.conftest import reset_containers


def chats(page: Page) -> Locator:
    """The main list of conversations."""
    return page.get_by_role("navigation", name="Conversations")


def test_an_archived_chat_leaves_the_list_until_a_new_message_brings_it_back(new_page: OpenPage) -> None:
    # Given Alice (on a laptop and a phone) and Bob, who have chatted
    alice, bob = unique("alice"), unique("bob")
    bob_name = f"Bob {bob[-6:]}"
    laptop, b = new_page(), new_page()
    sign_up(laptop, alice, "Alice")
    sign_up(b, bob, bob_name)
    phone = new_page()
    log_in(phone, alice)
    open_chat_with(laptop, bob_name)
    send(laptop, "See you later")
    expect(chats(phone).get_by_role("button", name=f"Open {bob_name}")).to_be_visible()

    # When Alice archives the chat from its header
    laptop.get_by_role("button", name="Archive chat").click()

    # Then it leaves her list and shows under Archived, on both her devices; Bob's list keeps it
    for device in (laptop, phone):
        expect(chats(device).get_by_role("button", name=f"Open {bob_name}")).to_have_count(0)
        expect(device.get_by_role("button", name="Archived (1)")).to_be_visible()
    expect(laptop.get_by_role("button", name="Unarchive chat")).to_be_visible()
    expect(b.get_by_role("button", name="Open Alice")).to_be_visible()
    phone.get_by_role("button", name="Archived (1)").click()
    archived = phone.get_by_role("navigation", name="Archived conversations")
    archived.get_by_role("button", name=f"Open {bob_name}").click()
    expect(texts(phone)).to_have_text(["See you later"])  # opening it works
    phone.get_by_role("button", name="Back to chats").click()

    # When Bob writes again
    b.get_by_role("button", name="Open Alice").click()
    send(b, "Still on?")

    # Then the chat is back in Alice's list, on both devices, and nothing is left under Archived
    for device in (laptop, phone):
        expect(chats(device).get_by_role("button", name=f"Open {bob_name}")).to_be_visible()
        expect(device.get_by_role("button", name="Archived (1)")).to_have_count(0)
    expect(texts(laptop)).to_have_text(["See you later", "Still on?"])
    expect(laptop.get_by_role("button", name="Archive chat")).to_be_visible()
    # The server agrees: a fresh load shows it in the list
    phone.reload()
    expect(chats(phone).get_by_role("button", name=f"Open {bob_name}")).to_be_visible()
    expect(phone.get_by_role("button", name="Archived (1)")).to_have_count(0)


def test_history_moved_to_the_archive_scrolls_back_as_before(
    new_page: OpenPage, web_stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Alice and Bob with 70 messages, more than one page
    monkeypatch.setenv("RATE_LIMIT_SEND", "100000/1")
    monkeypatch.setenv("ARCHIVE_AFTER_DAYS", "0")
    reset_containers()
    try:
        alice, bob = unique("alice"), unique("bob")
        bob_name = f"Bob {bob[-6:]}"
        a, b = new_page(), new_page()
        sign_up(a, alice, "Alice")
        sign_up(b, bob, bob_name)
        open_chat_with(a, bob_name)
        written = [f"line {n}" for n in range(70)]
        for text in written:
            send(a, text)
        expect(texts(a).last).to_have_text("line 69")
        time.sleep(0.01)

        # When the archiver runs, as the scheduler would, and moves them all out of MongoDB
        with urllib.request.urlopen(
            urllib.request.Request(f"{web_stack}/@schedules/archive", method="POST", data=b""), timeout=60
        ) as answer:
            assert json.loads(answer.read())["archived"] >= 70

        # Then Bob, opening the chat fresh, scrolls back through every line, in order
        b.reload()
        b.get_by_role("button", name="Open Alice").click()
        expect(texts(b).last).to_have_text("line 69")
        older = b.get_by_role("button", name="Load older messages")
        log = b.get_by_role("log")
        for _ in range(5):  # 70 lines: one page back at most; more would mean it never ends
            if not older.count():
                break
            # The button sits at the top of a list that may still be moving as the last page settles: a
            # pointer click can land on the page instead (seen once under load). The click event itself
            # is what a person's click sends the button.
            older.dispatch_event("click")
            # The list keeps the reader's place as a page arrives above it: go up to see it.
            log.evaluate("e => { e.scrollTop = 0; }")
            expect(older.or_(b.get_by_text("line 0", exact=True))).to_be_visible()
        expect(older).to_have_count(0)
        # (in the order the server numbered them, which Alice sees too: frames sent back to back
        # may be handled at once, by the local gateway as by API Gateway, and take seqs either way)
        scrolled = read_down(b)
        assert sorted(scrolled) == sorted(written)
        assert scrolled == read_down(a)
    finally:
        monkeypatch.undo()
        reset_containers()


def read_down(page: Page) -> list[str]:
    """Every message text from the top of the list to the bottom, in order: the list shows only
    the rows near the view, so it is read while scrolling down half a view at a time, and each
    row's place is its index in the list (what is rendered may lag a scroll by a frame)."""
    log = page.get_by_role("log")
    log.evaluate("e => { e.scrollTop = 0; }")
    by_index: dict[int, str] = {}
    for _ in range(200):
        rendered = log.evaluate(
            """e => [...e.querySelectorAll('[data-index]')].flatMap(row => {
                const text = row.querySelector('[data-testid="message-text"]');
                return text ? [[Number(row.dataset.index), text.innerText]] : [];
            })"""
        )
        by_index.update((index, text) for index, text in rendered)
        moved = log.evaluate(
            "e => { const before = e.scrollTop; e.scrollTop += e.clientHeight / 2; return e.scrollTop !== before; }"
        )
        if not moved:
            break
        # Two animation frames: the list renders the rows now in view.
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return [by_index[index] for index in sorted(by_index)]
