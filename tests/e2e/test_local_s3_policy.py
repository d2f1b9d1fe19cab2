"""The local S3 endpoint holds browser uploads to their presigned POST policy, as S3 does, and
media comes from an origin of its own: an upload that breaks its form is refused and stores
nothing, and nothing uploaded is ever served from the web app's origin."""

import base64
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from local.media import BUCKET
from tests.e2e.conftest import Stack
from tests.media_samples import png

PAGE = b"<script>alert(document.cookie)</script>"
Form = dict[str, Any]


def s3(stack: Stack) -> Any:
    """S3 as the functions see it: the local endpoint, signing with this environment's credentials."""
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
    return boto3.client("s3", endpoint_url=stack.media.s3_url, region_name="us-east-1", config=config)


def stored(stack: Stack, key: str) -> bool:
    try:
        s3(stack).head_object(Bucket=BUCKET, Key=key)
    except ClientError:
        return False
    return True


def avatar_form(stack: Stack, token: str, size: int) -> tuple[str, Form]:
    status, ticket = stack.http("POST", "/api/users/me/avatar", {"contentType": "image/png", "size": size}, token)
    assert status == 201, ticket
    return ticket["mediaId"], ticket["upload"]


def post(form: Form, data: bytes, **changes: str) -> requests.Response:
    """What a browser sends: the form's fields (with any changes), then the file, last."""
    fields = {**form["fields"], **changes}
    return requests.post(form["url"], data=fields, files={"file": ("me.png", data)}, timeout=10)


def refusal(response: requests.Response) -> tuple[int, str, str]:
    code = response.text.split("<Code>")[1].split("</Code>")[0]
    message = response.text.split("<Message>")[1].split("</Message>")[0]
    return response.status_code, code, message


def signed(stack: Stack, key: str, conditions: list[Any], fields: dict[str, str], expires_in: int = 300) -> Form:
    """A form signed with the local credentials, as a function signs one."""
    return dict(
        s3(stack).generate_presigned_post(
            Bucket=BUCKET, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
        )
    )


def with_policy(form: Form, change: Callable[[dict[str, Any]], None]) -> Form:
    """The form with its policy edited and its signature kept: what a tamperer can do."""
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    change(policy)
    encoded = base64.b64encode(json.dumps(policy).encode()).decode()
    return {**form, "fields": {**form["fields"], "policy": encoded}}


def test_a_picture_uploads_as_signed_and_is_served_from_the_media_origin(stack: Stack, tmp_path: Path) -> None:
    # Given Alice's upload form for a profile picture
    alice = stack.sign_up(f"s3_ok_{uuid.uuid4().hex[:8]}")
    photo = png(6, 6)
    media_id, form = avatar_form(stack, alice["accessToken"], len(photo))

    # When she uploads it as signed and sets it
    uploaded = post(form, photo)
    status, me = stack.http("PUT", "/api/users/me", {"avatarMediaId": media_id}, alice["accessToken"])

    # Then S3 took it (204, as S3 answers), to the local S3 endpoint, not to the web app's origin
    assert uploaded.status_code == 204
    assert form["url"] == f"{stack.media.s3_url}/{BUCKET}"
    assert status == 200, me
    # And the picture comes from the media origin, an image with nosniff, and the app's origin has no copy
    url = urlsplit(me["avatarUrl"])
    assert f"{url.scheme}://{url.netloc}" == stack.media.media_origin
    assert url.netloc != urlsplit(stack.base_url).netloc
    served = requests.get(me["avatarUrl"], timeout=10)
    assert (served.status_code, served.content) == (200, photo)
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"  # never a page
    assert requests.get(stack.base_url + url.path, timeout=10).content != photo
    # And the upload endpoint serves nothing to a browser: it holds no signature
    assert requests.get(f"{stack.media.s3_url}/{BUCKET}/incoming/{media_id}", timeout=10).status_code == 403

    # And the web app's Content-Security-Policy lets the page upload there and show pictures from there
    (tmp_path / "index.html").write_text("<!doctype html>")
    stack.gateway.web_root = tmp_path
    try:
        page = requests.get(stack.base_url + "/", timeout=10)
    finally:
        stack.gateway.web_root = None
    directives = dict(d.strip().split(" ", 1) for d in page.headers["Content-Security-Policy"].split(";"))
    assert stack.media.s3_url in directives["connect-src"].split()
    assert stack.media.media_origin in directives["img-src"].split()


def test_nobody_can_put_a_page_over_someone_elses_picture(stack: Stack) -> None:
    # Given Alice's picture, published, and Mallory's own upload form
    alice, mallory = (stack.sign_up(f"s3_{name}_{uuid.uuid4().hex[:8]}") for name in ("alice", "mallory"))
    picture = png(5, 5)
    alice_id, alice_form = avatar_form(stack, alice["accessToken"], len(picture))
    assert post(alice_form, picture).status_code == 204
    _, me = stack.http("PUT", "/api/users/me", {"avatarMediaId": alice_id}, alice["accessToken"])
    published = urlsplit(me["avatarUrl"]).path.removeprefix("/media/")
    _, form = avatar_form(stack, mallory["accessToken"], 1000)

    # When Mallory aims her form at Alice's picture, or at Alice's next upload, as a web page
    attempts = {
        published: post(form, PAGE, key=published, **{"Content-Type": "text/html"}),
        f"incoming/{alice_id}": post(form, PAGE, key=f"incoming/{alice_id}"),
    }

    # Then S3 refuses both: neither the type nor the key is the one signed
    for key, attempt in attempts.items():
        status, code, message = refusal(attempt)
        assert (status, code) == (403, "AccessDenied")
        assert message.startswith("Invalid according to Policy: Policy Condition failed: ")
        assert key not in message
    assert '"$Content-Type", "image/png"' in refusal(attempts[published])[2]
    assert '"$key", "incoming/' in refusal(attempts[f"incoming/{alice_id}"])[2]
    # And Alice's picture is still hers, still an image
    served = requests.get(me["avatarUrl"], timeout=10)
    assert (served.content, served.headers["Content-Type"]) == (picture, "image/png")
    assert s3(stack).get_object(Bucket=BUCKET, Key=f"incoming/{alice_id}")["Body"].read() == picture


