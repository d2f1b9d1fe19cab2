"""Message archiving: old history moves from the hot `messages` collection to compressed
chunks in S3, and history pages read on across the boundary as if it were not there.

A run takes each conversation's oldest hot seqs (older than the cut-off) in chunks: write
the chunk and verify it, record it in the index, then delete the hot copies. Every step is
idempotent and the index is the commit point, so a run that dies anywhere and runs again
finishes the job: a chunk written but not recorded is written again (same key); one
recorded but not yet cleared is cleared first thing. A message changed while its chunk was
being written keeps its newer copy hot, and reads prefer the hot copy of a seq."""

import functools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chat.models.chat import Message
from chat.models.errors import Conflict, Forbidden, ServiceUnavailable
from chat.models.ports import ArchivableMessages, ArchiveChunk, ArchiveIndex, ArchiveStorage, HistorySlice
from chat.observability import logger
from chat.services.ids import new_id

CHUNK_SIZE = 500  # seqs per chunk: a page of history reads one chunk, two at a boundary
CHUNKS_CACHED = 32  # decoded chunks a container keeps: scrolling back reads each once
CHUNKS_PER_PAGE = 4  # chunks asked of the index at a time while a page fills
WALK_PAGE = 1000  # old messages (or expired chunks) a run looks at a time
PARTIAL_WAIT = timedelta(days=30)


def chunk_key(conversation_id: str, first_seq: int, rewrite: str = "") -> str:
    # By the first seq alone: a rerun after a crash writes the same object, however far its
    # batch reaches. A rewrite goes to a key of its own (two at once never share one), so no
    # cached copy of an old object is ever taken for it. Fixed width: keys list in order.
    suffix = f".{rewrite}" if rewrite else ""
    return f"archive/{conversation_id}/{first_seq:012d}{suffix}.jsonl.gz"


@dataclass
class ArchiveReport:
    archived: int = 0  # messages moved out of the hot collection
    chunks: int = 0
    expired: int = 0  # archived messages deleted for good (retention)
    conversations: list[str] = field(default_factory=list)
    done: bool = True  # False: stopped at the run's bounds, with more to do next time


class Archiver:
    def __init__(
        self,
        hot: ArchivableMessages,
        index: ArchiveIndex,
        storage: ArchiveStorage,
        *,
        after: timedelta,
        max_messages: int,
        chunk_size: int = CHUNK_SIZE,
        retention: timedelta | None = None,
    ) -> None:
        self._hot = hot
        self._index = index
        self._storage = storage
        self._after = after
        self._max_messages = max_messages
        self._chunk_size = chunk_size
        self._retention = retention  # None: archived history is kept for ever
        # A chunk of fewer than chunk_size seqs waits until its newest is this much past the
        # cut-off, so a quiet conversation is archived a month at a time, not a day at a time.
        self._partial_wait = min(after, PARTIAL_WAIT)

    def run(self, now: datetime, time_left: Callable[[], float]) -> ArchiveReport:
        """Archives what is older than the cut-off, within `max_messages` and while
        `time_left()` (seconds) allows another chunk, walking the old messages in the order
        they were sent (their ids are time-ordered): a run that stops, the next goes on."""
        cutoff = now - self._after
        report = ArchiveReport()
        seen: set[str] = set()
        after_id = ""
        while True:
            if not self._room(report, time_left):
                report.done = False
                break
            conversations, after_id = self._hot.old_conversations(cutoff, after_id, limit=WALK_PAGE)
            for conversation_id in (c for c in conversations if c not in seen):
                seen.add(conversation_id)
                if not self._room(report, time_left):
                    report.done = False
                    break
                if self._archive_conversation(conversation_id, cutoff, report, time_left):
                    report.conversations.append(conversation_id)
            if not after_id:
                break  # walked every old message
        if self._retention is not None:
            self._expire(now - self._retention, report, time_left)
        return report

    def _expire(self, cutoff: datetime, report: ArchiveReport, time_left: Callable[[], float]) -> None:
        """Deletes archived chunks whose newest message is older than retention, oldest
        first: the conversation learns where its history now starts, then the record goes,
        then the object (a run that stops between them finishes the job next time; S3's
        lifecycle rule on archive/ catches any object left behind)."""
        while True:
            chunks = self._index.older_than(cutoff, limit=WALK_PAGE)
            for chunk in chunks:
                if time_left() <= 10:
                    report.done = False
                    return
                self._index.drop(chunk)
                self._storage.delete(chunk.key)
                report.expired += chunk.count
            if len(chunks) < WALK_PAGE:
                return

    def _room(self, report: ArchiveReport, time_left: Callable[[], float]) -> bool:
        # A chunk takes well under 10 s (a read, a write of ~100 KB, a verify, two deletes).
        return report.archived < self._max_messages and time_left() > 10

    def _archive_conversation(
        self, conversation_id: str, cutoff: datetime, report: ArchiveReport, time_left: Callable[[], float]
    ) -> bool:
        through = self._index.archived_through(conversation_id)
        self._fold_leftovers(conversation_id, through, time_left)
        moved = False
        while self._room(report, time_left):
            batch = self._hot.oldest(conversation_id, through, cutoff, self._chunk_size)
            seqs = batch.seqs()
            newest = max((m.createdAt for m in batch.messages), default=cutoff)
            if not seqs or (len(seqs) < self._chunk_size and newest >= cutoff - self._partial_wait):
                return moved  # nothing old, or too few yet: a fuller chunk later
            chunk = ArchiveChunk(
                conversation_id=conversation_id,
                first_seq=seqs[0],
                last_seq=seqs[-1],
                key=chunk_key(conversation_id, seqs[0]),
                message_ids=[m.id for m in batch.messages],
                newest_at=newest,
                count=len(batch.messages),
            )
            self._storage.write(chunk.key, batch)  # verified before it returns
            self._index.record(chunk)  # from here on, reads find these seqs in the archive
            report.archived += self._hot.forget(conversation_id, batch)
            report.chunks += 1
            through, moved = chunk.last_seq, True
        report.done = False
        return moved

    def _fold_leftovers(self, conversation_id: str, through: int, time_left: Callable[[], float]) -> None:
        """Hot copies of seqs already archived: left by a run that stopped between recording
        a chunk and deleting them, or changed (edited, reacted to, deleted) while their chunk
        was written. A copy newer than the archived one is folded into its chunk first (so a
        deletion reaches the archive too); then the hot copy goes."""
        if through == 0:
            return
        leftovers = self._hot.at_or_below(conversation_id, through, self._chunk_size)
        for message in leftovers.messages:
            if time_left() <= 10:
                return
            newest = _rewrite(self._index, self._storage, message.id, functools.partial(_newer, hot=message))
            if newest is not None:
                self._hot.forget(conversation_id, HistorySlice(messages=[message], skipped=set()))
        if leftovers.skipped:
            self._hot.forget(conversation_id, HistorySlice(messages=[], skipped=leftovers.skipped))


