"""The push notification contract: subscriptions, delivery claims, mutes, the users and logins
the notifier reads. The MongoDB adapters and the fakes behave the same."""

from dataclasses import replace
from datetime import timedelta

from chat.clock import utc_now
from chat.models.ports import PushSubscription
from tests.builders import a_group, a_user
from tests.contract.conftest import Stores


def a_subscription(user_id: str, n: int, *, login_id: str = "login-1", minutes_ago: int = 0) -> PushSubscription:
    return PushSubscription(
        id=f"sub-{n}",
        user_id=user_id,
        login_id=login_id,
        endpoint=f"https://fcm.googleapis.com/fcm/send/{n}",
        p256dh="B" + "A" * 86,
        auth="A" * 22,
        expires_at=None,
        created_at=utc_now() - timedelta(minutes=minutes_ago),
    )


def test_subscriptions_are_one_per_endpoint_and_capped_per_user(stores: Stores) -> None:
    store = stores.push_subscriptions
    # Given three subscriptions of "me", oldest first, and one of "you"
    for n in range(3):
        store.save(a_subscription("me", n, minutes_ago=10 - n), keep_at_most=3)
    store.save(a_subscription("you", 9), keep_at_most=3)
    assert sorted(s.id for s in store.for_users(["me"])) == ["sub-0", "sub-1", "sub-2"]

    # When a fourth comes, the oldest goes
    store.save(a_subscription("me", 3), keep_at_most=3)
    assert sorted(s.id for s in store.for_users(["me"])) == ["sub-1", "sub-2", "sub-3"]

    # And the same endpoint subscribed by someone else with the same keys moves to them (one
    # browser, a new person logged in)...
    assert store.save(replace(a_subscription("you", 1), login_id="login-2"), keep_at_most=3) is True
    assert sorted(s.id for s in store.for_users(["me"])) == ["sub-2", "sub-3"]
    moved = store.get_many(["sub-1"])
    assert [(s.user_id, s.login_id) for s in moved] == [("you", "login-2")]
    assert sorted(s.id for s in store.for_users(["me", "you"])) == ["sub-1", "sub-2", "sub-3", "sub-9"]
    # ...but with other keys it is refused, and nothing changes (an endpoint that is not theirs)
    taken = replace(a_subscription("me", 9), p256dh="B" + "C" * 86)
    assert store.save(taken, keep_at_most=3) is False
    assert [(s.user_id, s.p256dh) for s in store.get_many(["sub-9"])] == [("you", "B" + "A" * 86)]
    # The owner may replace their own keys
    assert store.save(replace(a_subscription("you", 9), auth="B" * 22), keep_at_most=3) is True
    assert [s.auth for s in store.get_many(["sub-9"])] == ["B" * 22]


def test_subscriptions_are_deleted_only_by_their_owner_or_by_id(stores: Stores) -> None:
    store = stores.push_subscriptions
    for n in range(3):
        store.save(a_subscription("me", n), keep_at_most=10)
    store.delete("you", "sub-0")  # not theirs: nothing happens
    assert len(store.for_users(["me"])) == 3
    store.delete("me", "sub-0")
    store.delete_ids(["sub-1", "unknown"])
    assert [s.id for s in store.for_users(["me"])] == ["sub-2"]
    assert store.get_many([]) == store.for_users([]) == []
    # What is stored comes back as it was given
    assert store.get_many(["sub-2"])[0].endpoint == "https://fcm.googleapis.com/fcm/send/2"


def test_a_claim_is_taken_once_until_released(stores: Stores) -> None:
    log = stores.push_deliveries
    keep = utc_now() + timedelta(days=2)
    assert log.claim("m1", ["a", "b"], keep) == {"a", "b"}
    # A job delivered twice claims only what was not claimed
    assert log.claim("m1", ["b", "c", "a"], keep) == {"c"}
    assert log.claim("m2", ["a"], keep) == {"a"}  # claims are per message
    # A released claim (a push to retry) can be claimed again
    log.release("m1", ["b"])
    assert log.claim("m1", ["a", "b"], keep) == {"b"}
    assert log.claim("m1", [], keep) == set()


def test_a_mute_is_the_members_own_until_a_time_or_for_good(stores: Stores) -> None:
    store = stores.conversations
    group = store.create(a_group("me", "you"))
    version = stores.conversation(group.id).version
    until = utc_now() + timedelta(hours=8)

    changed = store.set_muted(group.id, "me", True, until)
    assert changed is not None
    before, after = changed
    assert (before.mutedBy, after.mutedBy) == ({}, {"me": until})
    store.set_muted(group.id, "you", True, None)  # until unmuted
    stored = stores.conversation(group.id)
    assert (stored.mutedBy, stored.version) == ({"me": until, "you": None}, version)
    now = utc_now()
    assert (stored.muted_for("me", now), stored.muted_for("you", now)) == (True, True)
    assert stored.muted_for("me", until + timedelta(seconds=1)) is False  # the mute ran out
    assert stored.muted_for("you", now + timedelta(days=3650)) is True

    # Unmuting forgets the member's mute only; strangers and unknown chats change nothing
    unmuted = store.set_muted(group.id, "you", False)
    assert unmuted is not None
    assert unmuted[1].mutedBy == {"me": until}
    assert stores.conversation(group.id).mutedBy == {"me": until}
    assert store.set_muted(group.id, "stranger", True) is None
    assert store.set_muted("missing", "me", True) is None


def test_users_come_in_one_query_with_their_preview_setting(stores: Stores) -> None:
    store = stores.users
    me, you = a_user("mia"), a_user("yan")
    store.create_user(me, "hash")
    store.create_user(you, "hash")
    store.update_profile(you.id, {"notificationPreviews": False})
    found = {u.id: u.notificationPreviews for u in store.get_users([me.id, you.id, "nobody", me.id])}
    assert found == {me.id: True, you.id: False}
    assert store.get_users([]) == []


def test_logins_going_on_among_many(stores: Stores) -> None:
    store = stores.logins
    ends = utc_now() + timedelta(days=30)
    for login in ("l1", "l2", "l3"):
        store.start(login, "me", ends)
    store.end("me", ["l2"], utc_now(), ends)
    assert store.going_on_among(["l1", "l2", "l3", "never"]) == {"l1", "l3"}
    store.end("me", None, utc_now(), ends)  # log out everywhere
    assert store.going_on_among(["l1", "l3"]) == set()
