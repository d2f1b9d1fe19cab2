"""The archiver with the in-memory stores: history reads the same before and after, a run
that dies anywhere and runs again loses and doubles nothing, a change racing the archiver
keeps its newer copy, and archived messages are read-only."""

import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from chat.clock import utc_now
from chat.models.api import CreateGroupRequest, SendMessageRequest, SignupRequest
from chat.models.chat import Attachment, Message
from chat.models.errors import Archived, Conflict, Forbidden
from chat.models.ports import ArchiveStorage, HistorySlice
from chat.services.archive import ArchivedMessages, Archiver
from chat.services.ids import new_id
from chat.services.message_changes import MessageChangeService
from tests.fakes import FakeArchivableMessages
from tests.unit.conftest import Chat


def user(chat: Chat, name: str) -> str:
    return chat.auth.signup(SignupRequest(username=name, password="password1")).user.id


def a_group_with_history(chat: Chat, messages: int) -> tuple[str, str, str]:
    alice, bob = user(chat, "alice"), user(chat, "bob")
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="G", memberIds=[bob])).id
    for n in range(messages):
        sender = alice if n % 3 else bob
        chat.messages.send_message(sender, SendMessageRequest(conversationId=group, text=f"m{n}", clientMsgId=f"c{n}"))
    return alice, bob, group


# Archivers are built by hand in this file: the tests choose chunk_size (no setting) or a stand-in store.
def archiver(chat: Chat, **kwargs: Any) -> Archiver:
    options: dict[str, Any] = {"after": timedelta(0), "max_messages": 100_000, "chunk_size": 100} | kwargs
    return Archiver(FakeArchivableMessages(chat.message_store), chat.archive_index, chat.archive_storage, **options)


def every_page(chat: Chat, reader: str, conversation_id: str, limit: int) -> tuple[list[Any], list[Any]]:
    """The whole history read back page by page, and read forward page by page."""
    back: list[Any] = []
    page = chat.messages.history(reader, conversation_id, limit, None, None)
    while True:
        back = [m.model_dump() for m in page.items] + back
        if page.nextBefore is None:
            break
        page = chat.messages.history(reader, conversation_id, limit, page.nextBefore, None)
    forward: list[Any] = []
    after = 0
    while True:
        page = chat.messages.history(reader, conversation_id, limit, None, after)
        if not page.items:
            break
        forward += [m.model_dump() for m in page.items]
        after = page.items[-1].seq
    return back, forward


def forever() -> float:
    return 900.0


def soon() -> datetime:
    """A moment after the messages just sent (the clock keeps milliseconds: "now" may be theirs)."""
    return utc_now() + timedelta(seconds=1)


def test_history_reads_the_same_page_by_page_both_ways_after_everything_is_archived(chat: Chat) -> None:
    alice, _, group = a_group_with_history(chat, 250)
    before = every_page(chat, alice, group, 40)
    assert len(before[0]) == 250

    report = archiver(chat).run(soon(), forever)

    assert (report.archived, report.chunks, report.done) == (250, 3, True)
    assert chat.message_store.messages == []  # nothing left hot
    assert every_page(chat, alice, group, 40) == before
    # And a send afterwards carries on from the archived seqs
    sent = chat.messages.send_message(alice, SendMessageRequest(conversationId=group, text="new", clientMsgId="n1"))
    assert sent.message.seq == 251
    newest = chat.messages.history(alice, group, 3, None, None)
    assert [m.text for m in newest.items] == ["m248", "m249", "new"]


def test_only_what_is_older_than_the_cut_off_moves(chat: Chat) -> None:
    a_group_with_history(chat, 30)
    report = archiver(chat, after=timedelta(days=90)).run(soon(), forever)
    assert report.archived == 0
    assert len(chat.message_store.messages) == 30
    # Ninety days on, too few for a chunk of their own: they wait for more, or for a month
    assert archiver(chat, after=timedelta(days=90)).run(soon() + timedelta(days=91), forever).archived == 0
    assert archiver(chat, after=timedelta(days=90)).run(soon() + timedelta(days=121), forever).archived == 30


def test_a_run_stops_at_its_bounds_and_the_next_picks_up_where_it_stopped(chat: Chat) -> None:
    alice, _, group = a_group_with_history(chat, 250)
    before = every_page(chat, alice, group, 50)
    first = archiver(chat, max_messages=100).run(soon(), forever)
    assert (first.archived, first.done) == (100, False)
    assert every_page(chat, alice, group, 50) == before  # half archived reads the same
    second = archiver(chat).run(soon(), forever)
    assert (second.archived, second.done) == (150, True)
    # Out of time: not even a chunk
    assert archiver(chat).run(soon(), lambda: 5.0).archived == 0


