"""The composition root: the one place adapters are built, once per container and only
when a handler first needs them. `services()` wires them into every use case (see
services/wiring.py); the accessors below are what the handlers call."""

from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from chat.config import (
    Settings,
    environment_settings,
    media_signing_key,
    read_secrets_with,
    settings,
    vapid_private_key,
    vapid_public_key,
)
from chat.observability import EmfMetrics, metrics

if TYPE_CHECKING:
    from pymongo.database import Database

    from chat.adapters.apigw_push import ApiGatewayPusher
    from chat.adapters.cloudfront_links import CloudFrontLinks
    from chat.adapters.mongo.accounts import MongoRefreshTokenStore, MongoUserStore
    from chat.adapters.mongo.archive import MongoArchivableMessages, MongoArchiveIndex
    from chat.adapters.mongo.blocks import MongoBlockStore
    from chat.adapters.mongo.connections import MongoConnectionStore
    from chat.adapters.mongo.conversations import MongoConversationStore, MongoReceiptStore
    from chat.adapters.mongo.health import MongoDatabaseProbe
    from chat.adapters.mongo.limits import MongoLoginAttemptStore, MongoRateLimitStore, MongoTypingThrottle
    from chat.adapters.mongo.logins import MongoLoginStore
    from chat.adapters.mongo.media import MongoMediaStore
    from chat.adapters.mongo.messages import MongoMessageStore
    from chat.adapters.mongo.push import MongoPushDeliveryLog, MongoPushSubscriptionStore
    from chat.adapters.s3_archive import S3ArchiveStorage
    from chat.adapters.s3_media import S3MediaStorage
    from chat.adapters.sqs_fan_out import SqsFanOutQueue
    from chat.adapters.sqs_notifications import SqsNotificationQueue
    from chat.adapters.web_push import HttpWebPush
    from chat.models.ports import ConnectionStore
    from chat.services.archive import Archiver
    from chat.services.auth import AuthService
    from chat.services.chat_settings import ChatSettingsService
    from chat.services.conversations import ConversationService
    from chat.services.groups import GroupService
    from chat.services.health import HealthService
    from chat.services.media import MediaService
    from chat.services.message_changes import MessageChangeService
    from chat.services.messages import MessageService
    from chat.services.notifications import Notifier
    from chat.services.presence import PresenceService
    from chat.services.push import FanOut
    from chat.services.push_subscriptions import PushSubscriptionService
    from chat.services.rate_limits import RateLimits
    from chat.services.receipts import ReceiptService
    from chat.services.search import SearchService
    from chat.services.tokens import AccessTokens
    from chat.services.typing import TypingService
    from chat.services.users import UserService
    from chat.services.wiring import Services

# Every function that reads settings imports this module at its cold start: a setting read from
# the environment that makes no sense stops the function here, named, not its first request.
environment_settings()


def secret_by_arn(arn: str) -> str:
    """A secret's value, from Secrets Manager (kept by its adapter): how chat.config reads the
    secrets it is given by ARN."""
    from chat.adapters.secrets_manager import secret_value

    return secret_value(arn)


read_secrets_with(secret_by_arn)


