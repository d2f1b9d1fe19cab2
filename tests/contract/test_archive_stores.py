"""The archive's stores: the MongoDB adapters (embedded store, or a real MongoDB when
MONGODB_URI is set) and S3 (moto) behave as the in-memory fakes the unit tests use."""

from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from chat.adapters.s3_archive import S3ArchiveStorage
from chat.clock import utc_now
from chat.models.chat import Message
from chat.models.ports import ArchiveChunk, ArchiveStorage, HistorySlice
from chat.services.ids import new_id
from tests.contract.conftest import Stores
from tests.fakes import FakeArchiveStorage

T0 = utc_now() - timedelta(days=100)


def an_old_message(conversation_id: str, seq: int, days_old: float) -> Message:
    sent = utc_now() - timedelta(days=days_old)
    return Message(
        id=f"{int(sent.timestamp() * 1000):012x}{new_id()[12:]}",  # as new_id() made it then
        conversationId=conversation_id,
        senderId="alice",
        text=f"message {seq}",
        clientMsgId=f"c{seq}",
        seq=seq,
        createdAt=sent,
    )


def chunk(conversation_id: str, first: int, last: int) -> ArchiveChunk:
    return ArchiveChunk(conversation_id, first, last, f"archive/{conversation_id}/{first}-{last}", [f"m{first}"])


def test_the_index_finds_chunks_by_seq_and_by_message(stores: Stores) -> None:
    index = stores.archive_index
    for first, last in ((1, 100), (101, 200), (201, 250)):
        index.record(chunk("c1", first, last))
    index.record(chunk("c1", 101, 200))  # recorded again: nothing changes
    index.record(chunk("c2", 1, 10))
    assert index.archived_through("c1") == 250
    assert index.archived_through("nowhere") == 0
    assert [c.first_seq for c in index.below("c1", 150, limit=5)] == [101, 1]
    assert [c.first_seq for c in index.below("c1", 2**62, limit=2)] == [201, 101]
    assert [c.last_seq for c in index.above("c1", 150, limit=5)] == [200, 250]
    assert index.above("c1", 250, limit=5) == []
    found = index.holding("m101")
    assert found is not None
    assert (found.conversation_id, found.first_seq, found.last_seq) == ("c1", 101, 200)
    assert index.holding("m999") is None


def test_a_chunk_moves_to_its_rewritten_object_once(stores: Stores) -> None:
    index = stores.archive_index
    index.record(chunk("c1", 1, 100))
    read = index.below("c1", 2**62, limit=1)[0]
    assert index.move(read, "archive/c1/1-100.r1-a")
    assert not index.move(read, "archive/c1/1-100.r1-b")  # moved since it was read: read it again
    moved = index.holding("m1")
    assert moved is not None
    assert (moved.key, moved.revision) == ("archive/c1/1-100.r1-a", 1)
    index.record(chunk("c1", 1, 100))  # a rerun recording the chunk again does not move it back
    assert index.below("c1", 2**62, limit=1)[0].key == "archive/c1/1-100.r1-a"


def test_the_archiver_takes_the_oldest_seqs_up_to_the_first_recent_one(stores: Stores) -> None:
    messages, hot = stores.messages, stores.archivable
    for seq, days_old in ((1, 120), (2, 110), (4, 100), (5, 1), (6, 100)):
        messages.insert(an_old_message("c1", seq, days_old))
    messages.mark_skipped("c1", 3, utc_now() - timedelta(days=105))
    messages.insert(an_old_message("c2", 1, 0.5))
    cutoff = utc_now() - timedelta(days=90)

    assert hot.old_conversations(cutoff, "", limit=10) == (["c1"], "")  # the walk is over
    first, after = hot.old_conversations(cutoff, "", limit=2)  # a page at a time
    assert (first, hot.old_conversations(cutoff, after, limit=10)[0]) == (["c1"], ["c1"])
    batch = hot.oldest("c1", 0, cutoff, limit=10)
    # 1, 2, the reserved 3, and 4: then 5 is recent, and 6 waits behind it
    assert [m.seq for m in batch.messages] == [1, 2, 4]
    assert batch.skipped == {3}
    assert [m.seq for m in hot.oldest("c1", 2, cutoff, limit=1).messages] == []  # 3 is a reserved seq
    assert hot.oldest("c1", 2, cutoff, limit=1).skipped == {3}


def test_forgetting_keeps_a_copy_changed_since_and_clears_reserved_seqs(stores: Stores) -> None:
    messages, hot = stores.messages, stores.archivable
    for seq in (1, 2, 3):
        messages.insert(an_old_message("c1", seq, 120))
    messages.mark_skipped("c1", 4, T0)
    batch = hot.oldest("c1", 0, utc_now(), limit=10)
    changed = next(m for m in batch.messages if m.seq == 2)
    messages.edit(changed.id, "alice", "edited meanwhile", utc_now())

    assert hot.forget("c1", batch) == 2

    left = hot.at_or_below("c1", 10, limit=10)
    assert [(m.seq, m.text) for m in left.messages] == [(2, "edited meanwhile")]
    assert left.skipped == set()


@pytest.fixture(params=["fake", "s3"])
def storage(request: pytest.FixtureRequest) -> Iterator[ArchiveStorage]:
    if request.param == "fake":
        yield FakeArchiveStorage()
        return
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="chat-archive-test")
        yield S3ArchiveStorage("chat-archive-test")


def test_a_chunk_reads_back_as_written(storage: ArchiveStorage) -> None:
    written = HistorySlice(messages=[an_old_message("c1", 1, 100), an_old_message("c1", 3, 99)], skipped={2})
    storage.write("archive/c1/000000000001-000000000003.jsonl.gz", written)
    storage.write("archive/c1/000000000001-000000000003.jsonl.gz", written)  # a rerun: the same object
    assert storage.read("archive/c1/000000000001-000000000003.jsonl.gz") == written
    storage.delete("archive/c1/000000000001-000000000003.jsonl.gz")
    storage.delete("archive/c1/000000000001-000000000003.jsonl.gz")  # already gone: fine


def test_retention_finds_the_chunks_whose_newest_message_is_older_and_drops_them(stores: Stores) -> None:
    index = stores.archive_index
    now = utc_now()
    for first, last, days_old in ((1, 100, 400), (101, 200, 350), (201, 250, 10)):
        record = chunk("c1", first, last)
        index.record(ArchiveChunk(**{**record.__dict__, "newest_at": now - timedelta(days=days_old)}))
    old = index.older_than(now - timedelta(days=300), limit=10)
    assert [c.first_seq for c in old] == [1, 101]  # oldest first
    for dropped in old:
        index.drop(dropped)
    assert [c.first_seq for c in index.below("c1", 2**62, limit=10)] == [201]
    assert index.older_than(now - timedelta(days=300), limit=10) == []
