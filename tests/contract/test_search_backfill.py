"""The search backfill (adapters/mongo/backfill.py) on the embedded store, or a real MongoDB when
MONGODB_URI is set: messages and groups stored as they were before search existed (no `terms`,
no `formerMemberIds`) become findable by the real searches, once, in runs a budget bounds, and
a change racing a run is never overwritten."""

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest

from chat.adapters.mongo import backfill
from chat.adapters.mongo.backfill import Backfilled, backfill_search_fields
from chat.adapters.mongo.conversations import MongoConversationStore
from chat.adapters.mongo.messages import MongoMessageStore
from chat.clock import utc_now
from chat.models.chat import Conversation, Message
from chat.services.search_terms import terms
from tests.builders import a_group, a_message

NOW = timedelta(0)  # settle: the resume point may pass everything, however young


class Old:
    """A database as the version before search left it, written through today's adapters."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.messages = MongoMessageStore(db)
        self.conversations = MongoConversationStore(db)

    def group(self, *members: str) -> Conversation:
        group = a_group(*members)
        self.conversations.create(group)
        return group

    def send(self, group: Conversation, text: str) -> Message:
        allocated = self.conversations.allocate_seq(group.id, group.memberIds[0])
        assert allocated is not None
        message = a_message(group.id, group.memberIds[0], allocated.seq, text=text)
        self.messages.insert(message, terms(text))
        return message

    def remove(self, group: Conversation, user_id: str) -> None:
        stored = self.conversations.get(group.id)
        assert stored is not None
        assert self.conversations.remove_member(group.id, user_id, stored.lastSeq) is not None

    def forget_search_fields(self) -> None:
        """What the earlier version never wrote."""
        self.db["messages"].update_many({}, {"$unset": {"terms": ""}})
        self.db["conversations"].update_many({}, {"$unset": {"formerMemberIds": ""}})

    def found(self, user_id: str, *words: str) -> list[str]:
        """The texts a search by `user_id` finds, as the search service asks (words normalized)."""
        readable = self.conversations.readable_by(user_id)
        return sorted(m.text for m in self.messages.search(terms(" ".join(words)), readable, None, 50))

    def terms_of(self, message: Message) -> Any:
        return self.db["messages"].find_one({"_id": message.id}).get("terms")


@pytest.fixture
def old(mongo_db: Any) -> Old:
    return Old(mongo_db)


def run(old: Old, budget: float = 60, **options: Any) -> Backfilled:
    return backfill_search_fields(old.db, terms, budget, **options)


def test_history_stored_before_search_is_found_once_filled(old: Old) -> None:
    # Given a group's history from before search: words, a deleted message, a skipped seq, a
    # message with no words, and a member removed after the second message
    group = old.group("a", "b", "c")
    old.send(group, "Hello world")
    old.send(group, "Straße café")
    old.remove(group, "c")
    old.send(group, "hello again")
    gone = old.send(group, "hello secret")
    assert old.messages.delete(gone.id, "a", utc_now()) is not None
    skipped = old.conversations.allocate_seq(group.id, "a")  # a send that reserved a seq, then failed
    assert skipped is not None
    old.messages.mark_skipped(group.id, skipped.seq, utc_now())
    wordless = old.send(group, "🙂 !!")
    other = old.group("x", "y")  # no one removed: nothing to fill
    old.send(other, "hello elsewhere")
    old.forget_search_fields()
    assert old.found("a", "hello") == []
    assert old.conversations.readable_by("c") == {}  # removed from an old group: nothing to search

    # When the backfill runs
    report = run(old, settle=NOW)

    # Then the members find the history, the removed member finds it up to their removal
    assert report == Backfilled(messages=4, conversations=1, read=2 + 6, more=False)
    assert old.found("a", "hello") == ["Hello world", "hello again"]
    assert old.found("b", "strasse", "CAFE") == ["Straße café"]
    assert old.found("x", "hello") == ["hello elsewhere"]
    assert old.conversations.readable_by("c") == {group.id: 2}
    assert old.found("c", "hello") == ["Hello world"]
    # And the deleted message, the skip marker and the wordless message have no terms, as new ones would not
    assert old.terms_of(gone) is None
    assert old.db["messages"].find_one({"skipped": True}).get("terms") is None
    assert old.terms_of(wordless) is None
    assert old.db["conversations"].find_one({"_id": other.id}).get("formerMemberIds") is None

    # And a second run reads nothing and does nothing
    assert run(old, settle=NOW) == Backfilled()


def test_a_run_after_a_young_history_reads_it_again_and_changes_nothing(old: Old) -> None:
    group = old.group("a", "b")
    for n in range(3):
        old.send(group, f"note {n}")
    old.forget_search_fields()

    # When runs pass messages written in the last minute (a write still in flight could have an earlier id)
    first = run(old)
    second = run(old)

    # Then the second reads them again, and writes nothing
    assert (first.messages, first.more) == (3, False)
    assert second == Backfilled(read=1 + 3)
    assert len(old.found("b", "note")) == 3


def test_a_run_out_of_budget_leaves_the_rest_to_the_next(old: Old) -> None:
    group = old.group("a", "b")
    for n in range(9):
        old.send(group, f"item {n}")
    old.forget_search_fields()
    ticks = iter(range(1_000_000))

    def clock() -> float:
        return float(next(ticks))  # one second a look at the clock

    # When a run with a small budget stops, and another finishes
    first = run(old, budget=3, batch=2, settle=NOW, clock=clock)
    assert first.more
    assert 0 < first.messages < 9
    assert 0 < len(old.found("b", "item")) < 9
    second = run(old, batch=2, settle=NOW)

    # Then the second went on where the first stopped: every message done once, and found
    assert not second.more
    assert first.messages + second.messages == 9
    assert second.read < 1 + 9
    assert len(old.found("b", "item")) == 9
    assert run(old, settle=NOW) == Backfilled()


def racing(change: Callable[[], None], on_text: str) -> Callable[[str], Sequence[str]]:
    """The words of a text, with `change` made just before those of `on_text` are given: between
    the backfill's read of that message and its write."""

    def words(text: str) -> Sequence[str]:
        if text == on_text:
            change()
        return terms(text)

    return words


