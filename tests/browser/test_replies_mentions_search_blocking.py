"""Replies, @mentions, message search and blocking, as people see them in Chromium, each person in
a browser context of their own: a quote that follows its original's edit and deletion and jumps to it
through older history, a mention highlighted and counted, a search across two chats that opens one at
the message found, and a block that refuses the blocked person's sends until it is lifted."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import (
    OpenPage,
    alice_chatting_with_bob,
    api,
    api_sign_up,
    create_group,
    log_in,
    open_at_newest,
    open_chat_with,
    send,
    sign_up,
    texts,
    unique,
)
from tests.conftest import reset_containers

# More than the newest page (50): the first messages are in a page still to load.
HISTORY = 60


def message_menu(page: Page, text: str, item: str) -> None:
    """Opens the menu of the message whose text is `text` and picks `item` (Reply, Edit, Delete)."""
    row = page.get_by_test_id("message-row").filter(has=page.get_by_test_id("message-text").filter(has_text=text))
    row.get_by_test_id("message-text").hover()
    row.get_by_role("button", name="Message actions").click()
    page.get_by_role("menuitem", name=item).click()


def bubble(page: Page, text: str) -> Locator:
    """The message whose own text (not a quote of it) is `text`."""
    return page.get_by_test_id("message").filter(has=page.get_by_test_id("message-text").filter(has_text=text))


def quote_in(page: Page, reply: str) -> Locator:
    """The quote shown above the reply whose text is `reply`."""
    return bubble(page, reply).get_by_test_id("quote")


def test_a_reply_quotes_its_original_and_follows_its_edit_and_deletion(new_page: OpenPage) -> None:
    # Given Alice has asked two things, and Bob has the chat open
    a, b = alice_chatting_with_bob(new_page)
    send(a, "Lunch at 1?")
    send(a, "Bring snacks")
    b.get_by_role("button", name="Open Alice").click()
    expect(texts(b)).to_have_text(["Lunch at 1?", "Bring snacks"])

    # When Bob replies to each from its menu
    message_menu(b, "Lunch at 1?", "Reply")
    expect(b.get_by_test_id("composer-quote")).to_contain_text("Lunch at 1?")
    expect(b.get_by_label("Message", exact=True)).to_be_focused()
    send(b, "Yes, see you there")
    expect(b.get_by_test_id("composer-quote")).to_have_count(0)
    message_menu(b, "Bring snacks", "Reply")
    send(b, "Crisps ok?")

    # Then both see each reply with its quote above it
    for page, author in ((a, "You"), (b, "Alice")):
        expect(quote_in(page, "Yes, see you there")).to_contain_text("Lunch at 1?")
        expect(quote_in(page, "Crisps ok?")).to_contain_text("Bring snacks")
        expect(quote_in(page, "Crisps ok?")).to_contain_text(author)

    # When Alice edits the first and deletes the second
    message_menu(a, "Lunch at 1?", "Edit")
    a.get_by_label("Edit message").fill("Lunch at 2?")
    a.get_by_label("Edit message").press("Enter")
    message_menu(a, "Bring snacks", "Delete")
    a.get_by_role("dialog", name="Delete message").get_by_role("button", name="Delete").click()

    # Then the quotes follow, for both, at once
    for page in (a, b):
        expect(quote_in(page, "Yes, see you there").get_by_test_id("quote-text")).to_have_text("Lunch at 2?")
        deleted = quote_in(page, "Crisps ok?")
        expect(deleted.get_by_test_id("quote-text")).to_have_text("Original message deleted")
        expect(deleted).to_have_attribute("data-deleted", "true")

    # And the server kept them so: a reload shows the same
    b.reload()
    b.get_by_role("button", name="Open Alice").click()
    expect(quote_in(b, "Yes, see you there").get_by_test_id("quote-text")).to_have_text("Lunch at 2?")
    expect(quote_in(b, "Crisps ok?").get_by_test_id("quote-text")).to_have_text("Original message deleted")


def test_a_reply_to_a_message_deleted_meanwhile_is_refused(new_page: OpenPage) -> None:
    # Given Bob has started a reply to Alice's message
    a, b = alice_chatting_with_bob(new_page)
    send(a, "Maybe Friday?")
    b.get_by_role("button", name="Open Alice").click()
    message_menu(b, "Maybe Friday?", "Reply")

    # When Alice deletes it before Bob sends
    message_menu(a, "Maybe Friday?", "Delete")
    a.get_by_role("dialog", name="Delete message").get_by_role("button", name="Delete").click()
    expect(b.get_by_test_id("message-deleted")).to_have_count(1)
    expect(b.get_by_test_id("composer-quote")).to_contain_text("Original message deleted")
    send(b, "Friday works")

    # Then his reply is refused, shown as not sent, and he is told why
    expect(bubble(b, "Friday works")).to_have_attribute("data-status", "failed")
    expect(b.get_by_role("alert")).to_contain_text("deleted")


@dataclass
class LongChat:
    alice: str
    bob_name: str
    first_id: str


@pytest.fixture
def long_chat(web_stack: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LongChat]:
    """Alice and Bob with HISTORY messages over the API (#0000 the first), then Bob's reply to #0000,
    which is far above the newest page."""
    monkeypatch.setenv("RATE_LIMIT_SEND", "100000/1")
    reset_containers()
    try:
        alice, bob = unique("alice"), unique("bob")
        bob_name = f"Bob {bob[-6:]}"
        a = api_sign_up(web_stack, alice, "Alice")
        b = api_sign_up(web_stack, bob, bob_name)
        chat = api(web_stack, "/api/conversations/direct", {"userId": b["user"]["id"]}, a["accessToken"])
        sent: list[dict[str, Any]] = []
        for index in range(HISTORY):
            body = {"conversationId": chat["id"], "text": f"#{index:04d} pancake {index}"}
            sent.append(api(web_stack, "/api/messages", body, (a if index % 2 else b)["accessToken"]))
        reply = {"conversationId": chat["id"], "text": "the very first one!", "replyTo": sent[0]["id"]}
        api(web_stack, "/api/messages", reply, b["accessToken"])
        yield LongChat(alice, bob_name, sent[0]["id"])
    finally:
        monkeypatch.undo()
        reset_containers()


def test_clicking_a_quote_loads_older_history_and_shows_the_original(new_page: OpenPage, long_chat: LongChat) -> None:
    # Given Alice at the newest message, whose quote names one far above the loaded page
    page = new_page()
    open_at_newest(page, long_chat.alice, long_chat.bob_name, "the very first one!")
    expect(texts(page).filter(has_text="#0000")).to_have_count(0)

    # When she clicks the quote
    quote_in(page, "the very first one!").click()

    # Then older pages load back to it, and it is scrolled into view, highlighted, with focus on it
    original = bubble(page, "#0000 pancake 0")
    expect(original).to_be_in_viewport()
    expect(original).to_be_focused()


def test_a_mention_is_highlighted_and_counted_until_read(new_page: OpenPage) -> None:
    names = [unique(n) for n in ("ann", "ben", "cat")]
    ann, ben, cat = new_page(), new_page(), new_page()
    for page, name in zip((ann, ben, cat), names, strict=True):
        sign_up(page, name, name.title())
    create_group(ann, "Projector club", names[1:])
    expect(ben.get_by_role("button", name="Open Projector club")).to_be_visible()

    # When Ann names Ben (picked from the members "@" offers), someone who is no member, and Cat
    box = ann.get_by_label("Message", exact=True)
    box.press_sequentially(f"@{names[1][:3]}")
    offered = ann.get_by_role("listbox", name="Members to mention").get_by_role("option")
    expect(offered).to_have_count(1)
    expect(offered).to_contain_text(f"@{names[1]}")
    box.press("Enter")
    expect(box).to_have_value(f"@{names[1]} ")
    box.press_sequentially("can you bring the projector?")
    box.press("Enter")
    send(ann, "@nobody_here is not in this group")
    send(ann, f"thanks @{names[2].upper()}")

    # Then Ben's list counts one mention beside three unread
    expect(ben.get_by_test_id("mention-badge")).to_have_text("@1")
    expect(ben.get_by_test_id("unread-badge")).to_have_text("3")
    expect(ben.get_by_role("button", name="Open Projector club, 3 unread, 1 mentioning you")).to_be_visible()

    # And in the chat, the members named are marked, and the message naming him stands out
    ben.get_by_role("button", name="Open Projector club").click()
    expect(ben.get_by_test_id("mention")).to_have_text([f"@{names[1]}", f"@{names[2].upper()}"])
    expect(ben.locator("[data-mentions-me]")).to_have_count(1)
    expect(ben.locator("[data-mentions-me]")).to_contain_text("can you bring the projector?")

    # Read: the counts go, and stay gone after a reload
    expect(ben.get_by_test_id("mention-badge")).to_have_count(0)
    expect(ben.get_by_test_id("unread-badge")).to_have_count(0)
    ben.reload()
    expect(ben.get_by_role("button", name="Open Projector club")).to_be_visible()
    expect(ben.get_by_test_id("mention-badge")).to_have_count(0)

    # Cat's is counted for her, and the message naming her stands out for her alone
    expect(cat.get_by_test_id("mention-badge")).to_have_text("@1")
    cat.get_by_role("button", name="Open Projector club").click()
    expect(cat.locator("[data-mentions-me]")).to_contain_text("thanks")


@dataclass
class SearchWorld:
    alice: str
    bob_name: str


@pytest.fixture
def search_world(web_stack: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SearchWorld]:
    """Alice's direct chat with Bob (HISTORY messages, a dessert named in #0002, 25 pancakes), her group
    with Cat (the dessert again), and Bob and Cat's own chat (the dessert, which Alice may not read)."""
    monkeypatch.setenv("RATE_LIMIT_SEND", "100000/1")
    reset_containers()
    try:
        alice, bob, cat = unique("alice"), unique("bob"), unique("cat")
        bob_name = f"Bob {bob[-6:]}"
        a = api_sign_up(web_stack, alice, "Alice")
        b = api_sign_up(web_stack, bob, bob_name)
        c = api_sign_up(web_stack, cat, "Cat")

        def say(sender: dict[str, Any], conversation: dict[str, Any], text: str) -> None:
            api(web_stack, "/api/messages", {"conversationId": conversation["id"], "text": text}, sender["accessToken"])

        def direct(one: dict[str, Any], other: dict[str, Any]) -> Any:
            return api(web_stack, "/api/conversations/direct", {"userId": other["user"]["id"]}, one["accessToken"])

        with_bob = direct(a, b)
        for index in range(HISTORY):
            text = f"#{index:04d} " + ("pancake" if index >= 35 else "tea")
            say(b, with_bob, "Crème brûlée, my recipe" if index == 2 else text)
        group = {"name": "Desserts", "memberIds": [c["user"]["id"]]}
        say(c, api(web_stack, "/api/groups/create", group, a["accessToken"]), "CREME BRULEE tonight?")
        say(b, direct(b, c), "creme brulee secret")
        yield SearchWorld(alice, bob_name)
    finally:
        monkeypatch.undo()
        reset_containers()


def test_search_finds_messages_across_two_chats_and_opens_one_at_the_message(
    new_page: OpenPage, search_world: SearchWorld
) -> None:
    page = new_page()
    log_in(page, search_world.alice)

    # When Alice searches every chat, without accents or case
    box = page.get_by_role("searchbox", name="Search messages")
    box.fill("creme brulee")
    box.press("Enter")

    # Then she finds it in her two chats, newest first, the words marked, and nothing of Bob and Cat's
    results = page.get_by_role("region", name="Search results")
    expect(results.get_by_test_id("search-summary")).to_have_text("2 messages found")
    expected = ["CREME BRULEE tonight?", "Crème brûlée, my recipe"]
    expect(results.get_by_test_id("search-result-text")).to_have_text(expected)
    expect(results.get_by_test_id("search-result-chat")).to_contain_text(["Desserts", search_world.bob_name])
    expect(results.get_by_test_id("search-result").last.locator("mark")).to_have_text(["Crème", "brûlée"])

    # When she opens the older one, far above the chat's newest page
    results.get_by_test_id("search-result").last.click()

    # Then its chat opens at that message, loaded, in view and focused
    expect(page.get_by_role("heading", name=search_world.bob_name)).to_be_visible()
    found = bubble(page, "Crème brûlée, my recipe")
    expect(found).to_be_in_viewport()
    expect(found).to_be_focused()

    # And searching within the chat pages on with Load more
    page.get_by_role("button", name="Search in this chat").click()
    in_chat_box = page.get_by_role("searchbox", name="Search in this chat")
    expect(in_chat_box).to_be_focused()
    in_chat_box.fill("pancake")
    in_chat_box.press("Enter")
    in_chat = page.get_by_role("region", name="Search results").filter(has=page.get_by_role("button", name="Load more"))
    expect(in_chat.get_by_test_id("search-result")).to_have_count(20)
    expect(page.get_by_test_id("search-summary").last).to_have_text("20 messages shown, more below")
    in_chat.get_by_role("button", name="Load more").click()
    expect(page.get_by_test_id("search-summary").last).to_have_text("25 messages found")
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)


