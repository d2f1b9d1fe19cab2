"""Web Push over HTTP to a push service on this machine, which checks VAPID as FCM and
Mozilla's service do and decrypts with the reference implementation."""

from dataclasses import replace

from chat.adapters.web_push import HttpWebPush
from chat.clock import utc_now
from chat.models.ports import PushOutcome, PushSubscription
from chat.push_keys import new_vapid_key, vapid_public_key
from tests.push_service import PushService


def a_subscription(endpoint: str, service: PushService, name: str) -> PushSubscription:
    keys = service.browser(name).subscription()["keys"]
    return PushSubscription(
        id=name, user_id="u", login_id="l", endpoint=endpoint, p256dh=keys["p256dh"], auth=keys["auth"],
        expires_at=None, created_at=utc_now(),
    )  # fmt: skip


def test_a_push_carries_vapid_ttl_urgency_and_topic_over_kept_alive_connections() -> None:
    key = new_vapid_key()
    sender = HttpWebPush(key, "mailto:ops@example.com", timeout_seconds=5)
    with PushService() as service:
        subscription = a_subscription(f"{service.origin}/push/b", service, "b")
        outcomes = [
            sender.send(subscription, f'{{"n": {n}}}'.encode(), ttl=60, urgency="high", topic="t1") for n in range(3)
        ]
        browser = service.browsers["b"]
    assert [o.status for o in outcomes] == [201, 201, 201]
    assert browser.payloads() == [{"n": 0}, {"n": 1}, {"n": 2}]
    delivery = browser.deliveries[0]
    assert (delivery.headers["ttl"], delivery.headers["urgency"], delivery.headers["topic"]) == ("60", "high", "t1")
    assert delivery.claims["aud"] == service.origin
    assert delivery.claims["sub"] == "mailto:ops@example.com"
    assert f"k={vapid_public_key(key)}" in delivery.headers["authorization"]
    assert service.refusals == []


def test_a_push_services_answers_come_back_as_outcomes() -> None:
    sender = HttpWebPush(new_vapid_key(), "https://chat.example.com", timeout_seconds=5)
    with PushService() as service:
        subscription = a_subscription(f"{service.origin}/push/b", service, "b")
        service.browsers["b"].answers = [(410, {}), (429, {"Retry-After": "7"}), (503, {})]
        outcomes = [sender.send(subscription, b"{}", ttl=60, urgency="normal", topic="t") for _ in range(3)]
        nobody = replace(subscription, endpoint=f"{service.origin}/push/nobody")
        unknown = sender.send(nobody, b"{}", ttl=1, urgency="normal", topic="t")
    assert [(o.status, o.retry_after) for o in outcomes] == [(410, None), (429, 7.0), (503, None)]
    assert unknown.status == 404
    # A push service nobody answers at: the request never left, worth another try
    closed = HttpWebPush(new_vapid_key(), "mailto:a@b.c", timeout_seconds=1)
    assert closed.send(subscription, b"{}", ttl=1, urgency="normal", topic="t").status == PushOutcome.NOT_SENT
