"""The media routes through the real handlers, with moto's S3 standing in for the bucket
(what a browser's presigned POST would leave there is put with boto3)."""

import os
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from tests.integration.conftest import Account, Pushed, call_http, connect, sign_up, ws_call, ws_frame
from tests.media_samples import GIF, png


@pytest.fixture
def bucket(pushed: Pushed) -> Any:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=os.environ["MEDIA_BUCKET"])
    return client


def upload(bucket: Any, account: Account, conversation_id: str, data: bytes, content_type: str) -> str:
    response = call_http(
        "POST",
        "/api/media/upload-url",
        {"conversationId": conversation_id, "fileName": "f", "contentType": content_type, "size": len(data)},
        token=account.access_token,
    )
    assert response.status == 201, response.body
    fields = response.body["upload"]["fields"]
    bucket.put_object(Bucket=os.environ["MEDIA_BUCKET"], Key=fields["key"], Body=data, ContentType=content_type)
    return str(response.body["mediaId"])


def test_an_attachment_sent_over_websocket_is_acked_and_pushed_with_links(bucket: Any, pushed: Pushed) -> None:
    alice, bob = sign_up("ws_media_a"), sign_up("ws_media_b")
    conversation = call_http("POST", "/api/conversations/direct", {"userId": bob.user_id}, token=alice.access_token)
    connect(alice, "alice-1")
    connect(bob, "bob-1")
    media_id = upload(bucket, alice, conversation.body["id"], GIF, "image/gif")

    reply = ws_call(
        "ws_send_message",
        "ws_message",
        alice,
        "alice-1",
        {
            "action": "sendMessage",
            "conversationId": conversation.body["id"],
            "clientMsgId": "gif-1",
            "attachments": [{"mediaId": media_id}],
        },
    )

    assert reply == {"statusCode": 200}  # the ack is pushed, not replied
    (ack,) = pushed.frames("alice-1")
    (received,) = pushed.frames("bob-1")
    assert ack["type"] == "messageAck"
    attachment = received["message"]["attachments"][0]
    assert (attachment["width"], attachment["height"], attachment["size"]) == (1, 1, len(GIF))
    url = urlsplit(attachment["url"])
    assert url.netloc == "media.test"
    assert {"Expires", "Signature", "Key-Pair-Id"} <= {p.split("=")[0] for p in url.query.split("&")}
    published = bucket.head_object(Bucket=os.environ["MEDIA_BUCKET"], Key=url.path.lstrip("/"))
    assert published["ContentType"] == "image/gif"


def test_a_wrong_file_over_websocket_is_an_error_frame_and_nothing_is_stored(bucket: Any, pushed: Pushed) -> None:
    alice, bob = sign_up("ws_bad_a"), sign_up("ws_bad_b")
    conversation = call_http("POST", "/api/conversations/direct", {"userId": bob.user_id}, token=alice.access_token)
    connect(alice, "alice-2")
    media_id = upload(bucket, alice, conversation.body["id"], png(), "image/gif")

    reply = ws_frame(
        "ws_send_message",
        alice,
        "alice-2",
        {
            "action": "sendMessage",
            "conversationId": conversation.body["id"],
            "clientMsgId": "bad-1",
            "attachments": [{"mediaId": media_id}],
        },
    )

    assert reply["type"] == "error"
    assert (reply["code"], reply["clientMsgId"]) == ("invalid_media", "bad-1")
    history = call_http("GET", f"/api/messages/{conversation.body['id']}", token=bob.access_token)
    assert history.body["items"] == []
