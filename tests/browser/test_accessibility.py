"""axe-core (the copy axe-playwright-python ships, pinned in requirements-dev.txt) on the
screens a person meets: signing in, a chat with messages and a photo, the group info
dialog, the profile dialog (with someone blocked), a group chat with a reply and mentions,
and message search results. A serious or critical violation fails the test, named
with its rule, impact and elements; every violation found is printed (pytest -rP)."""

import re
from functools import cache
from importlib.resources import files
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.pages import OpenPage, alice_chatting_with_bob, create_group, send, sign_up, texts, unique
from tests.media_samples import png

BLOCKING = ("serious", "critical")
# axe's verdicts, small enough to cross back to Python: rule, impact, and the elements it names.
RUN_AXE = """async () => {
  const results = await axe.run(document, { resultTypes: ['violations'] });
  return results.violations.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    nodes: rule.nodes.map((node) => ({ target: node.target.join(' '), html: node.html, summary: node.failureSummary })),
  }));
}"""


@cache
def axe_source() -> str:
    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def describe(screen: str, violation: dict[str, Any]) -> str:
    """One line for the rule, then each element: its selector, its markup, and what axe found wrong."""
    nodes = "\n".join(
        f"    {node['target']}: {node['html'][:200]}\n      {' '.join((node['summary'] or '').split())}"
        for node in violation["nodes"]
    )
    return f"{screen}: {violation['id']} ({violation['impact']}) {violation['help']}\n{nodes}"


def assert_accessible(page: Page, screen: str) -> None:
    """Runs axe on the page as it is now; fails naming every serious or critical violation."""
    page.evaluate(axe_source())  # evaluated by the driver, so the page's Content-Security-Policy allows it
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    for violation in violations:
        print(describe(screen, violation))
    blocking = [describe(screen, v) for v in violations if v["impact"] in BLOCKING]
    assert blocking == [], "serious or critical accessibility violations:\n" + "\n".join(blocking)


def test_the_sign_in_screen(new_page: OpenPage) -> None:
    page = new_page()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert_accessible(page, "sign-in")


def test_a_chat_with_messages_and_a_photo(new_page: OpenPage) -> None:
    # Given Alice and Bob have written to each other, and Alice has sent a photo
    a, b = alice_chatting_with_bob(new_page)
    send(a, "Are we still on for Saturday?")
    b.get_by_role("button", name="Open Alice").click()
    send(b, "Yes! See you at ten")
    a.get_by_label("Attach files").set_input_files(
        {"name": "view.png", "mimeType": "image/png", "buffer": png(40, 30, (20, 120, 200))}
    )
    expect(a.locator("[data-testid=upload][data-status=done]")).to_have_count(1)
    a.get_by_role("button", name="Send").click()
    expect(a.get_by_test_id("message").last).to_have_attribute("data-status", "sent")
    a.wait_for_function("() => document.querySelector('[data-testid=attachment-image]')?.naturalWidth === 40")
    expect(texts(a)).to_have_text(["Are we still on for Saturday?", "Yes! See you at ten"])
    # Then Alice's screen, the list and the open chat, passes
    assert_accessible(a, "chat")


def test_the_group_info_dialog(new_page: OpenPage) -> None:
    ann, ben = unique("ann"), unique("ben")
    a, b = new_page(), new_page()
    sign_up(a, ann, ann.title())
    sign_up(b, ben, ben.title())
    create_group(a, "Book club", [ben])
    send(a, "First meeting on Friday")
    a.get_by_role("button", name="Group info").click()
    expect(a.get_by_role("dialog")).to_be_visible()
    expect(a.get_by_role("dialog").get_by_text(ben.title())).to_be_visible()
    assert_accessible(a, "group info dialog")


def test_the_profile_dialog(new_page: OpenPage) -> None:
    page = new_page()
    sign_up(page, unique("alice"), "Alice")
    page.get_by_role("button", name="Edit your profile").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_accessible(page, "profile dialog")


def test_a_group_chat_with_a_reply_mentions_and_search_results(new_page: OpenPage) -> None:
    # Given Ben named in Ann's group message, and replying to it
    ann, ben = unique("ann"), unique("ben")
    a, b = new_page(), new_page()
    sign_up(a, ann, ann.title())
    sign_up(b, ben, ben.title())
    create_group(a, "Book club", [ben])
    send(a, f"@{ben} which book first?")
    b.get_by_role("button", name="Open Book club").click()
    row = b.get_by_test_id("message-row").first
    row.get_by_test_id("message-text").hover()
    row.get_by_role("button", name="Message actions").click()
    b.get_by_role("menuitem", name="Reply").click()
    expect(b.get_by_test_id("composer-quote")).to_be_visible()
    assert_accessible(b, "composer replying")
    send(b, "The short one")
    expect(b.get_by_test_id("quote")).to_be_visible()
    expect(b.get_by_test_id("mention")).to_have_count(1)
    assert_accessible(b, "group chat with a reply and a mention")

    # And the results of a search of every chat, and of this one
    search = b.get_by_role("searchbox", name="Search messages")
    search.fill("book")
    search.press("Enter")
    expect(b.get_by_test_id("search-result")).to_have_count(1)
    assert_accessible(b, "search results")
    b.get_by_role("button", name="Search in this chat").click()
    b.get_by_role("searchbox", name="Search in this chat").fill("short")
    b.get_by_role("searchbox", name="Search in this chat").press("Enter")
    expect(b.get_by_test_id("search-result")).to_have_count(1)
    assert_accessible(b, "search in a chat")


def test_the_profile_dialog_with_someone_blocked(new_page: OpenPage) -> None:
    a, _ = alice_chatting_with_bob(new_page)
    a.get_by_role("button", name="More options").click()
    a.get_by_role("menuitem", name=re.compile("^Block ")).click()
    a.get_by_role("dialog", name=re.compile("^Block ")).get_by_role("button", name="Block").click()
    expect(a.get_by_test_id("blocked-composer")).to_be_visible()
    assert_accessible(a, "a blocked direct chat")
    a.get_by_role("button", name="Edit your profile").click()
    expect(a.get_by_role("list", name="Blocked people")).to_be_visible()
    assert_accessible(a, "profile dialog with someone blocked")
