"""Blocks, on the fake and on MongoDB alike: who blocked whom, found from either side, capped;
and a direct chat either member blocked takes no message."""

from datetime import timedelta

from chat.clock import utc_now
from tests.builders import a_group
from tests.contract.conftest import Stores


def test_a_block_is_found_from_either_side_and_undone(stores: Stores) -> None:
    # Given alice blocked bob, then carol
    now = utc_now()
    assert stores.blocks.block("alice", "bob", now, max_blocks=10)
    assert stores.blocks.block("alice", "carol", now + timedelta(seconds=1), max_blocks=10)

    # Then each side finds it
    assert stores.blocks.blocked_by("alice", limit=10) == ["carol", "bob"]  # the latest first
    assert stores.blocks.blocked_by("alice", limit=1) == ["carol"]
    assert stores.blocks.blockers_among(["alice", "dave"], "bob") == {"alice"}
    assert stores.blocks.blocked_among("alice", ["bob", "dave"]) == {"bob"}
    assert stores.blocks.between("bob", "alice") == {"alice"}
    assert stores.blocks.between("bob", "carol") == set()
    assert stores.blocks.blockers_among([], "bob") == set()

    # When alice unblocks bob (twice: the second is no change)
    stores.blocks.unblock("alice", "bob")
    stores.blocks.unblock("alice", "bob")

    # Then only carol is blocked
    assert stores.blocks.blocked_by("alice", limit=10) == ["carol"]
    assert stores.blocks.between("alice", "bob") == set()


def test_blocking_twice_is_one_block_and_the_cap_stops_new_ones_only(stores: Stores) -> None:
    now = utc_now()
    assert stores.blocks.block("alice", "bob", now, max_blocks=2)
    assert stores.blocks.block("alice", "bob", now, max_blocks=2)  # already so
    assert stores.blocks.block("alice", "carol", now, max_blocks=2)

    # At the cap, a new block is refused; one already made still answers yes
    assert not stores.blocks.block("alice", "dave", now, max_blocks=2)
    assert stores.blocks.block("alice", "bob", now, max_blocks=2)
    assert sorted(stores.blocks.blocked_by("alice", limit=10)) == ["bob", "carol"]
    # And the cap is each user's own
    assert stores.blocks.block("bob", "dave", now, max_blocks=2)


def test_a_direct_chat_either_member_blocked_takes_no_seq_until_unblocked(stores: Stores) -> None:
    # Given a direct chat between alice and bob, and a group with both
    direct = a_group("alice", "bob").model_copy(update={"type": "direct", "name": None})
    stores.conversations.create(direct, direct_key="alice:bob")
    group = stores.conversations.create(a_group("alice", "bob"))
    first = stores.conversations.allocate_direct_seq("alice:bob")
    assert first is not None
    assert first.conversation_type == "direct"

    # When alice blocks bob
    stores.conversations.set_direct_block("alice:bob", "alice", True)

    # Then neither can take a seq there, either way in; the group is untouched
    assert stores.conversations.allocate_seq(direct.id, "bob") is None
    assert stores.conversations.allocate_seq(direct.id, "alice") is None
    assert stores.conversations.allocate_direct_seq("alice:bob") is None
    in_group = stores.conversations.allocate_seq(group.id, "bob")
    assert in_group is not None
    assert in_group.conversation_type == "group"
    assert stores.conversation(direct.id).blockedBy == ["alice"]
    # (and it is no change of the conversation: no version)
    assert stores.conversation(direct.id).version == direct.version

    # When bob blocks alice too, then alice unblocks: still closed, by bob
    stores.conversations.set_direct_block("alice:bob", "bob", True)
    stores.conversations.set_direct_block("alice:bob", "alice", False)
    assert stores.conversation(direct.id).blockedBy == ["bob"]
    assert stores.conversations.allocate_seq(direct.id, "alice") is None

    # When bob unblocks as well (twice), the chat takes messages again, numbered on
    stores.conversations.set_direct_block("alice:bob", "bob", False)
    stores.conversations.set_direct_block("alice:bob", "bob", False)
    again = stores.conversations.allocate_seq(direct.id, "bob")
    assert again is not None
    assert again.seq == first.seq + 1


def test_blocking_where_no_direct_chat_exists_changes_nothing(stores: Stores) -> None:
    stores.conversations.set_direct_block("alice:zed", "alice", True)
    assert stores.conversations.find_direct("alice:zed") is None
