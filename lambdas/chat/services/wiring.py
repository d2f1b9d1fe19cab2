"""One wiring: every use case built from one bundle of adapters, the same way in production
(handlers/composition.py hands it the MongoDB, S3, SQS and API Gateway adapters) and in the
unit tests (the in-memory fakes).

Each service is built on first use and kept: a function builds only what its handler
reaches, and imports only that. Each property imports its own module, and this one imports
only the standard library at run time (the chat types below are for the type checker), so
importing it costs nothing. Collaborators that only some calls need (media, the archive,
notifications) are handed over as factories, so e.g. a text-only send never builds the media
service."""

import time
from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chat.config import Settings
    from chat.models.ports import (
        ArchivableMessages,
        ArchiveIndex,
        ArchiveStorage,
        BlockStore,
        ConnectionStore,
        ConversationStore,
        DatabaseProbe,
        FanOutQueue,
        LoginAttemptStore,
        LoginStore,
        MediaLinkSigner,
        MediaStorage,
        MediaStore,
        MessageStore,
        Metrics,
        NotificationQueue,
        PushDeliveryLog,
        Pusher,
        PushSubscriptionStore,
        RateLimitStore,
        ReceiptStore,
        RefreshTokenStore,
        TypingThrottle,
        UserStore,
        WebPushSender,
    )
    from chat.services.archive import ArchivedHistory, ArchivedMessages, Archiver
    from chat.services.auth import AuthService
    from chat.services.chat_settings import ChatSettingsService
    from chat.services.conversations import ConversationService
    from chat.services.groups import GroupService
    from chat.services.health import HealthService
    from chat.services.media import MediaService
    from chat.services.media_links import MediaLinks
    from chat.services.membership import Membership
    from chat.services.mentions import Mentions
    from chat.services.message_changes import MessageChangeService
    from chat.services.messages import MessageService
    from chat.services.notifications import NotificationsOnSend, Notifier
    from chat.services.presence import PresenceService
    from chat.services.push import FanOut
    from chat.services.push_subscriptions import PushSubscriptionService
    from chat.services.rate_limits import RateLimits
    from chat.services.receipts import ReceiptService
    from chat.services.search import SearchService
    from chat.services.tokens import AccessTokens
    from chat.services.typing import TypingService
    from chat.services.users import UserService


class Adapters(Protocol):
    """The outside world, one adapter per port. Production builds each on first read; a
    plain object whose attributes are the fakes will do for tests."""

    @property
    def users(self) -> "UserStore": ...
    @property
    def refresh_tokens(self) -> "RefreshTokenStore": ...
    @property
    def login_attempts(self) -> "LoginAttemptStore": ...
    @property
    def logins(self) -> "LoginStore": ...
    @property
    def rate_limit_buckets(self) -> "RateLimitStore": ...
    @property
    def conversations(self) -> "ConversationStore": ...
    @property
    def blocks(self) -> "BlockStore": ...
    @property
    def receipts(self) -> "ReceiptStore": ...
    @property
    def messages(self) -> "MessageStore": ...
    @property
    def connections(self) -> "ConnectionStore": ...
    @property
    def typing_throttle(self) -> "TypingThrottle": ...
    @property
    def pusher(self) -> "Pusher": ...
    @property
    def fan_out_queue(self) -> "FanOutQueue | None":
        """Where a large fan-out's rest goes to the workers; None: every push from here."""

    @property
    def media_uploads(self) -> "MediaStore": ...
    @property
    def media_storage(self) -> "MediaStorage": ...
    @property
    def link_signer(self) -> "MediaLinkSigner": ...
    @property
    def archivable_messages(self) -> "ArchivableMessages": ...
    @property
    def archive_index(self) -> "ArchiveIndex": ...
    @property
    def archive_storage(self) -> "ArchiveStorage": ...
    @property
    def push_subscriptions(self) -> "PushSubscriptionStore": ...
    @property
    def push_deliveries(self) -> "PushDeliveryLog": ...
    @property
    def web_push(self) -> "WebPushSender": ...
    @property
    def notification_queue(self) -> "NotificationQueue": ...
    @property
    def vapid_public_key(self) -> str | None:
        """The application server key browsers subscribe with."""

    @property
    def metrics(self) -> "Metrics":
        """Where the services count what an operator watches."""

    @property
    def database_probe(self) -> "DatabaseProbe": ...


