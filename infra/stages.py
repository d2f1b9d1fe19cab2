"""What differs between the `dev` and `prod` stages (`cdk deploy -c stage=prod`)."""

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs


@dataclass(frozen=True)
class PushSettings:
    """What bounds the cost of pushes as conversations grow, read by the functions from their environment."""

    threads: int = 100  # pushes in flight per function (each thread keeps one connection alive)
    inline_max: int = 200  # a fan-out to more sockets sends this many itself and queues the rest
    batch_size: int = 500  # sockets per queued job, i.e. per worker invocation
    presence_max_group_size: int = 20  # larger groups get no presence frames: members ask on demand
    typing_max_group_size: int = 50  # larger groups get no typing frames

    def fan_out_environment(self) -> dict[str, str]:
        """Every function that pushes, the fan-out worker included."""
        return {
            "FAN_OUT_THREADS": str(self.threads),
            "FAN_OUT_INLINE_MAX": str(self.inline_max),
            "FAN_OUT_BATCH_SIZE": str(self.batch_size),
        }

    def group_environment(self) -> dict[str, str]:
        """Every function that decides who in a conversation hears of something."""
        return {
            "PRESENCE_MAX_GROUP_SIZE": str(self.presence_max_group_size),
            "TYPING_MAX_GROUP_SIZE": str(self.typing_max_group_size),
        }


@dataclass(frozen=True)
class LimitSettings:
    """Per-user rate limits and the socket cap (names and defaults in lambdas/chat/models/limits.py).
    `overrides` maps a limit's name to "count/seconds", e.g. (("send", "60/10"),); a function
    refuses to start with a name it does not know."""

    rate_limits: bool = True  # False: RATE_LIMITS=off, for a load test's stage
    overrides: tuple[tuple[str, str], ...] = ()
    max_sockets_per_user: int = 20
    max_push_subscriptions_per_user: int = 10  # browsers notified per user; a new one past this replaces the oldest

    def environment(self) -> dict[str, str]:
        """Every function that checks a limit or opens a socket (those that read MongoDB)."""
        return {
            "RATE_LIMITS": "on" if self.rate_limits else "off",
            "MAX_SOCKETS_PER_USER": str(self.max_sockets_per_user),
            "MAX_PUSH_SUBSCRIPTIONS_PER_USER": str(self.max_push_subscriptions_per_user),
            **{f"RATE_LIMIT_{name.upper()}": value for name, value in self.overrides},
        }


@dataclass(frozen=True)
class NotificationSettings:
    """Web Push to members who are away, read by the notifier from its environment."""

    ttl_seconds: int = 86_400  # how long a push service keeps a notification for a device that is offline
    max_attempts: int = 5  # deliveries tried per notification (retries go back on the queue, delayed)

    def environment(self) -> dict[str, str]:
        return {"PUSH_TTL_SECONDS": str(self.ttl_seconds), "PUSH_MAX_ATTEMPTS": str(self.max_attempts)}


@dataclass(frozen=True)
class ArchiveSettings:
    """When old messages move from MongoDB to S3 chunks (see README: Archiving)."""

    schedule: str = "rate(1 day)"  # an EventBridge Scheduler expression
    after_days: float = 90  # messages older than this move
    max_messages: int = 100_000  # per run; the next run goes on from there
    retention_days: float | None = None  # archived history older than this is deleted; None: kept

    def environment(self) -> dict[str, str]:
        retention = {} if self.retention_days is None else {"RETENTION_DAYS": f"{self.retention_days:g}"}
        return {
            "ARCHIVE_AFTER_DAYS": f"{self.after_days:g}",
            "ARCHIVE_MAX_MESSAGES": str(self.max_messages),
            **retention,
        }


@dataclass(frozen=True)
class StageSettings:
    name: str
    removal_policy: RemovalPolicy  # what happens to buckets, secrets and logs on `cdk destroy`
    log_level: str
    log_retention: logs.RetentionDays
    throttle_rate: int  # requests per second across the stage before API Gateway answers 429
    throttle_burst: int
    local_origins: tuple[str, ...]  # extra CORS origins, for a web client run from `make dev`
    # Fan-out workers running at once: bounds the @connections posts per second a burst of big groups causes.
    fan_out_max_concurrency: int
    # Notifiers running at once: bounds their MongoDB connections and the rate push services see from
    # this sender; a burst waits in the queue instead.
    notify_max_concurrency: int
    push: PushSettings = PushSettings()
    limits: LimitSettings = LimitSettings()
    notifications: NotificationSettings = NotificationSettings()
    archive: ArchiveSettings = ArchiveSettings()


STAGES = {
    "dev": StageSettings(
        name="dev",
        removal_policy=RemovalPolicy.DESTROY,
        log_level="DEBUG",
        log_retention=logs.RetentionDays.ONE_WEEK,
        throttle_rate=50,
        throttle_burst=100,
        local_origins=("http://127.0.0.1:8000", "http://localhost:8000"),
        fan_out_max_concurrency=5,
        notify_max_concurrency=5,
    ),
    "prod": StageSettings(
        name="prod",
        removal_policy=RemovalPolicy.RETAIN,
        log_level="INFO",
        log_retention=logs.RetentionDays.THREE_MONTHS,
        throttle_rate=500,
        throttle_burst=1000,
        local_origins=(),
        fan_out_max_concurrency=50,
        notify_max_concurrency=20,
    ),
}


def stage_settings(name: str | None) -> StageSettings:
    stage = name or "dev"
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}: use one of {', '.join(STAGES)} (cdk ... -c stage=dev)")
    return STAGES[stage]
