"""Replies, @mentions, mention counts and search, on the in-memory fakes."""

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from chat.clock import utc_now
from chat.models.api import CreateGroupRequest, SendMessageRequest, SignupRequest
from chat.models.chat import Attachment, Connection, Message
from chat.models.errors import Conflict, Forbidden, InvalidRequest, NotFound
from chat.services.archive import Archiver
from chat.services.mentions import mention_candidates
from chat.services.replies import excerpt
from chat.services.search_terms import terms
from chat.services.wiring import Services
from tests.fakes import FakeArchivableMessages
from tests.unit.conftest import SETTINGS, Chat


def new_user(chat: Chat, name: str) -> str:
    return chat.auth.signup(SignupRequest(username=name, password="password1")).user.id


def send(chat: Chat, sender: str, conversation_id: str, text: str = "hi", **extra: Any) -> Message:
    request = SendMessageRequest(conversationId=conversation_id, text=text, **extra)
    return chat.messages.send_message(sender, request).message


def frames(chat: Chat, connection_id: str) -> list[dict[str, Any]]:
    return [json.loads(f) for f in chat.pusher.frames.get(connection_id, [])]


class Team:
    def __init__(self, chat: Chat) -> None:
        self.alice, self.bob, self.carol = (new_user(chat, n) for n in ("alice", "Bob.Smith", "carol"))
        self.dave = new_user(chat, "dave")  # in no group here
        self.group = chat.conversations.create_group(
            self.alice, CreateGroupRequest(name="Team", memberIds=[self.bob, self.carol])
        ).id
        self.direct = chat.conversations.open_direct(self.alice, self.bob)[0].id


@pytest.fixture
def team(chat: Chat) -> Team:
    return Team(chat)


# --- the rules ------------------------------------------------------------------------------


def test_an_excerpt_collapses_whitespace_and_is_cut_at_100_characters() -> None:
    assert excerpt("  lunch\n\n at\t1? ") == "lunch at 1?"
    assert excerpt("x" * 100) == "x" * 100
    assert excerpt("x" * 98 + " yz" * 10) == "x" * 98 + "…"  # cut after a space: the space goes too
    assert len(excerpt("y" * 150)) == 100


def test_search_terms_ignore_case_and_accents_and_keep_whole_words() -> None:
    assert terms("Café CRÈME, Straße — naïve İstanbul ﬁne") == ["cafe", "creme", "strasse", "naive", "istanbul", "fine"]
    assert terms("the THE The") == ["the"]  # each word once
    assert terms("👍 !!") == []
    assert terms("a" * 100) == ["a" * 64]
    assert len(terms(" ".join(f"w{i}" for i in range(300)))) == 200


def test_mention_candidates_are_names_not_inside_words_or_addresses() -> None:
    assert mention_candidates("hi @Alice and @bob.smith.") == [("alice",), ("bob.smith.", "bob.smith")]
    assert mention_candidates("mail me@example.com or @@x @ab @" + "z" * 33) == []
    assert mention_candidates("(@carol) @carol") == [("carol",), ("carol",)]


# --- replies -----------------------------------------------------------------------------------


def test_a_reply_carries_the_quote_of_the_message_it_answers(chat: Chat, team: Team) -> None:
    original = send(chat, team.alice, team.group, "lunch   at\n1?")
    chat.connections.add(Connection(connectionId="carol-1", userId=team.carol), utc_now() - timedelta(minutes=1))

    reply = send(chat, team.bob, team.group, "yes!", replyTo=original.id)

    assert reply.replyTo is not None
    assert reply.replyTo.model_dump() == {
        "messageId": original.id,
        "seq": original.seq,
        "senderId": team.alice,
        "excerpt": "lunch at 1?",
        "attachments": 0,
        "deleted": False,
    }
    # Members get it with the message, and history has it
    [received] = frames(chat, "carol-1")
    assert received["message"]["replyTo"]["excerpt"] == "lunch at 1?"
    assert chat.messages.history(team.carol, team.group, 10, None, None).items[-1] == reply
    assert chat.messages.changes(team.carol, team.group, 0).messages[-1] == reply  # the change feed too


