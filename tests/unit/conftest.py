"""Unit tests run services against the in-memory fakes, with sockets disabled."""

import socket
from dataclasses import dataclass, field
from typing import Any

import pytest

from chat.config import Settings
from chat.models.limits import RATE_LIMITS
from chat.services.auth import AuthService
from chat.services.conversations import ConversationService
from chat.services.media import MediaService
from chat.services.messages import MessageService
from chat.services.push import FanOut
from chat.services.tokens import AccessTokens
from chat.services.users import UserService
from chat.services.wiring import Services
from tests.fakes import (
    FakeArchivableMessages,
    FakeArchiveIndex,
    FakeArchiveStorage,
    FakeBlockStore,
    FakeConnectionStore,
    FakeConversationStore,
    FakeDatabaseProbe,
    FakeLinkSigner,
    FakeLoginAttemptStore,
    FakeLoginStore,
    FakeMediaStorage,
    FakeMediaStore,
    FakeMessageStore,
    FakeMetrics,
    FakeNotificationQueue,
    FakePushDeliveryLog,
    FakePusher,
    FakePushSubscriptionStore,
    FakeRateLimitStore,
    FakeReceiptStore,
    FakeRefreshTokenStore,
    FakeTypingThrottle,
    FakeUserStore,
    FakeWebPush,
)

SECRET = "unit-test-secret-" + "s" * 40


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("unit tests must not open sockets")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@dataclass
class FakeAdapters:
    """Services' adapters (services/wiring.py), each an in-memory fake."""

    users: FakeUserStore = field(default_factory=FakeUserStore)
    refresh_tokens: FakeRefreshTokenStore = field(default_factory=FakeRefreshTokenStore)
    login_attempts: FakeLoginAttemptStore = field(default_factory=FakeLoginAttemptStore)
    logins: FakeLoginStore = field(default_factory=FakeLoginStore)
    rate_limit_buckets: FakeRateLimitStore = field(default_factory=FakeRateLimitStore)
    conversations: FakeConversationStore = field(default_factory=FakeConversationStore)
    blocks: FakeBlockStore = field(default_factory=FakeBlockStore)
    receipts: FakeReceiptStore = field(default_factory=FakeReceiptStore)
    messages: FakeMessageStore = field(default_factory=FakeMessageStore)
    connections: FakeConnectionStore = field(default_factory=FakeConnectionStore)
    typing_throttle: FakeTypingThrottle = field(default_factory=FakeTypingThrottle)
    pusher: FakePusher = field(default_factory=FakePusher)
    fan_out_queue: None = None  # every push from the function itself
    media_uploads: FakeMediaStore = field(default_factory=FakeMediaStore)
    media_storage: FakeMediaStorage = field(default_factory=FakeMediaStorage)
    link_signer: FakeLinkSigner = field(default_factory=FakeLinkSigner)
    archive_storage: FakeArchiveStorage = field(default_factory=FakeArchiveStorage)
    push_subscriptions: FakePushSubscriptionStore = field(default_factory=FakePushSubscriptionStore)
    push_deliveries: FakePushDeliveryLog = field(default_factory=FakePushDeliveryLog)
    web_push: FakeWebPush = field(default_factory=FakeWebPush)
    notification_queue: FakeNotificationQueue = field(default_factory=FakeNotificationQueue)
    vapid_public_key: str | None = None
    metrics: FakeMetrics = field(default_factory=FakeMetrics)
    database_probe: FakeDatabaseProbe = field(default_factory=FakeDatabaseProbe)
    # Views of the stores above.
    archivable_messages: FakeArchivableMessages = field(init=False)
    archive_index: FakeArchiveIndex = field(init=False)

    def __post_init__(self) -> None:
        self.archivable_messages = FakeArchivableMessages(self.messages)
        self.archive_index = FakeArchiveIndex(self.conversations)


# The settings the unit tests run with: the defaults, a signing key, and every rate limit at
# its default (the buckets are in memory).
SETTINGS = Settings(
    jwt_secret=SECRET,
    rate_limits={name: limit for name, (limit, _) in RATE_LIMITS.items()},
    fan_out_threads=8,
)


class Chat:
    """The services, wired as in production (services/wiring.py) to the fakes, under the
    names the tests use: the fakes to set up and inspect, the services to call."""

    def __init__(self, services: Services, fakes: FakeAdapters) -> None:
        self.services = services
        self.fakes = fakes

    # The fakes
    @property
    def users(self) -> FakeUserStore:
        return self.fakes.users

    @property
    def tokens(self) -> FakeRefreshTokenStore:
        return self.fakes.refresh_tokens

    @property
    def conversation_store(self) -> FakeConversationStore:
        return self.fakes.conversations

    @property
    def message_store(self) -> FakeMessageStore:
        return self.fakes.messages

    @property
    def receipt_store(self) -> FakeReceiptStore:
        return self.fakes.receipts

    @property
    def connections(self) -> FakeConnectionStore:
        return self.fakes.connections

    @property
    def pusher(self) -> FakePusher:
        return self.fakes.pusher

    @property
    def login_attempts(self) -> FakeLoginAttemptStore:
        return self.fakes.login_attempts

    @property
    def logins(self) -> FakeLoginStore:
        return self.fakes.logins

    @property
    def archive_index(self) -> FakeArchiveIndex:
        return self.fakes.archive_index

    @property
    def archive_storage(self) -> FakeArchiveStorage:
        return self.fakes.archive_storage

    @property
    def media_store(self) -> FakeMediaStore:
        return self.fakes.media_uploads

    @property
    def storage(self) -> FakeMediaStorage:
        return self.fakes.media_storage

    # The services
    @property
    def access(self) -> AccessTokens:
        return self.services.access_tokens

    @property
    def fan_out(self) -> FanOut:
        return self.services.fan_out

    @property
    def auth(self) -> AuthService:
        return self.services.auth

    @property
    def user_service(self) -> UserService:
        return self.services.users

    @property
    def conversations(self) -> ConversationService:
        return self.services.conversations

    @property
    def messages(self) -> MessageService:
        return self.services.messages

    @property
    def media(self) -> MediaService:
        return self.services.media


@pytest.fixture
def chat() -> Chat:
    fakes = FakeAdapters()
    return Chat(Services(fakes, SETTINGS, sleep=lambda _: None), fakes)