class DiesOnce:
    """Wraps a store; its `method` raises once, as a run that dies at that step."""

    def __init__(self, store: Any, method: str) -> None:
        self._store, self._method, self.died = store, method, False

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if name != self._method or self.died:
            return target

        def die(*args: Any, **kwargs: Any) -> Any:
            self.died = True
            raise RuntimeError(f"the run died in {name}")

        return die


@pytest.mark.parametrize("dies_in", ["record", "forget"], ids=["after-the-s3-write", "after-the-index-write"])
def test_a_run_that_dies_and_runs_again_loses_and_doubles_nothing(chat: Chat, dies_in: str) -> None:
    alice, _, group = a_group_with_history(chat, 150)
    before = every_page(chat, alice, group, 40)
    hot = FakeArchivableMessages(chat.message_store)
    index: Any = chat.archive_index
    if dies_in == "record":
        index = DiesOnce(chat.archive_index, "record")
    else:
        hot = DiesOnce(hot, "forget")  # type: ignore[assignment]
    dying = Archiver(hot, index, chat.archive_storage, after=timedelta(0), max_messages=1000, chunk_size=100)

    with pytest.raises(RuntimeError, match="died"):
        dying.run(soon(), forever)
    assert every_page(chat, alice, group, 40) == before  # mid-way, reads are whole

    again = archiver(chat).run(soon(), forever)

    assert chat.message_store.messages == []
    assert sorted(chat.archive_storage.objects) == sorted(c.key for c in chat.archive_index.chunks.values())
    archived_seqs = [
        m.seq for key in sorted(chat.archive_storage.objects) for m in chat.archive_storage.read(key).messages
    ]
    assert archived_seqs == list(range(1, 151))  # every message once
    assert every_page(chat, alice, group, 40) == before
    assert again.done


def test_a_message_changed_while_its_chunk_was_written_keeps_its_newer_copy(chat: Chat) -> None:
    alice, _, group = a_group_with_history(chat, 20)
    edited = next(m for m in chat.message_store.messages if m.senderId == alice)
    changes = chat.services.message_changes

    class EditDuringWrite:
        def __init__(self, storage: ArchiveStorage) -> None:
            self._storage = storage

        def write(self, key: str, history: HistorySlice) -> None:
            self._storage.write(key, history)
            changes.edit(alice, edited.id, "edited while archiving")

        def read(self, key: str) -> HistorySlice:
            return self._storage.read(key)

        def delete(self, key: str) -> None:
            self._storage.delete(key)

    # By hand, not from Services: only the archiver writes through the stand-in, not the edit it makes.
    Archiver(
        FakeArchivableMessages(chat.message_store),
        chat.archive_index,
        EditDuringWrite(chat.archive_storage),
        after=timedelta(0),
        max_messages=1000,
    ).run(soon(), forever)

    # The edit is not lost: its copy stayed hot, and reads take it over the archived one
    assert [m.id for m in chat.message_store.messages] == [edited.id]
    texts = [m.text for m in chat.messages.history(alice, group, 50, None, None).items]
    assert texts.count("edited while archiving") == 1
    assert len(texts) == 20


def changes_service(chat: Chat) -> MessageChangeService:
    return chat.services.message_changes


def test_archived_messages_can_be_read_and_deleted_not_changed(chat: Chat) -> None:
    alice, bob, group = a_group_with_history(chat, 5)
    archiver(chat).run(soon(), forever)
    changes = changes_service(chat)
    message = chat.messages.history(alice, group, 5, None, None).items[1]
    assert message.senderId == alice
    with pytest.raises(Archived):
        changes.edit(alice, message.id, "too late")
    with pytest.raises(Archived):
        changes.react(bob, message.id, "👍", True)
    eve = user(chat, "eve")
    with pytest.raises(Forbidden):  # a stranger learns nothing more than for a hot message
        changes.react(eve, message.id, "👍", True)
    with pytest.raises(Forbidden):  # only the sender takes a message back
        changes.delete(bob, message.id)

    version = chat.conversation_store.get(group).version  # type: ignore[union-attr]
    tombstone = changes.delete(alice, message.id)

    # The tombstone is in the archive: history, and the change feed from before it, show it
    assert (tombstone.text, tombstone.deletedAt is not None, tombstone.revision) == ("", True, message.revision + 1)
    page = chat.messages.history(bob, group, 5, None, None)
    assert [(m.id, m.text) for m in page.items if m.id == message.id] == [(message.id, "")]
    feed = chat.messages.changes(bob, group, version)
    assert [m.id for m in feed.messages] == [message.id]
    assert feed.messages[0].deletedAt is not None
    # Its chunk moved to a new object; the old one is gone, and nothing else changed
    (chunk,) = chat.archive_index.chunks.values()
    assert (chunk.revision, sorted(chat.archive_storage.objects)) == (1, [chunk.key])
    assert len(chat.archive_storage.read(chunk.key).messages) == 5
    with pytest.raises(Conflict):  # a tombstone cannot be deleted again
        changes.delete(alice, message.id)


