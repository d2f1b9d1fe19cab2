"""Photos, files and profile pictures in the web client, in Chromium: uploads go
straight to the local S3 and the other person sees them through signed links."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.pages import OpenPage, open_chat_with, sign_up, unique
from tests.media_samples import PDF, png

PHOTO = png(40, 30, (20, 120, 200))
# A DataTransfer holding one file, as the browser builds for a drop or a paste.
MAKE_FILE = (
    "([name, type, text]) => {"
    " const transfer = new DataTransfer(); transfer.items.add(new File([text], name, {type})); return transfer; }"
)


def attach(page: Page, *files: dict[str, Any]) -> None:
    page.get_by_label("Attach files").set_input_files(list(files))  # type: ignore[arg-type]


def test_a_photo_a_pdf_and_a_profile_picture_reach_the_other_person(new_page: OpenPage) -> None:
    alice, bob = unique("alice"), unique("bob")
    a, b = new_page(), new_page()
    sign_up(a, alice, f"Alice {alice[-6:]}")
    sign_up(b, bob, f"Bob {bob[-6:]}")

    # Alice picks a profile picture: a cropped preview, then saved
    a.get_by_role("button", name="Edit your profile").click()
    a.get_by_label("Choose a picture").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": png(80, 60, (250, 180, 0))}
    )
    expect(a.get_by_test_id("avatar-preview")).to_be_visible()
    a.get_by_role("button", name="Save").click()
    expect(a.get_by_role("dialog")).to_have_count(0)
    expect(a.get_by_role("button", name="Edit your profile").get_by_test_id("avatar")).to_be_visible()

    # She attaches a photo and a PDF; each uploads with its own progress bar, then sends with no text
    open_chat_with(a, f"Bob {bob[-6:]}")
    attach(
        a,
        {"name": "view.png", "mimeType": "image/png", "buffer": PHOTO},
        {"name": "plan.pdf", "mimeType": "application/pdf", "buffer": PDF},
    )
    expect(a.get_by_test_id("upload")).to_have_count(2)
    expect(a.locator("[data-testid=upload][data-status=done]")).to_have_count(2)
    a.get_by_role("button", name="Send").click()
    expect(a.get_by_test_id("message").last).to_have_attribute("data-status", "sent")
    expect(a.get_by_test_id("upload")).to_have_count(0)

    # Bob sees the photo drawn, the PDF as a chip, and Alice's picture
    b.get_by_role("button", name=f"Open Alice {alice[-6:]}").click()
    expect(b.get_by_test_id("attachment-image")).to_have_count(1)
    # drawn: the signed link served the real bytes
    b.wait_for_function("() => document.querySelector('[data-testid=attachment-image]')?.naturalWidth === 40")
    chip = b.get_by_test_id("attachment-file")
    expect(chip).to_contain_text("plan.pdf")
    assert "/media/attachments/" in (chip.get_attribute("href") or "")
    assert (b.get_by_test_id("avatar").first.get_attribute("src") or "").count("/media/avatars/") == 1
    b.wait_for_function("() => [...document.querySelectorAll('[data-testid=avatar]')].every(i => i.naturalWidth > 0)")

    # The photo opens in a lightbox; Escape closes it
    b.get_by_role("button", name="Open view.png").click()
    expect(b.get_by_test_id("lightbox-image")).to_be_visible()
    b.keyboard.press("Escape")
    expect(b.get_by_test_id("lightbox-image")).to_have_count(0)


def test_wrong_types_and_sizes_are_refused_before_any_upload(new_page: OpenPage) -> None:
    alice, bob = unique("alice"), unique("bob")
    a, b = new_page(), new_page()
    sign_up(b, bob, f"Bob {bob[-6:]}")
    sign_up(a, alice, f"Alice {alice[-6:]}")
    open_chat_with(a, f"Bob {bob[-6:]}")
    asked: list[str] = []
    a.on("request", lambda r: asked.append(r.url) if "/api/media/" in r.url else None)

    attach(
        a,
        {"name": "setup.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ\x90\x00"},
        {"name": "huge.png", "mimeType": "image/png", "buffer": PHOTO + b"\0" * (10 * 1024 * 1024)},
    )

    errors = a.get_by_test_id("upload").get_by_role("alert")
    expect(errors).to_have_text(
        [
            "setup.exe can't be sent: only JPEG, PNG, GIF, WebP, PDF, text files are accepted.",
            "huge.png is 10.0 MB; a PNG file may be up to 10.0 MB.",
        ]
    )
    expect(a.get_by_role("button", name="Send")).to_be_disabled()
    assert asked == []
    a.get_by_role("button", name="Remove setup.exe").click()
    expect(a.get_by_test_id("upload")).to_have_count(1)


def test_files_can_be_dropped_or_pasted_into_a_conversation(new_page: OpenPage) -> None:
    alice, bob = unique("alice"), unique("bob")
    a, b = new_page(), new_page()
    sign_up(b, bob, f"Bob {bob[-6:]}")
    sign_up(a, alice, f"Alice {alice[-6:]}")
    open_chat_with(a, f"Bob {bob[-6:]}")
    dropped = a.evaluate_handle(MAKE_FILE, ["notes.txt", "text/plain", "dropped in"])
    section = a.get_by_role("region", name=f"Bob {bob[-6:]}")
    section.dispatch_event("dragover", {"dataTransfer": dropped})
    section.dispatch_event("drop", {"dataTransfer": dropped})
    pasted = a.evaluate_handle(MAKE_FILE, ["clip.txt", "text/plain", "pasted in"])
    a.get_by_label("Message", exact=True).evaluate(
        "(area, data) => area.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true}))",
        pasted,
    )

    expect(a.locator("[data-testid=upload][data-status=done]")).to_have_count(2)
    a.get_by_label("Message", exact=True).fill("two notes")
    a.get_by_label("Message", exact=True).press("Enter")
    b.get_by_role("button", name=f"Open Alice {alice[-6:]}").click()
    expect(b.get_by_test_id("attachment-file")).to_have_count(2)
    expect(b.get_by_test_id("attachment-file").first).to_contain_text("notes.txt")
