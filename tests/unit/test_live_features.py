"""Receipts, edits and deletions, reactions, group membership, presence and catching up,
run on the in-memory fakes."""

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from chat.clock import utc_now
from chat.models.api import CreateGroupRequest, SendMessageRequest, SignupRequest
from chat.models.chat import Attachment, Connection, Message, Receipt
from chat.models.errors import Conflict, Forbidden, InvalidRequest, NotFound
from chat.services.groups import GroupService
from chat.services.ids import new_id
from chat.services.message_changes import MessageChangeService
from chat.services.presence import PresenceService
from chat.services.reactions import MAX_EMOJI_PER_MESSAGE, is_emoji
from chat.services.receipts import AUTHOR_LOOKBACK, ReceiptService
from tests.unit.conftest import Chat


@dataclass
class Live:
    receipts: ReceiptService
    changes: MessageChangeService
    groups: GroupService
    presence: PresenceService


@pytest.fixture
def live(chat: Chat) -> Live:
    services = chat.services
    return Live(
        receipts=services.receipts,
        changes=services.message_changes,
        groups=services.groups,
        presence=services.presence,
    )


def new_user(chat: Chat, name: str) -> str:
    return chat.auth.signup(SignupRequest(username=name, password="password1")).user.id


def connect(chat: Chat, user_id: str, connection_id: str) -> None:
    chat.connections.add(Connection(connectionId=connection_id, userId=user_id), utc_now() - timedelta(minutes=5))


def frames(chat: Chat, connection_id: str) -> list[dict[str, Any]]:
    return [json.loads(f) for f in chat.pusher.frames.get(connection_id, [])]


def send(chat: Chat, sender: str, group: str, text: str = "hi") -> Message:
    return chat.messages.send_message(sender, SendMessageRequest(conversationId=group, text=text)).message


@dataclass
class Trio:
    alice: str
    bob: str
    carol: str
    group: str


SOCKETS = ("alice-phone", "alice-laptop", "bob-1", "carol-1")


@pytest.fixture
def trio(chat: Chat) -> Trio:
    """alice (the admin), bob and carol in a group, alice on two devices."""
    alice, bob, carol = new_user(chat, "alice"), new_user(chat, "bob"), new_user(chat, "carol")
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="Trio", memberIds=[bob, carol]))
    for user, socket in zip((alice, alice, bob, carol), SOCKETS, strict=True):
        connect(chat, user, socket)
    return Trio(alice, bob, carol, group.id)


# --- receipts ------------------------------------------------------------------------------


def test_a_receipt_goes_to_the_readers_other_devices_and_the_authors_it_covers(
    chat: Chat, live: Live, trio: Trio
) -> None:
    # Given alice's seqs 1-2 and carol's seq 3, bob on two devices
    send(chat, trio.alice, trio.group)
    send(chat, trio.alice, trio.group)
    send(chat, trio.carol, trio.group)
    connect(chat, trio.bob, "bob-2")
    chat.pusher.frames.clear()
    version = chat.conversations.get(trio.bob, trio.group).version

    # When bob reads up to 2 from one device
    receipt = live.receipts.mark(trio.bob, trio.group, read=2, from_connection="bob-1")

    # Then alice (the author of 1-2) and bob's other device hear it; carol, whose message
    # it does not cover, does not; nor does the conversation's version or log move
    assert receipt == Receipt(deliveredSeq=2, readSeq=2)  # reading implies delivered
    expected = {"type": "receipt", "conversationId": trio.group, "userId": trio.bob, "deliveredSeq": 2, "readSeq": 2}
    for socket in ("alice-phone", "alice-laptop", "bob-2"):
        assert frames(chat, socket) == [expected]
    assert frames(chat, "bob-1") == []
    assert frames(chat, "carol-1") == []
    assert chat.receipt_store.receipts[(trio.group, trio.bob)] == Receipt(deliveredSeq=2, readSeq=2)
    assert chat.conversations.get(trio.bob, trio.group).version == version

    # When bob's delivered cursor moves past carol's message: now carol hears it, alice does not
    chat.pusher.frames.clear()
    live.receipts.mark(trio.bob, trio.group, delivered=3, from_connection="bob-1")
    assert [f["deliveredSeq"] for f in frames(chat, "carol-1")] == [3]
    assert frames(chat, "alice-phone") == []