def test_two_deletions_in_one_chunk_at_once_both_stay_deleted(chat: Chat) -> None:
    alice, _, group = a_group_with_history(chat, 6)
    archiver(chat).run(soon(), forever)
    mine = [m for m in chat.messages.history(alice, group, 6, None, None).items if m.senderId == alice]
    first, second = mine[0], mine[1]
    storage = chat.archive_storage

    class AnotherDeletionFirst:
        """The second deletion's rewrite lands while the first is writing its own."""

        def __init__(self) -> None:
            self.raced = False

        def write(self, key: str, history: HistorySlice) -> None:
            if not self.raced:
                self.raced = True
                ArchivedMessages(chat.archive_index, lambda: storage).delete(second.id, alice, utc_now())
            storage.write(key, history)

        def read(self, key: str) -> HistorySlice:
            return storage.read(key)

        def delete(self, key: str) -> None:
            storage.delete(key)

    racing = AnotherDeletionFirst()
    ArchivedMessages(chat.archive_index, lambda: racing).delete(first.id, alice, utc_now())

    (chunk,) = chat.archive_index.chunks.values()
    kept = {m.id: m for m in storage.read(chunk.key).messages}
    assert kept[first.id].deletedAt is not None
    assert kept[second.id].deletedAt is not None  # not undone by the first rewrite
    assert sorted(storage.objects) == [chunk.key]


def test_a_page_that_the_hot_collection_answers_whole_never_reads_the_archive(chat: Chat) -> None:
    alice, _, group = a_group_with_history(chat, 120)
    archiver(chat, max_messages=50).run(soon(), forever)  # seqs 1..100 archived (chunks of 100)
    chat.archive_storage.reads.clear()
    chat.messages.history(alice, group, 20, None, None)  # the newest 20: all hot
    chat.messages.history(alice, group, 10, None, 105)  # after 105: hot
    assert chat.archive_storage.reads == {}
    chat.messages.history(alice, group, 30, None, None)  # reaches below 101: the archive
    chat.messages.history(alice, group, 30, 50, None)
    assert list(chat.archive_storage.reads.values()) == [1]  # one chunk, read once (then cached)


def test_retention_deletes_archived_history_for_good_and_pages_say_where_it_starts(chat: Chat) -> None:
    alice, _, group = a_group_with_history(chat, 250)
    archiver(chat).run(soon(), forever)  # chunks of 100: seqs 1-100, 101-200, 201-250
    # A year on, with a retention of 300 days: every chunk is older than that
    year_on = soon() + timedelta(days=365)
    chunks = sorted(chat.archive_index.chunks.values(), key=lambda c: c.first_seq)
    # (as if the first two were sent a year before the third: only they go)
    for old in chunks[:2]:
        chat.archive_index.chunks[old.key] = replace(old, newest_at=year_on - timedelta(days=400))
    chat.archive_index.chunks[chunks[2].key] = replace(chunks[2], newest_at=year_on - timedelta(days=10))

    report = archiver(chat, retention=timedelta(days=300)).run(year_on, forever)

    assert report.expired == 200
    assert sorted(chat.archive_storage.objects) == [chunks[2].key]
    page = chat.messages.history(alice, group, 100, None, None)
    assert [m.seq for m in page.items] == list(range(201, 251))
    assert (page.keptFrom, page.nextBefore) == (201, None)  # nothing below 201 will come
    assert chat.messages.history(alice, group, 10, 201, None).items == []
    # A run that stopped after the record went and before the object: nothing to do next time
    assert archiver(chat, retention=timedelta(days=300)).run(year_on, forever).expired == 0


