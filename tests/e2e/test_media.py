"""Media over the local stack: real presigned POST uploads to the local S3 endpoint,
checked sends, and the CloudFront stand-in's signed links."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from chat.adapters.cloudfront_links import CloudFrontLinks
from chat.clock import utc_now
from tests.e2e.conftest import Client, Stack
from tests.media_samples import JPEG, PDF, png


def upload_ticket(stack: Stack, token: str, conversation_id: str, *, name: str, content_type: str, size: int) -> Any:
    return stack.http(
        "POST",
        "/api/media/upload-url",
        {"conversationId": conversation_id, "fileName": name, "contentType": content_type, "size": size},
        token,
    )


def upload(ticket: dict[str, Any], data: bytes, name: str = "file") -> int:
    """What a browser does with the form: every field, then the file, straight to S3."""
    form = ticket["upload"]
    response = requests.post(form["url"], data=form["fields"], files={"file": (name, data)}, timeout=10)
    return response.status_code


def uploaded(stack: Stack, token: str, conversation_id: str, *, name: str, content_type: str, data: bytes) -> str:
    status, ticket = upload_ticket(stack, token, conversation_id, name=name, content_type=content_type, size=len(data))
    assert status == 201, ticket
    assert upload(ticket, data, name) in (200, 201, 204)
    return str(ticket["mediaId"])


def direct_chat(stack: Stack, first: dict[str, Any], second: dict[str, Any]) -> str:
    status, conversation = stack.http(
        "POST", "/api/conversations/direct", {"userId": second["user"]["id"]}, first["accessToken"]
    )
    assert status == 201
    return str(conversation["id"])


def send(stack: Stack, token: str, conversation_id: str, media_ids: list[str], text: str = "") -> tuple[int, Any]:
    body = {"conversationId": conversation_id, "text": text, "attachments": [{"mediaId": m} for m in media_ids]}
    return stack.http("POST", "/api/messages/", body, token)


def fetch(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def test_a_photo_and_a_pdf_reach_the_other_member_through_signed_links(stack: Stack) -> None:
    # Given Alice and Bob in a direct chat, Bob online
    alice, bob = stack.sign_up("media_alice"), stack.sign_up("media_bob")
    conversation_id = direct_chat(stack, alice, bob)
    photo = png(4, 3)

    # When Alice asks for an upload form
    status, ticket = upload_ticket(
        stack, alice["accessToken"], conversation_id, name="beach.png", content_type="image/png", size=len(photo)
    )

    # Then it is a presigned POST pinned to one key and type, valid for 5 minutes
    assert status == 201
    assert ticket["expiresIn"] == 300
    fields = ticket["upload"]["fields"]
    assert fields["key"] == f"incoming/{ticket['mediaId']}"
    assert fields["Content-Type"] == "image/png"
    assert {"policy", "x-amz-signature", "x-amz-credential"} <= set(fields)

    # When she uploads both files straight to S3 and sends them with no text
    assert upload(ticket, photo, "beach.png") == 204
    pdf_id = uploaded(
        stack, alice["accessToken"], conversation_id, name="Trip plan.pdf", content_type="application/pdf", data=PDF
    )

    async def scenario() -> dict[str, Any]:
        client = await Client.connect(stack, bob["accessToken"])
        try:
            status, message = await asyncio.to_thread(
                send, stack, alice["accessToken"], conversation_id, [ticket["mediaId"], pdf_id]
            )
            assert status == 201, message
            pushed = await client.receive()
            assert pushed["type"] == "messageReceived"
            return pushed["message"]  # type: ignore[no-any-return]
        finally:
            await client.close()

    received = asyncio.run(scenario())

    # Then Bob gets both, described, with links that serve the bytes
    assert received["text"] == ""
    image, document = received["attachments"]
    assert {k: image[k] for k in ("mediaId", "name", "contentType", "size", "width", "height")} == {
        "mediaId": ticket["mediaId"],
        "name": "beach.png",
        "contentType": "image/png",
        "size": len(photo),
        "width": 4,
        "height": 3,
    }
    served = fetch(image["url"])
    assert served.status_code == 200
    assert served.content == photo
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert document["name"] == "Trip plan.pdf"
    served = fetch(document["url"])
    assert served.content == PDF
    assert served.headers["Content-Disposition"] == "attachment; filename*=UTF-8''Trip%20plan.pdf"

    # And history gives Bob fresh links to the same files
    status, page = stack.http("GET", f"/api/messages/{conversation_id}", token=bob["accessToken"])
    assert status == 200
    assert fetch(page["items"][-1]["attachments"][0]["url"]).content == photo


def test_a_resend_with_attachments_gives_the_same_message(stack: Stack) -> None:
    alice, bob = stack.sign_up("media_resend_a"), stack.sign_up("media_resend_b")
    conversation_id = direct_chat(stack, alice, bob)
    media_id = uploaded(
        stack, alice["accessToken"], conversation_id, name="a.png", content_type="image/png", data=png()
    )
    body = {"conversationId": conversation_id, "clientMsgId": "with-photo", "attachments": [{"mediaId": media_id}]}

    first = stack.http("POST", "/api/messages/", body, alice["accessToken"])
    again = stack.http("POST", "/api/messages/", body, alice["accessToken"])

    assert (first[0], again[0]) == (201, 200)
    assert again[1]["id"] == first[1]["id"]


@pytest.mark.parametrize(
    ("content_type", "size", "status", "code"),
    [
        ("application/x-msdownload", 100, 415, "unsupported_media_type"),
        ("image/svg+xml", 100, 415, "unsupported_media_type"),
        ("image/png", 10 * 1024 * 1024 + 1, 413, "payload_too_large"),
        ("application/pdf", 25 * 1024 * 1024 + 1, 413, "payload_too_large"),
    ],
)
def test_upload_forms_are_refused_for_other_types_and_oversize_files(
    stack: Stack, content_type: str, size: int, status: int, code: str
) -> None:
    suffix = uuid.uuid4().hex[:8]
    alice, bob = stack.sign_up(f"refuse_a_{suffix}"), stack.sign_up(f"refuse_b_{suffix}")
    conversation_id = direct_chat(stack, alice, bob)

    got, body = upload_ticket(
        stack, alice["accessToken"], conversation_id, name="x", content_type=content_type, size=size
    )

    assert (got, body["error"]["code"]) == (status, code)
    if status == 415:
        assert "image/png" in body["error"]["message"]  # the allowed list is in the answer


def test_a_png_declared_as_jpeg_is_refused_and_nothing_is_stored(stack: Stack) -> None:
    alice, bob = stack.sign_up("liar_alice"), stack.sign_up("liar_bob")
    conversation_id = direct_chat(stack, alice, bob)
    media_id = uploaded(
        stack, alice["accessToken"], conversation_id, name="cat.jpg", content_type="image/jpeg", data=png()
    )

    status, body = send(stack, alice["accessToken"], conversation_id, [media_id], "look")

    assert status == 422
    assert body["error"]["code"] == "invalid_media"
    assert "not a JPEG image" in body["error"]["message"]
    _, page = stack.http("GET", f"/api/messages/{conversation_id}", token=bob["accessToken"])
    assert page["items"] == []


def test_uploads_that_break_their_promise_are_refused(stack: Stack) -> None:
    alice, bob = stack.sign_up("promise_alice"), stack.sign_up("promise_bob")
    conversation_id = direct_chat(stack, alice, bob)
    token = alice["accessToken"]

    # More bytes than declared: S3 refuses the upload (its form allows 1 to 10 bytes), so there is nothing to send
    status, ticket = upload_ticket(stack, token, conversation_id, name="big.png", content_type="image/png", size=10)
    assert status == 201
    assert upload(ticket, png()) == 400
    status, body = send(stack, token, conversation_id, [ticket["mediaId"]])
    assert (status, body["error"]["code"]) == (422, "invalid_media")
    assert "has not been uploaded" in body["error"]["message"]

    # Never uploaded
    status, ticket = upload_ticket(stack, token, conversation_id, name="later.png", content_type="image/png", size=100)
    status, body = send(stack, token, conversation_id, [ticket["mediaId"]])
    assert (status, body["error"]["code"]) == (422, "invalid_media")
    assert "has not been uploaded" in body["error"]["message"]

    # A media id nobody issued
    status, body = send(stack, token, conversation_id, ["no-such-media"])
    assert status == 404


def test_someone_elses_media_and_other_conversations_media_are_refused(stack: Stack) -> None:
    alice, bob, carol = (stack.sign_up(f"owner_{n}") for n in ("alice", "bob", "carol"))
    status, group = stack.http(
        "POST",
        "/api/groups/create",
        {"name": "Trip", "memberIds": [bob["user"]["id"], carol["user"]["id"]]},
        alice["accessToken"],
    )
    assert status == 201
    carols = uploaded(stack, carol["accessToken"], group["id"], name="c.png", content_type="image/png", data=png())
    direct_id = direct_chat(stack, alice, bob)
    for_direct = uploaded(stack, alice["accessToken"], direct_id, name="d.png", content_type="image/png", data=png())

    status, body = send(stack, alice["accessToken"], group["id"], [carols])
    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert "belongs to someone else" in body["error"]["message"]

    status, body = send(stack, alice["accessToken"], group["id"], [for_direct])
    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert "another conversation" in body["error"]["message"]


def test_non_members_get_no_upload_form_and_no_bytes(stack: Stack) -> None:
    alice, bob, eve = (stack.sign_up(f"gate_{n}") for n in ("alice", "bob", "eve"))
    conversation_id = direct_chat(stack, alice, bob)
    media_id = uploaded(
        stack, alice["accessToken"], conversation_id, name="p.png", content_type="image/png", data=png()
    )
    status, message = send(stack, alice["accessToken"], conversation_id, [media_id])
    assert status == 201
    url = message["attachments"][0]["url"]

    # Eve may not upload into the chat, nor read it
    status, body = upload_ticket(
        stack, eve["accessToken"], conversation_id, name="x.png", content_type="image/png", size=10
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, _ = stack.http("GET", f"/api/messages/{conversation_id}", token=eve["accessToken"])
    assert status == 403

    # Without the signature, with another file's path, or from the private upload area: no bytes
    parts = urlsplit(url)
    unsigned = f"{parts.scheme}://{parts.netloc}{parts.path}"
    assert fetch(unsigned).status_code == 403
    assert fetch(url.replace(media_id, "another-file")).status_code == 403
    assert fetch(f"{stack.media.media_url}/incoming/{media_id}").status_code == 403
    assert fetch(url).status_code == 200


def test_an_expired_link_serves_nothing(stack: Stack) -> None:
    alice, bob = stack.sign_up("expiry_alice"), stack.sign_up("expiry_bob")
    conversation_id = direct_chat(stack, alice, bob)
    media_id = uploaded(
        stack, alice["accessToken"], conversation_id, name="old.png", content_type="image/png", data=png()
    )
    status, message = send(stack, alice["accessToken"], conversation_id, [media_id])
    assert status == 201
    key = urlsplit(message["attachments"][0]["url"]).path.removeprefix("/media/")
    env = stack.media.environment()
    signer = CloudFrontLinks(env["MEDIA_URL"], env["MEDIA_KEY_PAIR_ID"], env["MEDIA_SIGNING_KEY"])

    expired = signer.signed_url(key, utc_now() - timedelta(seconds=1))
    current = signer.signed_url(key, utc_now() + timedelta(minutes=1))

    assert fetch(expired).status_code == 403
    assert fetch(current).status_code == 200


def test_profile_pictures_are_checked_public_and_new_for_each_change(stack: Stack) -> None:
    alice, bob = stack.sign_up("avatar_alice"), stack.sign_up("avatar_bob")
    token = alice["accessToken"]

    def avatar(data: bytes, content_type: str = "image/png") -> str:
        status, ticket = stack.http(
            "POST", "/api/users/me/avatar", {"contentType": content_type, "size": len(data)}, token
        )
        assert status == 201, ticket
        assert upload(ticket, data) == 204
        return str(ticket["mediaId"])

    first = avatar(png(8, 8))
    status, me = stack.http("PUT", "/api/users/me", {"avatarMediaId": first}, token)
    assert status == 200, me
    served = fetch(me["avatarUrl"])
    assert served.status_code == 200
    assert served.content == png(8, 8)
    assert "immutable" in served.headers["Cache-Control"]
    _, seen_by_bob = stack.http("GET", f"/api/users/{alice['user']['id']}", token=bob["accessToken"])
    assert seen_by_bob["avatarUrl"] == me["avatarUrl"]

    second = avatar(JPEG, "image/jpeg")
    _, changed = stack.http("PUT", "/api/users/me", {"avatarMediaId": second, "displayName": "Alice A."}, token)
    assert changed["avatarUrl"] != me["avatarUrl"]
    assert changed["displayName"] == "Alice A."

    _, removed = stack.http("PUT", "/api/users/me", {"avatarMediaId": None}, token)
    assert removed["avatarUrl"] is None


def test_profile_pictures_refuse_files_sizes_and_other_peoples_uploads(stack: Stack) -> None:
    alice, bob = stack.sign_up("avatar_no_alice"), stack.sign_up("avatar_no_bob")
    token = alice["accessToken"]

    status, body = stack.http("POST", "/api/users/me/avatar", {"contentType": "application/pdf", "size": 100}, token)
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    status, body = stack.http("POST", "/api/users/me/avatar", {"contentType": "image/png", "size": 3 * 1024**2}, token)
    assert (status, body["error"]["code"]) == (413, "payload_too_large")

    status, ticket = stack.http("POST", "/api/users/me/avatar", {"contentType": "image/png", "size": len(PDF)}, token)
    upload(ticket, PDF)
    status, body = stack.http("PUT", "/api/users/me", {"avatarMediaId": ticket["mediaId"]}, token)
    assert (status, body["error"]["code"]) == (422, "invalid_media")

    status, ticket = stack.http("POST", "/api/users/me/avatar", {"contentType": "image/png", "size": 100}, token)
    upload(ticket, png())
    status, body = stack.http("PUT", "/api/users/me", {"avatarMediaId": ticket["mediaId"]}, bob["accessToken"])
    assert status == 403
    status, body = stack.http("PUT", "/api/users/me", {}, token)
    assert status == 422