def test_in_a_group_each_member_sees_only_their_own_receipt_and_asks_for_the_rest(
    chat: Chat, live: Live, trio: Trio
) -> None:
    send(chat, trio.alice, trio.group)
    live.receipts.mark(trio.bob, trio.group, read=1)
    live.receipts.mark(trio.carol, trio.group, delivered=1)

    assert chat.conversations.get(trio.bob, trio.group).receipts == {trio.bob: Receipt(deliveredSeq=1, readSeq=1)}
    assert chat.conversations.get(trio.alice, trio.group).receipts == {}
    assert chat.conversations.receipts(trio.alice, trio.group) == {
        trio.alice: Receipt(),
        trio.bob: Receipt(deliveredSeq=1, readSeq=1),
        trio.carol: Receipt(deliveredSeq=1, readSeq=0),
    }
    eve = new_user(chat, "eve")
    with pytest.raises(Forbidden):
        chat.conversations.receipts(eve, trio.group)


def test_in_a_direct_chat_both_see_both_receipts(chat: Chat, live: Live, trio: Trio) -> None:
    message = chat.messages.send_message(trio.alice, SendMessageRequest(receiverId=trio.bob, text="hi")).message
    chat.pusher.frames.clear()

    live.receipts.mark(trio.bob, message.conversationId, read=1, from_connection="bob-1")

    assert [f["readSeq"] for f in frames(chat, "alice-phone")] == [1]
    for reader in (trio.alice, trio.bob):
        assert chat.conversations.get(reader, message.conversationId).receipts == {
            trio.bob: Receipt(deliveredSeq=1, readSeq=1)
        }


def test_cursors_stored_on_the_conversation_before_receipt_records_are_never_moved_back(
    chat: Chat, live: Live, trio: Trio
) -> None:
    # Given a group whose document still holds bob's cursors from before receipts had records
    for _ in range(4):
        send(chat, trio.carol, trio.group)
    stored = chat.conversation_store.conversations[trio.group]
    legacy = {trio.bob: Receipt(deliveredSeq=3, readSeq=3)}
    stored.conversation = stored.conversation.model_copy(update={"receipts": legacy})
    chat.pusher.frames.clear()

    # When bob reads up to 2, then up to 4
    assert live.receipts.mark(trio.bob, trio.group, read=2) == Receipt(deliveredSeq=3, readSeq=3)
    assert chat.pusher.frames == {}  # nothing moved: nobody is told
    assert chat.conversations.get(trio.bob, trio.group).receipts[trio.bob] == Receipt(deliveredSeq=3, readSeq=3)
    assert live.receipts.mark(trio.bob, trio.group, read=4) == Receipt(deliveredSeq=4, readSeq=4)

    # Then only what is new since the old cursors is announced
    assert [(f["deliveredSeq"], f["readSeq"]) for f in frames(chat, "carol-1")] == [(4, 4)]


def test_a_first_read_of_a_long_history_looks_up_only_recent_authors(chat: Chat, live: Live, trio: Trio) -> None:
    send(chat, trio.alice, trio.group, "long ago")
    for _ in range(AUTHOR_LOOKBACK):
        send(chat, trio.carol, trio.group)
    chat.pusher.frames.clear()

    live.receipts.mark(trio.bob, trio.group, read=AUTHOR_LOOKBACK + 1)

    assert len(frames(chat, "carol-1")) == 1
    assert frames(chat, "alice-phone") == []  # her message is past the lookback: she sees it when she looks


def test_a_receipt_that_moves_nothing_tells_no_one(chat: Chat, live: Live, trio: Trio) -> None:
    for _ in range(3):
        send(chat, trio.alice, trio.group)
    live.receipts.mark(trio.bob, trio.group, delivered=3, read=2, from_connection="bob-1")
    chat.pusher.frames.clear()

    # the same again, or behind where it is: the cursors as they are, and silence
    assert live.receipts.mark(trio.bob, trio.group, delivered=3) == Receipt(deliveredSeq=3, readSeq=2)
    assert live.receipts.mark(trio.bob, trio.group, read=1) == Receipt(deliveredSeq=3, readSeq=2)
    assert live.receipts.mark(trio.bob, trio.group, delivered=1, read=1) == Receipt(deliveredSeq=3, readSeq=2)
    assert chat.pusher.frames == {}


