"""The store contract: the MongoDB adapters (embedded store, or a real MongoDB
when MONGODB_URI is set) and the in-memory fakes must behave the same."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from chat.adapters.mongo.limits import MongoRateLimitStore
from chat.clock import utc_now
from chat.models.chat import Connection
from chat.models.errors import UsernameTaken
from chat.models.ports import ConversationCursor, DuplicateMessage, RefreshGrant
from chat.services.ids import new_id
from tests.builders import a_group, a_message, a_user
from tests.contract.conftest import Stores


def test_usernames_are_unique_in_any_letter_case(stores: Stores) -> None:
    # Given a user "Alice"
    stores.users.create_user(a_user("Alice"), "hash")
    # When someone signs up as "alice", Then the name is taken
    with pytest.raises(UsernameTaken):
        stores.users.create_user(a_user("alice"), "hash")
    found = stores.users.find_credentials("ALICE")
    assert found is not None
    assert found.user.username == "Alice"
    assert found.password_hash == "hash"


def test_user_lookup_and_search(stores: Stores) -> None:
    alice, albert, bob = a_user("alice"), a_user("albert", "Bert"), a_user("bob", "Alfie Bob")
    for user in (alice, albert, bob):
        stores.users.create_user(user, "hash")
    assert stores.users.get_user(bob.id) == bob
    assert stores.users.get_user("nope") is None
    assert stores.users.existing_user_ids([alice.id, "nope"]) == {alice.id}
    # "al" matches usernames and display names, never the caller, ordered by username
    found = stores.users.search_users("AL", alice.id, 10, None)
    assert [u.username for u in found] == ["albert", "bob"]
    # keyset paging continues after the last username
    assert [u.username for u in stores.users.search_users(None, alice.id, 1, "albert")] == ["bob"]
    # regex characters are matched literally
    assert stores.users.search_users(".*", alice.id, 10, None) == []


def test_refresh_token_is_consumed_once(stores: Stores) -> None:
    now = utc_now()
    grant = RefreshGrant(user_id="u1", family_id="login1", logged_in_at=now.replace(microsecond=0))
    stores.tokens.save("h1", grant, now + timedelta(days=30))
    assert stores.tokens.consume("h1", now) == grant  # when the login began comes back with it
    assert stores.tokens.consume("h1", now) is None
    assert stores.tokens.grant_of("h1") == grant  # used or not, whose login it was
    assert stores.tokens.grant_of("unknown") is None


def test_logins_go_on_until_ended_and_never_start_again(stores: Stores) -> None:
    now = utc_now()
    later = now + timedelta(days=30)
    for login, user in (("L1", "alice"), ("L2", "alice"), ("L3", "alice"), ("B1", "bob")):
        stores.logins.start(login, user, later)
    assert stores.logins.state("L1", "alice") == "going on"
    assert stores.logins.state("L1", "bob") == "unknown"  # a login is one user's
    assert stores.logins.state("L9", "alice") == "unknown"  # never recorded
    # one login ends; starting it again (a refresh racing the log-out) changes nothing
    stores.logins.end("alice", ["L1"], now, later)
    stores.logins.start("L1", "alice", later)
    assert stores.logins.state("L1", "alice") == "ended"
    assert stores.logins.state("L2", "alice") == "going on"
    # a login not on record is recorded as ended
    stores.logins.end("alice", ["L0"], now, later)
    stores.logins.start("L0", "alice", later)
    assert stores.logins.state("L0", "alice") == "ended"
    # every login of one user ends, those not on record too; others' go on
    assert not stores.logins.ended_everywhere("alice")
    stores.logins.end("alice", None, now, later)
    assert stores.logins.ended_everywhere("alice")
    assert not stores.logins.ended_everywhere("bob")
    assert stores.logins.state("L2", "alice") == "ended"
    assert stores.logins.state("L3", "alice") == "ended"
    assert stores.logins.state("B1", "bob") == "going on"


def test_a_token_bucket_gives_its_capacity_at_once_then_refills_at_its_rate(stores: Stores) -> None:
    now = utc_now()
    # 3 at once, then one every 2 s
    assert [stores.rate_limits.take("send:alice", 3, 0.5, now) for _ in range(3)] == [None, None, None]
    wait = stores.rate_limits.take("send:alice", 3, 0.5, now)
    assert wait == pytest.approx(2.0)
    assert stores.rate_limits.take("send:bob", 3, 0.5, now) is None  # every key has its own bucket
    assert stores.rate_limits.take("send:alice", 3, 0.5, now + timedelta(seconds=1)) == pytest.approx(1.0)
    assert stores.rate_limits.take("send:alice", 3, 0.5, now + timedelta(seconds=2)) is None
    # a long pause fills it to its capacity, no more
    later = now + timedelta(hours=1)
    assert [stores.rate_limits.take("send:alice", 3, 0.5, later) for _ in range(4)][-1] is not None
    # a clock behind the last take (another container's) earns nothing, and does not turn
    # the bucket's clock back so the next take on time earns it twice
    assert stores.rate_limits.take("send:alice", 3, 0.5, later - timedelta(seconds=30)) is not None
    assert stores.rate_limits.take("send:alice", 3, 0.5, later) is not None


def test_concurrent_takes_never_give_more_than_the_bucket_holds(stores: Stores) -> None:
    now = utc_now()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: stores.rate_limits.take("burst", 10, 0.001, now), range(64)))
    assert sum(result is None for result in results) == 10


def test_only_a_used_token_is_spent(stores: Stores) -> None:
    now = utc_now()
    grant = RefreshGrant("u1", "login1")
    stores.tokens.save("fresh", grant, now + timedelta(days=1))
    stores.tokens.save("old", grant, now - timedelta(seconds=1))
    assert stores.tokens.spent("fresh") is None
    assert stores.tokens.spent("old") is None  # too old is not used
    stores.tokens.consume("fresh", now)
    assert stores.tokens.spent("fresh") == grant
    assert stores.tokens.spent("never") is None


def test_expired_refresh_tokens_are_refused(stores: Stores) -> None:
    now = utc_now()
    stores.tokens.save("old", RefreshGrant("u1", "login1"), now - timedelta(seconds=1))
    stores.tokens.save("live", RefreshGrant("u1", "login2"), now + timedelta(days=1))
    assert stores.tokens.consume("old", now) is None
    assert stores.tokens.consume("live", now) is not None


def test_log_in_attempts_are_taken_up_to_the_limit_per_window(stores: Stores) -> None:
    now, window = utc_now(), timedelta(minutes=15)
    for _ in range(3):
        assert stores.login_attempts.reserve("alice|1.2.3.4", now, window, 3) is None
    # the fourth waits for the window's end; another key is not affected
    ends = stores.login_attempts.reserve("alice|1.2.3.4", now, window, 3)
    assert ends is not None
    assert abs((ends - (now + window)).total_seconds()) < 1
    assert stores.login_attempts.reserve("alice|5.6.7.8", now, window, 3) is None
    # After the window, a new one opens; clearing starts over at once
    later = now + window + timedelta(seconds=1)
    assert stores.login_attempts.reserve("alice|1.2.3.4", later, window, 3) is None
    for _ in range(2):
        stores.login_attempts.reserve("alice|1.2.3.4", later, window, 3)
    assert stores.login_attempts.reserve("alice|1.2.3.4", later, window, 3) is not None
    stores.login_attempts.clear("alice|1.2.3.4")
    assert stores.login_attempts.reserve("alice|1.2.3.4", later, window, 3) is None


def test_concurrent_attempts_take_exactly_the_limit(stores: Stores) -> None:
    now, window = utc_now(), timedelta(minutes=15)
    barrier = threading.Barrier(32)

    def attempt(_: int) -> bool:
        barrier.wait()
        return stores.login_attempts.reserve("bob|1.2.3.4", now, window, 10) is None

    with ThreadPoolExecutor(32) as pool:
        taken = list(pool.map(attempt, range(32)))
    assert taken.count(True) == 10


def test_direct_conversation_is_unique_per_pair(stores: Stores) -> None:
    first = a_group("a", "b").model_copy(update={"type": "direct", "name": None})
    second = first.model_copy(update={"id": new_id()})
    assert stores.conversations.create(first, direct_key="a:b") == first
    assert stores.conversations.create(second, direct_key="a:b").id == first.id
    found = stores.conversations.find_direct("a:b")
    assert found is not None
    assert found.id == first.id


def test_seq_allocation_checks_membership_and_never_repeats(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b"))
    assert stores.conversations.allocate_seq(group.id, "stranger") is None
    assert stores.conversations.allocate_seq("missing", "a") is None
    seqs: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        for _ in range(20):
            allocation = stores.conversations.allocate_seq(group.id, "a")
            assert allocation is not None
            with lock:
                seqs.append(allocation.seq)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seqs) == list(range(1, 81))
    allocation = stores.conversations.allocate_seq(group.id, "b")
    assert allocation is not None
    assert allocation.seq == 81
    assert sorted(allocation.member_ids) == ["a", "b"]


def test_last_message_only_moves_forward(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b"))
    newer, older = a_message(group.id, "a", 2), a_message(group.id, "a", 1)
    stores.conversations.record_change(newer, new=True)
    stores.conversations.record_change(older, new=True)
    stored = stores.conversations.get(group.id)
    assert stored is not None
    assert stored.lastMessage == newer


def test_conversations_list_most_recent_activity_first(stores: Stores) -> None:
    start = utc_now() - timedelta(hours=1)
    quiet = stores.conversations.create(a_group("me", "x", created_at=start))
    busy = stores.conversations.create(a_group("me", "y", created_at=start + timedelta(minutes=1)))
    newest = stores.conversations.create(a_group("me", "z", created_at=start + timedelta(minutes=2)))
    stores.conversations.create(a_group("someone", "else"))
    stores.conversations.record_change(a_message(busy.id, "y", 1), new=True)

    listed = stores.conversations.list_for_member("me", 10, None)
    assert [c.id for c in listed] == [busy.id, newest.id, quiet.id]
    page = stores.conversations.list_for_member("me", 10, ConversationCursor(newest.createdAt, newest.id))
    assert [c.id for c in page] == [quiet.id]


def test_archiving_marks_the_last_message_for_one_member_only(stores: Stores) -> None:
    # Given a group with two messages
    group = stores.conversations.create(a_group("me", "you"))
    for seq in (1, 2):
        stores.conversations.record_change(a_message(group.id, "you", seq), new=True)
    version = stores.conversation(group.id).version

    # When "me" archives it
    changed = stores.conversations.set_archived(group.id, "me", True)

    # Then the answer is before and after, marked at the last message's seq, and no version moved
    assert changed is not None
    before, after = changed
    assert (before.archivedBy, after.archivedBy) == ({}, {"me": 2})
    assert (before.archived_for("me"), after.archived_for("me"), after.archived_for("you")) == (False, True, False)
    stored = stores.conversation(group.id)
    assert (stored.archivedBy, stored.version) == ({"me": 2}, version)
    assert [c.id for c in stores.conversations.list_for_member("me", 10, None)] == []
    assert [c.id for c in stores.conversations.list_for_member("me", 10, None, archived=True)] == [group.id]
    assert [c.id for c in stores.conversations.list_for_member("you", 10, None)] == [group.id]
    assert stores.conversations.list_for_member("you", 10, None, archived=True) == []
    # And only members archive
    assert stores.conversations.set_archived(group.id, "stranger", True) is None
    assert stores.conversations.set_archived("missing", "me", True) is None


def test_a_new_message_unarchives_with_no_write_of_its_own(stores: Stores) -> None:
    # Given a chat "me" archived when it had no message yet
    group = stores.conversations.create(a_group("me", "you"))
    stores.conversations.set_archived(group.id, "me", True)
    assert [c.id for c in stores.conversations.list_for_member("me", 10, None, archived=True)] == [group.id]

    # When a message is recorded, as every send records it
    stores.conversations.record_change(a_message(group.id, "you", 1), new=True)

    # Then it is back in the main list, the mark still where it was
    assert [c.id for c in stores.conversations.list_for_member("me", 10, None)] == [group.id]
    assert stores.conversations.list_for_member("me", 10, None, archived=True) == []
    assert stores.conversation(group.id).archivedBy == {"me": 0}


def test_unarchiving_forgets_the_mark(stores: Stores) -> None:
    group = stores.conversations.create(a_group("me", "you"))
    stores.conversations.set_archived(group.id, "me", True)
    stores.conversations.set_archived(group.id, "you", True)
    changed = stores.conversations.set_archived(group.id, "me", False)
    assert changed is not None
    assert (changed[0].archivedBy, changed[1].archivedBy) == ({"me": 0, "you": 0}, {"you": 0})
    assert stores.conversation(group.id).archivedBy == {"you": 0}
    assert [c.id for c in stores.conversations.list_for_member("me", 10, None)] == [group.id]
    # Unarchiving what is not archived changes nothing
    again = stores.conversations.set_archived(group.id, "me", False)
    assert again is not None
    assert again[0].archivedBy == again[1].archivedBy == {"you": 0}


def test_both_lists_keep_their_order_and_cursor(stores: Stores) -> None:
    # Given five conversations a minute apart, the 1st, 3rd and 5th archived
    start = utc_now() - timedelta(hours=1)
    made = [
        stores.conversations.create(a_group("me", f"u{i}", created_at=start + timedelta(minutes=i))) for i in range(5)
    ]
    for conversation in made[::2]:
        stores.conversations.set_archived(conversation.id, "me", True)

    # Then each list gives its own, newest first, from a cursor too
    ids = [c.id for c in made]
    assert [c.id for c in stores.conversations.list_for_member("me", 10, None)] == [ids[3], ids[1]]
    archived = stores.conversations.list_for_member("me", 2, None, archived=True)
    assert [c.id for c in archived] == [ids[4], ids[2]]
    after = ConversationCursor(made[2].createdAt, made[2].id)
    assert [c.id for c in stores.conversations.list_for_member("me", 2, after, archived=True)] == [ids[0]]
    assert [c.id for c in stores.conversations.list_for_member("me", 2, after)] == [ids[1]]


def test_messages_are_idempotent_per_sender_and_client_msg_id(stores: Stores) -> None:
    stores.messages.insert(a_message("c1", "a", 1, "same"))
    with pytest.raises(DuplicateMessage):
        stores.messages.insert(a_message("c1", "a", 2, "same"))
    # another sender, or another conversation, may use the same id
    stores.messages.insert(a_message("c1", "b", 3, "same"))
    stores.messages.insert(a_message("c2", "a", 1, "same"))
    original = stores.messages.find_by_client_msg_id("c1", "a", "same")
    assert original is not None
    assert original.seq == 1


def test_history_pages_by_seq(stores: Stores) -> None:
    for seq in range(1, 11):
        stores.messages.insert(a_message("c1", "a", seq))
    stores.messages.insert(a_message("other", "a", 99))

    def seqs(before: int | None = None, after: int | None = None, limit: int = 3) -> list[int]:
        return [m.seq for m in stores.messages.page("c1", limit, before, after).messages]

    assert seqs() == [8, 9, 10]
    assert seqs(before=8) == [5, 6, 7]
    assert seqs(before=2) == [1]
    assert seqs(after=7) == [8, 9, 10]
    assert seqs(after=2) == [3, 4, 5]
    assert seqs(after=10) == []
    assert seqs(before=6, after=2, limit=10) == [3, 4, 5]


def test_connections_by_user(stores: Stores) -> None:
    now = utc_now()
    stores.connections.add(Connection(connectionId="c1", userId="a"), now)
    stores.connections.add(Connection(connectionId="c2", userId="a"), now)
    stores.connections.add(Connection(connectionId="c3", userId="b"), now)
    stores.connections.add(Connection(connectionId="c4", userId="z"), now)
    assert sorted(c.connectionId for c in stores.connections.for_users(["a", "b"])) == ["c1", "c2", "c3"]
    stores.connections.remove(["c1", "c3", "unknown"])
    assert [c.connectionId for c in stores.connections.for_users(["a", "b"])] == ["c2"]


def test_a_users_oldest_connections_beyond_a_cap(stores: Stores) -> None:
    now = utc_now()
    for minutes, connection_id in ((3, "c-oldest"), (2, "c-older"), (1, "c-newer"), (0, "c-newest")):
        stores.connections.add(
            Connection(connectionId=connection_id, userId="a", loginId="L1"), now - timedelta(minutes=minutes)
        )
    stores.connections.add(Connection(connectionId="b-1", userId="b"), now - timedelta(minutes=9))
    assert stores.connections.oldest_beyond("a", 2) == ["c-oldest", "c-older"]
    assert stores.connections.oldest_beyond("a", 4) == []
    assert stores.connections.oldest_beyond("b", 1) == []
    # the login each socket was opened with comes back with it
    assert {c.loginId for c in stores.connections.for_users(["a", "b"])} == {"L1", None}


def test_connections_removed_only_if_older_than_asked(stores: Stores) -> None:
    now = utc_now()
    stores.connections.add(Connection(connectionId="old", userId="a"), now - timedelta(minutes=5))
    stores.connections.add(Connection(connectionId="new", userId="a"), now)
    stores.connections.remove(["old", "new"], connected_before=now - timedelta(seconds=10))
    assert [c.connectionId for c in stores.connections.for_users(["a"])] == ["new"]


def test_skipped_seqs_come_back_beside_messages_and_count_toward_the_limit(stores: Stores) -> None:
    for seq in (1, 2, 4, 5):
        stores.messages.insert(a_message("c1", "a", seq))
    stores.messages.mark_skipped("c1", 3, utc_now())
    page = stores.messages.page("c1", 3, None, 1)
    assert [m.seq for m in page.messages] == [2, 4]
    assert page.skipped == {3}
    newest = stores.messages.page("c1", 2, None, None)
    assert ([m.seq for m in newest.messages], newest.skipped) == ([4, 5], set())
    # the marker takes no sender's clientMsgId
    stores.messages.insert(a_message("c1", "a", 6, "~3"))


def test_a_first_take_that_lost_the_race_to_create_the_bucket_takes_from_it(mongo_db: Any) -> None:
    # Given a server that (before 4.2) does not retry an upsert that collided with a concurrent one
    class Collided:
        def __init__(self, collection: Any) -> None:
            self.collection, self.collided = collection, False

        def find_one_and_update(self, *args: Any, **kwargs: Any) -> Any:
            if not self.collided:
                self.collided = True
                self.collection.find_one_and_update(*args, **kwargs)  # the concurrent take's bucket
                raise DuplicateKeyError("E11000 duplicate key error")
            return self.collection.find_one_and_update(*args, **kwargs)

    buckets = Collided(mongo_db["rate_limits"])
    store = MongoRateLimitStore({"rate_limits": buckets})
    # When a first take collides, Then it takes from the bucket the other one made
    assert store.take("send:alice", 2, 0.01, utc_now()) is None
    assert buckets.collided
    assert mongo_db["rate_limits"].find_one({"_id": "send:alice"})["tokens"] == pytest.approx(0, abs=0.01)