def _newer(archived: Message, *, hot: Message) -> Message:
    return hot if hot.revision > archived.revision else archived


def _rewrite(
    index: ArchiveIndex, storage: ArchiveStorage, message_id: str, change: Callable[[Message], Message]
) -> Message | None:
    """Applies `change` to an archived message in its chunk: a new object, then the index
    moved to it only if no other rewrite came first (else read again), then the old object
    deleted. The message as it now is; None if it is not archived."""
    for _ in range(REWRITE_ATTEMPTS):
        chunk = index.holding(message_id)
        if chunk is None:
            return None
        stored = storage.read(chunk.key)
        archived = next(m for m in stored.messages if m.id == message_id)
        changed = change(archived)
        if changed is archived:
            return archived  # nothing to write
        rewritten = HistorySlice(
            messages=[changed if m.id == message_id else m for m in stored.messages], skipped=stored.skipped
        )
        key = chunk_key(chunk.conversation_id, chunk.first_seq, f"r{chunk.revision + 1}-{new_id()}")
        storage.write(key, rewritten)
        if index.move(chunk, key):
            storage.delete(chunk.key)  # nothing points at it now
            return changed
        storage.delete(key)  # another rewrite came first: start again from it
    raise ServiceUnavailable("The archive is busy; try again.")


