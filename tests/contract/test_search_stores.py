"""The store contract of replies, mentions and search: the MongoDB adapters (the embedded store,
or a real MongoDB when MONGODB_URI is set) and the in-memory fakes behave the same."""

from datetime import timedelta
from typing import Any

import pytest

from chat.clock import utc_now
from chat.models.chat import ReplyQuote
from chat.models.errors import ServiceUnavailable
from chat.models.ports import Unread
from chat.services.replies import quote_of
from chat.services.search_terms import terms
from tests.builders import a_group, a_message, a_user
from tests.contract.conftest import Stores


def test_a_reply_and_its_mentions_are_stored_and_read_back_as_sent(stores: Stores) -> None:
    # Given a message, and a reply to it that mentions someone
    original = a_message("c1", "a", 1, text="lunch at 1?")
    reply = a_message("c1", "b", 2, text="@carol yes", replyTo=quote_of(original), mentions=["carol-id"])
    plain = a_message("c1", "a", 3)
    for message in (original, reply, plain):
        stores.messages.insert(message, terms(message.text))

    # Then every read gives them back as they were sent
    assert stores.messages.get(reply.id) == reply
    assert stores.messages.get_many([reply.id, plain.id]) == [reply, plain]
    assert stores.messages.page("c1", 10, None, None).messages == [original, reply, plain]
    assert stores.messages.get(plain.id) == plain  # no quote, no mentions
    assert reply.replyTo == ReplyQuote(messageId=original.id, seq=1, senderId="a", excerpt="lunch at 1?")


def test_an_edit_or_a_deletion_rewrites_the_quote_in_every_reply(stores: Stores) -> None:
    original = a_message("c1", "a", 1, text="lunch at 1?")
    replies = [a_message("c1", "b", seq, replyTo=quote_of(original)) for seq in (2, 3)]
    other = a_message("c1", "b", 4, replyTo=quote_of(a_message("c1", "a", 9)))
    for message in (original, *replies, other):
        stores.messages.insert(message)

    # When the original is edited, and the replies' quotes are rewritten
    edited = stores.messages.edit(original.id, "a", "lunch at 2?", utc_now())
    assert edited is not None
    assert stores.messages.rewrite_quotes(quote_of(edited), edited.revision) == 2

    # Then each reply quotes the new text, one revision on; the reply to another message is untouched
    for reply in replies:
        stored = stores.messages.get(reply.id)
        assert stored is not None
        assert stored.replyTo is not None
        assert (stored.replyTo.excerpt, stored.replyTo.deleted, stored.revision) == ("lunch at 2?", False, 1)
    assert stores.messages.get(other.id) == other

    # When it is deleted
    deleted = stores.messages.delete(original.id, "a", utc_now())
    assert deleted is not None
    assert stores.messages.rewrite_quotes(quote_of(deleted), deleted.revision) == 2
    stored = stores.messages.get(replies[0].id)
    assert stored is not None
    assert stored.replyTo is not None
    assert (stored.replyTo.excerpt, stored.replyTo.deleted, stored.revision) == ("Original message deleted", True, 2)
    assert stores.messages.rewrite_quotes(quote_of(other), 1) == 0  # nobody replied to a reply


def test_a_rewrite_of_an_older_revision_never_overwrites_a_newer_quote(stores: Stores) -> None:
    # Given a reply stored quoting revision 0 of the original
    original = a_message("c1", "a", 1, text="lunch at 1?")
    reply = a_message("c1", "b", 2, replyTo=quote_of(original))
    stores.messages.insert(original)
    stores.messages.insert(reply, quote_revision=original.revision)

    # When the original is edited (revision 1) and deleted (revision 2), and the deletion's
    # rewrite lands before the edit's
    edited = stores.messages.edit(original.id, "a", "lunch at 2?", utc_now())
    assert edited is not None
    deleted = stores.messages.delete(original.id, "a", utc_now())
    assert deleted is not None
    assert stores.messages.rewrite_quotes(quote_of(deleted), deleted.revision) == 1
    assert stores.messages.rewrite_quotes(quote_of(edited), edited.revision) == 0
    # (and a repeat of the newest is no change either)
    assert stores.messages.rewrite_quotes(quote_of(deleted), deleted.revision) == 0

    # Then the reply still shows the deletion, rewritten once
    stored = stores.messages.get(reply.id)
    assert stored is not None
    assert stored.replyTo == quote_of(deleted)
    assert (stored.replyTo.deleted, stored.revision) == (True, 1)


def test_a_reply_stored_without_a_quote_revision_is_rewritten_by_any_change(stores: Stores) -> None:
    # A reply from before quotes recorded the original's revision
    original = a_message("c1", "a", 1, text="lunch at 1?")
    reply = a_message("c1", "b", 2, replyTo=quote_of(original))
    stores.messages.insert(original)
    stores.messages.insert(reply)

    edited = stores.messages.edit(original.id, "a", "lunch at 2?", utc_now())
    assert edited is not None
    assert stores.messages.rewrite_quotes(quote_of(edited), edited.revision) == 1
    assert stores.messages.rewrite_quotes(quote_of(edited), edited.revision) == 0