def test_receipts_past_last_seq_by_strangers_or_for_nothing_are_refused(chat: Chat, live: Live, trio: Trio) -> None:
    send(chat, trio.alice, trio.group)
    eve = new_user(chat, "eve")
    connect(chat, eve, "eve-1")
    chat.pusher.frames.clear()
    with pytest.raises(InvalidRequest):
        live.receipts.mark(trio.bob, trio.group, read=2)
    with pytest.raises(InvalidRequest):
        live.receipts.mark(trio.bob, trio.group, delivered=2)
    with pytest.raises(Forbidden):
        live.receipts.mark(eve, trio.group, delivered=1)
    with pytest.raises(NotFound):
        live.receipts.mark(trio.bob, "nope", delivered=1)
    assert chat.pusher.frames == {}
    assert chat.receipt_store.receipts == {}


# --- edits and deletions ---------------------------------------------------------------------


def test_only_the_sender_edits_and_every_member_socket_hears_it(chat: Chat, live: Live, trio: Trio) -> None:
    original = send(chat, trio.alice, trio.group, "helo")
    chat.pusher.frames.clear()
    with pytest.raises(Forbidden):
        live.changes.edit(trio.bob, original.id, "hacked")
    with pytest.raises(NotFound):
        live.changes.edit(trio.alice, "nope", "x")
    assert chat.pusher.frames == {}

    edited = live.changes.edit(trio.alice, original.id, "hello")

    assert (edited.id, edited.text, edited.revision, edited.seq) == (original.id, "hello", 1, original.seq)
    assert edited.editedAt is not None
    # with the conversation's version the edit gave it (the send was 1)
    expected = {"type": "messageUpdated", "message": edited.model_dump(mode="json"), "version": 2}
    for socket in SOCKETS:  # the sender's sockets too
        assert frames(chat, socket) == [expected]
    found = chat.conversation_store.change_log(trio.group)
    assert found is not None
    conversation, log = found
    assert log[-1] == (conversation.version, original.id)
    assert conversation.lastMessage == edited  # it was the last message


def test_an_edit_needs_visible_text_unless_the_message_has_files(chat: Chat, live: Live, trio: Trio) -> None:
    text_only = send(chat, trio.alice, trio.group, "words")
    with pytest.raises(InvalidRequest):
        live.changes.edit(trio.alice, text_only.id, "   ")
    with pytest.raises(InvalidRequest):
        live.changes.edit(trio.alice, text_only.id, "")
    assert chat.message_store.get(text_only.id) == text_only

    allocation = chat.conversation_store.allocate_seq(trio.group, trio.alice)
    assert allocation is not None
    with_file = Message(
        id=new_id(), conversationId=trio.group, senderId=trio.alice, text="caption", clientMsgId="f1",
        seq=allocation.seq, createdAt=utc_now(),
        attachments=[Attachment(mediaId="media1", name="cat.png", contentType="image/png", size=10)],
    )  # fmt: skip
    chat.message_store.insert(with_file)
    chat.conversation_store.record_change(with_file, new=True)
    edited = live.changes.edit(trio.alice, with_file.id, "")
    assert (edited.text, edited.revision) == ("", 1)
    assert [a.mediaId for a in edited.attachments] == ["media1"]
    assert edited.attachments[0].url is not None  # members get a signed link


def test_delete_leaves_a_tombstone_for_everyone_and_only_once(chat: Chat, live: Live, trio: Trio) -> None:
    message = send(chat, trio.alice, trio.group, "oops")
    live.changes.react(trio.bob, message.id, "👍", on=True)
    chat.pusher.frames.clear()
    with pytest.raises(Forbidden):
        live.changes.delete(trio.bob, message.id)

    tombstone = live.changes.delete(trio.alice, message.id)

    assert (tombstone.text, tombstone.attachments, tombstone.reactions) == ("", [], {})
    assert tombstone.deletedAt is not None
    assert (tombstone.seq, tombstone.revision) == (message.seq, 2)
    for socket in SOCKETS:
        assert frames(chat, socket) == [
            {"type": "messageUpdated", "message": tombstone.model_dump(mode="json"), "version": 3}
        ]
    chat.pusher.frames.clear()
    with pytest.raises(Conflict):
        live.changes.delete(trio.alice, message.id)
    with pytest.raises(Conflict):
        live.changes.edit(trio.alice, message.id, "back")
    with pytest.raises(Conflict):
        live.changes.react(trio.bob, message.id, "❤️", on=True)
    assert chat.pusher.frames == {}
    assert chat.message_store.get(message.id) == tombstone


