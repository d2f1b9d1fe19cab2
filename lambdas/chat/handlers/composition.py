"""The composition root: the one place adapters are built and handed to the
services, once per container and only when a handler first needs them."""

from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from chat.config import media_signing_key, settings, vapid_private_key, vapid_public_key

if TYPE_CHECKING:
    from chat.adapters.apigw_push import ApiGatewayPusher
    from chat.adapters.cloudfront_links import CloudFrontLinks
    from chat.adapters.mongo.archive import MongoArchiveIndex
    from chat.adapters.mongo.connections import MongoConnectionStore
    from chat.adapters.s3_archive import S3ArchiveStorage
    from chat.services.archive import ArchivedHistory, ArchivedMessages, Archiver
    from chat.services.auth import AuthService
    from chat.services.chat_settings import ChatSettingsService
    from chat.services.conversations import ConversationService
    from chat.services.groups import GroupService
    from chat.services.media import MediaLinks, MediaService
    from chat.services.message_changes import MessageChangeService
    from chat.services.messages import MessageService
    from chat.services.notifications import NotificationsOnSend, Notifier
    from chat.services.presence import PresenceService
    from chat.services.push import FanOut
    from chat.services.push_subscriptions import PushSubscriptionService
    from chat.services.rate_limits import RateLimits
    from chat.services.receipts import ReceiptService
    from chat.services.tokens import AccessTokens
    from chat.services.typing import TypingService
    from chat.services.users import UserService


@cache
def access_tokens() -> "AccessTokens":
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.logins import MongoLoginStore
    from chat.services.tokens import AccessTokens

    config = settings()
    if config.jwt_secret is None:
        raise RuntimeError("JWT_SECRET or JWT_SECRET_ARN must be set for a function that issues or checks tokens")
    return AccessTokens(
        config.jwt_secret,
        issuer=config.jwt_issuer,
        audience=config.jwt_audience,
        ttl_seconds=config.access_token_ttl_seconds,
        logins=MongoLoginStore(database()),
    )


@cache
def rate_limits() -> "RateLimits":
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.limits import MongoRateLimitStore
    from chat.services.rate_limits import RateLimits

    return RateLimits(MongoRateLimitStore(database()), settings().rate_limits)


@cache
def auth_service() -> "AuthService":
    from chat.adapters.mongo.accounts import MongoRefreshTokenStore, MongoUserStore
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.limits import MongoLoginAttemptStore
    from chat.adapters.mongo.logins import MongoLoginStore
    from chat.services.auth import AuthService
    from chat.services.passwords import Passwords

    db = database()
    return AuthService(
        MongoUserStore(db),
        MongoRefreshTokenStore(db),
        access_tokens(),
        Passwords(),
        refresh_ttl=timedelta(days=settings().refresh_token_ttl_days),
        login_attempts=MongoLoginAttemptStore(db),
        logins=MongoLoginStore(db),
        connections=connection_store(),
        sockets=fan_out,
    )


@cache
def user_service() -> "UserService":
    from chat.adapters.mongo.accounts import MongoUserStore
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.conversations import MongoConversationStore
    from chat.services.users import UserService

    db = database()
    return UserService(MongoUserStore(db), MongoConversationStore(db), media_service)


@cache
def conversation_service() -> "ConversationService":
    from chat.adapters.mongo.accounts import MongoUserStore
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.conversations import MongoConversationStore, MongoReceiptStore
    from chat.adapters.mongo.messages import MongoMessageStore
    from chat.services.conversations import ConversationService

    db = database()
    return ConversationService(
        MongoConversationStore(db),
        MongoUserStore(db),
        MongoMessageStore(db),
        MongoReceiptStore(db),
        media_links,
        limits=rate_limits(),
    )


@cache
def media_signer() -> "CloudFrontLinks":
    from chat.adapters.cloudfront_links import CloudFrontLinks

    config = settings()
    private_key = media_signing_key()
    if not (config.media_url and config.media_key_pair_id and private_key):
        raise RuntimeError("MEDIA_URL, MEDIA_KEY_PAIR_ID and MEDIA_SIGNING_KEY(_ARN) must be set to link to media")
    return CloudFrontLinks(config.media_url, config.media_key_pair_id, private_key)


@cache
def media_links() -> "MediaLinks":
    from chat.services.media import MediaLinks

    return MediaLinks(media_signer())


