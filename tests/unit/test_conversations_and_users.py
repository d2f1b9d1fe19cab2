import time

import pytest

from chat.models.api import CreateGroupRequest, SendMessageRequest, SignupRequest
from chat.models.errors import InvalidRequest, NotFound
from tests.unit.conftest import Chat


def new_user(chat: Chat, name: str, display: str | None = None) -> str:
    return chat.auth.signup(SignupRequest(username=name, password="password1", displayName=display)).user.id


def test_group_includes_the_creator_once(chat: Chat) -> None:
    alice, bob = new_user(chat, "alice"), new_user(chat, "bob")
    group = chat.conversations.create_group(alice, CreateGroupRequest(name=" Team ", memberIds=[bob, alice, bob]))
    assert group.memberIds == [alice, bob]
    assert (group.type, group.name, group.createdBy, group.lastSeq, group.lastMessage) == (
        "group",
        "Team",
        alice,
        0,
        None,
    )


def test_group_needs_another_member(chat: Chat) -> None:
    alice = new_user(chat, "alice")
    with pytest.raises(InvalidRequest):
        chat.conversations.create_group(alice, CreateGroupRequest(name="Solo", memberIds=[alice]))


def test_group_members_must_exist(chat: Chat) -> None:
    alice = new_user(chat, "alice")
    with pytest.raises(NotFound, match="ghost"):
        chat.conversations.create_group(alice, CreateGroupRequest(name="G", memberIds=["ghost"]))


def test_group_of_more_than_1000_is_refused(chat: Chat) -> None:
    alice = new_user(chat, "alice")
    with pytest.raises(InvalidRequest):
        chat.conversations.create_group(alice, CreateGroupRequest(name="Big", memberIds=[f"u{i}" for i in range(1000)]))


def test_direct_conversation_is_the_same_whoever_asks(chat: Chat) -> None:
    alice, bob = new_user(chat, "alice"), new_user(chat, "bob")
    created, was_new = chat.conversations.open_direct(alice, bob)
    again, again_new = chat.conversations.open_direct(bob, alice)
    assert was_new
    assert not again_new
    assert again.id == created.id
    assert created.type == "direct"
    assert created.name is None


def test_conversations_list_by_recent_activity_with_cursor(chat: Chat) -> None:
    alice, bob, carol = new_user(chat, "alice"), new_user(chat, "bob"), new_user(chat, "carol")
    with_bob, _ = chat.conversations.open_direct(alice, bob)
    with_carol, _ = chat.conversations.open_direct(alice, carol)
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="G", memberIds=[bob, carol]))
    time.sleep(0.002)  # timestamps have millisecond resolution: keep the newest activity strictly newest
    chat.messages.send_message(bob, SendMessageRequest(conversationId=with_bob.id, text="latest"))

    first = chat.conversations.list_for(alice, 2, None)
    assert first.items[0].id == with_bob.id
    assert first.items[0].lastMessage is not None
    assert first.items[0].lastMessage.text == "latest"
    assert first.nextCursor
    rest = chat.conversations.list_for(alice, 2, first.nextCursor)
    assert rest.nextCursor is None
    # the quiet two may share a millisecond; together the pages hold each exactly once
    assert sorted(c.id for c in [*first.items[1:], *rest.items]) == sorted([group.id, with_carol.id])


@pytest.mark.parametrize("cursor", ["!!!", "bm90IGpzb24", "WzFd"])
def test_bad_cursor_is_a_clear_error(chat: Chat, cursor: str) -> None:
    alice = new_user(chat, "alice")
    with pytest.raises(InvalidRequest, match="cursor"):
        chat.conversations.list_for(alice, 10, cursor)
    with pytest.raises(InvalidRequest, match="cursor"):
        chat.user_service.search(alice, None, 10, "WzFd")


def test_contact_search_by_prefix_pages_and_leaves_out_the_caller(chat: Chat) -> None:
    me = new_user(chat, "alex")
    for name, display in [("alice", None), ("bob", "Alfred Bob"), ("carl", None), ("alina", None)]:
        new_user(chat, name, display)
    page = chat.user_service.search(me, "al", 2, None)
    assert [u.username for u in page.items] == ["alice", "alina"]
    rest = chat.user_service.search(me, "al", 2, page.nextCursor)
    assert [u.username for u in rest.items] == ["bob"]
    assert rest.nextCursor is None


def test_unknown_user_is_not_found(chat: Chat) -> None:
    with pytest.raises(NotFound):
        chat.user_service.get("someone", "ghost")


def test_presence_shows_only_to_people_who_share_a_conversation(chat: Chat) -> None:
    # Given alice and bob in a direct chat, carol a stranger to both, everyone online
    alice, bob, carol = (
        chat.auth.signup(SignupRequest(username=name, password="password1")).user.id
        for name in ("alice", "bob", "carol")
    )
    chat.conversations.open_direct(alice, bob)
    for user in (alice, bob, carol):
        chat.users.mark_online(user)

    # Then bob sees alice online; carol sees her only as a profile, by id or by search
    assert chat.user_service.get(bob, alice).online
    stranger_view = chat.user_service.get(carol, alice)
    assert (stranger_view.online, stranger_view.lastSeenAt) == (False, None)
    found = {user.username: user.online for user in chat.user_service.search(carol, None, 10, None).items}
    assert found == {"alice": False, "bob": False}
    found = {user.username: user.online for user in chat.user_service.search(bob, None, 10, None).items}
    assert found == {"alice": True, "carol": False}
    assert chat.user_service.get(carol, carol).online  # your own, always