# --- reactions --------------------------------------------------------------------------------


def test_any_member_reacts_and_doing_it_twice_is_one_change(chat: Chat, live: Live, trio: Trio) -> None:
    message = send(chat, trio.alice, trio.group)
    chat.pusher.frames.clear()

    first = live.changes.react(trio.bob, message.id, "👍", on=True)
    again = live.changes.react(trio.bob, message.id, "👍", on=True)

    assert (first.reactions, first.revision) == ({"👍": [trio.bob]}, 1)
    assert again == first
    for socket in SOCKETS:
        assert frames(chat, socket) == [
            {"type": "messageUpdated", "message": first.model_dump(mode="json"), "version": 2}
        ]

    live.changes.react(trio.carol, message.id, "👍", on=True)
    back = live.changes.react(trio.bob, message.id, "👍", on=False)
    assert (back.reactions, back.revision) == ({"👍": [trio.carol]}, 3)
    gone = live.changes.react(trio.carol, message.id, "👍", on=False)
    assert gone.reactions == {}
    assert len(frames(chat, "bob-1")) == 4


@pytest.mark.parametrize("emoji", ["a", "👍👍", "", " 👍", "👍 ", ":+1:", "a.b", "$set"])
def test_a_reaction_must_be_one_emoji(chat: Chat, live: Live, trio: Trio, emoji: str) -> None:
    message = send(chat, trio.alice, trio.group)
    with pytest.raises(InvalidRequest):
        live.changes.react(trio.bob, message.id, emoji, on=True)
    assert chat.message_store.get(message.id) == message


def test_at_most_20_different_emoji_per_message(chat: Chat, live: Live, trio: Trio) -> None:
    message = send(chat, trio.alice, trio.group)
    emoji = [chr(0x1F600 + index) for index in range(MAX_EMOJI_PER_MESSAGE + 1)]
    for one in emoji[:MAX_EMOJI_PER_MESSAGE]:
        live.changes.react(trio.bob, message.id, one, on=True)
    with pytest.raises(InvalidRequest):
        live.changes.react(trio.bob, message.id, emoji[-1], on=True)
    # one already there may still gain people
    more = live.changes.react(trio.carol, message.id, emoji[0], on=True)
    assert len(more.reactions) == MAX_EMOJI_PER_MESSAGE
    assert more.reactions[emoji[0]] == [trio.bob, trio.carol]
    assert emoji[-1] not in more.reactions


def test_strangers_cannot_react_and_unknown_messages_are_not_found(chat: Chat, live: Live, trio: Trio) -> None:
    message = send(chat, trio.alice, trio.group)
    eve = new_user(chat, "eve")
    with pytest.raises(Forbidden):
        live.changes.react(eve, message.id, "👍", on=True)
    with pytest.raises(NotFound):
        live.changes.react(trio.bob, "nope", "👍", on=True)
    assert chat.message_store.get(message.id) == message


GOOD_EMOJI = ["👍", "❤️", "❤", "😂", "😮", "😢", "🙏", "👍🏽", "🏳️‍🌈", "🇫🇷", "1️⃣", "#️⃣", "👨‍👩‍👧", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "⭐", "☺️"]
BAD_EMOJI = [
    "",
    "a",
    "1",
    "ab",
    "👍👍",
    "👍 👍",
    "👍 ",
    " ",
    "🏽",  # a skin tone alone
    "\u200d👍",  # starts with a joiner
    "\ufe0f",
    "🇫🇷🇩🇪",  # two flags
    "😂x",
    "<b>",
    ".",
    "$",
    "e\u0301",  # letters, decomposed
]


@pytest.mark.parametrize("text", GOOD_EMOJI)
def test_is_emoji_accepts_one_emoji(text: str) -> None:
    assert is_emoji(text)


