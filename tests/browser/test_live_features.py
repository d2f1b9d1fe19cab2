"""Ticks, unread counts, edits, deletions and reactions, as people see them in Chromium."""

from playwright.sync_api import expect

from tests.browser.pages import (
    OpenPage,
    alice_chatting_with_bob,
    create_group,
    log_in,
    open_chat_with,
    send,
    sign_up,
    texts,
    unique,
)


def test_ticks_go_from_sent_to_delivered_to_read(new_page: OpenPage) -> None:
    a, b = alice_chatting_with_bob(new_page)
    send(a, "Are you there?")
    tick = a.get_by_test_id("receipt").last
    # Bob's client is open but not on this chat: it arrived, nobody has read it.
    expect(tick).to_have_attribute("data-receipt", "delivered")
    expect(tick).to_have_accessible_name("Delivered")

    b.bring_to_front()
    b.get_by_role("button", name="Open Alice").click()
    expect(texts(b)).to_have_text(["Are you there?"])
    expect(tick).to_have_attribute("data-receipt", "read")
    expect(tick).to_have_accessible_name("Read")


def test_unread_badges_and_the_tab_title_and_reading_on_one_device_clears_the_other(new_page: OpenPage) -> None:
    alice, bob = unique("alice"), unique("bob")
    a, phone = new_page(), new_page()
    sign_up(a, alice, "Alice")
    sign_up(phone, bob, f"Bob {bob[-6:]}")
    laptop = new_page()
    log_in(laptop, bob)

    open_chat_with(a, f"Bob {bob[-6:]}")
    for text in ("one", "two", "three"):
        send(a, text)
    for device in (phone, laptop):
        expect(device.get_by_test_id("unread-badge")).to_have_text("3")
        expect(device.get_by_role("button", name="Open Alice, 3 unread")).to_be_visible()
        expect(device).to_have_title("(3) Chat")

    phone.bring_to_front()
    phone.get_by_role("button", name="Open Alice").click()
    expect(texts(phone)).to_have_text(["one", "two", "three"])
    # Read on the phone: the badge and the count in the title go on both devices.
    for device in (phone, laptop):
        expect(device.get_by_test_id("unread-badge")).to_have_count(0)
        expect(device).to_have_title("Chat")

    # The server agrees: a fresh load shows nothing unread.
    laptop.reload()
    expect(laptop.get_by_role("button", name="Open Alice")).to_be_visible()
    expect(laptop.get_by_test_id("unread-badge")).to_have_count(0)


def test_edit_react_and_delete_show_for_everyone(new_page: OpenPage) -> None:
    a, b = alice_chatting_with_bob(new_page)
    send(a, "See you at 1")
    send(a, "Bring snacks")
    b.get_by_role("button", name="Open Alice").click()
    expect(texts(b)).to_have_text(["See you at 1", "Bring snacks"])

    # Alice edits her first message from its menu.
    first = a.get_by_test_id("message-row").first
    first.hover()
    first.get_by_role("button", name="Message actions").click()
    a.get_by_role("menuitem", name="Edit").click()
    editor = a.get_by_label("Edit message")
    editor.fill("See you at 2")
    editor.press("Enter")
    expect(texts(b)).to_have_text(["See you at 2", "Bring snacks"])
    expect(b.get_by_test_id("message").first).to_contain_text("(edited)")

    # Bob cannot edit Alice's message (its menu offers only Reply), but he can react to it.
    mine_only = b.get_by_test_id("message-row").first
    mine_only.hover()
    mine_only.get_by_role("button", name="Message actions").click()
    expect(b.get_by_role("menuitem")).to_have_text(["Reply"])
    b.keyboard.press("Escape")
    mine_only.get_by_role("button", name="React").click()
    b.get_by_role("button", name="React with 👍").click()
    expect(a.get_by_test_id("reaction")).to_have_text(["👍 1"])
    expect(b.get_by_test_id("reaction")).to_have_text(["👍 1"])

    # Alice deletes her second message: a tombstone in its place, for both.
    second = a.get_by_test_id("message-row").nth(1)
    second.hover()
    second.get_by_role("button", name="Message actions").click()
    a.get_by_role("menuitem", name="Delete").click()
    a.get_by_role("dialog", name="Delete message").get_by_role("button", name="Delete").click()
    for page in (a, b):
        expect(page.get_by_test_id("message-deleted")).to_have_text("This message was deleted")
        expect(texts(page)).to_have_text(["See you at 2"])

    # A reload shows the same: it was all stored, not just pushed.
    b.reload()
    b.get_by_role("button", name="Open Alice").click()
    expect(texts(b)).to_have_text(["See you at 2"])
    expect(b.get_by_test_id("message-deleted")).to_have_count(1)
    expect(b.get_by_test_id("reaction")).to_have_text(["👍 1"])


def test_group_info_renames_and_removes_a_member_who_then_cannot_send(new_page: OpenPage) -> None:
    names = [unique(n) for n in ("ann", "ben", "cat")]
    ann, ben, cat = new_page(), new_page(), new_page()
    for page, name in zip((ann, ben, cat), names, strict=True):
        sign_up(page, name, name.title())
    create_group(ann, "Book club", names[1:])
    send(ann, "First meeting on Friday")
    cat.get_by_role("button", name="Open Book club").click()
    expect(texts(cat)).to_have_text(["First meeting on Friday"])

    ann.get_by_role("button", name="Group info").click()
    info = ann.get_by_role("dialog")
    info.get_by_label("Group name").fill("Reading circle")
    info.get_by_role("button", name="Rename").click()
    info.get_by_role("button", name=f"Remove {names[2].title()}").click()
    for page in (ann, ben):
        expect(page.get_by_role("button", name="Open Reading circle")).to_be_visible()
    expect(cat.get_by_test_id("not-member")).to_be_visible()
    expect(cat.get_by_label("Message", exact=True)).to_be_disabled()
    # What cat could read is still there.
    expect(texts(cat)).to_have_text(["First meeting on Friday"])