def test_blocking_refuses_the_blocked_users_sends_until_unblocked(new_page: OpenPage) -> None:
    # Given Alice and Bob have talked
    bob = unique("bob")
    bob_name = f"Bob {bob[-6:]}"
    a, b = new_page(), new_page()
    sign_up(a, unique("alice"), "Alice")
    sign_up(b, bob, bob_name)
    open_chat_with(a, bob_name)
    send(a, "hello")
    b.get_by_role("button", name="Open Alice").click()
    send(b, "hi!")
    expect(texts(a)).to_have_text(["hello", "hi!"])

    # When Alice blocks Bob from the chat's menu, after the confirmation
    a.get_by_role("button", name="More options").click()
    a.get_by_role("menuitem", name=f"Block {bob_name}").click()
    a.get_by_role("dialog", name=f"Block {bob_name}?").get_by_role("button", name="Block").click()

    # Then her composer gives way to the block, and Bob's send is refused without a word of it
    expect(a.get_by_test_id("blocked-composer")).to_have_text("You blocked this user")
    expect(a.get_by_label("Message", exact=True)).to_have_count(0)
    send(b, "are you there?")
    expect(bubble(b, "are you there?")).to_have_attribute("data-status", "failed")
    expect(b.get_by_role("alert")).to_contain_text("This message could not be sent.")
    expect(b.get_by_role("alert")).not_to_contain_text("block")
    expect(texts(a)).to_have_text(["hello", "hi!"])

    # And her profile lists him among the people she blocked
    a.get_by_role("button", name="Edit your profile").click()
    blocked = a.get_by_role("dialog", name="Your profile").get_by_role("list", name="Blocked people")
    expect(blocked).to_contain_text(bob_name)
    a.keyboard.press("Escape")

    # When she unblocks him from the chat, Bob's retry goes through
    a.get_by_role("button", name=f"Unblock {bob_name}").click()
    expect(a.get_by_label("Message", exact=True)).to_be_focused()
    bubble(b, "are you there?").get_by_role("button", name="Retry").click()
    expect(bubble(b, "are you there?")).to_have_attribute("data-status", "sent")
    expect(texts(a)).to_have_text(["hello", "hi!", "are you there?"])
    a.get_by_role("button", name="Edit your profile").click()
    expect(a.get_by_role("dialog", name="Your profile")).to_contain_text("No one.")


