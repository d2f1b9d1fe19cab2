"""The store contract for the live features (receipts, presence, edits, deletions,
reactions, membership, the change counter and its log): the MongoDB adapters and the
in-memory fakes must behave the same."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from chat.adapters.mongo.conversations import MongoConversationStore
from chat.clock import utc_now
from chat.models.chat import Attachment, Connection, Receipt
from chat.models.ports import Unread
from tests.builders import a_direct, a_group, a_message, a_user
from tests.contract.conftest import Stores

LOG_SIZE = 256


def close_to(stored: datetime | None, expected: datetime) -> bool:
    """MongoDB keeps milliseconds; a stored time is the one given, to the millisecond."""
    return stored is not None and abs(stored - expected) < timedelta(milliseconds=1)


def version(stores: Stores, conversation_id: str) -> int:
    conversation = stores.conversations.get(conversation_id)
    assert conversation is not None
    return int(conversation.version)


def log_of(stores: Stores, conversation_id: str) -> list[tuple[int, str]]:
    found = stores.conversations.change_log(conversation_id)
    assert found is not None
    return list(found[1])


def advance(stores: Stores, conversation_id: str, sender: str, times: int) -> int:
    """Reserves `times` seqs (as sends do) and returns lastSeq."""
    seq = 0
    for _ in range(times):
        allocation = stores.conversations.allocate_seq(conversation_id, sender)
        assert allocation is not None
        seq = allocation.seq
    return seq


# --- the change counter and its log --------------------------------------------------------


def test_each_recorded_change_bumps_the_version_by_one_and_is_logged_oldest_first(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b"))
    assert version(stores, group.id) == 0
    assert log_of(stores, group.id) == []
    first, second = a_message(group.id, "a", 1), a_message(group.id, "b", 2)
    for message in (first, second):
        stores.conversations.record_change(message, new=True)
    edited = first.model_copy(update={"text": "edited", "revision": 1})
    stores.conversations.record_change(edited, new=False)

    found = stores.conversations.change_log(group.id)
    assert found is not None
    conversation, log = found
    assert conversation.version == 3
    assert log == [(1, first.id), (2, second.id), (3, first.id)]
    assert stores.conversations.change_log("missing") is None


def test_the_log_keeps_the_newest_256_changes_with_their_versions(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b"))
    messages = [a_message(group.id, "a", seq) for seq in range(1, LOG_SIZE + 45)]  # 300 changes
    for message in messages:
        stores.conversations.record_change(message, new=True)

    found = stores.conversations.change_log(group.id)
    assert found is not None
    conversation, log = found
    assert conversation.version == 300
    assert len(log) == LOG_SIZE
    assert log[0] == (300 - LOG_SIZE + 1, messages[300 - LOG_SIZE].id)
    assert log[-1] == (300, messages[-1].id)
    assert log == [(index + 1, message.id) for index, message in enumerate(messages)][-LOG_SIZE:]


def test_a_change_refreshes_last_message_only_when_it_is_the_last_one(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b"))
    first, last = a_message(group.id, "a", 1), a_message(group.id, "b", 2)
    stores.conversations.record_change(first, new=True)
    stores.conversations.record_change(last, new=True)

    # an edit of an older message leaves the preview alone (but is still counted)
    stores.conversations.record_change(first.model_copy(update={"text": "old edit", "revision": 1}), new=False)
    stored = stores.conversations.get(group.id)
    assert stored is not None
    assert stored.lastMessage is not None
    assert (stored.lastMessage.id, stored.lastMessage.text) == (last.id, "message 2")
    assert stored.version == 3

    # an edit of the last message refreshes it
    stores.conversations.record_change(last.model_copy(update={"text": "new edit", "revision": 1}), new=False)
    stored = stores.conversations.get(group.id)
    assert stored is not None
    assert stored.lastMessage is not None
    assert (stored.lastMessage.id, stored.lastMessage.text, stored.lastMessage.revision) == (last.id, "new edit", 1)


def test_a_new_message_never_moves_last_message_backward(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b"))
    newer, slower = a_message(group.id, "a", 2), a_message(group.id, "b", 1)
    stores.conversations.record_change(newer, new=True)
    stores.conversations.record_change(slower, new=True)  # a slower concurrent send of seq 1
    stored = stores.conversations.get(group.id)
    assert stored is not None
    assert stored.lastMessage is not None
    assert stored.lastMessage.id == newer.id
    assert stored.version == 2
    assert log_of(stores, group.id) == [(1, newer.id), (2, slower.id)]


def test_record_change_returns_the_version_it_gave(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b"))
    first, second = a_message(group.id, "a", 1), a_message(group.id, "b", 2)
    for message in (first, second):
        stores.messages.insert(message)
    assert stores.conversations.record_change(second, new=True) == 1
    assert stores.conversations.record_change(first, new=True) == 2  # older: only version and log move
    assert stores.conversations.record_change(second, new=False) == 3
    assert version(stores, group.id) == 3


# --- receipts ---------------------------------------------------------------------------------


def test_receipts_move_forward_only_on_the_members_own_record(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b", "c"))
    advance(stores, group.id, "a", 3)
    before = version(stores, group.id)

    # a first receipt: from nothing
    assert stores.receipts.advance(group.id, "b", 2, 0) == (Receipt(), Receipt(deliveredSeq=2, readSeq=0))
    # backward, or to where it already is: nothing moves, and the cursors say where they are
    unmoved = (Receipt(deliveredSeq=2), Receipt(deliveredSeq=2))
    assert stores.receipts.advance(group.id, "b", 1, 0) == unmoved
    assert stores.receipts.advance(group.id, "b", 2, 0) == unmoved
    assert stores.receipts.advance(group.id, "b", 2, 1) == (Receipt(deliveredSeq=2), Receipt(deliveredSeq=2, readSeq=1))
    # forward: before and after
    assert stores.receipts.advance(group.id, "b", 3, 0) == (
        Receipt(deliveredSeq=2, readSeq=1),
        Receipt(deliveredSeq=3, readSeq=1),
    )
    stores.receipts.advance(group.id, "c", 1, 1)

    assert stores.receipts.of_conversation(group.id) == {
        "b": Receipt(deliveredSeq=3, readSeq=1),
        "c": Receipt(deliveredSeq=1, readSeq=1),
    }
    # the conversation document is not written: no version, no log entry
    assert version(stores, group.id) == before
    assert stores.receipts.of_conversation("missing") == {}


def test_first_receipts_racing_for_one_record_all_count(stores: Stores) -> None:
    """The fake and the embedded store each apply one write at a time; against a real MongoDB
    (MONGODB_URI) the upserts truly race, which is where a filter other than _id lost one."""
    # Given 16 receipts for one member arriving at once (devices, delivered and read)
    seqs = [(delivered, read) for delivered in range(1, 9) for read in (0, delivered - 1)]

    # When they all try to create and move the record at the same moment
    barrier = threading.Barrier(len(seqs))

    def advance(pair: tuple[int, int]) -> None:
        barrier.wait()
        stores.receipts.advance("race", "b", *pair)

    with ThreadPoolExecutor(len(seqs)) as pool:
        list(pool.map(advance, seqs))

    # Then none failed and the record holds the highest of each cursor
    assert stores.receipts.of_conversation("race") == {"b": Receipt(deliveredSeq=8, readSeq=7)}


def test_reading_implies_delivered_and_the_read_cursor_never_goes_back(stores: Stores) -> None:
    assert stores.receipts.advance("g", "b", 0, 3)[1] == Receipt(deliveredSeq=3, readSeq=3)
    # delivered moves on, read stays where it was (not back to 1)
    assert stores.receipts.advance("g", "b", 4, 1)[1] == Receipt(deliveredSeq=4, readSeq=3)
    # read catches up with delivered without moving delivered back
    assert stores.receipts.advance("g", "b", 2, 4) == (
        Receipt(deliveredSeq=4, readSeq=3),
        Receipt(deliveredSeq=4, readSeq=4),
    )
    assert stores.receipts.of_conversation("g") == {"b": Receipt(deliveredSeq=4, readSeq=4)}


def test_a_reader_sees_every_receipt_of_a_direct_chat_and_only_their_own_of_a_group(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b", "c"))
    direct = stores.conversations.create(a_direct("a", "b"), direct_key="a:b")
    other = stores.conversations.create(a_group("d", "e"))
    for conversation_id, user in (
        (group.id, "a"),
        (group.id, "b"),
        (direct.id, "a"),
        (direct.id, "b"),
        (other.id, "d"),
    ):
        stores.receipts.advance(conversation_id, user, 1, 1)
    one = Receipt(deliveredSeq=1, readSeq=1)

    assert stores.receipts.visible_to("a", [group, direct]) == {group.id: {"a": one}, direct.id: {"a": one, "b": one}}
    assert stores.receipts.visible_to("c", [group]) == {}
    assert stores.receipts.visible_to("a", []) == {}


def test_senders_between_names_who_sent_in_the_ranges_but_the_reader(stores: Stores) -> None:
    for seq, sender in enumerate(["a", "b", "a", "c", "b"], start=1):
        stores.messages.insert(a_message("g", sender, seq))
    stores.messages.insert(a_message("other", "d", 2))
    stores.messages.mark_skipped("g", 6, utc_now())

    assert stores.messages.senders_between("g", [(0, 2)], "x") == {"a", "b"}
    assert stores.messages.senders_between("g", [(0, 2)], "b") == {"a"}
    assert stores.messages.senders_between("g", [(3, 4), (0, 1)], "x") == {"a", "c"}
    assert stores.messages.senders_between("g", [(5, 6)], "x") == set()  # a skipped seq has no sender
    assert stores.messages.senders_between("g", [], "x") == set()


# --- membership ---------------------------------------------------------------------------------


def test_only_an_admin_adds_members_within_the_limit(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b"))
    assert not stores.conversations.add_members(group.id, "b", ["c"], 10)  # b is no admin
    assert not stores.conversations.add_members(group.id, "stranger", ["c"], 10)
    assert not stores.conversations.add_members("missing", "a", ["c"], 10)
    assert version(stores, group.id) == 0

    assert stores.conversations.add_members(group.id, "a", ["c"], 10)
    stored = stores.conversations.get(group.id)
    assert stored is not None
    assert stored.memberIds == ["a", "b", "c"]
    assert stored.version == 1
    assert log_of(stores, group.id) == [(1, "")]

    # 3 + 2 > 4: refused, and nobody is added
    assert not stores.conversations.add_members(group.id, "a", ["d", "e"], 4)
    # 3 + 1 == 4: fits
    assert stores.conversations.add_members(group.id, "a", ["d"], 4)
    assert not stores.conversations.add_members(group.id, "a", ["e"], 4)
    stored = stores.conversations.get(group.id)
    assert stored is not None
    assert stored.memberIds == ["a", "b", "c", "d"]
    assert stored.version == 2


def test_members_cannot_be_added_to_a_direct_conversation(stores: Stores) -> None:
    direct = stores.conversations.create(a_direct("a", "b"), direct_key="a:b")
    assert not stores.conversations.add_members(direct.id, "a", ["c"], 10)
    stored = stores.conversations.get(direct.id)
    assert stored is not None
    assert stored.memberIds == ["a", "b"]
    assert stored.version == 0


def test_removal_is_conditional_on_last_seq_and_remembers_what_they_may_read(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b", "c"))
    last_seq = advance(stores, group.id, "a", 2)
    before = version(stores, group.id)

    # a send moved lastSeq since the caller read it: refused, nothing changes
    assert stores.conversations.remove_member(group.id, "c", last_seq - 1) is None
    assert version(stores, group.id) == before

    removed = stores.conversations.remove_member(group.id, "c", last_seq)
    assert removed is not None
    assert removed.memberIds == ["a", "b"]
    assert removed.formerMembers == {"c": 2}
    assert removed.version == before + 1
    stored = stores.conversations.get(group.id)
    assert stored is not None
    assert stored.memberIds == ["a", "b"]
    assert stored.formerMembers == {"c": 2}
    assert log_of(stores, group.id)[-1] == (before + 1, "")

    # not a member (any more), or no such group
    assert stores.conversations.remove_member(group.id, "c", last_seq) is None
    assert stores.conversations.remove_member("missing", "a", 0) is None
    # a removed member can take no seq
    assert stores.conversations.allocate_seq(group.id, "c") is None


def test_removing_the_admin_drops_them_from_admins(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b", "c"))
    removed = stores.conversations.remove_member(group.id, "a", 0)
    assert removed is not None
    assert removed.adminIds == []
    assert removed.memberIds == ["b", "c"]
    assert removed.formerMembers == {"a": 0}
    # and the removed admin can no longer add or rename
    assert not stores.conversations.add_members(group.id, "a", ["d"], 10)
    assert stores.conversations.rename(group.id, "a", "mine") is None


def test_no_one_is_removed_from_a_direct_conversation(stores: Stores) -> None:
    direct = stores.conversations.create(a_direct("a", "b"), direct_key="a:b")
    assert stores.conversations.remove_member(direct.id, "b", 0) is None
    stored = stores.conversations.get(direct.id)
    assert stored is not None
    assert stored.memberIds == ["a", "b"]


def test_re_adding_a_removed_member_forgets_their_removal(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b", "c"))
    assert stores.conversations.remove_member(group.id, "c", 0) is not None
    assert stores.conversations.add_members(group.id, "a", ["c"], 10)
    stored = stores.conversations.get(group.id)
    assert stored is not None
    assert stored.memberIds == ["a", "b", "c"]
    assert stored.formerMembers == {}


def test_an_admin_is_made_only_when_none_is_left(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b", "c"))
    assert stores.conversations.make_admin(group.id, "b") is None  # a is still admin
    assert version(stores, group.id) == 0
    assert stores.conversations.remove_member(group.id, "a", 0) is not None
    assert stores.conversations.make_admin(group.id, "stranger") is None
    assert stores.conversations.make_admin("missing", "b") is None

    promoted = stores.conversations.make_admin(group.id, "b")
    assert promoted is not None
    assert promoted.adminIds == ["b"]
    assert promoted.version == 2
    assert log_of(stores, group.id) == [(1, ""), (2, "")]
    assert stores.conversations.make_admin(group.id, "c") is None  # b is admin now
    stored = stores.conversations.get(group.id)
    assert stored is not None
    assert stored.adminIds == ["b"]
    # and the new admin may add members
    assert stores.conversations.add_members(group.id, "b", ["d"], 10)


def test_a_group_from_before_admins_gets_a_new_admin_when_its_creator_leaves(mongo_db: Any) -> None:
    # MongoDB only: documents written before admins existed have no adminIds, and the
    # adapter treats their creator as the admin (the fakes have no such documents).
    store = MongoConversationStore(mongo_db)
    group = store.create(a_group("a", "b", "c"))
    mongo_db["conversations"].update_one({"_id": group.id}, {"$unset": {"adminIds": ""}})
    legacy = store.get(group.id)
    assert legacy is not None
    assert legacy.adminIds == ["a"]

    removed = store.remove_member(group.id, "a", 0)
    assert removed is not None
    assert removed.memberIds == ["b", "c"]
    # the creator is gone, so no one administers the group now...
    assert removed.adminIds == []
    # ...and GroupService can hand it to the longest-standing member
    promoted = store.make_admin(group.id, "b")
    assert promoted is not None
    assert promoted.adminIds == ["b"]
    # while the removed creator can no longer add anyone
    assert not store.add_members(group.id, "a", ["d"], 10)


def test_only_an_admin_renames_a_group(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b"))
    assert stores.conversations.rename(group.id, "b", "mine") is None
    assert stores.conversations.rename("missing", "a", "mine") is None
    assert version(stores, group.id) == 0

    renamed = stores.conversations.rename(group.id, "a", "Team")
    assert renamed is not None
    assert renamed.name == "Team"
    assert renamed.version == 1
    stored = stores.conversations.get(group.id)
    assert stored is not None
    assert stored.name == "Team"
    assert log_of(stores, group.id) == [(1, "")]

    direct = stores.conversations.create(a_direct("a", "b"), direct_key="a:b")
    assert stores.conversations.rename(direct.id, "a", "x") is None


def test_the_presence_audience_is_everyone_sharing_a_direct_chat_or_a_small_group(stores: Stores) -> None:
    stores.conversations.create(a_group("a", "b"))
    stores.conversations.create(a_direct("a", "c"), direct_key="a:c")
    stores.conversations.create(a_group("d", "e"))
    stores.conversations.create(a_group("a", "f", "g", "h"))  # larger than 3
    stores.conversations.create(a_group("a", "i", "j"))  # exactly 3
    assert sorted(stores.conversations.presence_audience("a", 3)) == ["a", "b", "c", "i", "j"]
    assert sorted(stores.conversations.presence_audience("a", 4)) == ["a", "b", "c", "f", "g", "h", "i", "j"]
    assert sorted(stores.conversations.presence_audience("c", 1)) == ["a", "c"]  # direct chats always
    assert sorted(stores.conversations.presence_audience("e", 3)) == ["d", "e"]
    assert list(stores.conversations.presence_audience("f", 3)) == []
    assert list(stores.conversations.presence_audience("nobody", 3)) == []


def test_sharing_with_names_who_shares_any_conversation_with_the_user(stores: Stores) -> None:
    stores.conversations.create(a_direct("a", "b"), direct_key="a:b")
    stores.conversations.create(a_group("a", "c", "d"))
    stores.conversations.create(a_group("e", "f"))
    assert stores.conversations.sharing_with("a", ["b", "c", "e", "a", "nobody"]) == {"a", "b", "c"}
    assert stores.conversations.sharing_with("e", ["a", "f"]) == {"f"}
    assert stores.conversations.sharing_with("nobody", ["a"]) == set()
    assert stores.conversations.sharing_with("a", []) == set()


def test_the_presence_audience_leaves_out_a_removed_member(stores: Stores) -> None:
    group = stores.conversations.create(a_group("a", "b", "c"))
    assert stores.conversations.remove_member(group.id, "c", 0) is not None
    assert sorted(stores.conversations.presence_audience("a", 20)) == ["a", "b"]
    assert list(stores.conversations.presence_audience("c", 20)) == []


# --- messages: edits, deletions, reactions -----------------------------------------------------


def test_only_the_sender_edits_and_each_edit_is_a_revision(stores: Stores) -> None:
    message = a_message("c1", "a", 1)
    stores.messages.insert(message)
    at = utc_now()
    assert stores.messages.edit(message.id, "b", "hijacked", at) is None
    assert stores.messages.edit("missing", "a", "x", at) is None

    edited = stores.messages.edit(message.id, "a", "first edit", at)
    assert edited is not None
    assert (edited.id, edited.text, edited.revision, edited.seq) == (message.id, "first edit", 1, 1)
    assert close_to(edited.editedAt, at)
    assert edited.deletedAt is None
    again = stores.messages.edit(message.id, "a", "second edit", at + timedelta(seconds=1))
    assert again is not None
    assert (again.text, again.revision) == ("second edit", 2)
    assert close_to(again.editedAt, at + timedelta(seconds=1))
    stored = stores.messages.get(message.id)
    assert stored is not None
    assert (stored.text, stored.revision) == ("second edit", 2)


def test_delete_leaves_a_tombstone_once(stores: Stores) -> None:
    attachment = Attachment(mediaId="m1", name="a.png", contentType="image/png", size=10, width=1, height=1)
    message = a_message("c1", "a", 1, attachments=[attachment])
    stores.messages.insert(message)
    assert stores.messages.react(message.id, "b", "👍", True) is not None  # revision 1
    at = utc_now()
    assert stores.messages.delete(message.id, "b", at) is None  # not theirs
    assert stores.messages.delete("missing", "a", at) is None

    tombstone = stores.messages.delete(message.id, "a", at)
    assert tombstone is not None
    assert (tombstone.text, tombstone.attachments, tombstone.reactions) == ("", [], {})
    assert close_to(tombstone.deletedAt, at)
    assert (tombstone.id, tombstone.seq, tombstone.senderId, tombstone.revision) == (message.id, 1, "a", 2)

    assert stores.messages.delete(message.id, "a", at) is None
    assert stores.messages.edit(message.id, "a", "back", at) is None
    assert stores.messages.react(message.id, "b", "❤️", True) is None
    stored = stores.messages.get(message.id)
    assert stored is not None
    assert (stored.text, stored.attachments, stored.reactions, stored.revision) == ("", [], {}, 2)
    assert close_to(stored.deletedAt, at)


def test_reactions_are_idempotent_and_kept_in_order(stores: Stores) -> None:
    message = a_message("c1", "a", 1)
    stores.messages.insert(message)

    first = stores.messages.react(message.id, "b", "👍", True)
    assert first is not None
    assert (first.reactions, first.revision) == ({"👍": ["b"]}, 1)
    assert stores.messages.react(message.id, "b", "👍", True) is None  # already so
    stored = stores.messages.get(message.id)
    assert stored is not None
    assert stored.revision == 1

    stores.messages.react(message.id, "a", "👍", True)
    latest = stores.messages.react(message.id, "c", "❤️", True)
    assert latest is not None
    assert latest.reactions == {"👍": ["b", "a"], "❤️": ["c"]}
    assert list(latest.reactions) == ["👍", "❤️"]
    assert latest.revision == 3

    taken_back = stores.messages.react(message.id, "b", "👍", False)
    assert taken_back is not None
    assert (taken_back.reactions, taken_back.revision) == ({"👍": ["a"], "❤️": ["c"]}, 4)
    assert stores.messages.react(message.id, "b", "👍", False) is None  # already so
    assert stores.messages.react(message.id, "z", "😂", False) is None  # never reacted

    emptied = stores.messages.react(message.id, "a", "👍", False)
    assert emptied is not None
    assert emptied.reactions == {"❤️": ["c"]}  # an emptied emoji disappears
    stored = stores.messages.get(message.id)
    assert stored is not None
    assert (stored.reactions, stored.revision) == ({"❤️": ["c"]}, 5)
    # reacting with it again starts it afresh, after the emoji still there
    back = stores.messages.react(message.id, "b", "👍", True)
    assert back is not None
    assert list(back.reactions.items()) == [("❤️", ["c"]), ("👍", ["b"])]
    assert back.revision == 6

    assert stores.messages.react("missing", "a", "👍", True) is None


def test_unread_counts_others_live_messages_above_the_read_seq(stores: Stores) -> None:
    reader = "r"
    for seq, sender in [(1, "a"), (2, reader), (3, "a"), (5, "b"), (6, "a"), (7, reader)]:
        stores.messages.insert(a_message("c1", sender, seq))
    stores.messages.mark_skipped("c1", 4, utc_now())  # a reserved seq that holds nothing
    gone = a_message("c1", "a", 8)
    stores.messages.insert(gone)
    stores.messages.delete(gone.id, "a", utc_now())
    for seq in (1, 2):
        stores.messages.insert(a_message("c2", "b", seq))
    stores.messages.insert(a_message("c3", "b", 1))  # not asked about

    counts = stores.messages.unread_counts(reader, {"c1": 2, "c2": 0})
    assert counts.get("c1") == Unread(3)  # 3 (a), 5 (b), 6 (a): not 4 (skipped), 7 (own) or 8 (deleted)
    assert counts.get("c2") == Unread(2)
    assert "c3" not in counts
    assert stores.messages.unread_counts(reader, {"c1": 6, "c2": 2}).get("c1", Unread(0)).messages == 0
    assert stores.messages.unread_counts("a", {"c1": 0}) == {"c1": Unread(3)}  # 2 and 7 (r), 5 (b)
    assert stores.messages.unread_counts(reader, {}) == {}


def test_a_page_stops_at_up_to(stores: Stores) -> None:
    for seq in (1, 2, 4, 5, 6):
        stores.messages.insert(a_message("c1", "a", seq))
    stores.messages.mark_skipped("c1", 3, utc_now())

    def seqs(before: int | None = None, after: int | None = None, limit: int = 10) -> tuple[list[int], set[int]]:
        found = stores.messages.page("c1", limit, before, after, up_to=4)
        return [m.seq for m in found.messages], found.skipped

    assert seqs() == ([1, 2, 4], {3})
    assert seqs(limit=2) == ([4], {3})  # the newest up to 4, not the newest
    assert seqs(after=2) == ([4], {3})
    assert seqs(after=4) == ([], set())
    assert seqs(before=3) == ([1, 2], set())
    # without up_to the page reaches the newest
    assert [m.seq for m in stores.messages.page("c1", 2, None, None).messages] == [5, 6]


def test_messages_are_got_by_id_in_seq_order(stores: Stores) -> None:
    messages = [a_message("c1", "a", seq) for seq in (1, 2, 3)]
    for message in reversed(messages):
        stores.messages.insert(message)
    stores.messages.mark_skipped("c1", 4, utc_now())
    found = stores.messages.get(messages[1].id)
    assert found is not None
    assert (found.id, found.seq, found.text) == (messages[1].id, 2, "message 2")
    assert stores.messages.get("missing") is None
    got = stores.messages.get_many([messages[2].id, messages[0].id, "missing"])
    assert [m.id for m in got] == [messages[0].id, messages[2].id]
    assert stores.messages.get_many([]) == []


# --- presence ------------------------------------------------------------------------------------


def test_online_and_offline_are_reported_on_their_edges_only(stores: Stores) -> None:
    user = a_user("alice")
    stores.users.create_user(user, "hash")
    fresh = stores.users.get_user(user.id)
    assert fresh is not None
    assert (fresh.online, fresh.lastSeenAt) == (False, None)
    # never online: going offline is no news
    assert stores.users.mark_offline(user.id, utc_now()) is None

    assert stores.users.mark_online(user.id) is True
    assert stores.users.mark_online(user.id) is False  # a second device: already online
    online = stores.users.get_user(user.id)
    assert online is not None
    assert online.online is True

    at = utc_now()
    offline = stores.users.mark_offline(user.id, at)
    assert offline is not None
    assert (offline.id, offline.online) == (user.id, False)
    assert close_to(offline.lastSeenAt, at)
    assert stores.users.mark_offline(user.id, at + timedelta(minutes=1)) is None
    stored = stores.users.get_user(user.id)
    assert stored is not None
    assert stored.online is False
    assert close_to(stored.lastSeenAt, at)  # the second call changed nothing

    assert stores.users.mark_online(user.id) is True
    assert stores.users.mark_online("missing") is False
    assert stores.users.mark_offline("missing", at) is None


def test_has_any_connection(stores: Stores) -> None:
    now = utc_now()
    assert not stores.connections.has_any("a")
    stores.connections.add(Connection(connectionId="c1", userId="a"), now)
    stores.connections.add(Connection(connectionId="c2", userId="a"), now)
    stores.connections.add(Connection(connectionId="c3", userId="b"), now)
    assert stores.connections.has_any("a")
    stores.connections.remove(["c1"])
    assert stores.connections.has_any("a")
    stores.connections.remove(["c2"])
    assert not stores.connections.has_any("a")
    assert stores.connections.has_any("b")