def test_a_tombstone_keeps_no_quote_and_no_mentions_and_an_edit_replaces_the_mentions(stores: Stores) -> None:
    reply = a_message("c1", "b", 2, replyTo=quote_of(a_message("c1", "a", 1)), mentions=["x", "y"])
    stores.messages.insert(reply)

    edited = stores.messages.edit(reply.id, "b", "now @z", utc_now(), mentions=["z"], terms=["now", "z"])
    assert edited is not None
    assert (edited.mentions, edited.replyTo) == (["z"], reply.replyTo)
    cleared = stores.messages.edit(reply.id, "b", "no one", utc_now())
    assert cleared is not None
    assert cleared.mentions == []

    deleted = stores.messages.delete(reply.id, "b", utc_now())
    assert deleted is not None
    assert (deleted.replyTo, deleted.mentions) == (None, [])
    assert stores.messages.get(reply.id) == deleted


def test_unread_counts_count_the_mentions_of_the_reader(stores: Stores) -> None:
    reader = "r"
    mentions = {1: [reader], 2: ["someone"], 3: [reader, "someone"], 4: [reader]}
    for seq, mentioned in mentions.items():
        stores.messages.insert(a_message("c1", "a", seq, mentions=mentioned))
    stores.messages.insert(a_message("c1", "a", 5))
    own = a_message("c1", reader, 6, mentions=[reader])  # their own: never unread
    stores.messages.insert(own)
    gone = a_message("c1", "a", 7, mentions=[reader])
    stores.messages.insert(gone)
    stores.messages.delete(gone.id, "a", utc_now())
    stores.messages.insert(a_message("c2", "b", 1))

    counts = stores.messages.unread_counts(reader, {"c1": 1, "c2": 0})
    # 2..5 unread; 3 and 4 mention the reader (not 1: read; not 6: theirs; not 7: deleted)
    assert counts == {"c1": Unread(4, 2), "c2": Unread(1, 0)}


def test_members_are_found_by_the_names_they_are_mentioned_by(stores: Stores) -> None:
    alice, bob, carol = a_user("Alice"), a_user("bob.smith"), a_user("carol")
    for user in (alice, bob, carol):
        stores.users.create_user(user, "hash")

    found = stores.users.members_named(["alice", "bob.smith", "carol", "nobody"], [alice.id, bob.id])
    assert found == {"alice": alice.id, "bob.smith": bob.id}  # carol is not a member
    assert stores.users.members_named([], [alice.id]) == {}
    assert stores.users.members_named(["alice"], []) == {}


def test_a_user_may_read_their_conversations_and_those_they_left_up_to_their_removal(stores: Stores) -> None:
    group, other, never = a_group("a", "b", "c"), a_group("a", "b"), a_group("x", "y")
    for conversation in (group, other, never):
        stores.conversations.create(conversation)
    for _ in range(3):
        stores.conversations.allocate_seq(group.id, "a")
    assert stores.conversations.remove_member(group.id, "c", 3) is not None

    assert stores.conversations.readable_by("a") == {group.id: None, other.id: None}
    assert stores.conversations.readable_by("c") == {group.id: 3}  # removed after seq 3
    assert stores.conversations.readable_by("nobody") == {}

    # Added back: a member again, all of it
    assert stores.conversations.add_members(group.id, "a", ["c"], 1000) is not None
    assert stores.conversations.readable_by("c") == {group.id: None}


def test_readable_by_fails_closed_on_a_former_member_with_no_seq_recorded(stores: Stores) -> None:
    # Given a group "c" left, and (in MongoDB) groups that name "c" in formerMemberIds with no
    # formerMembers entry: half-written, or the backfill not done. The fakes cannot hold that
    # state (their former members are formerMembers' keys): for them only the first half runs.
    group = a_group("a", "b", "c")
    stores.conversations.create(group)
    assert stores.conversations.remove_member(group.id, "c", 0) is not None
    assert stores.conversations.readable_by("c") == {group.id: 0}  # a removal before any message: nothing
    if stores.db is None:
        return
    broken, member = a_group("a", "b"), a_group("c", "d")
    for conversation in (broken, member):
        stores.conversations.create(conversation)
    for conversation in (broken, member):
        stores.db["conversations"].update_one({"_id": conversation.id}, {"$addToSet": {"formerMemberIds": "c"}})

    # Then a conversation "c" is not in and has no seq for is not readable (not "all of it"),
    # and one they are a member of is, whatever formerMemberIds says
    assert stores.conversations.readable_by("c") == {group.id: 0, member.id: None}


