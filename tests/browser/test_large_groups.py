"""Receipts asked for on demand in groups, and a lost push recovered without reconnecting,
as people see them in Chromium."""

import json
import urllib.request
from typing import Any

from playwright.sync_api import Page, WebSocket, expect

from tests.browser.pages import OpenPage, alice_chatting_with_bob, create_group, send, sign_up, texts, unique


def set_faults(base_url: str, faults: dict[str, Any] | None) -> None:
    """The local Management API's fault injection (docs: README, 'Trying failures')."""
    request = urllib.request.Request(
        f"{base_url}/_local/faults",
        data=json.dumps(faults).encode() if faults is not None else None,
        method="PUT" if faults is not None else "DELETE",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def sockets_opened(page: Page) -> list[WebSocket]:
    opened: list[WebSocket] = []

    def note(socket: WebSocket) -> None:
        opened.append(socket)

    page.on("websocket", note)
    return opened


def test_a_groups_author_sees_delivered_then_read_and_who_read_it(new_page: OpenPage) -> None:
    names = [unique(n) for n in ("ann", "ben", "cat")]
    ann, ben, cat = new_page(), new_page(), new_page()
    for page, name in zip((ann, ben, cat), names, strict=True):
        sign_up(page, name, name.title())
    create_group(ann, "Lunch club", names[1:])
    # The new group shows for the others at once, before anyone writes in it
    for page in (ben, cat):
        expect(page.get_by_role("button", name="Open Lunch club")).to_be_visible()
    send(ann, "Lunch at noon?")
    tick = ann.get_by_test_id("receipt").last

    # Both others' clients are open, not on the group: delivered to all, read by none
    expect(tick).to_have_attribute("data-receipt", "delivered")
    expect(tick).to_have_attribute("title", "Not read yet")

    # Ben reads it: still "delivered" (not everyone has read it), and Ann sees who has
    ben.bring_to_front()
    ben.get_by_role("button", name="Open Lunch club").click()
    expect(texts(ben)).to_have_text(["Lunch at noon?"])
    expect(tick).to_have_attribute("title", f"Read by {names[1].title()}")
    expect(tick).to_have_attribute("data-receipt", "delivered")

    # A third member reads it: now read, by both
    cat.bring_to_front()
    cat.get_by_role("button", name="Open Lunch club").click()
    expect(texts(cat)).to_have_text(["Lunch at noon?"])
    expect(tick).to_have_attribute("data-receipt", "read")
    tick.click()
    expect(ann.get_by_test_id("read-by")).to_have_text(f"Read by {names[1].title()}, {names[2].title()}")

    # The group's copies carry only Ann's own receipt: after a reload the ticks come from
    # the receipts she asks for when she opens the group
    ann.reload()
    ann.get_by_role("button", name="Open Lunch club").click()
    expect(ann.get_by_test_id("receipt").last).to_have_attribute("data-receipt", "read")


def bob_reading_alice(new_page: OpenPage, first: str) -> tuple[Page, Page, list[WebSocket]]:
    """Alice's first message on Bob's screen; then the sockets Bob's page opens from here on."""
    a, b = alice_chatting_with_bob(new_page)
    send(a, first)
    b.get_by_role("button", name="Open Alice").click()
    expect(texts(b)).to_have_text([first])
    return a, b, sockets_opened(b)


def test_a_push_lost_on_every_attempt_still_shows_without_reconnecting(new_page: OpenPage, web_stack: str) -> None:
    # Given Bob with his chat with Alice on screen
    a, b, reconnects = bob_reading_alice(new_page, "hello")

    # When the Management API refuses Bob's copy of one message on every attempt
    lost = unique("lost")
    set_faults(web_stack, {"rules": [{"contains": lost, "type": "messageReceived", "status": 500}]})
    try:
        send(a, lost)
        expect(a.get_by_test_id("receipt").last).to_have_attribute("data-receipt", "sent")
        send(a, "and this one arrives")

        # Then Bob sees the hole below the next one, reads the change feed, and shows both, in order
        expect(texts(b)).to_have_text(["hello", lost, "and this one arrives"])
    finally:
        set_faults(web_stack, None)
    assert reconnects == []


def test_a_lost_edit_shows_after_the_next_change_without_reconnecting(new_page: OpenPage, web_stack: str) -> None:
    # Given Bob with his chat with Alice on screen
    a, b, reconnects = bob_reading_alice(new_page, "See you at 1")

    # When every copy of Alice's edit is refused on every attempt
    lost = unique("at2")
    set_faults(web_stack, {"rules": [{"contains": lost, "type": "messageUpdated", "status": 500}]})
    try:
        row = a.get_by_test_id("message-row").first
        row.hover()
        row.get_by_role("button", name="Message actions").click()
        a.get_by_role("menuitem", name="Edit").click()
        a.get_by_label("Edit message").fill(f"See you {lost}")
        a.get_by_label("Edit message").press("Enter")
        # (the editor's own socket hears its edit the same way, so Alice's copy is lost too)
        expect(texts(b)).to_have_text(["See you at 1"])

        # Then the next change shows both a hole in the versions; each reads the feed and has both
        send(a, "ok?")
        for page in (a, b):
            expect(texts(page)).to_have_text([f"See you {lost}", "ok?"])
    finally:
        set_faults(web_stack, None)
    assert reconnects == []