def test_an_archived_file_still_gets_a_signed_link(chat: Chat) -> None:
    alice, _, group = a_group_with_history(chat, 2)
    allocation = chat.conversation_store.allocate_seq(group, alice)
    assert allocation is not None
    with_file = Message(
        id=new_id(), conversationId=group, senderId=alice, text="caption", clientMsgId="f1",
        seq=allocation.seq, createdAt=utc_now(),
        attachments=[Attachment(mediaId="media1", name="cat.png", contentType="image/png", size=10)],
    )  # fmt: skip
    chat.message_store.insert(with_file)
    chat.conversation_store.record_change(with_file, new=True)
    archiver(chat).run(soon(), forever)
    assert chat.message_store.messages == []
    (archived,) = [m for m in chat.messages.history(alice, group, 10, None, None).items if m.id == with_file.id]
    assert archived.attachments[0].url is not None  # signed per read, never stored in the chunk
    (chunk,) = chat.archive_index.chunks.values()
    assert chat.archive_storage.read(chunk.key).messages[-1].attachments[0].url is None


def test_a_send_racing_the_archiver_stays_hot_and_in_order(chat: Chat) -> None:
    alice, bob, group = a_group_with_history(chat, 30)
    storage = chat.archive_storage
    time.sleep(0.005)
    now = utc_now()  # the run's clock: the 30 are older; a send during the run is newer
    time.sleep(0.005)

    class SendDuringWrite:
        def write(self, key: str, history: HistorySlice) -> None:
            storage.write(key, history)
            chat.messages.send_message(
                bob, SendMessageRequest(conversationId=group, text="meanwhile", clientMsgId="mw")
            )

        def read(self, key: str) -> HistorySlice:
            return storage.read(key)

        def delete(self, key: str) -> None:
            storage.delete(key)

    Archiver(
        FakeArchivableMessages(chat.message_store), chat.archive_index, SendDuringWrite(),
        after=timedelta(0), max_messages=1000, chunk_size=100,
    ).run(now, forever)  # fmt: skip

    assert [m.text for m in chat.message_store.messages] == ["meanwhile"]  # newer than the cut-off: hot
    texts = [m.text for m in chat.messages.history(alice, group, 50, None, None).items]
    assert texts == [f"m{n}" for n in range(30)] + ["meanwhile"]


def test_history_archived_a_little_at_a_time_reads_back_whole(chat: Chat) -> None:
    # Given ten runs that each archive ten new messages: small chunks, as a quiet chat makes
    alice, _, group = a_group_with_history(chat, 0)
    for run in range(10):
        for n in range(10):
            text = f"m{run * 10 + n}"
            chat.messages.send_message(alice, SendMessageRequest(conversationId=group, text=text, clientMsgId=text))
        archiver(chat).run(soon(), forever)
    assert len(chat.archive_index.chunks) == 10
    for n in range(5):  # and some hot on top
        chat.messages.send_message(alice, SendMessageRequest(conversationId=group, text=f"h{n}", clientMsgId=f"h{n}"))

    back, forward = every_page(chat, alice, group, 30)

    expected = [f"m{n}" for n in range(100)] + [f"h{n}" for n in range(5)]
    assert [m["text"] for m in back] == expected
    assert [m["text"] for m in forward] == expected


def test_a_copy_changed_during_a_run_is_folded_into_its_chunk_by_the_next(chat: Chat) -> None:
    alice, _, group = a_group_with_history(chat, 20)
    edited = next(m for m in chat.message_store.messages if m.senderId == alice)
    changes = changes_service(chat)
    storage = chat.archive_storage

    class EditDuringWrite:
        def write(self, key: str, history: HistorySlice) -> None:
            storage.write(key, history)
            if not chat.message_store.get(edited.id).editedAt:  # type: ignore[union-attr]
                changes.edit(alice, edited.id, "edited while archiving")

        def read(self, key: str) -> HistorySlice:
            return storage.read(key)

        def delete(self, key: str) -> None:
            storage.delete(key)

    Archiver(
        FakeArchivableMessages(chat.message_store), chat.archive_index, EditDuringWrite(),
        after=timedelta(0), max_messages=1000,
    ).run(soon(), forever)  # fmt: skip
    for n in range(30):  # newer messages, so a full page reaches down to the straggler
        chat.messages.send_message(alice, SendMessageRequest(conversationId=group, text=f"n{n}", clientMsgId=f"n{n}"))
    texts = [m["text"] for m in every_page(chat, alice, group, 31)[0]]
    assert len(texts) == 50
    assert texts.count("edited while archiving") == 1

    archiver(chat).run(soon(), forever)  # the next run folds it in

    assert chat.message_store.get(edited.id) is None
    (chunk,) = [c for c in chat.archive_index.chunks.values() if c.first_seq == 1]
    archived = {m.id: m for m in chat.archive_storage.read(chunk.key).messages}
    assert archived[edited.id].text == "edited while archiving"
    assert [m["text"] for m in every_page(chat, alice, group, 31)[0]] == texts
