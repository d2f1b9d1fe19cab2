"""Archiving a chat, on the in-memory fakes: out of the caller's main list until a new
message comes, only for them, told to their own devices."""

import json
from datetime import timedelta
from typing import Any

import pytest

from chat.clock import utc_now
from chat.models.api import CreateGroupRequest, SendMessageRequest, SignupRequest
from chat.models.chat import Connection, Message
from chat.models.errors import Forbidden, NotFound
from chat.services.chat_settings import ChatSettingsService
from tests.unit.conftest import Chat


@pytest.fixture
def archive(chat: Chat) -> ChatSettingsService:
    return chat.services.chat_settings


def new_user(chat: Chat, name: str) -> str:
    return chat.auth.signup(SignupRequest(username=name, password="password1")).user.id


def connect(chat: Chat, user_id: str, connection_id: str) -> None:
    chat.connections.add(Connection(connectionId=connection_id, userId=user_id), utc_now() - timedelta(minutes=5))


def frames(chat: Chat, connection_id: str) -> list[dict[str, Any]]:
    return [json.loads(f) for f in chat.pusher.frames.get(connection_id, [])]


def send(chat: Chat, sender: str, conversation_id: str, text: str = "hi") -> Message:
    request = SendMessageRequest(conversationId=conversation_id, text=text)
    return chat.messages.send_message(sender, request).message


def main_list(chat: Chat, user_id: str) -> list[str]:
    return [c.id for c in chat.conversations.list_for(user_id, 50, None).items]


def archived_list(chat: Chat, user_id: str) -> list[str]:
    return [c.id for c in chat.conversations.list_for(user_id, 50, None, archived=True).items]


def test_archiving_moves_a_chat_to_the_callers_archived_list_only(chat: Chat, archive: ChatSettingsService) -> None:
    # Given alice's chats with bob and with carol
    alice, bob, carol = new_user(chat, "alice"), new_user(chat, "bob"), new_user(chat, "carol")
    with_bob, _ = chat.conversations.open_direct(alice, bob)
    with_carol, _ = chat.conversations.open_direct(alice, carol)
    send(chat, bob, with_bob.id)

    # When alice archives the one with bob
    archived = archive.set_archived(alice, with_bob.id, archived=True)

    # Then it is in her archived list, not her main one, and bob's lists are as they were
    assert (archived.archived, archived.unreadCount) == (True, 1)  # as she sees it
    assert main_list(chat, alice) == [with_carol.id]
    assert archived_list(chat, alice) == [with_bob.id]
    assert main_list(chat, bob) == [with_bob.id]
    assert archived_list(chat, bob) == []
    assert chat.conversations.get(bob, with_bob.id).archived is False
    assert chat.conversations.get(alice, with_bob.id).archived is True


@pytest.mark.parametrize("who", ["the other member", "the archiver"])
def test_a_new_message_brings_it_back_to_the_main_list(chat: Chat, archive: ChatSettingsService, who: str) -> None:
    # Given alice archived her chat with bob after its first message
    alice, bob = new_user(chat, "alice"), new_user(chat, "bob")
    direct, _ = chat.conversations.open_direct(alice, bob)
    send(chat, bob, direct.id)
    archive.set_archived(alice, direct.id, archived=True)
    marks = chat.conversation_store.get(direct.id)

    # When a new message comes, from bob or from alice herself
    send(chat, bob if who == "the other member" else alice, direct.id, "back?")

    # Then the chat is in alice's main list again, and the send wrote no archive state
    assert main_list(chat, alice) == [direct.id]
    assert archived_list(chat, alice) == []
    assert chat.conversations.get(alice, direct.id).archived is False
    after = chat.conversation_store.get(direct.id)
    assert marks is not None
    assert after is not None
    assert after.archivedBy == marks.archivedBy


def test_an_empty_chat_archives_and_its_first_message_brings_it_back(chat: Chat, archive: ChatSettingsService) -> None:
    alice, bob = new_user(chat, "alice"), new_user(chat, "bob")
    direct, _ = chat.conversations.open_direct(alice, bob)
    archive.set_archived(alice, direct.id, archived=True)
    assert archived_list(chat, alice) == [direct.id]
    send(chat, bob, direct.id)
    assert main_list(chat, alice) == [direct.id]


def test_edits_and_reactions_keep_it_archived(chat: Chat, archive: ChatSettingsService) -> None:
    # Only a new message is news: a change to one already there is not
    alice, bob = new_user(chat, "alice"), new_user(chat, "bob")
    direct, _ = chat.conversations.open_direct(alice, bob)
    last = send(chat, bob, direct.id)
    archive.set_archived(alice, direct.id, archived=True)
    edited = chat.message_store.edit(last.id, bob, "edited", utc_now())
    assert edited is not None
    chat.conversation_store.record_change(edited, new=False)
    assert archived_list(chat, alice) == [direct.id]