class ProductionAdapters:
    """MongoDB, S3, CloudFront, SQS, API Gateway and web push: each adapter, and the module
    it lives in, built on first read (a function builds only those its handler reaches).
    Each handler names the settings it needs at its cold start (config.require); the checks
    here are the backstop for a handler that forgot one, naming the setting on first use."""

    def __init__(self, config: Settings) -> None:
        self._config = config

    @cached_property
    def _db(self) -> "Database[dict[str, Any]]":
        from chat.adapters.mongo.client import database

        return database()

    @cached_property
    def users(self) -> "MongoUserStore":
        from chat.adapters.mongo.accounts import MongoUserStore

        return MongoUserStore(self._db)

    @cached_property
    def refresh_tokens(self) -> "MongoRefreshTokenStore":
        from chat.adapters.mongo.accounts import MongoRefreshTokenStore

        return MongoRefreshTokenStore(self._db)

    @cached_property
    def login_attempts(self) -> "MongoLoginAttemptStore":
        from chat.adapters.mongo.limits import MongoLoginAttemptStore

        return MongoLoginAttemptStore(self._db)

    @cached_property
    def logins(self) -> "MongoLoginStore":
        from chat.adapters.mongo.logins import MongoLoginStore

        return MongoLoginStore(self._db)

    @cached_property
    def rate_limit_buckets(self) -> "MongoRateLimitStore":
        from chat.adapters.mongo.limits import MongoRateLimitStore

        return MongoRateLimitStore(self._db)

    @cached_property
    def conversations(self) -> "MongoConversationStore":
        from chat.adapters.mongo.conversations import MongoConversationStore

        return MongoConversationStore(self._db)

    @cached_property
    def blocks(self) -> "MongoBlockStore":
        from chat.adapters.mongo.blocks import MongoBlockStore

        return MongoBlockStore(self._db)

    @cached_property
    def receipts(self) -> "MongoReceiptStore":
        from chat.adapters.mongo.conversations import MongoReceiptStore

        return MongoReceiptStore(self._db)

    @cached_property
    def messages(self) -> "MongoMessageStore":
        from chat.adapters.mongo.messages import MongoMessageStore

        return MongoMessageStore(self._db)

    @cached_property
    def connections(self) -> "MongoConnectionStore":
        from chat.adapters.mongo.connections import MongoConnectionStore

        return MongoConnectionStore(self._db)

    @cached_property
    def typing_throttle(self) -> "MongoTypingThrottle":
        from chat.adapters.mongo.limits import MongoTypingThrottle

        return MongoTypingThrottle(self._db)

    @property
    def pusher(self) -> "ApiGatewayPusher":
        return pusher()

    @property
    def metrics(self) -> "EmfMetrics":
        return metrics

    @cached_property
    def fan_out_queue(self) -> "SqsFanOutQueue | None":
        if not self._config.fan_out_queue_url:
            return None
        from chat.adapters.sqs_fan_out import SqsFanOutQueue

        return SqsFanOutQueue(self._config.fan_out_queue_url)

    @cached_property
    def media_uploads(self) -> "MongoMediaStore":
        from chat.adapters.mongo.media import MongoMediaStore

        return MongoMediaStore(self._db)

    @cached_property
    def media_storage(self) -> "S3MediaStorage":
        from chat.adapters.s3_media import S3MediaStorage

        if not self._config.media_bucket:
            raise RuntimeError("MEDIA_BUCKET must name the media bucket")
        return S3MediaStorage(self._config.media_bucket, endpoint_url=self._config.s3_endpoint_url)

    @cached_property
    def link_signer(self) -> "CloudFrontLinks":
        from chat.adapters.cloudfront_links import CloudFrontLinks

        config = self._config
        private_key = media_signing_key()
        if not (config.media_url and config.media_key_pair_id and private_key):
            raise RuntimeError("MEDIA_URL, MEDIA_KEY_PAIR_ID and MEDIA_SIGNING_KEY(_ARN) must be set to link to media")
        return CloudFrontLinks(config.media_url, config.media_key_pair_id, private_key)

    @cached_property
    def archivable_messages(self) -> "MongoArchivableMessages":
        from chat.adapters.mongo.archive import MongoArchivableMessages

        return MongoArchivableMessages(self._db)

    @cached_property
    def archive_index(self) -> "MongoArchiveIndex":
        from chat.adapters.mongo.archive import MongoArchiveIndex

        return MongoArchiveIndex(self._db)

    @cached_property
    def archive_storage(self) -> "S3ArchiveStorage":
        from chat.adapters.s3_archive import S3ArchiveStorage

        if not self._config.media_bucket:
            raise RuntimeError("MEDIA_BUCKET must name the bucket that holds the archive")
        return S3ArchiveStorage(self._config.media_bucket, endpoint_url=self._config.s3_endpoint_url)

    @cached_property
    def push_subscriptions(self) -> "MongoPushSubscriptionStore":
        from chat.adapters.mongo.push import MongoPushSubscriptionStore

        return MongoPushSubscriptionStore(self._db)

    @cached_property
    def push_deliveries(self) -> "MongoPushDeliveryLog":
        from chat.adapters.mongo.push import MongoPushDeliveryLog

        return MongoPushDeliveryLog(self._db)

    @cached_property
    def web_push(self) -> "HttpWebPush":
        from chat.adapters.web_push import HttpWebPush

        private_key = vapid_private_key()
        if not private_key:
            raise RuntimeError("VAPID_PRIVATE_KEY or VAPID_SECRET_ARN must give the notifier its VAPID key")
        return HttpWebPush(private_key, self._config.vapid_subject, timeout_seconds=self._config.push_timeout_seconds)

    @cached_property
    def notification_queue(self) -> "SqsNotificationQueue":
        from chat.adapters.sqs_notifications import SqsNotificationQueue

        if not self._config.notify_queue_url:
            raise RuntimeError("NOTIFY_QUEUE_URL must name the notification queue")
        return SqsNotificationQueue(self._config.notify_queue_url)

    @property
    def vapid_public_key(self) -> str | None:
        return vapid_public_key()

    @cached_property
    def database_probe(self) -> "MongoDatabaseProbe":
        from chat.adapters.mongo.health import MongoDatabaseProbe

        # The database is reached on the first ping, not here: one that is not configured answers "down".
        return MongoDatabaseProbe(lambda: self._db, self._config.mongodb_timeout_ms)


