"""Unit tests run services against the in-memory fakes, with sockets disabled."""

import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from chat.models.limits import RATE_LIMITS
from chat.services.archive import ArchivedHistory, ArchivedMessages
from chat.services.auth import AuthService
from chat.services.conversations import ConversationService
from chat.services.media import MediaLinks, MediaService
from chat.services.messages import MessageService
from chat.services.passwords import Passwords
from chat.services.push import FanOut
from chat.services.rate_limits import RateLimits
from chat.services.tokens import AccessTokens
from chat.services.users import UserService
from tests.fakes import (
    FakeArchiveIndex,
    FakeArchiveStorage,
    FakeConnectionStore,
    FakeConversationStore,
    FakeLinkSigner,
    FakeLoginAttemptStore,
    FakeLoginStore,
    FakeMediaStorage,
    FakeMediaStore,
    FakeMessageStore,
    FakePusher,
    FakeRateLimitStore,
    FakeReceiptStore,
    FakeRefreshTokenStore,
    FakeUserStore,
)

SECRET = "unit-test-secret-" + "s" * 40


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("unit tests must not open sockets")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@dataclass
class Chat:
    users: FakeUserStore
    tokens: FakeRefreshTokenStore
    conversation_store: FakeConversationStore
    message_store: FakeMessageStore
    receipt_store: FakeReceiptStore
    connections: FakeConnectionStore
    pusher: FakePusher
    login_attempts: FakeLoginAttemptStore
    access: AccessTokens
    logins: FakeLoginStore
    fan_out: FanOut
    auth: AuthService
    user_service: UserService
    conversations: ConversationService
    messages: MessageService
    archive_index: FakeArchiveIndex
    archive_storage: FakeArchiveStorage
    media_store: FakeMediaStore
    storage: FakeMediaStorage
    media: MediaService


@pytest.fixture
def chat() -> Chat:
    users, tokens = FakeUserStore(), FakeRefreshTokenStore()
    conversation_store, message_store = FakeConversationStore(), FakeMessageStore()
    receipt_store = FakeReceiptStore()
    connections, pusher = FakeConnectionStore(), FakePusher()
    login_attempts = FakeLoginAttemptStore()
    logins = FakeLoginStore()
    access = AccessTokens(SECRET, issuer="chat", audience="chat-api", ttl_seconds=900, logins=logins)
    fan_out = FanOut(pusher, connections, threads=8, sleep=lambda _: None)
    archive_index, archive_storage = FakeArchiveIndex(conversation_store), FakeArchiveStorage()
    archived_history = ArchivedHistory(archive_index, archive_storage)
    archived_messages = ArchivedMessages(archive_index, lambda: archive_storage)
    links = MediaLinks(FakeLinkSigner())
    rate_limits = RateLimits(FakeRateLimitStore(), {name: limit for name, (limit, _) in RATE_LIMITS.items()})
    conversations = ConversationService(
        conversation_store, users, message_store, receipt_store, lambda: links, limits=rate_limits
    )
    media_store, storage = FakeMediaStore(), FakeMediaStorage()
    media = MediaService(media_store, storage, FakeLinkSigner(), conversations)
    return Chat(
        users=users,
        tokens=tokens,
        conversation_store=conversation_store,
        message_store=message_store,
        receipt_store=receipt_store,
        connections=connections,
        pusher=pusher,
        login_attempts=login_attempts,
        access=access,
        logins=logins,
        fan_out=fan_out,
        auth=AuthService(
            users,
            tokens,
            access,
            Passwords(),
            refresh_ttl=timedelta(days=30),
            login_attempts=login_attempts,
            logins=logins,
            connections=connections,
            sockets=lambda: fan_out,
        ),
        user_service=UserService(users, conversation_store, lambda: media),
        conversations=conversations,
        messages=MessageService(
            conversations,
            conversation_store,
            message_store,
            connections,
            fan_out,
            media=lambda: media,
            links=lambda: links,
            archive=lambda: archived_history,
            archived_messages=lambda: archived_messages,
        ),
        archive_index=archive_index,
        archive_storage=archive_storage,
        media_store=media_store,
        storage=storage,
        media=media,
    )
