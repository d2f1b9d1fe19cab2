from datetime import UTC, datetime, timedelta

import pytest

from chat.models.api import (
    AttachmentRef,
    AvatarUploadRequest,
    CreateGroupRequest,
    SendMessageRequest,
    SignupRequest,
    UpdateProfileRequest,
    UploadUrlRequest,
)
from chat.models.errors import Forbidden, InvalidMedia, NotFound, PayloadTooLarge, UnsupportedMediaType
from chat.services.media_links import link_expiry
from chat.services.media_types import HEAD_BYTES, sniff
from tests.media_samples import GIF, JPEG, PDF, TEXT, WEBP, png
from tests.unit.conftest import Chat


@pytest.fixture
def pair(chat: Chat) -> tuple[str, str, str]:
    alice = chat.auth.signup(SignupRequest(username="alice", password="password1")).user.id
    bob = chat.auth.signup(SignupRequest(username="bob", password="password1")).user.id
    conversation, _ = chat.conversations.open_direct(alice, bob)
    return alice, bob, conversation.id


def uploaded(chat: Chat, owner: str, conversation_id: str, data: bytes, content_type: str, *, name: str = "f") -> str:
    request = UploadUrlRequest(conversationId=conversation_id, fileName=name, contentType=content_type, size=len(data))
    ticket = chat.media.attachment_upload(owner, request)
    chat.storage.put(f"incoming/{ticket.mediaId}", data, content_type)
    return ticket.mediaId


def send_with(chat: Chat, sender: str, conversation_id: str, *media_ids: str) -> object:
    request = SendMessageRequest(
        conversationId=conversation_id, attachments=[AttachmentRef(mediaId=m) for m in media_ids]
    )
    return chat.messages.send_message(sender, request)


@pytest.mark.parametrize(
    ("content_type", "data", "size"),
    [
        ("image/png", png(640, 480), (640, 480)),
        ("image/jpeg", JPEG, (1, 1)),
        ("image/gif", GIF, (1, 1)),
        ("image/webp", WEBP, (1, 1)),
        ("application/pdf", PDF, (None, None)),
        ("text/plain", TEXT, (None, None)),
    ],
)
def test_each_accepted_type_is_recognised_with_its_size(
    content_type: str, data: bytes, size: tuple[int | None, int | None]
) -> None:
    found = sniff(content_type, data, complete=True)
    assert (found.matches, found.width, found.height) == (True, *size)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/jpeg", png()),
        ("image/png", JPEG),
        ("image/gif", b"GIF90a" + b"\0" * 10),
        ("image/webp", b"RIFF\0\0\0\0WAVEfmt " + b"\0" * 20),
        ("application/pdf", b"<html><script>alert(1)</script>"),
        ("text/plain", b"MZ\x90\x00\x03\x00"),  # an executable's header
        ("text/plain", "caf\u00e9".encode("latin-1")),  # not UTF-8
        ("image/svg+xml", b"<svg/>"),
    ],
)
def test_content_that_does_not_match_its_type_is_caught(content_type: str, data: bytes) -> None:
    assert not sniff(content_type, data, complete=True).matches


def test_text_cut_inside_a_character_is_fine_unless_the_file_ends_there() -> None:
    head = ("a" * (HEAD_BYTES - 1) + "é").encode()[:HEAD_BYTES]
    assert sniff("text/plain", head, complete=False).matches
    assert not sniff("text/plain", head, complete=True).matches


def test_links_last_one_to_two_hours_and_repeat_within_the_hour() -> None:
    at = datetime(2026, 11, 24, 12, 0, 1, tzinfo=UTC)
    assert link_expiry(at) == datetime(2026, 11, 24, 14, tzinfo=UTC)
    assert link_expiry(at + timedelta(minutes=59)) == link_expiry(at)


