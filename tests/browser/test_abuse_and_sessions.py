"""What a person sees when the server asks them to slow down, and when their login is
ended from another device."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.pages import OpenPage, alice_chatting_with_bob, log_in, send, sign_up, texts, unique
from tests.conftest import reset_containers


@pytest.fixture
def two_sends_then_one_every_two_seconds(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The stack runs in this process: its functions read the limit on their next event.
    monkeypatch.setenv("RATE_LIMIT_SEND", "2/4")
    reset_containers()
    yield
    monkeypatch.undo()
    reset_containers()


def test_sending_too_fast_shows_slow_down_and_every_message_still_arrives_once(
    new_page: OpenPage, two_sends_then_one_every_two_seconds: None
) -> None:
    a, b = alice_chatting_with_bob(new_page)
    for n in range(4):
        send(a, f"burst {n}")

    # Alice is told to slow down, and the refused messages wait rather than fail
    expect(a.get_by_test_id("slow-down")).to_contain_text("Slow down")
    expect(a.get_by_text("Waiting to send").first).to_be_visible()
    expect(a.get_by_text("Not sent")).to_have_count(0)

    # They go out by themselves when the wait is over: Bob gets all four, in order, once
    b.bring_to_front()
    b.get_by_role("button", name="Open Alice").click()
    expect(texts(b)).to_have_text([f"burst {n}" for n in range(4)], timeout=15_000)
    expect(a.get_by_test_id("slow-down")).to_have_count(0, timeout=10_000)
    expect(texts(a)).to_have_text([f"burst {n}" for n in range(4)])


def test_log_out_everywhere_signs_out_the_other_device_too(new_page: OpenPage) -> None:
    alice = unique("alice")
    laptop, phone = new_page(), new_page()
    sign_up(laptop, alice, "Alice")
    log_in(phone, alice)

    laptop.get_by_role("button", name="Edit your profile").click()
    laptop.get_by_role("button", name="Log out everywhere").click()
    laptop.get_by_role("button", name="Yes, log out everywhere").click()

    expect(laptop.get_by_role("button", name="Log in")).to_be_visible()
    # The phone's socket is closed by the server; reconnecting is refused and it says so
    expect(phone.get_by_text("Your session ended")).to_be_visible(timeout=15_000)