@cache
def media_service() -> "MediaService":
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.media import MongoMediaStore
    from chat.adapters.s3_media import S3MediaStorage
    from chat.services.media import MediaService

    config = settings()
    if not config.media_bucket:
        raise RuntimeError("MEDIA_BUCKET must name the media bucket")
    return MediaService(
        MongoMediaStore(database()),
        S3MediaStorage(config.media_bucket, endpoint_url=config.s3_endpoint_url),
        media_signer(),
        conversation_service(),
    )


@cache
def connection_store() -> "MongoConnectionStore":
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.connections import MongoConnectionStore

    return MongoConnectionStore(database())


@cache
def archive_index() -> "MongoArchiveIndex":
    from chat.adapters.mongo.archive import MongoArchiveIndex
    from chat.adapters.mongo.client import database

    return MongoArchiveIndex(database())


@cache
def archive_storage() -> "S3ArchiveStorage":
    from chat.adapters.s3_archive import S3ArchiveStorage

    config = settings()
    if not config.media_bucket:
        raise RuntimeError("MEDIA_BUCKET must name the bucket that holds the archive")
    return S3ArchiveStorage(config.media_bucket, endpoint_url=config.s3_endpoint_url)


@cache
def archived_history() -> "ArchivedHistory":
    from chat.services.archive import ArchivedHistory

    return ArchivedHistory(archive_index(), archive_storage())


@cache
def archived_messages() -> "ArchivedMessages":
    from chat.services.archive import ArchivedMessages

    return ArchivedMessages(archive_index(), archive_storage)


@cache
def archiver() -> "Archiver":
    from chat.adapters.mongo.archive import MongoArchivableMessages
    from chat.adapters.mongo.client import database
    from chat.services.archive import Archiver

    config = settings()
    return Archiver(
        MongoArchivableMessages(database()),
        archive_index(),
        archive_storage(),
        after=timedelta(days=config.archive_after_days),
        max_messages=config.archive_max_messages,
        retention=timedelta(days=config.retention_days) if config.retention_days is not None else None,
    )


@cache
def message_service() -> "MessageService":
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.conversations import MongoConversationStore
    from chat.adapters.mongo.messages import MongoMessageStore
    from chat.services.messages import MessageService

    db = database()
    return MessageService(
        conversation_service(),
        MongoConversationStore(db),
        MongoMessageStore(db),
        connection_store(),
        fan_out(),
        media=media_service,
        links=media_links,
        archive=archived_history,
        archived_messages=archived_messages,
        notifications=notifications_on_send if settings().notify_queue_url else None,
    )


@cache
def notifications_on_send() -> "NotificationsOnSend":
    from chat.adapters.sqs_notifications import SqsNotificationQueue
    from chat.services.notifications import NotificationsOnSend

    return NotificationsOnSend(SqsNotificationQueue(_notify_queue_url()))


def _notify_queue_url() -> str:
    url = settings().notify_queue_url
    if not url:
        raise RuntimeError("NOTIFY_QUEUE_URL must name the notification queue")
    return url


@cache
def push_subscription_service() -> "PushSubscriptionService":
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.push import MongoPushSubscriptionStore
    from chat.services.push_subscriptions import PushSubscriptionService

    config = settings()
    return PushSubscriptionService(
        MongoPushSubscriptionStore(database()),
        vapid_public_key=vapid_public_key(),
        push_services=config.push_services,
        allow_loopback=config.push_allow_loopback,
        max_per_user=config.max_push_subscriptions_per_user,
    )


@cache
def notifier() -> "Notifier":
    from chat.adapters.mongo.accounts import MongoUserStore
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.conversations import MongoConversationStore
    from chat.adapters.mongo.logins import MongoLoginStore
    from chat.adapters.mongo.messages import MongoMessageStore
    from chat.adapters.mongo.push import MongoPushDeliveryLog, MongoPushSubscriptionStore
    from chat.adapters.sqs_notifications import SqsNotificationQueue
    from chat.adapters.web_push import HttpWebPush
    from chat.services.notifications import Notifier, PushRules

    config = settings()
    private_key = vapid_private_key()
    if not private_key:
        raise RuntimeError("VAPID_PRIVATE_KEY or VAPID_SECRET_ARN must give the notifier its VAPID key")
    db = database()
    return Notifier(
        messages=MongoMessageStore(db),
        conversations=MongoConversationStore(db),
        users=MongoUserStore(db),
        connections=connection_store(),
        logins=MongoLoginStore(db),
        subscriptions=MongoPushSubscriptionStore(db),
        deliveries=MongoPushDeliveryLog(db),
        sender=HttpWebPush(private_key, config.vapid_subject, timeout_seconds=config.push_timeout_seconds),
        queue=SqsNotificationQueue(_notify_queue_url()),
        rules=PushRules(
            ttl_seconds=config.push_ttl_seconds,
            max_attempts=config.push_max_attempts,
            first_retry_seconds=config.push_first_retry_seconds,
            batch_size=config.push_batch_size,
            timeout_seconds=config.push_timeout_seconds,
        ),
        threads=config.push_threads,
    )