def test_upload_forms_pin_key_type_and_size(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, _, conversation_id = pair
    request = UploadUrlRequest(conversationId=conversation_id, fileName="a.png", contentType="IMAGE/PNG", size=1234)
    ticket = chat.media.attachment_upload(alice, request)
    assert ticket.expiresIn == 300
    assert chat.storage.forms[f"incoming/{ticket.mediaId}"] == ("image/png", 1234)
    assert chat.media_store.expires_at[ticket.mediaId] > chat.media_store.uploads[ticket.mediaId].created_at


def test_upload_forms_are_for_members_allowed_types_and_sizes(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, _, conversation_id = pair
    eve = chat.auth.signup(SignupRequest(username="eve", password="password1")).user.id

    def ask(user: str, content_type: str, size: int) -> None:
        chat.media.attachment_upload(
            user, UploadUrlRequest(conversationId=conversation_id, fileName="x", contentType=content_type, size=size)
        )

    with pytest.raises(Forbidden):
        ask(eve, "image/png", 10)
    with pytest.raises(UnsupportedMediaType, match="image/png"):
        ask(alice, "text/html", 10)
    with pytest.raises(PayloadTooLarge):
        ask(alice, "image/gif", 10 * 1024 * 1024 + 1)
    ask(alice, "text/plain", 25 * 1024 * 1024)  # the limit itself is fine


def test_a_checked_attachment_is_published_and_linked(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, _, conversation_id = pair
    media_id = uploaded(chat, alice, conversation_id, PDF, "application/pdf", name="Plan B.pdf")

    result = send_with(chat, alice, conversation_id, media_id)

    (attachment,) = result.message.attachments  # type: ignore[attr-defined]
    key = f"attachments/{conversation_id}/{media_id}.pdf"
    assert attachment.url.startswith(f"https://media.example/{key}?Expires=")
    assert chat.storage.objects[key].headers["Content-Disposition"] == "attachment; filename*=UTF-8''Plan%20B.pdf"
    assert media_id not in chat.media_store.expires_at  # kept for good
    (stored,) = chat.message_store.page(conversation_id, 10, None, None).messages
    assert stored.attachments[0].url is None  # links are made per read, never stored


def test_a_refused_attachment_stores_nothing_and_reserves_no_seq(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, _, conversation_id = pair
    liar = uploaded(chat, alice, conversation_id, png(), "image/jpeg")
    with pytest.raises(InvalidMedia, match="not a JPEG image"):
        send_with(chat, alice, conversation_id, liar)
    assert chat.conversation_store.get(conversation_id).lastSeq == 0  # type: ignore[union-attr]
    assert chat.message_store.page(conversation_id, 10, None, None).messages == []


def test_uploads_must_exist_fit_and_be_the_senders_own(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, bob, conversation_id = pair
    never = chat.media.attachment_upload(
        alice, UploadUrlRequest(conversationId=conversation_id, fileName="n", contentType="image/png", size=50)
    ).mediaId
    with pytest.raises(InvalidMedia, match="has not been uploaded"):
        send_with(chat, alice, conversation_id, never)
    chat.storage.put(f"incoming/{never}", png(100, 100), "image/png")  # more than the 50 bytes declared
    with pytest.raises(InvalidMedia, match="more than the 50 declared"):
        send_with(chat, alice, conversation_id, never)
    wrong_header = uploaded(chat, alice, conversation_id, png(), "image/png")
    chat.storage.put(f"incoming/{wrong_header}", png(), "text/html")
    with pytest.raises(InvalidMedia, match="uploaded as 'text/html'"):
        send_with(chat, alice, conversation_id, wrong_header)
    bobs = uploaded(chat, bob, conversation_id, png(), "image/png")
    with pytest.raises(Forbidden, match="someone else"):
        send_with(chat, alice, conversation_id, bobs)
    with pytest.raises(NotFound):
        send_with(chat, alice, conversation_id, "nope")


def test_an_upload_belongs_to_the_conversation_it_was_made_for(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, bob, direct_id = pair
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="G", memberIds=[bob]))
    for_group = uploaded(chat, alice, group.id, png(), "image/png")
    with pytest.raises(Forbidden, match="another conversation"):
        send_with(chat, alice, direct_id, for_group)
    # Sending by receiverId finds the direct chat the upload was made for
    for_direct = uploaded(chat, alice, direct_id, png(), "image/png")
    result = chat.messages.send_message(
        alice, SendMessageRequest(receiverId=bob, attachments=[AttachmentRef(mediaId=for_direct)])
    )
    assert result.message.conversationId == direct_id


def test_conversation_previews_link_their_attachments(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, bob, conversation_id = pair
    send_with(chat, alice, conversation_id, uploaded(chat, alice, conversation_id, GIF, "image/gif"))
    (listed,) = chat.conversations.list_for(bob, 10, None).items
    assert listed.lastMessage is not None
    assert listed.lastMessage.attachments[0].url is not None


def test_avatars_are_checked_images_published_in_public(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, bob, conversation_id = pair
    with pytest.raises(UnsupportedMediaType):
        chat.media.avatar_upload(alice, AvatarUploadRequest(contentType="application/pdf", size=10))
    with pytest.raises(PayloadTooLarge):
        chat.media.avatar_upload(alice, AvatarUploadRequest(contentType="image/png", size=2 * 1024 * 1024 + 1))
    ticket = chat.media.avatar_upload(alice, AvatarUploadRequest(contentType="image/png", size=len(png())))
    chat.storage.put(f"incoming/{ticket.mediaId}", png(), "image/png")
    with pytest.raises(Forbidden):
        chat.user_service.update_profile(bob, UpdateProfileRequest(avatarMediaId=ticket.mediaId))
    attachment = uploaded(chat, alice, conversation_id, png(), "image/png")
    with pytest.raises(NotFound):  # an attachment upload is not a profile picture
        chat.user_service.update_profile(alice, UpdateProfileRequest(avatarMediaId=attachment))

    user = chat.user_service.update_profile(alice, UpdateProfileRequest(avatarMediaId=ticket.mediaId))

    assert user.avatarUrl == f"https://media.example/avatars/{alice}/{ticket.mediaId}.png"
    assert chat.storage.objects[f"avatars/{alice}/{ticket.mediaId}.png"].headers["Cache-Control"].endswith("immutable")
    assert chat.user_service.update_profile(alice, UpdateProfileRequest(avatarMediaId=None)).avatarUrl is None


def test_a_message_needs_text_or_an_attachment() -> None:
    with pytest.raises(ValueError, match="at least one attachment"):
        SendMessageRequest(conversationId="c1", text="   ")
    with pytest.raises(ValueError, match="once"):
        SendMessageRequest(conversationId="c1", attachments=[AttachmentRef(mediaId="m"), AttachmentRef(mediaId="m")])
    with pytest.raises(ValueError, match="at most 10 items"):
        SendMessageRequest(conversationId="c1", attachments=[AttachmentRef(mediaId=f"m{i}") for i in range(11)])
    assert SendMessageRequest(conversationId="c1", attachments=[AttachmentRef(mediaId="m")]).text == ""


def test_a_send_refused_for_membership_publishes_nothing(chat: Chat, pair: tuple[str, str, str]) -> None:
    # Given bob's upload for a group he is then removed from
    alice, bob, _ = pair
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="Team", memberIds=[bob]))
    media_id = uploaded(chat, bob, group.id, png(8, 8), "image/png")
    assert chat.conversation_store.remove_member(group.id, bob, 0) is not None

    # When he sends it anyway
    with pytest.raises(Forbidden):
        send_with(chat, bob, group.id, media_id)

    # Then nothing was copied to be served, nor marked published
    assert [key for key in chat.storage.objects if not key.startswith("incoming/")] == []
    assert chat.media_store.uploads[media_id].published_key is None


def test_one_bad_file_leaves_none_of_a_sends_files_published(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, _, conversation = pair
    good = uploaded(chat, alice, conversation, png(8, 8), "image/png", name="good.png")
    bad = uploaded(chat, alice, conversation, b"not a png at all", "image/png", name="bad.png")

    with pytest.raises(InvalidMedia):
        send_with(chat, alice, conversation, good, bad)

    assert [key for key in chat.storage.objects if not key.startswith("incoming/")] == []
    assert chat.media_store.uploads[good].published_key is None
