import json
import threading
from datetime import timedelta

import pytest

from chat.clock import utc_now
from chat.models.api import CreateGroupRequest, SendMessageRequest, SignupRequest
from chat.models.chat import Connection, Message
from chat.models.errors import Forbidden, InvalidRequest, NotFound
from chat.services.messages import SETTLE_WINDOW
from tests.unit.conftest import Chat


def new_user(chat: Chat, name: str) -> str:
    return chat.auth.signup(SignupRequest(username=name, password="password1")).user.id


def connect(chat: Chat, user_id: str, connection_id: str, minutes_ago: int = 5) -> None:
    connected_at = utc_now() - timedelta(minutes=minutes_ago)
    chat.connections.add(Connection(connectionId=connection_id, userId=user_id), connected_at)


def frames(chat: Chat, connection_id: str) -> list[dict[str, object]]:
    return [json.loads(f) for f in chat.pusher.frames.get(connection_id, [])]


@pytest.fixture
def trio(chat: Chat) -> tuple[str, str, str, str]:
    alice, bob, carol = new_user(chat, "alice"), new_user(chat, "bob"), new_user(chat, "carol")
    group = chat.conversations.create_group(alice, CreateGroupRequest(name="Trio", memberIds=[bob, carol]))
    return alice, bob, carol, group.id


def test_group_send_reaches_every_other_socket_exactly_once(chat: Chat, trio: tuple[str, str, str, str]) -> None:
    alice, bob, carol, group = trio
    for user, socket in [(alice, "alice-phone"), (alice, "alice-laptop"), (bob, "bob-1"), (carol, "carol-1")]:
        connect(chat, user, socket)
    # When alice sends from her phone
    result = chat.messages.send_message(
        alice, SendMessageRequest(conversationId=group, text="hi all", clientMsgId="m1"), from_connection="alice-phone"
    )
    # Then her phone gets the ack, everyone else one messageReceived
    assert result.created
    # (each with the conversation's version the message gave it: the first change, 1)
    message = result.message.model_dump(mode="json")
    assert frames(chat, "alice-phone") == [
        {"type": "messageAck", "clientMsgId": "m1", "message": message, "version": 1}
    ]
    for socket in ("alice-laptop", "bob-1", "carol-1"):
        assert frames(chat, socket) == [{"type": "messageReceived", "message": message, "version": 1}]


def test_message_is_stored_before_anyone_hears_of_it(chat: Chat, trio: tuple[str, str, str, str]) -> None:
    alice, bob, _, group = trio
    connect(chat, bob, "bob-1")
    stored_when_pushed: list[bool] = []
    original_push = chat.pusher.push

    def push(connection_id: str, frame: bytes) -> None:
        message_id = json.loads(frame)["message"]["id"]
        stored_when_pushed.append(any(m.id == message_id for m in chat.message_store.messages))
        original_push(connection_id, frame)

    chat.pusher.push = push  # type: ignore[method-assign]
    chat.messages.send_message(alice, SendMessageRequest(conversationId=group, text="x"))
    assert stored_when_pushed == [True]


def test_resend_with_same_client_msg_id_returns_the_original_and_pushes_nothing(
    chat: Chat, trio: tuple[str, str, str, str]
) -> None:
    alice, bob, _, group = trio
    connect(chat, bob, "bob-1")
    request = SendMessageRequest(conversationId=group, text="once", clientMsgId="same")
    first = chat.messages.send_message(alice, request, from_connection="alice-1")
    again = chat.messages.send_message(alice, request, from_connection="alice-1")
    assert not again.created
    assert again.message == first.message
    assert len(frames(chat, "bob-1")) == 1
    assert len(chat.message_store.messages) == 1
    # both sends were acked with the original
    acks = frames(chat, "alice-1")
    assert [a["type"] for a in acks] == ["messageAck", "messageAck"]
    # the resend's ack carries no version: the original's already told it
    assert acks[0].pop("version") == 1
    assert acks[0] == acks[1]


