"""What the services count for an operator (the `Metrics` port; the fake sums as the production
recorder does): each count where the thing it names happens, and nothing counted on the usual
path that is not."""

from datetime import timedelta

import pytest

from chat.clock import utc_now
from chat.models.api import AttachmentRef, LoginRequest, SendMessageRequest, SignupRequest, UploadUrlRequest
from chat.models.chat import Connection
from chat.models.errors import InvalidCredentials, InvalidMedia, InvalidRefreshToken, RateLimited, UnsupportedMediaType
from chat.services.auth import MAX_LOGIN_FAILURES
from chat.services.push import FanOut
from tests.fakes import FakeConnectionStore, FakeMetrics, FakePusher
from tests.media_samples import png
from tests.unit.conftest import Chat

HERE = "198.51.100.7"


@pytest.fixture
def pair(chat: Chat) -> tuple[str, str, str]:
    alice = chat.auth.signup(SignupRequest(username="alice", password="password1")).user.id
    bob = chat.auth.signup(SignupRequest(username="bob", password="password1")).user.id
    conversation, _ = chat.conversations.open_direct(alice, bob)
    return alice, bob, conversation.id


def counted(chat: Chat) -> FakeMetrics:
    return chat.fakes.metrics


def test_a_send_counts_one_message_and_its_pushes(chat: Chat, pair: tuple[str, str, str]) -> None:
    # Given alice on one socket, bob on two (one of them closed)
    alice, bob, conversation_id = pair
    for connection_id, user_id in (("a1", alice), ("b1", bob), ("b2", bob)):
        chat.connections.add(Connection(connectionId=connection_id, userId=user_id), utc_now() - timedelta(minutes=1))
    chat.pusher.gone.add("b2")

    # When alice sends from her socket
    request = SendMessageRequest(conversationId=conversation_id, text="hi", clientMsgId="k1")
    chat.messages.send_message(alice, request, from_connection="a1")

    # Then one message, three pushes (her ack, bob's two sockets): two delivered, one gone
    metrics = counted(chat)
    assert metrics.total("MessagesSent") == 1
    assert metrics.total("PushesPerMessage") == 3
    assert (metrics.total("FanOutDelivered"), metrics.total("FanOutGone"), metrics.total("FanOutFailed")) == (2, 1, 0)

    # And a resend of the same clientMsgId is no new message
    chat.messages.send_message(alice, request, from_connection="a1")
    assert metrics.total("MessagesSent") == 1


def test_a_push_that_keeps_failing_is_counted_failed() -> None:
    metrics = FakeMetrics()
    pusher = FakePusher(flaky={"c1": 99})
    FanOut(pusher, FakeConnectionStore(), threads=2, sleep=lambda _: None, metrics=metrics).send(
        (["c1", "c2"], {"type": "pong"})
    )
    assert (metrics.total("FanOutDelivered"), metrics.total("FanOutFailed")) == (1, 1)


def test_wrong_passwords_are_login_failures_then_a_lockout(chat: Chat) -> None:
    # Given alice, and a guesser trying her password from one address
    chat.auth.signup(SignupRequest(username="alice", password="correct horse"))
    guess = LoginRequest(username="alice", password="wrong guess")
    for _ in range(MAX_LOGIN_FAILURES):
        with pytest.raises(InvalidCredentials):
            chat.auth.login(guess, HERE)

    # When the guesser tries once more
    with pytest.raises(RateLimited) as refused:
        chat.auth.login(guess, HERE)

    # Then each wrong password was a failure, and the refusal a lockout named by its limit
    assert counted(chat).total("LoginFailures") == MAX_LOGIN_FAILURES
    assert counted(chat).total("LoginLockouts") == 1
    assert refused.value.limit == "login_failures"


def test_a_reused_refresh_token_is_counted_once(chat: Chat) -> None:
    stolen = chat.auth.signup(SignupRequest(username="alice", password="correct horse")).refreshToken
    chat.auth.refresh(stolen, HERE)
    assert counted(chat).total("RefreshTokenReuse") == 0

    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh(stolen, HERE)

    assert counted(chat).total("RefreshTokenReuse") == 1
    # A token of a login already ended is refused, and is no new reuse
    with pytest.raises(InvalidRefreshToken):
        chat.auth.refresh(stolen, HERE)
    assert counted(chat).total("RefreshTokenReuse") == 1


def test_media_refusals_are_counted_by_reason(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, _, conversation_id = pair
    # A type no upload may have: refused before any upload
    with pytest.raises(UnsupportedMediaType):
        chat.media.attachment_upload(
            alice, UploadUrlRequest(conversationId=conversation_id, fileName="x", contentType="text/html", size=10)
        )
    # A file that is not what its form promised: refused when a message names it
    data = png()
    ticket = chat.media.attachment_upload(
        alice, UploadUrlRequest(conversationId=conversation_id, fileName="f", contentType="image/jpeg", size=len(data))
    )
    chat.storage.put(f"incoming/{ticket.mediaId}", data, "image/jpeg")
    with pytest.raises(InvalidMedia):
        chat.media.attach(alice, conversation_id, [AttachmentRef(mediaId=ticket.mediaId)])

    metrics = counted(chat)
    assert metrics.total("MediaRefused", reason="not_accepted") == 1
    assert metrics.total("MediaRefused", reason="failed_check") == 1
    assert metrics.total("MediaRefused") == 2


def test_a_catch_up_from_off_the_log_is_a_resync(chat: Chat, pair: tuple[str, str, str]) -> None:
    alice, _, conversation_id = pair
    version = chat.conversations.get(alice, conversation_id).version

    assert not chat.messages.changes(alice, conversation_id, version).resync
    assert counted(chat).total("CatchUpResyncs") == 0

    assert chat.messages.changes(alice, conversation_id, version + 1).resync  # a cursor from the future
    assert counted(chat).total("CatchUpResyncs") == 1