def test_a_quote_of_files_only_counts_them(chat: Chat, team: Team) -> None:
    photo = Attachment(mediaId="m1", name="beach.png", contentType="image/png", size=10)
    original = send(chat, team.alice, team.group, "placeholder")
    chat.message_store.messages[-1] = original.model_copy(update={"text": "", "attachments": [photo, photo]})

    reply = send(chat, team.bob, team.group, "nice", replyTo=original.id)

    assert reply.replyTo is not None
    assert (reply.replyTo.excerpt, reply.replyTo.attachments) == ("", 2)


def test_a_reply_to_what_is_not_a_message_of_the_conversation_gets_one_answer(chat: Chat, team: Team) -> None:
    elsewhere = send(chat, team.alice, team.direct, "private")
    here = send(chat, team.alice, team.group, "here")
    chat.message_store.mark_skipped(team.group, 99, utc_now())
    for reply_to in (elsewhere.id, "no-such-message", f"skip-{team.group}-99"):
        with pytest.raises(InvalidRequest) as refused:
            send(chat, team.bob, team.group, "re", replyTo=reply_to)
        assert refused.value.details == [{"loc": ["body", "replyTo"], "type": "not_in_conversation"}]
    # A first message (by receiverId) has no conversation to quote from
    with pytest.raises(InvalidRequest):
        chat.messages.send_message(team.carol, SendMessageRequest(receiverId=team.bob, text="re", replyTo=here.id))
    # Someone who is not a member learns nothing: the conversation refuses them first
    with pytest.raises(Forbidden):
        send(chat, team.dave, team.group, "re", replyTo="no-such-message")
    with pytest.raises(NotFound):
        send(chat, team.dave, "no-such-group", "re", replyTo=here.id)
    assert chat.conversation_store.get(team.group).lastSeq == 1  # type: ignore[union-attr]  # no seq taken


def test_a_reply_to_a_deleted_message_is_refused_unless_it_is_a_resend(chat: Chat, team: Team) -> None:
    original = send(chat, team.alice, team.group, "lunch?")
    reply = send(chat, team.bob, team.group, "yes", replyTo=original.id, clientMsgId="r1")
    chat.services.message_changes.delete(team.alice, original.id)

    with pytest.raises(Conflict, match="deleted"):
        send(chat, team.bob, team.group, "too late", replyTo=original.id)
    # The same reply sent again (its ack was lost) is the reply already stored
    result = chat.messages.send_message(
        team.bob, SendMessageRequest(conversationId=team.group, text="yes", replyTo=original.id, clientMsgId="r1")
    )
    assert (result.created, result.message.id) == (False, reply.id)


def test_replies_follow_an_edit_and_a_deletion_of_the_original(chat: Chat, team: Team) -> None:
    changes = chat.services.message_changes
    original = send(chat, team.alice, team.group, "lunch at 1?")
    replies = [send(chat, who, team.group, "ok", replyTo=original.id) for who in (team.bob, team.carol)]
    version = chat.conversation_store.get(team.group).version  # type: ignore[union-attr]

    changes.edit(team.alice, original.id, "lunch at   2?")
    for reply in replies:
        stored = chat.message_store.get(reply.id)
        assert stored is not None
        assert stored.replyTo is not None
        assert (stored.replyTo.excerpt, stored.revision) == ("lunch at 2?", 1)

    changes.delete(team.alice, original.id)
    page = chat.messages.history(team.bob, team.group, 10, None, None).items
    quotes = [m.replyTo.model_dump() for m in page if m.replyTo is not None]
    assert [(q["excerpt"], q["deleted"], q["attachments"]) for q in quotes] == [
        ("Original message deleted", True, 0)
    ] * 2
    # The change feed tells of the original: a client rewrites the quotes it holds by the same rule
    feed = chat.messages.changes(team.bob, team.group, version)
    assert [m.id for m in feed.messages] == [original.id]