def database() -> "Database[dict[str, Any]]":
    """The MongoDB database itself, for the deploy-time index set-up: its URI read as every
    function's (importing this module is what lets settings read secrets by ARN)."""
    from chat.adapters.mongo.client import database as mongo_database

    return mongo_database()


@cache
def pusher() -> "ApiGatewayPusher":
    """The Management API client, one per container (the benchmarks swap it for a stub)."""
    from chat.adapters.apigw_push import ApiGatewayPusher

    config = settings()
    if not config.ws_management_endpoint:
        raise RuntimeError("WS_MANAGEMENT_ENDPOINT must name the WebSocket API's management endpoint")
    return ApiGatewayPusher(config.ws_management_endpoint)


@cache
def services() -> "Services":
    """Every use case, wired to the production adapters; built once per container."""
    from chat.services.wiring import Services

    config = settings()
    return Services(ProductionAdapters(config), config)


# What the handlers call: each builds its service (and its adapters) on first use.


def health_service() -> "HealthService":
    return services().health


def access_tokens() -> "AccessTokens":
    return services().access_tokens


def rate_limits() -> "RateLimits":
    return services().rate_limits


def auth_service() -> "AuthService":
    return services().auth


def user_service() -> "UserService":
    return services().users


def conversation_service() -> "ConversationService":
    return services().conversations


def media_service() -> "MediaService":
    return services().media


def message_service() -> "MessageService":
    return services().messages


def message_change_service() -> "MessageChangeService":
    return services().message_changes


def receipt_service() -> "ReceiptService":
    return services().receipts


def search_service() -> "SearchService":
    return services().search


def group_service() -> "GroupService":
    return services().groups


def chat_settings_service() -> "ChatSettingsService":
    return services().chat_settings


def typing_service() -> "TypingService":
    return services().typing


def presence_service() -> "PresenceService":
    return services().presence


def push_subscription_service() -> "PushSubscriptionService":
    return services().push_subscriptions


def fan_out_worker() -> "FanOut":
    return services().fan_out_worker


def notifier() -> "Notifier":
    return services().notifier


def archiver() -> "Archiver":
    return services().archiver


def connection_store() -> "ConnectionStore":
    return services().adapters.connections
