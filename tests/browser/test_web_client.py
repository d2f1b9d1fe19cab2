"""People using the web client in Chromium: sign up, find each other, chat in real time,
groups, reload, offline and back, and a phone-sized screen."""

from playwright.sync_api import expect

from tests.browser.pages import OpenPage, create_group, open_chat_with, send, sign_up, texts, unique


def test_two_people_find_each_other_and_chat_both_ways(new_page: OpenPage) -> None:
    alice, bob = unique("alice"), unique("bob")
    a, b = new_page(), new_page()
    sign_up(a, alice, f"Alice {alice[-6:]}")
    sign_up(b, bob, f"Bob {bob[-6:]}")

    open_chat_with(a, f"Bob {bob[-6:]}")
    send(a, "Hi Bob!")
    expect(a.get_by_test_id("message").last).to_have_attribute("data-status", "sent")

    # Bob sees the new conversation and the message without reloading
    b.get_by_role("button", name=f"Open Alice {alice[-6:]}").click()
    expect(texts(b)).to_have_text(["Hi Bob!"])
    send(b, "Hello Alice\nhow are you?")
    expect(texts(a)).to_have_text(["Hi Bob!", "Hello Alice\nhow are you?"])
    expect(texts(b)).to_have_text(["Hi Bob!", "Hello Alice\nhow are you?"])


def test_shift_enter_makes_a_new_line_and_the_limit_shows_before_sending(new_page: OpenPage) -> None:
    me, other = unique("me"), unique("other")
    them = new_page()
    sign_up(them, other, f"Other {other[-6:]}")
    page = new_page()
    sign_up(page, me, f"Me {me[-6:]}")
    open_chat_with(page, f"Other {other[-6:]}")
    composer = page.get_by_label("Message", exact=True)
    composer.fill("line one")
    composer.press("Shift+Enter")
    composer.press_sequentially("line two")
    expect(composer).to_have_value("line one\nline two")
    composer.fill("x" * 4001)
    expect(page.get_by_text("1 characters over the 4,000 limit")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_disabled()


def test_a_third_person_joins_a_group_and_a_reload_keeps_history(new_page: OpenPage) -> None:
    names = [unique(n) for n in ("ann", "ben", "cat")]
    ann, ben, cat = new_page(), new_page(), new_page()
    for page, name in zip((ann, ben, cat), names, strict=True):
        sign_up(page, name, name.title())

    create_group(ann, "Weekend plans", names[1:])
    expect(ann.get_by_role("heading", name="Weekend plans")).to_be_visible()
    send(ann, "Hike on Saturday?")

    for page in (ben, cat):
        page.get_by_role("button", name="Open Weekend plans").click()
        expect(texts(page)).to_have_text(["Hike on Saturday?"])
    send(cat, "I'm in")
    expect(texts(ann)).to_have_text(["Hike on Saturday?", "I'm in"])

    cat.reload()
    cat.get_by_role("button", name="Open Weekend plans").click()
    expect(texts(cat)).to_have_text(["Hike on Saturday?", "I'm in"])


def test_offline_then_back_sees_every_message_exactly_once(new_page: OpenPage) -> None:
    sender_name, reader_name = unique("sender"), unique("reader")
    sender, reader = new_page(), new_page()
    sign_up(sender, sender_name, sender_name.title())
    sign_up(reader, reader_name, reader_name.title())
    open_chat_with(sender, reader_name.title())
    send(sender, "before")
    reader.get_by_role("button", name=f"Open {sender_name.title()}").click()
    expect(texts(reader)).to_have_text(["before"])

    # The reader goes offline; the sender carries on
    reader.context.set_offline(True)
    expect(reader.get_by_role("status")).to_contain_text("offline")
    for text in ("while you were away 1", "while you were away 2", "while you were away 3"):
        send(sender, text)
    expect(sender.get_by_test_id("message").last).to_have_attribute("data-status", "sent")

    # Back online: it reconnects, catches up, and shows each message once
    reader.context.set_offline(False)
    expect(reader.get_by_role("status")).to_have_count(0)
    expected = ["before", "while you were away 1", "while you were away 2", "while you were away 3"]
    expect(texts(reader)).to_have_text(expected)
    send(sender, "after")
    expect(texts(reader)).to_have_text([*expected, "after"])


def test_a_phone_sized_screen_shows_the_list_then_the_conversation(new_page: OpenPage) -> None:
    me, other = unique("small"), unique("friend")
    friend = new_page()
    sign_up(friend, other, other.title())
    phone = new_page(viewport={"width": 375, "height": 740})
    sign_up(phone, me, me.title())
    open_chat_with(phone, other.title())
    # One view at a time: the conversation replaced the list
    expect(phone.get_by_role("navigation", name="Conversations")).to_be_hidden()
    send(phone, "from my phone")
    expect(texts(phone)).to_have_text(["from my phone"])
    phone.get_by_role("button", name="Back to conversations").click()
    expect(phone.get_by_role("navigation", name="Conversations")).to_be_visible()
    expect(phone.get_by_role("button", name=f"Open {other.title()}")).to_contain_text("from my phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_wrong_password_is_shown_in_words(new_page: OpenPage) -> None:
    page = new_page()
    page.get_by_label("Username").fill(unique("nobody"))
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("The username or password is wrong.")


def test_the_other_person_sees_typing_until_the_message_arrives(new_page: OpenPage) -> None:
    alice, bob = unique("alice"), unique("bob")
    a, b = new_page(), new_page()
    sign_up(b, bob, f"Bob {bob[-6:]}")
    sign_up(a, alice, f"Alice {alice[-6:]}")
    open_chat_with(a, f"Bob {bob[-6:]}")
    send(a, "hello")
    b.get_by_role("button", name=f"Open Alice {alice[-6:]}").click()
    expect(texts(b)).to_have_text(["hello"])

    a.get_by_label("Message", exact=True).press_sequentially("are you t")
    expect(b.get_by_test_id("typing")).to_have_text(f"Alice {alice[-6:]} is typing…")
    expect(a.get_by_test_id("typing")).to_have_text("")  # nobody else is typing

    a.get_by_label("Message", exact=True).press_sequentially("here?")
    a.get_by_label("Message", exact=True).press("Enter")
    expect(texts(b)).to_have_text(["hello", "are you there?"])
    expect(b.get_by_test_id("typing")).to_have_text("")