class ArchivedHistory:
    """Completes a page of hot history from the archive, only where the hot page has a
    hole: a conversation never archived costs nothing more."""

    def __init__(self, index: ArchiveIndex, storage: ArchiveStorage) -> None:
        self._index = index
        self._storage = storage
        self._chunks: OrderedDict[str, HistorySlice] = OrderedDict()

    def complete(
        self,
        conversation_id: str,
        hot: HistorySlice,
        *,
        limit: int,
        before: int | None,
        after: int | None,
        up_to: int | None,
    ) -> HistorySlice:
        # The archive is read within the page's own bounds, not just under the hot seqs: a
        # message changed while its chunk was written stays hot amid archived seqs.
        if after is None:  # reading back: the newest `limit` below `before`
            older = self._read(conversation_id, below=before, above=None, up_to=up_to, want=limit)
            return _merged(hot, older, limit, newest=True)
        newer = self._read(conversation_id, below=None, above=after, up_to=up_to, want=limit)
        return _merged(hot, newer, limit, newest=False)

    def _read(
        self, conversation_id: str, below: int | None, above: int | None, up_to: int | None, want: int
    ) -> HistorySlice:
        """Archived seqs strictly between `above` and `below` (either open), at most `up_to`:
        the chunks nearest the hot page first, asked of the index a few at a time, until
        `want` seqs are found or the archive has no more."""
        messages: list[Message] = []
        skipped: set[int] = set()
        ceiling = min(below or 2**62, (up_to or 2**62) + 1)
        floor = above
        while len(messages) + len(skipped) < want:
            if floor is None:
                chunks = self._index.below(conversation_id, ceiling, limit=CHUNKS_PER_PAGE)
            else:
                chunks = self._index.above(conversation_id, floor, limit=CHUNKS_PER_PAGE)
            for chunk in chunks:
                stored = self._chunk(chunk.key)
                messages += [m for m in stored.messages if _within(m.seq, above, below, up_to)]
                skipped |= {seq for seq in stored.skipped if _within(seq, above, below, up_to)}
                if len(messages) + len(skipped) >= want:
                    break
            if len(chunks) < CHUNKS_PER_PAGE:
                break
            if floor is None:
                ceiling = min(c.first_seq for c in chunks)
            else:
                floor = max(c.last_seq for c in chunks)
                if up_to is not None and floor >= up_to:
                    break
        return HistorySlice(messages=messages, skipped=skipped)

    def _chunk(self, key: str) -> HistorySlice:
        cached = self._chunks.get(key)
        if cached is None:
            started = time.perf_counter()
            cached = self._storage.read(key)
            logger.debug("archive chunk read", extra={"key": key, "ms": (time.perf_counter() - started) * 1000})
            self._chunks[key] = cached
            while len(self._chunks) > CHUNKS_CACHED:
                self._chunks.popitem(last=False)
        else:
            self._chunks.move_to_end(key)
        return cached


def _within(seq: int, above: int | None, below: int | None, up_to: int | None) -> bool:
    return (above is None or seq > above) and (below is None or seq < below) and (up_to is None or seq <= up_to)


def _merged(hot: HistorySlice, archived: HistorySlice, limit: int, *, newest: bool) -> HistorySlice:
    """The two, a seq's hot copy winning (it is the newer), cut to the `limit` seqs nearest
    the reader's cursor: the newest when reading back, the oldest when catching up."""
    by_seq = {m.seq: m for m in archived.messages}
    by_seq.update({m.seq: m for m in hot.messages})
    skipped = (archived.skipped | hot.skipped) - set(by_seq)
    seqs = sorted(set(by_seq) | skipped)
    kept = set(seqs[-limit:] if newest else seqs[:limit])
    return HistorySlice(
        messages=[by_seq[s] for s in sorted(kept) if s in by_seq],
        skipped={s for s in skipped if s in kept},
    )


# How often a deletion re-reads a chunk that another deletion rewrote under it.
REWRITE_ATTEMPTS = 5


class ArchivedMessages:
    """Archived messages by id: for the change feed, and for the one change an archived
    message takes, its deletion (a rewrite of its chunk)."""

    def __init__(self, index: ArchiveIndex, storage: Callable[[], ArchiveStorage]) -> None:
        self._index = index
        self._storage = storage  # built on first use: finding a chunk needs only the index

    def chunk_of(self, message_id: str) -> ArchiveChunk | None:
        return self._index.holding(message_id)

    def get_many(self, message_ids: list[str]) -> list[Message]:
        """One index query for all of them, one read per chunk."""
        wanted = set(message_ids)
        found: list[Message] = []
        for chunk in self._index.holding_many(message_ids):
            found += [m for m in self._storage().read(chunk.key).messages if m.id in wanted]
        return found

    def delete(self, message_id: str, sender_id: str, at: datetime) -> Message | None:
        """Leaves a tombstone in the message's chunk, as a hot deletion does. None if it is not
        archived; Forbidden if not the sender's; Conflict if it is deleted already."""

        def tombstone(message: Message) -> Message:
            if message.senderId != sender_id:
                raise Forbidden("Only the sender can change a message.")
            if message.deletedAt is not None:
                raise Conflict("That message was deleted.")
            gone: dict[str, object] = {
                "text": "",
                "attachments": [],
                "reactions": {},
                "replyTo": None,
                "mentions": [],
                "deletedAt": at,
            }
            return message.model_copy(update={**gone, "revision": message.revision + 1})

        return _rewrite(self._index, self._storage(), message_id, tombstone)