@pytest.mark.parametrize("text", BAD_EMOJI)
def test_is_emoji_refuses_anything_else(text: str) -> None:
    assert not is_emoji(text)


# Sequences that are not one whole emoji, though made of emoji parts: a digit with only a
# variation selector is a plain "1", and a dangling joiner makes a second "👍" reaction
# that looks just like the first.
MALFORMED_EMOJI = ["1\ufe0f", "#\ufe0f", "👍\u200d", "👍\u200d\u200d👍"]


@pytest.mark.parametrize("text", MALFORMED_EMOJI)
def test_is_emoji_refuses_malformed_sequences(text: str) -> None:
    assert not is_emoji(text)


# --- groups --------------------------------------------------------------------------------------


def test_the_creator_is_the_admin(chat: Chat, trio: Trio) -> None:
    group = chat.conversations.get(trio.bob, trio.group)
    assert group.adminIds == [trio.alice]
    direct, _ = chat.conversations.open_direct(trio.alice, trio.bob)
    assert direct.adminIds == []


def test_only_an_admin_adds_and_every_member_hears_it(chat: Chat, live: Live, trio: Trio) -> None:
    dave = new_user(chat, "dave")
    connect(chat, dave, "dave-1")
    with pytest.raises(Forbidden):
        live.groups.add_members(trio.bob, trio.group, [dave])
    with pytest.raises(NotFound):
        live.groups.add_members(trio.alice, trio.group, ["ghost"])
    assert chat.pusher.frames == {}

    added = live.groups.add_members(trio.alice, trio.group, [dave])

    assert added.memberIds == [trio.alice, trio.bob, trio.carol, dave]
    assert added.unreadCount == 0  # the caller's view
    for socket in (*SOCKETS, "dave-1"):
        (frame,) = frames(chat, socket)
        assert frame["type"] == "conversationUpdated"
        pushed = frame["conversation"]
        assert pushed["memberIds"] == added.memberIds
        assert pushed["unreadCount"] is None
        assert pushed["version"] == added.version
        assert "formerMembers" not in pushed


def test_only_an_admin_renames(chat: Chat, live: Live, trio: Trio) -> None:
    with pytest.raises(Forbidden):
        live.groups.rename(trio.bob, trio.group, "Mine")
    with pytest.raises(NotFound):
        live.groups.rename(trio.alice, "nope", "Mine")
    renamed = live.groups.rename(trio.alice, trio.group, "  Team  ")
    assert renamed.name == "Team"
    for socket in SOCKETS:
        (frame,) = frames(chat, socket)
        assert frame["type"] == "conversationUpdated"
        assert frame["conversation"]["name"] == "Team"


def test_a_new_group_is_shown_to_its_members_at_once(chat: Chat, live: Live) -> None:
    ann, ben = new_user(chat, "ann"), new_user(chat, "ben")
    connect(chat, ann, "ann-1")
    connect(chat, ben, "ben-1")

    group = live.groups.create(ann, CreateGroupRequest(name="Lunch", memberIds=[ben]))

    for socket in ("ann-1", "ben-1"):  # the creator's other devices too
        assert [(f["type"], f["conversation"]["id"]) for f in frames(chat, socket)] == [
            ("conversationUpdated", group.id)
        ]
    assert frames(chat, "ben-1")[0]["conversation"]["unreadCount"] is None


def test_someone_added_back_finds_their_receipt_where_they_left_it(chat: Chat, live: Live, trio: Trio) -> None:
    for _ in range(2):
        send(chat, trio.alice, trio.group)
    live.receipts.mark(trio.carol, trio.group, read=2)
    live.groups.remove_member(trio.alice, trio.group, trio.carol)
    send(chat, trio.alice, trio.group)

    live.groups.add_members(trio.alice, trio.group, [trio.carol])

    back = chat.conversations.get(trio.carol, trio.group)
    assert back.receipts == {trio.carol: Receipt(deliveredSeq=2, readSeq=2)}
    assert back.unreadCount == 1  # only what came after