def test_a_group_member_is_blocked_and_unblocked_from_the_groups_members(new_page: OpenPage) -> None:
    # Given Alice and Bob in a group, who never had a chat of their own
    alice, bob = unique("alice"), unique("bob")
    a, b = new_page(), new_page()
    sign_up(a, alice, alice.title())
    sign_up(b, bob, bob.title())
    create_group(a, "Book club", [bob])
    expect(a.get_by_role("heading", name="Book club")).to_be_visible()

    # When Alice blocks Bob from the group's members, after the confirmation
    a.get_by_role("button", name="Group info").click()
    info = a.get_by_role("dialog", name="Group info")
    info.get_by_role("button", name=f"Block {bob.title()}", exact=True).click()
    a.get_by_role("dialog", name=f"Block {bob.title()}?").get_by_role("button", name="Block").click()

    # Then his row says so and offers Unblock, focus stays on it, and her profile lists him
    unblock = info.get_by_role("button", name=f"Unblock {bob.title()}", exact=True)
    expect(unblock).to_be_focused()
    expect(info.get_by_role("listitem").filter(has_text=bob.title())).to_contain_text("Blocked")
    expect(info.get_by_role("status")).to_have_text(f"{bob.title()} blocked")
    info.get_by_role("button", name="Close").click()
    a.get_by_role("button", name="Edit your profile").click()
    profile = a.get_by_role("dialog", name="Your profile")
    expect(profile.get_by_role("list", name="Blocked people")).to_contain_text(bob.title())
    a.keyboard.press("Escape")

    # And Bob cannot start a chat with her, told nothing of why
    b.get_by_label("Search people").fill(alice)
    b.get_by_role("button", name=f"Chat with {alice.title()}").click()
    expect(b.get_by_role("alert")).to_contain_text("You cannot start a chat with this user.")
    expect(b.get_by_role("alert")).not_to_contain_text("block")
    expect(b.get_by_role("heading", name=alice.title())).to_have_count(0)

    # When she unblocks him from the group's members
    a.get_by_role("button", name="Group info").click()
    unblock.click()

    # Then the row offers Block again, her profile lists no one, and Bob's chat with her opens
    expect(info.get_by_role("button", name=f"Block {bob.title()}", exact=True)).to_be_visible()
    expect(info.get_by_role("listitem").filter(has_text=bob.title())).not_to_contain_text("Blocked")
    info.get_by_role("button", name="Close").click()
    a.get_by_role("button", name="Edit your profile").click()
    expect(a.get_by_role("dialog", name="Your profile")).to_contain_text("No one.")
    open_chat_with(b, alice.title())
    expect(b.get_by_label("Message", exact=True)).to_be_focused()  # where the keyboard goes on

    # When she blocks him again, and unblocks him from her profile with the keyboard, the last one there
    a.keyboard.press("Escape")
    a.get_by_role("button", name="Group info").click()
    info.get_by_role("button", name=f"Block {bob.title()}", exact=True).click()
    a.get_by_role("dialog", name=f"Block {bob.title()}?").get_by_role("button", name="Block").click()
    expect(info.get_by_role("button", name=f"Unblock {bob.title()}", exact=True)).to_be_focused()
    a.keyboard.press("Escape")
    a.get_by_role("button", name="Edit your profile").click()
    profile.get_by_role("button", name=f"Unblock {bob.title()}", exact=True).focus()
    a.keyboard.press("Enter")

    # Then the list says no one, and focus stays in her profile, on the blocked people's group
    expect(profile).to_contain_text("No one.")
    expect(profile.get_by_role("group", name="Blocked people")).to_be_focused()
