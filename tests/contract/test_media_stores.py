"""The media and typing contract: the MongoDB stores and the S3 adapter (on moto)
behave as their fakes do."""

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from chat.adapters.s3_media import S3MediaStorage
from chat.clock import utc_now
from chat.models.chat import Attachment
from chat.models.ports import MediaStorage, MediaUpload
from chat.services.ids import new_id
from tests.builders import a_message, a_user
from tests.contract.conftest import Stores
from tests.fakes import FakeMediaStorage
from tests.media_samples import png

BUCKET = "contract-media"
Put = Callable[[str, bytes, str | None], None]


@pytest.fixture(params=["fake", "s3"])
def storage(request: pytest.FixtureRequest) -> Iterator[tuple[MediaStorage, Put]]:
    if request.param == "fake":
        fake = FakeMediaStorage()
        yield fake, fake.put
        return
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)

        def put(key: str, data: bytes, content_type: str | None) -> None:
            extra = {"ContentType": content_type} if content_type else {}
            client.put_object(Bucket=BUCKET, Key=key, Body=data, **extra)

        yield S3MediaStorage(BUCKET, region="us-east-1"), put


def an_upload(owner: str = "u1") -> MediaUpload:
    media_id = new_id()
    return MediaUpload(
        media_id=media_id,
        owner_id=owner,
        purpose="attachment",
        conversation_id="c1",
        upload_key=f"incoming/{media_id}",
        name="a.png",
        content_type="image/png",
        max_size=100,
        created_at=utc_now(),
    )


def test_media_records_are_found_and_published(stores: Stores) -> None:
    media = stores.media
    first, second = an_upload(), an_upload("u2")
    media.add(first, utc_now() + timedelta(days=2))
    media.add(second, utc_now() + timedelta(days=2))

    assert {u.media_id for u in media.get_many([first.media_id, second.media_id, "missing"])} == {
        first.media_id,
        second.media_id,
    }
    published = replace(first, published_key="attachments/c1/x.png", size=42, width=3, height=2)
    media.mark_published(published)
    (found,) = media.get_many([first.media_id])
    assert found == published
    if stores.db is not None:  # published records leave the TTL index; unused ones stay in it
        assert "expiresAt" not in stores.db["media"].find_one({"_id": first.media_id})
        assert "expiresAt" in stores.db["media"].find_one({"_id": second.media_id})


def test_profiles_change_and_pictures_come_and_go(stores: Stores) -> None:
    users = stores.users
    user = a_user("profile")
    users.create_user(user, "hash")

    changed = users.update_profile(user.id, {"displayName": "New Name", "avatarUrl": "https://m/avatars/x.png"})
    assert changed is not None
    assert (changed.displayName, changed.avatarUrl) == ("New Name", "https://m/avatars/x.png")
    assert users.search_users("new n", "someone-else", 10, None) == [changed]
    cleared = users.update_profile(user.id, {"avatarUrl": None})
    assert cleared is not None
    assert (cleared.displayName, cleared.avatarUrl) == ("New Name", None)
    assert users.update_profile("nobody", {"displayName": "x"}) is None


def test_attachments_are_stored_without_links(stores: Stores) -> None:
    messages = stores.messages
    attachment = Attachment(mediaId="m1", name="a.png", contentType="image/png", size=3, width=1, height=1, url="x")
    message = a_message("c9", "u1", 1).model_copy(update={"attachments": [attachment]})
    messages.insert(message)
    (stored,) = messages.page("c9", 10, None, None).messages
    assert stored.attachments == [attachment.model_copy(update={"url": None})]


def test_storage_reports_size_type_and_first_bytes(storage: tuple[MediaStorage, Put]) -> None:
    media, put = storage
    data = png(200, 200)
    put("incoming/a", data, "image/png")

    found = media.inspect("incoming/a", 16)

    assert found is not None
    assert (found.size, found.content_type, found.head) == (len(data), "image/png", data[:16])
    assert media.inspect("incoming/missing", 16) is None


def test_storage_publishes_a_copy_with_its_serving_headers(storage: tuple[MediaStorage, Put]) -> None:
    media, put = storage
    put("incoming/b", b"%PDF-1.4 hello", "application/pdf")

    media.publish(
        "incoming/b", "attachments/c/b.pdf", content_type="application/pdf", disposition="attachment", cache_control="x"
    )

    copied = media.inspect("attachments/c/b.pdf", 5)
    assert copied is not None
    assert (copied.size, copied.content_type, copied.head) == (14, "application/pdf", b"%PDF-")


def test_upload_forms_pin_the_key_and_the_type(storage: tuple[MediaStorage, Put]) -> None:
    media, _ = storage
    url, fields = media.upload_form("incoming/c", "image/gif", 500, 300)
    assert url.startswith("https://")
    assert fields["key"] == "incoming/c"
    assert fields["Content-Type"] == "image/gif"


def test_typing_is_let_through_once_per_window_per_key(stores: Stores) -> None:
    throttle = stores.typing
    now, window, shown = utc_now(), timedelta(seconds=2), timedelta(seconds=6)

    assert throttle.allow("c1:alice", now, window, shown)
    assert not throttle.allow("c1:alice", now + timedelta(seconds=1), window, shown)
    assert throttle.allow("c1:bob", now + timedelta(seconds=1), window, shown)  # another typist
    assert throttle.allow("c2:alice", now + timedelta(seconds=1), window, shown)  # another conversation
    assert throttle.allow("c1:alice", now + window, window, shown)  # the window has closed
    assert throttle.reset("c1:alice", now + window)  # a stop closes it early: a start was shown
    assert not throttle.reset("c1:alice", now + window)  # another stop has nothing to clear
    assert throttle.allow("c1:alice", now + window, window, shown)
    assert not throttle.reset("c1:alice", now + window + shown)  # no longer shown anywhere
    assert not throttle.reset("c9:nobody", now)