def test_a_removed_member_is_told_then_reads_only_up_to_their_removal(chat: Chat, live: Live, trio: Trio) -> None:
    before = [send(chat, trio.alice, trio.group, "from alice"), send(chat, trio.carol, trio.group, "from carol")]
    chat.pusher.frames.clear()
    with pytest.raises(Forbidden):
        live.groups.remove_member(trio.bob, trio.group, trio.carol)  # bob is no admin

    result = live.groups.remove_member(trio.alice, trio.group, trio.carol)

    assert result.memberIds == [trio.alice, trio.bob]
    for socket in SOCKETS:  # carol too, though she is no longer a member
        (frame,) = frames(chat, socket)
        assert frame["type"] == "conversationUpdated"
        assert frame["conversation"]["memberIds"] == [trio.alice, trio.bob]
    chat.pusher.frames.clear()

    after = send(chat, trio.alice, trio.group, "after")
    assert frames(chat, "carol-1") == []  # no pushes any more
    with pytest.raises(Forbidden):
        send(chat, trio.carol, trio.group, "let me back")
    assert [m.id for m in chat.messages.history(trio.carol, trio.group, 50, None, None).items] == [m.id for m in before]
    assert chat.messages.history(trio.carol, trio.group, 50, None, 2).items == []
    assert chat.messages.history(trio.bob, trio.group, 50, None, 2).items == [after]
    with pytest.raises(Forbidden):
        chat.messages.changes(trio.carol, trio.group, 0)
    with pytest.raises(Forbidden):
        live.changes.edit(trio.carol, before[1].id, "mine")  # not even her own message
    with pytest.raises(Forbidden):
        live.receipts.mark(trio.carol, trio.group, delivered=1)


def test_a_member_may_leave_and_the_last_admin_leaving_promotes_the_first_member(
    chat: Chat, live: Live, trio: Trio
) -> None:
    dave = new_user(chat, "dave")
    live.groups.add_members(trio.alice, trio.group, [dave])
    live.groups.remove_member(trio.bob, trio.group, trio.bob)  # bob leaves: no admin needed
    chat.pusher.frames.clear()

    live.groups.remove_member(trio.alice, trio.group, trio.alice)

    stored = chat.conversation_store.get(trio.group)
    assert stored is not None
    assert stored.memberIds == [trio.carol, dave]
    assert stored.adminIds == [trio.carol]
    (frame,) = frames(chat, "alice-laptop")  # the leaver hears it too
    assert frame["conversation"]["adminIds"] == [trio.carol]
    # the new admin can run the group
    assert live.groups.rename(trio.carol, trio.group, "Carol's").name == "Carol's"


def test_a_direct_conversation_has_no_membership_to_change(chat: Chat, live: Live, trio: Trio) -> None:
    direct, _ = chat.conversations.open_direct(trio.alice, trio.bob)
    with pytest.raises(InvalidRequest):
        live.groups.add_members(trio.alice, direct.id, [trio.carol])
    with pytest.raises(InvalidRequest):
        live.groups.remove_member(trio.alice, direct.id, trio.bob)
    with pytest.raises(InvalidRequest):
        live.groups.remove_member(trio.alice, direct.id, trio.alice)
    with pytest.raises(InvalidRequest):
        live.groups.rename(trio.alice, direct.id, "Us")
    assert chat.conversations.get(trio.alice, direct.id).memberIds == [trio.alice, trio.bob]


# --- presence ------------------------------------------------------------------------------------


def test_presence_changes_on_the_first_and_last_socket_only(chat: Chat, live: Live) -> None:
    alice, bob, carol = new_user(chat, "alice"), new_user(chat, "bob"), new_user(chat, "carol")
    chat.conversations.open_direct(alice, bob)
    connect(chat, bob, "bob-1")
    connect(chat, carol, "carol-1")  # shares nothing with alice

    live.presence.connected(Connection(connectionId="alice-1", userId=alice))
    online = {"type": "presence", "userId": alice, "online": True, "lastSeenAt": None}
    assert frames(chat, "bob-1") == [online]
    assert frames(chat, "carol-1") == []
    assert frames(chat, "alice-1") == []
    assert chat.users.users[alice].online

    live.presence.connected(Connection(connectionId="alice-2", userId=alice))
    live.presence.disconnected("alice-1", alice)
    assert frames(chat, "bob-1") == [online]  # nothing new: still online on alice-2
    assert chat.users.users[alice].online

    live.presence.disconnected("alice-2", alice)
    user = chat.users.users[alice]
    assert not user.online
    assert user.lastSeenAt is not None
    offline = {
        "type": "presence",
        "userId": alice,
        "online": False,
        "lastSeenAt": user.model_dump(mode="json")["lastSeenAt"],
    }
    assert frames(chat, "bob-1") == [online, offline]
    assert frames(chat, "carol-1") == []
    assert chat.connections.for_users([alice]) == []