@pytest.mark.parametrize("change", ["delete", "edit"])
def test_a_change_of_the_original_while_a_reply_is_sent_reaches_that_reply(
    chat: Chat, team: Team, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    # Given a reply whose quote is read, and the original changed (its quotes rewritten) just
    # before the reply is inserted
    changes = chat.services.message_changes
    original = send(chat, team.alice, team.group, "secret plan")
    store = chat.message_store
    insert = store.insert

    def changed_first(message: Message, *args: Any, **kwargs: Any) -> None:
        if message.replyTo is not None:
            if change == "delete":
                changes.delete(team.alice, original.id)
            else:
                changes.edit(team.alice, original.id, "public plan")
        insert(message, *args, **kwargs)

    monkeypatch.setattr(store, "insert", changed_first)
    reply = send(chat, team.bob, team.group, "ok", replyTo=original.id)

    # Then the stored reply, and the one sent out, quote the original as it now is
    stored = store.get(reply.id)
    assert stored is not None
    assert stored.replyTo is not None
    expected = ("Original message deleted", True) if change == "delete" else ("public plan", False)
    assert (stored.replyTo.excerpt, stored.replyTo.deleted) == expected
    assert reply == stored
    assert "secret" not in stored.replyTo.excerpt


def test_a_deleted_reply_keeps_no_quote(chat: Chat, team: Team) -> None:
    original = send(chat, team.alice, team.group, "lunch?")
    reply = send(chat, team.bob, team.group, "@alice yes", replyTo=original.id)
    tombstone = chat.services.message_changes.delete(team.bob, reply.id)
    assert (tombstone.replyTo, tombstone.mentions, tombstone.text) == (None, [], "")


def test_an_archived_message_can_be_replied_to_and_its_deletion_reaches_hot_replies(chat: Chat, team: Team) -> None:
    old = send(chat, team.alice, team.group, "from long ago")
    Archiver(
        FakeArchivableMessages(chat.message_store),
        chat.archive_index,
        chat.archive_storage,
        after=timedelta(0),
        max_messages=100,
        chunk_size=1,
    ).run(utc_now() + timedelta(seconds=1), lambda: 900.0)
    assert chat.message_store.get(old.id) is None  # archived

    reply = send(chat, team.bob, team.group, "I remember", replyTo=old.id)
    assert reply.replyTo is not None
    assert reply.replyTo.excerpt == "from long ago"

    chat.services.message_changes.delete(team.alice, old.id)
    stored = chat.message_store.get(reply.id)
    assert stored is not None
    assert stored.replyTo is not None
    assert stored.replyTo.deleted


# --- mentions --------------------------------------------------------------------------------


def test_mentions_name_members_only_in_order_once_each(chat: Chat, team: Team) -> None:
    text = "@carol @dave @nobody: ask @BOB.SMITH. and @carol again; mail alice@example.com"
    message = send(chat, team.alice, team.group, text)

    assert message.mentions == [team.carol, team.bob]  # dave is no member; the sender never mentions herself
    assert send(chat, team.alice, team.group, "hi @alice").mentions == []
    assert send(chat, team.alice, team.direct, "@Bob.Smith look").mentions == []  # direct chats: never
    assert send(chat, team.alice, team.group, "no names").mentions == []


def test_mentions_stop_at_max_mentions(chat: Chat) -> None:
    names = [f"member{i:02d}" for i in range(5)]
    ids = [new_user(chat, name) for name in names]
    group = chat.conversations.create_group(ids[0], CreateGroupRequest(name="Many", memberIds=ids[1:])).id
    capped = Services(chat.fakes, replace(SETTINGS, max_mentions=2), sleep=lambda _: None).messages

    request = SendMessageRequest(conversationId=group, text=" ".join(f"@{n}" for n in names[1:]))
    assert capped.send_message(ids[0], request).message.mentions == ids[1:3]


def test_an_edit_resolves_the_mentions_again(chat: Chat, team: Team) -> None:
    message = send(chat, team.alice, team.group, "@carol?")
    edited = chat.services.message_changes.edit(team.alice, message.id, "@bob.smith, not carol")
    assert edited.mentions == [team.bob]


def test_the_mention_count_is_of_the_callers_unread_messages_that_mention_them(chat: Chat, team: Team) -> None:
    send(chat, team.alice, team.group, "@carol one")
    second = send(chat, team.bob, team.group, "@carol two")
    send(chat, team.bob, team.group, "nothing for carol")
    gone = send(chat, team.alice, team.group, "@carol three")
    chat.services.message_changes.delete(team.alice, gone.id)

    carol_sees = chat.conversations.get(team.carol, team.group)
    assert (carol_sees.unreadCount, carol_sees.mentionCount) == (3, 2)
    assert chat.conversations.get(team.bob, team.group).mentionCount == 0
    listed = chat.conversations.list_for(team.carol, 10, None).items
    assert [(c.id, c.mentionCount) for c in listed if c.id == team.group] == [(team.group, 2)]

    chat.services.receipts.mark(team.carol, team.group, read=second.seq)
    assert chat.conversations.get(team.carol, team.group).mentionCount == 0


# --- search ------------------------------------------------------------------------------------


def search(chat: Chat, user: str, q: str, **options: Any) -> list[str]:
    """The texts found, newest first (to the millisecond: the order of ids; tests/contract has the order)."""
    page = chat.services.search.search(
        user,
        q,
        conversation_id=options.get("conversation_id"),
        before=options.get("before"),
        limit=options.get("limit", 20),
    )
    return [m.text for m in page.items]


def test_search_finds_the_callers_messages_by_every_word(chat: Chat, team: Team) -> None:
    send(chat, team.alice, team.group, "Le café est prêt")
    send(chat, team.bob, team.direct, "CAFE au lait?")
    send(chat, team.alice, team.group, "tea time")

    assert sorted(search(chat, team.bob, "café")) == ["CAFE au lait?", "Le café est prêt"]
    assert search(chat, team.bob, "Cafe LAIT") == ["CAFE au lait?"]
    assert search(chat, team.bob, "cafe", conversation_id=team.group) == ["Le café est prêt"]
    assert search(chat, team.carol, "cafe") == ["Le café est prêt"]  # not in the direct chat
    assert search(chat, team.dave, "cafe") == []
    with pytest.raises(Forbidden):
        search(chat, team.dave, "cafe", conversation_id=team.group)
    with pytest.raises(NotFound):
        search(chat, team.alice, "cafe", conversation_id="no-such-chat")


def test_search_pages_newest_first(chat: Chat, team: Team) -> None:
    # (Ids, the order of results, begin with the time to the millisecond: these five may share one.)
    sent = {send(chat, team.alice, team.group, f"note {n}").id for n in range(5)}

    page = chat.services.search.search(team.bob, "note", conversation_id=None, before=None, limit=2)
    first = [m.id for m in page.items]
    assert first == sorted(first, reverse=True)
    assert page.nextBefore == first[-1]
    rest = chat.services.search.search(team.bob, "note", conversation_id=None, before=page.nextBefore, limit=10)
    after = [m.id for m in rest.items]
    assert (after, rest.nextBefore) == (sorted(sent - set(first), reverse=True), None)
    assert max(after) < min(first)


def test_a_removed_member_finds_only_what_they_could_read(chat: Chat, team: Team) -> None:
    send(chat, team.alice, team.group, "plan one")
    chat.services.groups.remove_member(team.alice, team.group, team.carol)
    send(chat, team.alice, team.group, "plan two")

    assert search(chat, team.carol, "plan") == ["plan one"]
    assert search(chat, team.carol, "plan", conversation_id=team.group) == ["plan one"]
    assert sorted(search(chat, team.bob, "plan")) == ["plan one", "plan two"]


def test_edits_are_found_by_their_new_words_and_deletions_not_at_all(chat: Chat, team: Team) -> None:
    changes = chat.services.message_changes
    message = send(chat, team.alice, team.group, "meet at the station")
    changes.edit(team.alice, message.id, "meet at the harbour")
    assert search(chat, team.bob, "station") == []
    assert search(chat, team.bob, "harbour") == ["meet at the harbour"]
    changes.delete(team.alice, message.id)
    assert search(chat, team.bob, "meet") == []


def test_a_search_needs_one_to_ten_words(chat: Chat, team: Team) -> None:
    with pytest.raises(InvalidRequest) as refused:
        search(chat, team.alice, "?! 👍")
    assert refused.value.details == [{"loc": ["query", "q"], "type": "no_words"}]
    with pytest.raises(InvalidRequest) as refused:
        search(chat, team.alice, " ".join(f"w{i}" for i in range(11)))
    assert refused.value.details == [{"loc": ["query", "q"], "type": "too_many_words", "limit": 10}]
    assert search(chat, team.alice, " ".join(["w"] * 20 + [f"w{i}" for i in range(9)])) == []  # 10 distinct
