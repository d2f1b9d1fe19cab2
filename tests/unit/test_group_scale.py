"""What one message costs as a group grows: pushes per frame type, writes, and presence
pushes per connect, counted exactly at 10 and 40 members (the benchmarks go to 1,000)."""

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest

from chat.clock import utc_now
from chat.models.api import CreateGroupRequest, SendMessageRequest, SignupRequest
from chat.models.chat import Connection
from chat.services.presence import PresenceService
from tests.unit.conftest import Chat


def chat_time() -> datetime:
    return utc_now() - timedelta(minutes=5)


def pushes_by_type(chat: Chat) -> Counter[str]:
    return Counter(json.loads(frame)["type"] for frames in chat.pusher.frames.values() for frame in frames)


def a_group_of(chat: Chat, size: int) -> tuple[list[str], str]:
    accounts = [chat.auth.signup(SignupRequest(username=f"member{i}", password="password1")) for i in range(size)]
    members = [account.user.id for account in accounts]
    group = chat.conversations.create_group(members[0], CreateGroupRequest(name="Big", memberIds=members[1:]))
    return members, group.id


def presence(chat: Chat) -> PresenceService:
    return chat.services.presence  # PRESENCE_MAX_GROUP_SIZE at its default, 20


@pytest.mark.parametrize("size", [10, 40])
def test_one_message_and_every_members_receipts_cost_three_pushes_a_member(chat: Chat, size: int) -> None:
    # Given a group with every member on one socket
    members, group = a_group_of(chat, size)
    for member in members:
        chat.connections.add(Connection(connectionId=f"ws-{member}", userId=member), chat_time())
    receipts = chat.services.receipts
    version = chat.conversations.get(members[0], group).version

    # When the first member sends and every other member's client marks it delivered, then read
    author = members[0]
    sent = chat.messages.send_message(author, SendMessageRequest(conversationId=group, text="hi"), f"ws-{author}")
    for member in members[1:]:
        receipts.mark(member, group, delivered=sent.message.seq, from_connection=f"ws-{member}")
        receipts.mark(member, group, read=sent.message.seq, from_connection=f"ws-{member}")

    # Then: one ack, one copy per other member, and each receipt to the author alone
    others = size - 1
    assert pushes_by_type(chat) == {"messageAck": 1, "messageReceived": others, "receipt": 2 * others}
    assert sum(pushes_by_type(chat).values()) <= 4 * size
    receipt_frames = [json.loads(f) for f in chat.pusher.frames[f"ws-{author}"] if b'"receipt"' in f]
    assert len(receipt_frames) == 2 * others
    # And the receipts wrote each member's own record, never the conversation: its version
    # moved by the message alone
    assert chat.receipt_store.writes == 2 * others
    assert chat.conversations.get(author, group).version == version + 1
    # "Read by" is there on demand
    assert all(
        r.readSeq == sent.message.seq for m, r in chat.conversations.receipts(author, group).items() if m != author
    )


@pytest.mark.parametrize(("size", "pushes"), [(10, sum(range(10))), (40, 0)])
def test_presence_pushes_on_connect_are_bounded_whatever_the_group_size(chat: Chat, size: int, pushes: int) -> None:
    # Given a group whose members connect one after another, then leave
    members, _ = a_group_of(chat, size)
    service = presence(chat)
    for member in members:
        service.connected(Connection(connectionId=f"ws-{member}", userId=member))
    on_connect = sum(pushes_by_type(chat).values())
    chat.pusher.frames.clear()
    for member in members:
        service.disconnected(f"ws-{member}", member)

    # Then a small group hears each arrival (0 + 1 + … + 9 pushes) and each departure,
    # and a group over PRESENCE_MAX_GROUP_SIZE hears neither
    assert on_connect == pushes
    assert sum(pushes_by_type(chat).values()) == pushes
    assert on_connect / size <= 12


def test_presence_still_reaches_direct_contacts_of_a_big_groups_member(chat: Chat) -> None:
    members, _ = a_group_of(chat, 40)
    friend = chat.auth.signup(SignupRequest(username="friend", password="password1")).user.id
    chat.conversations.open_direct(members[5], friend)
    chat.connections.add(Connection(connectionId="ws-friend", userId=friend), chat_time())
    for member in members[:10]:
        chat.connections.add(Connection(connectionId=f"ws-{member}", userId=member), chat_time())

    presence(chat).connected(Connection(connectionId="ws-5b", userId=members[5]))

    assert list(chat.pusher.frames) == ["ws-friend"]