# --- catching up ---------------------------------------------------------------------------------


def test_changes_lists_what_changed_since_a_version_as_it_is_now(chat: Chat, live: Live, trio: Trio) -> None:
    first, second, untouched = (send(chat, trio.alice, trio.group, str(i)) for i in range(3))
    since = chat.conversations.get(trio.bob, trio.group).version

    live.changes.edit(trio.alice, first.id, "first, edited")
    live.changes.react(trio.carol, second.id, "👍", on=True)
    live.changes.edit(trio.alice, first.id, "first, edited twice")
    newest = send(chat, trio.carol, trio.group, "new")
    live.receipts.mark(trio.carol, trio.group, read=4)
    live.groups.rename(trio.alice, trio.group, "Renamed")

    page = chat.messages.changes(trio.bob, trio.group, since)

    assert not page.resync
    # every change but the receipt, which is not the conversation's to count
    assert page.cursor == page.conversation.version == since + 5
    assert [(m.id, m.text, m.revision) for m in page.messages] == [
        (first.id, "first, edited twice", 2),
        (second.id, second.text, 1),
        (newest.id, "new", 0),
    ]
    assert page.messages[1].reactions == {"👍": [trio.carol]}
    assert untouched.id not in [m.id for m in page.messages]
    assert page.conversation.name == "Renamed"
    assert page.conversation.receipts == {}  # a group's others' receipts are asked for on demand
    assert page.conversation.unreadCount == 4  # bob read nothing
    # from the cursor on: nothing
    latest = chat.messages.changes(trio.bob, trio.group, page.cursor)
    assert (latest.messages, latest.cursor, latest.resync) == ([], page.cursor, False)
    # from the start: every message
    everything = chat.messages.changes(trio.bob, trio.group, 0)
    assert [m.seq for m in everything.messages] == [1, 2, 3, 4]
    assert not everything.resync


def test_changes_asks_for_a_resync_when_the_cursor_is_off_the_log(chat: Chat, live: Live, trio: Trio) -> None:
    message = send(chat, trio.alice, trio.group)
    for index in range(300):
        live.changes.edit(trio.alice, message.id, f"edit {index}")
    version = chat.conversations.get(trio.bob, trio.group).version
    assert version == 301

    oldest_kept = chat.messages.changes(trio.bob, trio.group, version - 256)
    assert not oldest_kept.resync
    assert [m.text for m in oldest_kept.messages] == ["edit 299"]
    for since in (0, version - 257, version + 1):
        page = chat.messages.changes(trio.bob, trio.group, since)
        assert page.resync, since
        assert page.messages == []
        assert page.cursor == version
        assert page.conversation.version == version
    with pytest.raises(NotFound):
        chat.messages.changes(trio.bob, "nope", 0)


# --- unread counts -------------------------------------------------------------------------------


def test_unread_counts_others_messages_after_the_read_cursor(chat: Chat, live: Live, trio: Trio) -> None:
    sent = [send(chat, trio.alice, trio.group, str(i)) for i in range(3)]
    send(chat, trio.bob, trio.group, "mine")
    assert chat.conversations.get(trio.bob, trio.group).unreadCount == 3  # not his own
    assert chat.conversations.get(trio.alice, trio.group).unreadCount == 1
    listed = chat.conversations.list_for(trio.bob, 10, None).items
    assert [(c.id, c.unreadCount) for c in listed] == [(trio.group, 3)]

    live.changes.delete(trio.alice, sent[2].id)
    assert chat.conversations.get(trio.bob, trio.group).unreadCount == 2  # a deleted one is not unread

    live.receipts.mark(trio.bob, trio.group, read=1)
    assert chat.conversations.get(trio.bob, trio.group).unreadCount == 1
    live.receipts.mark(trio.bob, trio.group, read=4)
    assert chat.conversations.get(trio.bob, trio.group).unreadCount == 0
    assert chat.conversations.get(trio.carol, trio.group).unreadCount == 3  # 2 of alice's and bob's