def test_seq_strictly_increases_under_concurrent_sends(chat: Chat, trio: tuple[str, str, str, str]) -> None:
    alice, bob, _, group = trio
    seqs: list[int] = []

    def send(user: str) -> None:
        for i in range(25):
            seqs.append(
                chat.messages.send_message(user, SendMessageRequest(conversationId=group, text=str(i))).message.seq
            )

    threads = [threading.Thread(target=send, args=(u,)) for u in (alice, bob, alice, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seqs) == list(range(1, 101))
    history = chat.messages.history(alice, group, 100, None, None).items
    assert [m.seq for m in history] == list(range(1, 101))


def test_non_member_cannot_send_or_read(chat: Chat, trio: tuple[str, str, str, str]) -> None:
    _, _, _, group = trio
    mallory = new_user(chat, "mallory")
    with pytest.raises(Forbidden):
        chat.messages.send_message(mallory, SendMessageRequest(conversationId=group, text="let me in"))
    with pytest.raises(Forbidden):
        chat.messages.history(mallory, group, 50, None, None)
    assert chat.message_store.messages == []


def test_unknown_conversation_is_not_found(chat: Chat) -> None:
    alice = new_user(chat, "alice")
    with pytest.raises(NotFound):
        chat.messages.send_message(alice, SendMessageRequest(conversationId="nope", text="hello?"))


def test_receiver_id_opens_the_direct_chat_on_first_use(chat: Chat) -> None:
    alice, bob = new_user(chat, "alice"), new_user(chat, "bob")
    first = chat.messages.send_message(alice, SendMessageRequest(receiverId=bob, text="hi bob")).message
    reply = chat.messages.send_message(bob, SendMessageRequest(receiverId=alice, text="hi alice")).message
    assert first.conversationId == reply.conversationId
    assert (first.seq, reply.seq) == (1, 2)
    direct, created = chat.conversations.open_direct(alice, bob)
    assert not created
    assert direct.id == first.conversationId
    assert direct.lastMessage == reply


def test_receiver_must_exist_and_differ_from_sender(chat: Chat) -> None:
    alice = new_user(chat, "alice")
    with pytest.raises(NotFound):
        chat.messages.send_message(alice, SendMessageRequest(receiverId="ghost", text="boo"))
    with pytest.raises(InvalidRequest):
        chat.messages.send_message(alice, SendMessageRequest(receiverId=alice, text="me"))
    assert chat.conversation_store.conversations == {}


def test_gone_socket_is_deleted_and_the_send_still_succeeds(chat: Chat, trio: tuple[str, str, str, str]) -> None:
    alice, bob, carol, group = trio
    connect(chat, alice, "alice-1")
    connect(chat, bob, "bob-stale")
    connect(chat, carol, "carol-1")
    chat.pusher.gone.add("bob-stale")
    result = chat.messages.send_message(alice, SendMessageRequest(conversationId=group, text="x"), "alice-1")
    assert result.created
    assert set(chat.connections.connections) == {"alice-1", "carol-1"}
    assert len(frames(chat, "carol-1")) == 1


def test_a_socket_still_connecting_is_not_deleted_on_410(chat: Chat, trio: tuple[str, str, str, str]) -> None:
    # API Gateway answers 410 while $connect runs; the record it just wrote must survive.
    alice, bob, _, group = trio
    connect(chat, bob, "bob-connecting", minutes_ago=0)
    chat.pusher.gone.add("bob-connecting")
    assert chat.messages.send_message(alice, SendMessageRequest(conversationId=group, text="x")).created
    assert "bob-connecting" in chat.connections.connections


def test_failed_pushes_are_retried_then_given_up_without_losing_the_message(
    chat: Chat, trio: tuple[str, str, str, str]
) -> None:
    alice, bob, carol, group = trio
    connect(chat, bob, "bob-flaky")
    connect(chat, carol, "carol-down")
    chat.pusher.flaky.update({"bob-flaky": 2, "carol-down": 99})
    result = chat.messages.send_message(alice, SendMessageRequest(conversationId=group, text="x"))
    assert len(frames(chat, "bob-flaky")) == 1
    assert chat.pusher.attempts == {"bob-flaky": 3, "carol-down": 3}
    # carol's socket is not deleted (it is not gone), and she catches up from history
    assert "carol-down" in chat.connections.connections
    assert chat.messages.history(carol, group, 50, None, None).items == [result.message]


def test_history_pages_back_and_catches_up(chat: Chat, trio: tuple[str, str, str, str]) -> None:
    alice, _, _, group = trio
    for i in range(7):
        chat.messages.send_message(alice, SendMessageRequest(conversationId=group, text=str(i)))
    newest = chat.messages.history(alice, group, 3, None, None)
    assert [m.seq for m in newest.items] == [5, 6, 7]
    assert newest.nextBefore == 5
    older = chat.messages.history(alice, group, 3, newest.nextBefore, None)
    assert [m.seq for m in older.items] == [2, 3, 4]
    oldest = chat.messages.history(alice, group, 3, older.nextBefore, None)
    assert [m.seq for m in oldest.items] == [1]
    assert oldest.nextBefore is None
    caught_up = chat.messages.history(alice, group, 50, None, 4)
    assert [m.seq for m in caught_up.items] == [5, 6, 7]
    assert caught_up.nextBefore is None


def test_catch_up_never_passes_a_message_still_in_flight(chat: Chat, trio: tuple[str, str, str, str]) -> None:
    # Given two concurrent sends: seq 1 is reserved but not yet stored, seq 2 is stored
    alice, bob, _, group = trio
    slow = chat.conversation_store.allocate_seq(group, alice)
    assert slow is not None
    fast = chat.messages.send_message(bob, SendMessageRequest(conversationId=group, text="fast")).message
    assert fast.seq == 2
    # When a reader catches up, Then it does not see 2 before 1 exists
    assert chat.messages.history(alice, group, 50, None, 0).items == []
    assert chat.messages.history(alice, group, 50, None, None).items == [fast]  # a first load may show it
    # When seq 1 lands, catching up from 0 gives both, in order
    late = fast.model_copy(update={"id": "late", "seq": 1, "senderId": alice, "clientMsgId": "slow", "text": "slow"})
    chat.message_store.insert(late)
    assert [m.seq for m in chat.messages.history(alice, group, 50, None, 0).items] == [1, 2]


def test_a_gap_older_than_any_send_is_final(chat: Chat, trio: tuple[str, str, str, str]) -> None:
    alice, _, _, group = trio
    chat.conversation_store.allocate_seq(group, alice)  # reserved by a send that died
    old = Message(
        id="m2", conversationId=group, senderId=alice, text="x", clientMsgId="c2", seq=2,
        createdAt=utc_now() - SETTLE_WINDOW - timedelta(seconds=1),
    )  # fmt: skip
    chat.message_store.insert(old)
    assert chat.messages.history(alice, group, 50, None, 0).items == [old]


def test_a_resend_marks_its_seq_skipped_so_readers_do_not_wait(chat: Chat, trio: tuple[str, str, str, str]) -> None:
    alice, _, _, group = trio
    request = SendMessageRequest(conversationId=group, text="once", clientMsgId="same")
    first = chat.messages.send_message(alice, request).message
    chat.messages.send_message(alice, request)  # reserves seq 2, stores nothing
    after = chat.messages.send_message(alice, SendMessageRequest(conversationId=group, text="next")).message
    assert after.seq == 3
    assert chat.message_store.skipped[group] == {2}
    assert chat.messages.history(alice, group, 50, None, 0).items == [first, after]
