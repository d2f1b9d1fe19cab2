"""Web Push's pieces: the encryption against RFC 8291's worked example and the reference
decryption, and which endpoints the server may call (tests/integration/test_web_push_http.py
sends over HTTP)."""

import json
from datetime import timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chat.adapters.cloudfront_links import new_key_pair
from chat.adapters.push_encryption import MAX_PLAINTEXT, encrypt
from chat.adapters.sqs_notifications import job_body, job_from_body
from chat.adapters.web_push import _origin, retry_after_seconds
from chat.clock import utc_now
from chat.config import KNOWN_PUSH_SERVICES
from chat.models.ports import NotificationJob
from chat.push_keys import b64url_decode, b64url_encode, vapid_public_key
from chat.services.push_subscriptions import endpoint_problem
from tests.push_service import PushService

# RFC 8291, Appendix A.
RFC_PLAINTEXT = b"When I grow up, I want to be a watermelon"
RFC_SENDER_PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
RFC_RECEIVER_PUBLIC = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
RFC_AUTH = "BTBZMqHH6r4Tts7J_aSIgg"
RFC_SALT = "DGv6ra1nlYgDCS1FRnbzlw"
RFC_BODY = (
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK"
    "6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)


def test_encryption_matches_rfc_8291_byte_for_byte() -> None:
    sender = ec.derive_private_key(int.from_bytes(b64url_decode(RFC_SENDER_PRIVATE), "big"), ec.SECP256R1())
    body = encrypt(RFC_PLAINTEXT, RFC_RECEIVER_PUBLIC, RFC_AUTH, sender_key=sender, salt=b64url_decode(RFC_SALT))
    assert b64url_encode(body) == RFC_BODY


def test_the_reference_implementation_decrypts_what_it_writes() -> None:
    with PushService() as service:
        browser = service.browser("b")
    keys = browser.subscription()["keys"]
    plaintext = json.dumps({"body": "héllo ✓" * 50}).encode()
    first, second = encrypt(plaintext, keys["p256dh"], keys["auth"]), encrypt(plaintext, keys["p256dh"], keys["auth"])
    assert first != second  # a fresh key and salt every time
    for body in (first, second):
        decrypted = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm")
        assert decrypted == plaintext
    # The largest payload fits one 4,096-byte record; one byte more is refused
    assert len(encrypt(b"x" * MAX_PLAINTEXT, keys["p256dh"], keys["auth"])) == 4096
    with pytest.raises(ValueError, match="at most"):
        encrypt(b"x" * (MAX_PLAINTEXT + 1), keys["p256dh"], keys["auth"])


def test_keys_that_are_not_p256_are_refused() -> None:
    with pytest.raises(ValueError, match=r"not a valid point|not on the curve|Invalid EC key"):
        encrypt(b"hi", b64url_encode(b"\x04" + b"\x01" * 64), RFC_AUTH)
    with pytest.raises(ValueError, match="16-byte"):
        encrypt(b"hi", RFC_RECEIVER_PUBLIC, b64url_encode(b"short"))
    with pytest.raises(ValueError, match="P-256"):
        vapid_public_key(new_key_pair()[0])  # an RSA key


def test_the_vapid_audience_is_the_push_services_origin_however_the_endpoint_spells_it() -> None:
    for endpoint in ("https://FCM.googleapis.com:443/fcm/send/a", "https://fcm.googleapis.com/fcm/send/a"):
        parts = urlsplit(endpoint)
        assert _origin(parts.scheme, parts.hostname or "", parts.port) == "https://fcm.googleapis.com"
    assert _origin("http", "127.0.0.1", 9000) == "http://127.0.0.1:9000"


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    assert retry_after_seconds("120") == 120.0
    later = format_datetime(utc_now() + timedelta(seconds=90), usegmt=True)
    assert 85 <= (retry_after_seconds(later) or 0) <= 90
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("²") is None  # a digit to str.isdigit, not to float


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
        "https://web.push.apple.com/QGrf",
        "https://FCM.googleapis.com:443/wp/abc",
    ],
)
def test_the_known_push_services_are_allowed(endpoint: str) -> None:
    assert endpoint_problem(endpoint, KNOWN_PUSH_SERVICES, allow_loopback=False) is None


@pytest.mark.parametrize(
    ("endpoint", "problem"),
    [
        ("http://fcm.googleapis.com/fcm/send/abc", "https"),
        ("https://fcm.googleapis.com:8443/fcm/send/abc", "port"),
        ("https://evil.example/fcm.googleapis.com", "known push service"),
        ("https://fcm.googleapis.com.evil.example/x", "known push service"),
        ("https://notfcm.googleapis.com/x", "known push service"),
        ("https://10.0.0.1/push", "known push service"),
        ("https://169.254.169.254/latest/meta-data", "known push service"),
        ("https://[::1]/push", "known push service"),
        ("https://user:pw@fcm.googleapis.com/x", "credentials"),
        ("http://127.0.0.1:9000/push", "https"),  # loopback only where the local stack allows it
        ("file:///etc/passwd", "https"),
        ("https://fcm.googleapis.com:99999/x", "not a URL"),
        ("https://fcm.googleapis.com/fcm/send/é", "printable ASCII"),  # http.client could not send it
        ("https://fcm.googleapis.com/fcm/send/a\r\nX-Injected: 1", "printable ASCII"),
        ("https://fcm.googleapis.com/fcm/send/a b", "printable ASCII"),
    ],
)
def test_other_endpoints_are_refused(endpoint: str, problem: str) -> None:
    found = endpoint_problem(endpoint, KNOWN_PUSH_SERVICES, allow_loopback=False)
    assert found is not None
    assert problem in found


def test_the_local_stack_allows_test_push_services_on_127_0_0_1_only() -> None:
    assert endpoint_problem("http://127.0.0.1:9000/push/a", KNOWN_PUSH_SERVICES, allow_loopback=True) is None
    for endpoint in ("http://localhost:9000/p", "http://127.0.0.2:9000/p", "http://127.0.0.1/p", "http://10.0.0.1:80/"):
        assert endpoint_problem(endpoint, KNOWN_PUSH_SERVICES, allow_loopback=True) is not None


def test_a_job_survives_the_queue_and_a_broken_one_is_named() -> None:
    for job in (
        NotificationJob("c1", "m1", recipient_ids=["u1", "u2"]),
        NotificationJob("c1", "m1", subscription_ids=["s1"], attempt=3),
    ):
        assert job_from_body(job_body(job)) == job
    for body in ("{", "[]", '{"conversationId": "c"}', '{"conversationId": 1, "messageId": "m"}',
                 '{"conversationId": "c", "messageId": "m", "recipientIds": "u1"}',
                 '{"conversationId": "c", "messageId": "m", "attempt": 0}'):  # fmt: skip
        with pytest.raises(ValueError, match="not a notification job"):
            job_from_body(body)