def unsigned(form: Form) -> Form:
    return {**form, "fields": {k: v for k, v in form["fields"].items() if k not in ("policy", "x-amz-signature")}}


def stranger(form: Form) -> Form:
    credential = form["fields"]["x-amz-credential"]
    return {
        **form,
        "fields": {**form["fields"], "x-amz-credential": "AKIDSTRANGER" + credential[credential.find("/") :]},
    }


PHOTO = png()
# How each upload breaks its form, and S3's answer: status, code, and words of the message.
BROKEN_UPLOADS: dict[str, tuple[Callable[[Form], requests.Response], tuple[int, str, str]]] = {
    "a page for an image": (
        lambda form: post(form, PAGE, **{"Content-Type": "text/html"}),
        (403, "AccessDenied", 'Policy Condition failed: ["eq", "$Content-Type", "image/png"]'),
    ),
    "more bytes than declared": (
        lambda form: post(form, PHOTO + b"\0"),
        (400, "EntityTooLarge", "exceeds the maximum allowed size"),
    ),
    "an empty file": (lambda form: post(form, b""), (400, "EntityTooSmall", "smaller than the minimum allowed size")),
    "a field the policy does not name": (
        lambda form: post(form, PHOTO, **{"Content-Disposition": "inline"}),
        (403, "AccessDenied", "Extra input fields: content-disposition"),
    ),
    "a policy edited after signing": (
        lambda form: post(
            with_policy(form, lambda policy: policy["conditions"].remove({"Content-Type": "image/png"})),
            PAGE,
            **{"Content-Type": "text/html"},
        ),
        (403, "SignatureDoesNotMatch", "does not match the signature"),
    ),
    "a forged signature": (
        lambda form: post(form, PHOTO, **{"x-amz-signature": "0" * 64}),
        (403, "SignatureDoesNotMatch", "does not match the signature"),
    ),
    "someone else's credentials": (
        lambda form: post(stranger(form), PHOTO),
        (403, "InvalidAccessKeyId", "does not exist in our records"),
    ),
    "no signature at all": (lambda form: post(unsigned(form), PHOTO), (403, "AccessDenied", "Access Denied")),
}


@pytest.mark.parametrize("case", BROKEN_UPLOADS)
def test_an_upload_that_breaks_its_form_is_refused_and_stores_nothing(stack: Stack, case: str) -> None:
    # Given a form for a profile picture of PHOTO's size
    user = stack.sign_up(f"s3_no_{uuid.uuid4().hex[:8]}")
    media_id, form = avatar_form(stack, user["accessToken"], len(PHOTO))
    upload, (status, code, words) = BROKEN_UPLOADS[case]

    # When the upload breaks it
    refused = refusal(upload(form))

    # Then S3 refuses it, and nothing is stored: the server has no upload to take
    assert refused[:2] == (status, code)
    assert words in refused[2]
    assert not stored(stack, form["fields"]["key"])
    _, body = stack.http("PUT", "/api/users/me", {"avatarMediaId": media_id}, user["accessToken"])
    assert "has not been uploaded" in body["error"]["message"]


def test_an_expired_form_is_refused(stack: Stack) -> None:
    # A form signed with the local credentials whose five minutes ended a minute ago
    key = f"incoming/{uuid.uuid4().hex}"
    form = signed(stack, key, [{"Content-Type": "image/png"}], {"Content-Type": "image/png"}, expires_in=-60)

    status, code, message = refusal(post(form, png()))

    assert (status, code, message) == (403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    assert not stored(stack, key)


def test_a_form_field_longer_than_s3_takes_is_refused(stack: Stack) -> None:
    key = f"incoming/{uuid.uuid4().hex}"
    form = signed(stack, key, [{"Content-Type": "image/png"}], {"Content-Type": "image/png"})

    status, code, _ = refusal(post(form, png(), **{"x-ignore-padding": "x" * 30_000}))

    assert (status, code) == (400, "MaxPostPreDataLengthExceeded")
    assert not stored(stack, key)


def test_starts_with_conditions_and_ignored_fields(stack: Stack) -> None:
    # A form for any image under incoming/, as a policy may sign
    conditions = [["starts-with", "$key", "incoming/"], ["starts-with", "$Content-Type", "image/"]]
    form = signed(stack, "incoming/${filename}", conditions, {"Content-Type": "image/gif"})
    key = f"incoming/{uuid.uuid4().hex}"

    accepted = post(form, png(), key=key, **{"Content-Type": "image/png", "x-ignore-note": "not signed, not kept"})
    outside = post(form, png(), key=f"avatars/{uuid.uuid4().hex}")
    page = post(form, PAGE, key=f"incoming/{uuid.uuid4().hex}", **{"Content-Type": "text/html"})

    assert accepted.status_code == 204
    assert s3(stack).head_object(Bucket=BUCKET, Key=key)["ContentType"] == "image/png"
    assert refusal(outside)[2].endswith('["starts-with", "$key", "incoming/"]')
    assert refusal(page)[2].endswith('["starts-with", "$Content-Type", "image/"]')
