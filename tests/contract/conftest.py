"""The store contract: every test here runs once on the in-memory fakes the unit tests use
and once on the MongoDB adapters (the embedded store, or a real MongoDB when MONGODB_URI is
set). `Stores` holds each as its port, so a fake or an adapter that drifts from the port
fails type-checking before any test runs."""

from dataclasses import dataclass
from typing import Any

import pytest

from chat.adapters.mongo.accounts import MongoRefreshTokenStore, MongoUserStore
from chat.adapters.mongo.archive import MongoArchivableMessages, MongoArchiveIndex
from chat.adapters.mongo.blocks import MongoBlockStore
from chat.adapters.mongo.connections import MongoConnectionStore
from chat.adapters.mongo.conversations import MongoConversationStore, MongoReceiptStore
from chat.adapters.mongo.limits import MongoLoginAttemptStore, MongoRateLimitStore, MongoTypingThrottle
from chat.adapters.mongo.logins import MongoLoginStore
from chat.adapters.mongo.media import MongoMediaStore
from chat.adapters.mongo.messages import MongoMessageStore
from chat.adapters.mongo.push import MongoPushDeliveryLog, MongoPushSubscriptionStore
from chat.models.chat import Conversation
from chat.models.ports import (
    ArchivableMessages,
    ArchiveIndex,
    BlockStore,
    ConnectionStore,
    ConversationStore,
    LoginAttemptStore,
    LoginStore,
    MediaStore,
    MessageStore,
    PushDeliveryLog,
    PushSubscriptionStore,
    RateLimitStore,
    ReceiptStore,
    RefreshTokenStore,
    TypingThrottle,
    UserStore,
)
from tests.fakes import (
    FakeArchivableMessages,
    FakeArchiveIndex,
    FakeBlockStore,
    FakeConnectionStore,
    FakeConversationStore,
    FakeLoginAttemptStore,
    FakeLoginStore,
    FakeMediaStore,
    FakeMessageStore,
    FakePushDeliveryLog,
    FakePushSubscriptionStore,
    FakeRateLimitStore,
    FakeReceiptStore,
    FakeRefreshTokenStore,
    FakeTypingThrottle,
    FakeUserStore,
)


@dataclass
class Stores:
    users: UserStore
    tokens: RefreshTokenStore
    conversations: ConversationStore
    messages: MessageStore
    connections: ConnectionStore
    login_attempts: LoginAttemptStore
    logins: LoginStore
    rate_limits: RateLimitStore
    receipts: ReceiptStore
    media: MediaStore
    typing: TypingThrottle
    push_subscriptions: PushSubscriptionStore
    push_deliveries: PushDeliveryLog
    archivable: ArchivableMessages  # the archiver's view of `messages`
    archive_index: ArchiveIndex
    blocks: BlockStore
    db: Any | None  # the MongoDB database behind the adapters; None for the fakes

    def conversation(self, conversation_id: str) -> Conversation:
        """A conversation the test stored."""
        stored = self.conversations.get(conversation_id)
        assert stored is not None, conversation_id
        return stored


@pytest.fixture(params=["fake", "mongo"])
def stores(request: pytest.FixtureRequest) -> Stores:
    if request.param == "fake":
        messages = FakeMessageStore()
        return Stores(
            users=FakeUserStore(),
            tokens=FakeRefreshTokenStore(),
            conversations=FakeConversationStore(),
            messages=messages,
            connections=FakeConnectionStore(),
            login_attempts=FakeLoginAttemptStore(),
            logins=FakeLoginStore(),
            rate_limits=FakeRateLimitStore(),
            receipts=FakeReceiptStore(),
            media=FakeMediaStore(),
            typing=FakeTypingThrottle(),
            push_subscriptions=FakePushSubscriptionStore(),
            push_deliveries=FakePushDeliveryLog(),
            archivable=FakeArchivableMessages(messages),
            archive_index=FakeArchiveIndex(),
            blocks=FakeBlockStore(),
            db=None,
        )
    db = request.getfixturevalue("mongo_db")
    return Stores(
        users=MongoUserStore(db),
        tokens=MongoRefreshTokenStore(db),
        conversations=MongoConversationStore(db),
        messages=MongoMessageStore(db),
        connections=MongoConnectionStore(db),
        login_attempts=MongoLoginAttemptStore(db),
        logins=MongoLoginStore(db),
        rate_limits=MongoRateLimitStore(db),
        receipts=MongoReceiptStore(db),
        media=MongoMediaStore(db),
        typing=MongoTypingThrottle(db),
        push_subscriptions=MongoPushSubscriptionStore(db),
        push_deliveries=MongoPushDeliveryLog(db),
        archivable=MongoArchivableMessages(db),
        archive_index=MongoArchiveIndex(db),
        blocks=MongoBlockStore(db),
        db=db,
    )