def test_search_finds_every_word_newest_first_only_where_the_reader_may_read(stores: Stores) -> None:
    # Given messages in three conversations, sent one after another
    texts = [
        ("c1", 1, "Le café est prêt"),
        ("c1", 2, "CAFE au lait, s'il vous plaît"),
        ("c2", 1, "cafe? The Straße is closed"),
        ("c2", 2, "no coffee here"),
        ("c2", 3, "café, later"),
        ("c3", 1, "café for someone else"),
    ]
    base = utc_now()
    sent = {}
    for index, (conversation, seq, text) in enumerate(texts):
        message = a_message(conversation, "a", seq, text=text)
        # Ids ordered as sent: their time, then their random part
        message = message.model_copy(update={"id": f"{index:02d}{message.id[2:]}", "createdAt": base})
        stores.messages.insert(message, terms(message.text))
        sent[(conversation, seq)] = message
    skipped_at = base + timedelta(seconds=1)
    stores.messages.mark_skipped("c1", 3, skipped_at)  # a reserved seq: nothing to find

    def found(words: str, readable: dict[str, int | None], before: str | None = None, limit: int = 10) -> list[str]:
        return [f"{m.conversationId}/{m.seq}" for m in stores.messages.search(terms(words), readable, before, limit)]

    both: dict[str, int | None] = {"c1": None, "c2": None}
    # Any case and accents, both ways; newest first; never a conversation not readable
    assert found("CAFÉ", both) == ["c2/3", "c2/1", "c1/2", "c1/1"]
    assert found("cafe", both) == found("Café", both)
    # Every word must be there, whole words
    assert found("cafe lait", both) == ["c1/2"]
    assert found("caf", both) == []
    assert found("strasse", both) == ["c2/1"]
    # Removed from c2 after seq 2: nothing later
    assert found("cafe", {"c1": None, "c2": 2}) == ["c2/1", "c1/2", "c1/1"]
    assert found("cafe", {"c2": 0}) == []
    # Keyset pages: below the last id of the page before
    first = stores.messages.search(terms("cafe"), both, None, 2)
    assert [f"{m.conversationId}/{m.seq}" for m in first] == ["c2/3", "c2/1"]
    assert found("cafe", both, before=first[-1].id, limit=2) == ["c1/2", "c1/1"]
    assert found("cafe", both, before=sent[("c1", 1)].id) == []
    assert found("cafe", {}) == []


def test_an_edit_is_found_by_its_new_words_and_a_deletion_by_none(stores: Stores) -> None:
    message = a_message("c1", "a", 1, text="meet at the station")
    stores.messages.insert(message, terms(message.text))
    readable: dict[str, int | None] = {"c1": None}

    stores.messages.edit(message.id, "a", "meet at the harbour", utc_now(), terms=terms("meet at the harbour"))
    assert stores.messages.search(["station"], readable, None, 10) == []
    [edited] = stores.messages.search(["harbour", "meet"], readable, None, 10)
    assert edited.text == "meet at the harbour"

    stores.messages.delete(message.id, "a", utc_now())
    assert stores.messages.search(["meet"], readable, None, 10) == []


def test_search_over_more_conversations_than_one_query_merges_gives_the_newest_pages(stores: Stores) -> None:
    # Given a reader of 450 conversations (three queries' worth), a message with the word in each,
    # sent in an order that puts the newest in every chunk of conversations, and a removed
    # member's limit in the last one
    count = 450
    conversations = [f"c{index:03d}" for index in range(count)]
    order = sorted(range(count), key=lambda index: (index * 7) % count)  # a fixed shuffle
    ids: dict[str, str] = {}
    for rank, index in enumerate(order):
        conversation = conversations[index]
        message = a_message(conversation, "a", 1, text="ping")
        message = message.model_copy(update={"id": f"{rank:04d}{message.id[4:]}"})
        stores.messages.insert(message, ["ping"])
        ids[conversation] = message.id
    other = a_message("c000", "a", 2, text="pong")
    stores.messages.insert(other, ["pong"])
    late = a_message(conversations[-1], "a", 2, text="ping")  # the newest, above the removal
    stores.messages.insert(late.model_copy(update={"id": f"9999{late.id[4:]}"}), ["ping"])
    readable: dict[str, int | None] = dict.fromkeys(conversations)
    readable[conversations[-1]] = 1

    # Then pages of the newest first, across the chunks, with the limit and the removal kept
    newest = sorted(ids.values(), reverse=True)
    first = [m.id for m in stores.messages.search(["ping"], readable, None, 20)]
    assert first == newest[:20]
    second = [m.id for m in stores.messages.search(["ping"], readable, first[-1], 20)]
    assert second == newest[20:40]
    every = [m.id for m in stores.messages.search(["ping"], readable, None, 1000)]
    assert every == newest
    # Only the conversations asked about
    some: dict[str, int | None] = dict.fromkeys(conversations[::3])
    assert [m.id for m in stores.messages.search(["ping"], some, None, 5)] == sorted(
        (ids[c] for c in some), reverse=True
    )[:5]


def test_a_search_out_of_time_is_unavailable(mongo_db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chat.adapters.mongo import messages as mongo_messages

    store = mongo_messages.MongoMessageStore(mongo_db)
    store.insert(a_message("c1", "a", 1, text="ping"), ["ping"])
    assert len(store.search(["ping"], {"c1": None}, None, 5)) == 1
    monkeypatch.setattr(mongo_messages, "SEARCH_MAX_TIME_MS", 0)
    with pytest.raises(ServiceUnavailable):
        store.search(["ping"], {"c1": None}, None, 5)