@pytest.mark.parametrize("new_text", ["goodbye moon", "🙂"])
def test_an_edit_racing_the_backfill_is_not_overwritten(old: Old, new_text: str) -> None:
    group = old.group("a", "b")
    message = old.send(group, "hello moon")
    old.forget_search_fields()

    def edit() -> None:
        # As the message service edits: the new text and its words (none: the field goes)
        edited = old.messages.edit(message.id, "a", new_text, utc_now(), terms=terms(new_text))
        assert edited is not None

    report = backfill_search_fields(old.db, racing(edit, "hello moon"), 60)

    assert report.messages == 0
    assert old.found("b", "hello") == []
    assert old.terms_of(message) == (terms(new_text) or None)
    if new_text == "goodbye moon":
        assert old.found("b", "goodbye") == ["goodbye moon"]


def test_a_deletion_racing_the_backfill_is_not_overwritten(old: Old) -> None:
    group = old.group("a", "b")
    message = old.send(group, "hello moon")
    old.forget_search_fields()

    def delete() -> None:
        assert old.messages.delete(message.id, "a", utc_now()) is not None

    assert backfill_search_fields(old.db, racing(delete, "hello moon"), 60).messages == 0
    assert old.terms_of(message) is None


def test_a_group_with_part_of_its_removed_members_in_the_array_gains_the_rest(old: Old) -> None:
    # Given a group that lost c before search existed, then b since (today's code: an array of one)
    group = old.group("a", "b", "c")
    old.send(group, "hello all")
    old.remove(group, "c")
    old.forget_search_fields()
    old.send(group, "hello two")
    old.remove(group, "b")
    assert old.conversations.readable_by("c") == {}

    report = run(old, settle=NOW)

    assert report.conversations == 1
    assert old.conversations.readable_by("c") == {group.id: 1}
    assert old.conversations.readable_by("b") == {group.id: 2}
    assert old.found("c", "hello") == ["hello all"]


def test_a_removed_member_added_back_while_the_backfill_runs_is_not_made_former_again(
    old: Old, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = old.group("a", "b", "c")
    old.send(group, "hello")
    old.remove(group, "c")
    old.forget_search_fields()
    planned = backfill._former_ids

    def add_back_then_plan(doc: Any) -> Any:
        writes = planned(doc)  # c still removed as the run read the group
        assert old.conversations.add_members(group.id, "a", ["c"], 50) is not None
        return writes

    monkeypatch.setattr(backfill, "_former_ids", add_back_then_plan)
    report = run(old, settle=NOW)

    assert report.conversations == 0
    assert old.db["conversations"].find_one({"_id": group.id}).get("formerMemberIds") is None
    assert old.conversations.readable_by("c") == {group.id: None}  # a member again: all of it
