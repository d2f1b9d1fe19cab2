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
    max_blocks_per_user: int = 1000  # people one user may block; a block past this is refused (409)

    def environment(self) -> dict[str, str]:
        """Every function that checks a limit or opens a socket (those that read MongoDB)."""
        return {
            "RATE_LIMITS": "on" if self.rate_limits else "off",
            "MAX_SOCKETS_PER_USER": str(self.max_sockets_per_user),
            "MAX_PUSH_SUBSCRIPTIONS_PER_USER": str(self.max_push_subscriptions_per_user),
            "MAX_BLOCKS_PER_USER": str(self.max_blocks_per_user),
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
class AlarmSettings:
    """When the stack's alarms go off (infra/constructs/monitoring.py; what each one means and what to do:
    README, Operating it). Counts are per 5 minutes; the e-mail they go to is the stack's
    AlarmEmail parameter (cdk deploy --parameters AlarmEmail=...)."""

    function_errors: int = 1  # failed invocations (uncaught exception, timeout) of any one function
    function_throttles: int = 1  # invocations Lambda refused for want of concurrency, per function
    duration_share_of_timeout: float = 0.8  # a function's p99 duration above this share of its timeout
    http_5xx: int = 5  # HTTP API answers 5xx (a 503 is MongoDB unreachable)
    http_latency_p99_ms: int = 3000
    websocket_integration_errors: int = 10  # 4xx/5xx from a route's function (refused connects included)
    websocket_execution_errors: int = 1  # API Gateway could not call a route's function
    fan_out_oldest_job_s: int = 300  # a fan-out frame this late is stale: clients catch up on reconnect
    notify_oldest_job_s: int = 900
    # The functions' own metrics (namespace Chat/<stage>, service=chat), summed across functions:
    unhandled_errors: int = 1  # UnhandledErrors: a bug, answered "Something went wrong on our side"
    service_unavailable: int = 5  # ServiceUnavailable: 503s (MongoDB, S3 or the archive did not answer)
    fan_out_failed: int = 25  # FanOutFailed: pushes that failed after their retries (not sockets gone)
    fan_out_rejected: int = 1  # FanOutRejected: API Gateway refused pushes for good (a role or signing fault)
    login_ceiling: int = 1  # LoginCeilingExceeded: one username guessed at from many addresses
    sustained_periods: int = 3  # latency and duration alarms wait this many 5-minute periods in a row
    health_check_periods: int = 2  # the deep health check failed (or did not run) this many periods in a row


@dataclass(frozen=True)
class MediaSettings:
    """The media bucket (uploads, attachments, avatars, archived history) is versioned: an object deleted
    or overwritten (a retention expiry, a chunk rewritten to delete a message, a mistake) is kept as a
    noncurrent version for this many days, and can be restored until then; after that it is gone."""

    noncurrent_days: int = 30


@dataclass(frozen=True)
class HealthCheckSettings:
    """The scheduled deep health check: a small function asks the stage's own
    `GET /api/health?deep=true` through API Gateway and records the answer as the DeepHealth metric
    (namespace Chat/<stage>, service=chat: 1 up, 0 down). Off: the schedule exists but is disabled."""

    enabled: bool = False
    schedule: str = "rate(5 minutes)"  # an EventBridge Scheduler expression


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
    media: MediaSettings = MediaSettings()
    health_check: HealthCheckSettings = HealthCheckSettings()
    # Reserved concurrency per function, by its handler module's last name, e.g. (("http_api", 200),):
    # both a cap (the function never runs more at once; beyond it, a request is throttled) and a
    # reservation taken out of the account's pool. Empty by default. The queue-driven functions are
    # bounded by their queues' maximum concurrency above, and the archiver always runs alone (1);
    # the request-driven ones are bounded by the stage's API throttle and per-user rate limits, and
    # reserving for each of the eleven would take concurrency from the rest whether used or not: AWS
    # keeps 100 of an account's executions unreserved (a new account may have only 10 in all, and
    # then any reservation fails to deploy), so all reservations together must stay under that.
    reserved_concurrency: tuple[tuple[str, int], ...] = ()
    alarms: AlarmSettings = AlarmSettings()
    # Lambda SnapStart for the functions API Gateway invokes whose cold start is worth a snapshot (Sizing.snap_start
    # in infra/constructs/functions.py): Lambda initializes each published version once and resumes new containers
    # from its snapshot, API Gateway invoking the `live` alias. Costs: a deploy publishes a version per such
    # function (a minute or two more), and Lambda charges for caching each active snapshot and for each restore
    # (README: Cold starts). Off in dev, where deploys should be quick and cold starts are rare and cheap.
    snap_start: bool = False
    # How often each SnapStart function's live alias is invoked with a keep-warm event (an EventBridge Scheduler
    # expression): a version nobody invokes for 14 days goes Inactive, and then fails its next invocations
    # (infra/constructs/keep_warm.py). Daily leaves thirteen days of retries.
    snap_start_keep_warm: str = "rate(1 day)"

    @property
    def metrics_namespace(self) -> str:
        """The CloudWatch namespace of the functions' own metrics (POWERTOOLS_METRICS_NAMESPACE), which
        the alarms and the dashboard read: one per stage, so two stages in one account never mix counts."""
        return f"Chat/{self.name}"


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
        health_check=HealthCheckSettings(enabled=True),
        snap_start=True,
    ),
}


def stage_settings(name: str | None) -> StageSettings:
    stage = name or "dev"
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}: use one of {', '.join(STAGES)} (cdk ... -c stage=dev)")
    return STAGES[stage]