# cached_property takes no lock on Python 3.12+. Lambda runs one event per container and no pool
# thread reaches a Services property, so none is needed there; on the local gateway, which runs
# handlers on a thread pool, two first requests at once may each build a service and one is kept
# (as the functools.cache factories before this did): wasteful once, never wrong.
class Services:
    """Every use case, each built on first use from `adapters` and `config`."""

    def __init__(self, adapters: Adapters, config: "Settings", *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.adapters = adapters
        self._config = config
        self._sleep = sleep  # the fan-out's waits between retries (tests do not wait)

    @cached_property
    def access_tokens(self) -> "AccessTokens":
        from chat.services.tokens import AccessTokens

        config = self._config
        if config.jwt_secret is None:
            raise RuntimeError("JWT_SECRET or JWT_SECRET_ARN must be set for a function that issues or checks tokens")
        return AccessTokens(
            config.jwt_secret,
            issuer=config.jwt_issuer,
            audience=config.jwt_audience,
            ttl_seconds=config.access_token_ttl_seconds,
            logins=self.adapters.logins,
        )

    @cached_property
    def health(self) -> "HealthService":
        from chat.services.health import HealthService

        return HealthService(self.adapters.database_probe)

    @cached_property
    def rate_limits(self) -> "RateLimits":
        from chat.services.rate_limits import RateLimits

        return RateLimits(self.adapters.rate_limit_buckets, self._config.rate_limits)

    @cached_property
    def auth(self) -> "AuthService":
        from chat.services.auth import AuthService
        from chat.services.passwords import Passwords

        adapters = self.adapters
        return AuthService(
            adapters.users,
            adapters.refresh_tokens,
            self.access_tokens,
            Passwords(),
            refresh_ttl=timedelta(days=self._config.refresh_token_ttl_days),
            login_attempts=adapters.login_attempts,
            logins=adapters.logins,
            connections=adapters.connections,
            sockets=lambda: self.fan_out,
            metrics=adapters.metrics,
        )

    @cached_property
    def users(self) -> "UserService":
        from chat.services.users import UserService

        return UserService(
            self.adapters.users,
            self.adapters.conversations,
            self.adapters.blocks,
            lambda: self.media,
            presence=lambda: self.presence,
            max_blocks=self._config.max_blocks_per_user,
        )

    @cached_property
    def membership(self) -> "Membership":
        from chat.services.membership import Membership

        return Membership(self.adapters.conversations)

    @cached_property
    def conversations(self) -> "ConversationService":
        from chat.services.conversations import ConversationService

        adapters = self.adapters
        return ConversationService(
            adapters.conversations,
            adapters.users,
            adapters.messages,
            adapters.receipts,
            self.media_links,
            members=self.membership,
            limits=self.rate_limits,
            blocks=adapters.blocks,
        )

    @cached_property
    def media_links(self) -> "MediaLinks":
        from chat.services.media_links import MediaLinks

        # The signer is read on the first file linked, not here: most calls link none.
        return MediaLinks(lambda: self.adapters.link_signer)

    @cached_property
    def media(self) -> "MediaService":
        from chat.services.media import MediaService

        adapters = self.adapters
        return MediaService(
            adapters.media_uploads,
            adapters.media_storage,
            adapters.link_signer,
            self.membership,
            metrics=adapters.metrics,
        )

    @cached_property
    def messages(self) -> "MessageService":
        from chat.services.messages import MessageService

        adapters = self.adapters
        return MessageService(
            self.conversations,
            adapters.conversations,
            adapters.messages,
            adapters.connections,
            self.fan_out,
            members=self.membership,
            media=lambda: self.media,
            links=self.media_links,
            archive=lambda: self.archived_history,
            archived_messages=lambda: self.archived_messages,
            mentions=self.mentions,
            metrics=adapters.metrics,
            notifications=(lambda: self.notifications_on_send) if self._config.notify_queue_url else None,
        )

    @cached_property
    def mentions(self) -> "Mentions":
        from chat.services.mentions import Mentions

        return Mentions(self.adapters.users, max_mentions=self._config.max_mentions)

    @cached_property
    def search(self) -> "SearchService":
        from chat.services.search import SearchService

        adapters = self.adapters
        return SearchService(adapters.conversations, adapters.messages, self.media_links, members=self.membership)

    @cached_property
    def message_changes(self) -> "MessageChangeService":
        from chat.services.message_changes import MessageChangeService

        adapters = self.adapters
        return MessageChangeService(
            self.membership,
            adapters.conversations,
            adapters.messages,
            adapters.connections,
            self.fan_out,
            links=self.media_links,
            archive=lambda: self.archived_messages,
            mentions=self.mentions,
        )

    @cached_property
    def receipts(self) -> "ReceiptService":
        from chat.services.receipts import ReceiptService

        adapters = self.adapters
        return ReceiptService(self.membership, adapters.receipts, adapters.messages, adapters.connections, self.fan_out)

    @cached_property
    def groups(self) -> "GroupService":
        from chat.services.groups import GroupService

        adapters = self.adapters
        return GroupService(
            self.conversations,
            adapters.conversations,
            adapters.users,
            adapters.connections,
            self.fan_out,
            members=self.membership,
        )

    @cached_property
    def chat_settings(self) -> "ChatSettingsService":
        from chat.services.chat_settings import ChatSettingsService

        return ChatSettingsService(
            self.conversations,
            self.adapters.conversations,
            self.adapters.connections,
            self.fan_out,
            members=self.membership,
        )

    @cached_property
    def typing(self) -> "TypingService":
        from chat.services.typing import TypingService

        adapters = self.adapters
        return TypingService(
            adapters.conversations,
            adapters.connections,
            self.fan_out,
            adapters.typing_throttle,
            adapters.blocks,
            max_group_size=self._config.typing_max_group_size,
        )

    @cached_property
    def presence(self) -> "PresenceService":
        from chat.services.presence import PresenceService

        adapters = self.adapters
        return PresenceService(
            adapters.users,
            adapters.conversations,
            adapters.connections,
            self.fan_out,
            adapters.logins,
            blocks=adapters.blocks,
            max_group_size=self._config.presence_max_group_size,
            max_sockets=self._config.max_sockets_per_user,
        )

    @cached_property
    def fan_out(self) -> "FanOut":
        """The fan-out of a function that serves requests: large fan-outs go to the workers' queue, if any."""
        from chat.services.push import FanOut

        config = self._config
        return FanOut(
            self.adapters.pusher,
            self.adapters.connections,
            threads=config.fan_out_threads,
            queue=self.adapters.fan_out_queue,
            inline_max=config.fan_out_inline_max,
            batch_size=config.fan_out_batch_size,
            sleep=self._sleep,
            metrics=self.adapters.metrics,
        )

    @cached_property
    def fan_out_worker(self) -> "FanOut":
        """The fan-out of a worker: it pushes its job itself and never queues it again."""
        from chat.services.push import FanOut

        return FanOut(
            self.adapters.pusher,
            self.adapters.connections,
            threads=self._config.fan_out_threads,
            sleep=self._sleep,
            metrics=self.adapters.metrics,
        )

    @cached_property
    def archived_history(self) -> "ArchivedHistory":
        from chat.services.archive import ArchivedHistory

        return ArchivedHistory(self.adapters.archive_index, self.adapters.archive_storage)

    @cached_property
    def archived_messages(self) -> "ArchivedMessages":
        from chat.services.archive import ArchivedMessages

        # The storage is built on first use: finding a message's chunk needs only the index.
        return ArchivedMessages(self.adapters.archive_index, lambda: self.adapters.archive_storage)

    @cached_property
    def archiver(self) -> "Archiver":
        from chat.services.archive import Archiver

        adapters, config = self.adapters, self._config
        return Archiver(
            adapters.archivable_messages,
            adapters.archive_index,
            adapters.archive_storage,
            after=timedelta(days=config.archive_after_days),
            max_messages=config.archive_max_messages,
            retention=timedelta(days=config.retention_days) if config.retention_days is not None else None,
        )

    @cached_property
    def notifications_on_send(self) -> "NotificationsOnSend":
        from chat.services.notifications import NotificationsOnSend

        return NotificationsOnSend(self.adapters.notification_queue)

    @cached_property
    def notifier(self) -> "Notifier":
        from chat.services.notifications import Notifier, PushRules

        adapters, config = self.adapters, self._config
        return Notifier(
            messages=adapters.messages,
            conversations=adapters.conversations,
            users=adapters.users,
            blocks=adapters.blocks,
            connections=adapters.connections,
            logins=adapters.logins,
            subscriptions=adapters.push_subscriptions,
            deliveries=adapters.push_deliveries,
            sender=adapters.web_push,
            queue=adapters.notification_queue,
            rules=PushRules(
                ttl_seconds=config.push_ttl_seconds,
                max_attempts=config.push_max_attempts,
                first_retry_seconds=config.push_first_retry_seconds,
                batch_size=config.push_batch_size,
                timeout_seconds=config.push_timeout_seconds,
            ),
            threads=config.push_threads,
        )

    @cached_property
    def push_subscriptions(self) -> "PushSubscriptionService":
        from chat.services.push_subscriptions import PushSubscriptionService

        config = self._config
        return PushSubscriptionService(
            self.adapters.push_subscriptions,
            vapid_public_key=self.adapters.vapid_public_key,
            push_services=config.push_services,
            allow_loopback=config.push_allow_loopback,
            max_per_user=config.max_push_subscriptions_per_user,
        )