@cache
def pusher() -> "ApiGatewayPusher":
    from chat.adapters.apigw_push import ApiGatewayPusher

    config = settings()
    if not config.ws_management_endpoint:
        raise RuntimeError("WS_MANAGEMENT_ENDPOINT must name the WebSocket API's management endpoint")
    return ApiGatewayPusher(config.ws_management_endpoint)


@cache
def fan_out() -> "FanOut":
    """The fan-out of a function that serves requests: large fan-outs go to the workers' queue, if set."""
    from chat.services.push import FanOut

    config = settings()
    queue = None
    if config.fan_out_queue_url:
        from chat.adapters.sqs_fan_out import SqsFanOutQueue

        queue = SqsFanOutQueue(config.fan_out_queue_url)
    return FanOut(
        pusher(),
        connection_store(),
        threads=config.fan_out_threads,
        queue=queue,
        inline_max=config.fan_out_inline_max,
        batch_size=config.fan_out_batch_size,
    )


@cache
def fan_out_worker() -> "FanOut":
    """The fan-out of a worker: it pushes its job itself and never queues it again."""
    from chat.services.push import FanOut

    return FanOut(pusher(), connection_store(), threads=settings().fan_out_threads)


@cache
def typing_service() -> "TypingService":
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.conversations import MongoConversationStore
    from chat.adapters.mongo.limits import MongoTypingThrottle
    from chat.services.typing import TypingService

    db = database()
    return TypingService(
        MongoConversationStore(db),
        connection_store(),
        fan_out(),
        MongoTypingThrottle(db),
        max_group_size=settings().typing_max_group_size,
    )


@cache
def receipt_service() -> "ReceiptService":
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.conversations import MongoReceiptStore
    from chat.adapters.mongo.messages import MongoMessageStore
    from chat.services.receipts import ReceiptService

    db = database()
    return ReceiptService(
        conversation_service(), MongoReceiptStore(db), MongoMessageStore(db), connection_store(), fan_out()
    )


@cache
def message_change_service() -> "MessageChangeService":
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.conversations import MongoConversationStore
    from chat.adapters.mongo.messages import MongoMessageStore
    from chat.services.message_changes import MessageChangeService

    db = database()
    return MessageChangeService(
        conversation_service(),
        MongoConversationStore(db),
        MongoMessageStore(db),
        connection_store(),
        fan_out(),
        links=media_links,
        archive=archived_messages,
    )


@cache
def group_service() -> "GroupService":
    from chat.adapters.mongo.accounts import MongoUserStore
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.conversations import MongoConversationStore
    from chat.services.groups import GroupService

    db = database()
    return GroupService(
        conversation_service(), MongoConversationStore(db), MongoUserStore(db), connection_store(), fan_out()
    )


@cache
def chat_settings_service() -> "ChatSettingsService":
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.conversations import MongoConversationStore
    from chat.services.chat_settings import ChatSettingsService

    return ChatSettingsService(
        conversation_service(), MongoConversationStore(database()), connection_store(), fan_out()
    )


@cache
def presence_service() -> "PresenceService":
    from chat.adapters.mongo.accounts import MongoUserStore
    from chat.adapters.mongo.client import database
    from chat.adapters.mongo.conversations import MongoConversationStore
    from chat.adapters.mongo.logins import MongoLoginStore
    from chat.services.presence import PresenceService

    db = database()
    return PresenceService(
        MongoUserStore(db),
        MongoConversationStore(db),
        connection_store(),
        fan_out(),
        MongoLoginStore(db),
        max_group_size=settings().presence_max_group_size,
        max_sockets=settings().max_sockets_per_user,
    )