def test_unarchiving_brings_it_back_and_both_are_idempotent(chat: Chat, archive: ChatSettingsService) -> None:
    # Given alice on two devices, and bob connected too
    alice, bob = new_user(chat, "alice"), new_user(chat, "bob")
    direct, _ = chat.conversations.open_direct(alice, bob)
    send(chat, bob, direct.id)
    for user, socket in ((alice, "alice-phone"), (alice, "alice-laptop"), (bob, "bob-1")):
        connect(chat, user, socket)
    chat.pusher.frames.clear()
    version = chat.conversations.get(alice, direct.id).version

    # When alice archives twice, then unarchives twice
    first = archive.set_archived(alice, direct.id, archived=True)
    again = archive.set_archived(alice, direct.id, archived=True)
    back = archive.set_archived(alice, direct.id, archived=False)
    back_again = archive.set_archived(alice, direct.id, archived=False)

    # Then each answer is the conversation as she sees it
    assert [c.archived for c in (first, again, back, back_again)] == [True, True, False, False]
    assert main_list(chat, alice) == [direct.id]
    # Her devices heard each change once, as she sees it; bob heard nothing
    for socket in ("alice-phone", "alice-laptop"):
        told = frames(chat, socket)
        assert [(f["type"], f["conversation"]["archived"]) for f in told] == [
            ("archivedChanged", True),
            ("archivedChanged", False),
        ]
        assert told[0]["conversation"] == first.model_dump(mode="json")
    assert frames(chat, "bob-1") == []
    # And it was no change of the conversation: no version, nothing in the change feed
    assert chat.conversations.get(alice, direct.id).version == version
    page = chat.messages.changes(alice, direct.id, version)
    assert (page.messages, page.cursor, page.resync) == ([], version, False)


def test_archiving_again_after_a_new_message_archives_at_that_message(chat: Chat, archive: ChatSettingsService) -> None:
    alice, bob = new_user(chat, "alice"), new_user(chat, "bob")
    direct, _ = chat.conversations.open_direct(alice, bob)
    archive.set_archived(alice, direct.id, archived=True)
    send(chat, bob, direct.id)
    connect(chat, alice, "alice-1")

    again = archive.set_archived(alice, direct.id, archived=True)

    assert again.archived is True
    assert archived_list(chat, alice) == [direct.id]
    assert [f["conversation"]["archived"] for f in frames(chat, "alice-1")] == [True]  # it had come back


def test_the_change_feed_carries_the_callers_archived_state(chat: Chat, archive: ChatSettingsService) -> None:
    alice, bob = new_user(chat, "alice"), new_user(chat, "bob")
    direct, _ = chat.conversations.open_direct(alice, bob)
    send(chat, bob, direct.id)
    archive.set_archived(alice, direct.id, archived=True)
    assert chat.messages.changes(alice, direct.id, 0).conversation.archived is True
    assert chat.messages.changes(bob, direct.id, 0).conversation.archived is False


def test_only_members_archive(chat: Chat, archive: ChatSettingsService) -> None:
    # Given a group alice runs, from which she removed dave
    alice, bob, dave, mallory = (new_user(chat, n) for n in ("alice", "bob", "dave", "mallory"))
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="G", memberIds=[bob, dave]))
    groups = chat.services.groups
    groups.remove_member(alice, group.id, dave)

    # Then a stranger and the removed member are refused, an unknown id is not found
    for stranger in (mallory, dave):
        for archived in (True, False):
            with pytest.raises(Forbidden):
                archive.set_archived(stranger, group.id, archived=archived)
    with pytest.raises(NotFound):
        archive.set_archived(alice, "nope", archived=True)
    assert archive.set_archived(bob, group.id, archived=True).archived is True


def test_frames_pushed_to_every_member_leave_the_archived_state_out(chat: Chat, archive: ChatSettingsService) -> None:
    # A rename goes to every member alike: it cannot say whose archive it is in
    alice, bob = new_user(chat, "alice"), new_user(chat, "bob")
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="G", memberIds=[bob]))
    archive.set_archived(bob, group.id, archived=True)
    connect(chat, bob, "bob-1")
    groups = chat.services.groups

    renamed = groups.rename(alice, group.id, "Renamed")

    (frame,) = frames(chat, "bob-1")
    assert (frame["type"], frame["conversation"]["archived"]) == ("conversationUpdated", None)
    assert renamed.archived is False  # alice's own view
    assert archived_list(chat, bob) == [group.id]  # a rename is no message


def test_both_lists_page_with_their_own_cursors(chat: Chat, archive: ChatSettingsService) -> None:
    # Given six chats of alice's, the even ones archived
    alice = new_user(chat, "alice")
    chats = []
    for i in range(6):
        other = new_user(chat, f"user{i}")
        direct, _ = chat.conversations.open_direct(alice, other)
        send(chat, other, direct.id)
        chats.append(direct.id)
    for conversation_id in chats[::2]:
        archive.set_archived(alice, conversation_id, archived=True)

    # When each list is read two at a time
    def read_all(archived: bool) -> list[list[str]]:
        pages, cursor = [], None
        while True:
            page = chat.conversations.list_for(alice, 2, cursor, archived=archived)
            pages.append([c.id for c in page.items])
            if page.nextCursor is None:
                return pages
            cursor = page.nextCursor

    # Then each gives its own, newest first, each once
    newest_first = chats[::-1]
    assert read_all(False) == [[newest_first[0], newest_first[2]], [newest_first[4]]]
    assert read_all(True) == [[newest_first[1], newest_first[3]], [newest_first[5]]]
