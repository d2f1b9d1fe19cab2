"""Every Lambda function: one code asset (lambdas/), the dependency layer,
arm64, X-Ray, its own log group, and only the secrets it reads; in a stage with
SnapStart, the API's heavy ones published with a `live` alias that API Gateway invokes."""

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.secrets import ChatSecrets
from infra.nag import acknowledge
from infra.routes import (
    ARCHIVER,
    DB_SETUP_HANDLER,
    FAN_OUT_WORKER,
    HEALTH_CHECK,
    HTTP_HANDLER,
    MEDIA_KEY_SETUP_HANDLER,
    NOTIFIER,
    VAPID_KEY_SETUP_HANDLER,
    WS_AUTHORIZER,
    WS_ROUTES,
)
from infra.stages import StageSettings

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
# The newest Python runtime CDK offers that Powertools supports; the layer is built for it.
RUNTIME = lambda_.Runtime.PYTHON_3_14
BASIC_EXECUTION_POLICY = "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# The alias API Gateway invokes a SnapStart function through: a snapshot exists only for published versions.
LIVE_ALIAS = "live"


@dataclass(frozen=True, kw_only=True)
class Sizing:
    """What one function is given: its memory and timeout, what it may read or write, and why."""

    memory_mb: int
    timeout_s: int
    reads_jwt_key: bool
    reads_mongodb: bool
    why: str
    handles_media: bool = False  # signs uploads and links, checks uploads' first bytes
    links_media: bool = False  # signs links to files, nothing more
    pushes: bool = False  # posts frames to sockets through the Management API
    uses_archive: bool = False  # reads archived history and rewrites a chunk to delete a message in it
    archives: bool = False  # the archiver: writes, rewrites and (retention) deletes chunks
    notifies: bool = False  # stores messages, so queues Web Push jobs for the members who are away
    # Invoked asynchronously by EventBridge Scheduler: Lambda retries a failed run `retries` times,
    # for at most `max_event_age_s`, then sends it to the function's failed-runs queue.
    scheduled: bool = False
    # Invoked by CloudFormation during a deploy only: a failure fails the deploy, which is its own report,
    # so the monitoring gives it no alarms.
    at_deploy: bool = False
    retries: int = 2
    max_event_age_s: int = 6 * 3600
    # Invoked by API Gateway, a user waiting, and its first event imports pymongo, its stores and services:
    # in a stage with SnapStart, resumed from a snapshot instead (chat/handlers/cold_start.py names what the
    # snapshot holds). Not ping and $default: their whole cold start (about 50 ms) is less than a restore.
    snap_start: bool = False


# Lambda gives CPU in proportion to memory, so memory is chosen for CPU as much as for RAM.
# Every timeout covers MongoDB's 3 s server selection plus a 10 s socket timeout where the
# function talks to the database, so a dead cluster ends in a clear 503, not a Lambda timeout.
SIZING = {
    HTTP_HANDLER: Sizing(
        memory_mb=1024,
        timeout_s=15,
        reads_jwt_key=True,
        reads_mongodb=True,
        snap_start=True,
        why="argon2id (19 MiB, t=2) is CPU-bound: ~0.6 vCPU keeps login fast",
        handles_media=True,
        pushes=True,
        uses_archive=True,
        notifies=True,
    ),
    WS_AUTHORIZER: Sizing(
        memory_mb=256,
        timeout_s=15,
        reads_jwt_key=True,
        reads_mongodb=True,
        snap_start=True,
        why="one HMAC check and one read of the token's login",
    ),
    WS_ROUTES["$connect"]: Sizing(
        memory_mb=256,
        timeout_s=15,
        reads_jwt_key=False,
        reads_mongodb=True,
        snap_start=True,
        why="the connect limit, the socket, the login and socket-cap reads; a first socket also tells contacts",
        pushes=True,
    ),
    WS_ROUTES["$disconnect"]: Sizing(
        memory_mb=256,
        timeout_s=15,
        reads_jwt_key=False,
        reads_mongodb=True,
        snap_start=True,
        why="a MongoDB delete and a check; a last socket also tells contacts",
        pushes=True,
    ),
    WS_ROUTES["$default"]: Sizing(
        memory_mb=128, timeout_s=3, reads_jwt_key=False, reads_mongodb=False, why="parses a frame, answers an error"
    ),
    WS_ROUTES["ping"]: Sizing(memory_mb=128, timeout_s=3, reads_jwt_key=False, reads_mongodb=False, why="answers pong"),
    WS_ROUTES["sendMessage"]: Sizing(
        memory_mb=1024,
        timeout_s=15,
        reads_jwt_key=False,
        reads_mongodb=True,
        snap_start=True,
        why="5 MongoDB round trips (1 the rate limit), then parallel pushes; a large group's go through the "
        "fan-out queue",
        handles_media=True,
        pushes=True,
        notifies=True,
    ),
    WS_ROUTES["typing"]: Sizing(
        memory_mb=512,
        timeout_s=15,
        reads_jwt_key=False,
        reads_mongodb=True,
        snap_start=True,
        why="4 MongoDB round trips (1 the rate limit), then parallel pushes (conversations of up to 50 members)",
        pushes=True,
    ),
    WS_ROUTES["markRead"]: Sizing(
        memory_mb=512,
        timeout_s=15,
        reads_jwt_key=False,
        reads_mongodb=True,
        snap_start=True,
        why="receipts (markDelivered too): the rate limit, 1 MongoDB read, 1 write, 1 author lookup, 1 connection "
        "query, then pushes to the reader's devices and the authors; a large group's go through the fan-out queue",
        pushes=True,
    ),
    WS_ROUTES["editMessage"]: Sizing(
        memory_mb=512,
        timeout_s=15,
        reads_jwt_key=False,
        reads_mongodb=True,
        snap_start=True,
        why="edits, deletions and reactions: 6 MongoDB round trips (1 the rate limit), then parallel pushes; "
        "signs links of files",
        links_media=True,
        pushes=True,
        uses_archive=True,
    ),
    ARCHIVER: Sizing(
        memory_mb=1024,
        timeout_s=900,
        reads_jwt_key=False,
        reads_mongodb=True,
        why="moves old messages to S3 chunks, within ARCHIVE_MAX_MESSAGES and its 15 minutes; the next run goes on",
        archives=True,
        scheduled=True,  # a failed run is retried twice (runs resume where the last stopped), then set aside
    ),
    HEALTH_CHECK: Sizing(
        memory_mb=128,
        timeout_s=15,
        reads_jwt_key=False,
        reads_mongodb=False,
        why="asks the stage's GET /api/health?deep=true and records DeepHealth; on a schedule in prod",
        scheduled=True,
        retries=0,  # a failed check is itself the answer, and the next one comes in minutes
        max_event_age_s=240,  # a check that waited longer than this would report on the past
    ),
    FAN_OUT_WORKER: Sizing(
        memory_mb=512,
        timeout_s=30,
        reads_jwt_key=False,
        reads_mongodb=True,
        why="one queued frame to one batch of sockets, in parallel pushes; deletes the connections that are gone",
        pushes=True,
    ),
    NOTIFIER: Sizing(
        memory_mb=512,
        timeout_s=60,
        reads_jwt_key=False,
        reads_mongodb=True,
        why="one message's Web Push notifications: who is away and their devices from MongoDB, then one encrypted "
        "request per device, PUSH_THREADS at once; a retry goes back on the queue, delayed",
    ),
    DB_SETUP_HANDLER: Sizing(
        memory_mb=256,
        timeout_s=60,
        reads_jwt_key=False,
        reads_mongodb=True,
        why="creates indexes once per deploy, then fills the search fields of older history for what time is left",
        at_deploy=True,
    ),
    MEDIA_KEY_SETUP_HANDLER: Sizing(
        memory_mb=512,
        timeout_s=30,
        reads_jwt_key=False,
        reads_mongodb=False,
        why="generates one RSA-2048 key pair per stack, at deploy",
        at_deploy=True,
    ),
    VAPID_KEY_SETUP_HANDLER: Sizing(
        memory_mb=256,
        timeout_s=30,
        reads_jwt_key=False,
        reads_mongodb=False,
        why="generates one P-256 (VAPID) key pair per stack, at deploy",
        at_deploy=True,
    ),
}


def failed_runs_queue(scope: Construct, construct_id: str, of_what: str) -> sqs.Queue:
    """A queue that keeps what failed (the dead-letter destination `of_what`) for 14 days, for a person
    to read: encrypted, SSL-only, and with no dead-letter queue of its own."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),  # the longest SQS keeps a message: time to look
    )
    acknowledge(
        queue,
        "AwsSolutions-SQS3",
        f"This queue is itself the dead-letter destination of {of_what}; nothing consumes it, so a dead-letter "
        "queue of its own would never receive.",
    )
    return queue


def function_id(module: str) -> str:
    """`chat.handlers.ws_send_message` -> `WsSendMessageFunction`: one naming rule for every function."""
    return "".join(part.title() for part in module.rsplit(".", 1)[-1].split("_")) + "Function"


class ChatFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageSettings,
        layer: lambda_.ILayerVersion,
        secrets: ChatSecrets,
    ) -> None:
        super().__init__(scope, construct_id)
        code = lambda_.Code.from_asset(str(LAMBDAS), exclude=["**/__pycache__", "**/*.pyc"])
        self.by_module: dict[str, lambda_.Function] = {}
        # What API Gateway invokes, by module: the live alias of a SnapStart function, else the function.
        self._invoked: dict[str, lambda_.IFunction] = {}
        # The live alias of each SnapStart function, by module (none in a stage without SnapStart).
        self.live_aliases: dict[str, lambda_.Alias] = {}
        snapshotted = snap_started(stage)
        # Each scheduled function's runs that failed every try (and its schedule's invocations that never
        # got through): nothing else would keep them. For the monitoring's alarms, by module.
        self.failed_runs: dict[str, sqs.Queue] = {}
        reserved = reserved_concurrency(stage)
        for module, sizing in SIZING.items():
            name = function_id(module)
            environment = {
                "POWERTOOLS_SERVICE_NAME": "chat",
                # The stage's own namespace: the alarms and the dashboard read the same (Monitoring).
                "POWERTOOLS_METRICS_NAMESPACE": stage.metrics_namespace,
                "POWERTOOLS_LOG_LEVEL": stage.log_level,
                "MONGODB_DATABASE": "chat",
            }
            if sizing.reads_jwt_key:
                environment["JWT_SECRET_ARN"] = secrets.jwt_key.secret_arn
            if sizing.reads_mongodb:
                environment["MONGODB_URI_SECRET_ARN"] = secrets.mongodb_uri.secret_arn
                environment.update(stage.limits.environment())
            if sizing.pushes:
                environment.update(stage.push.fan_out_environment())
                if module != FAN_OUT_WORKER:  # the worker pushes what it is given, to whom it is given
                    environment.update(stage.push.group_environment())
            function = lambda_.Function(
                self,
                name,
                description=f"chat {module.rsplit('.', 1)[-1]}: {sizing.why}",
                code=code,
                handler=f"{module}.lambda_handler",
                runtime=RUNTIME,
                architecture=lambda_.Architecture.ARM_64,
                layers=[layer],
                memory_size=sizing.memory_mb,
                timeout=Duration.seconds(sizing.timeout_s),
                tracing=lambda_.Tracing.ACTIVE,
                environment=environment,
                # The archiver runs one at a time: two runs would race for the same seqs.
                reserved_concurrent_executions=1 if sizing.archives else reserved.get(module),
                snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if module in snapshotted else None,
                # A replaced version is deleted, not kept: each one's snapshot is charged while it is active.
                current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY)
                if module in snapshotted
                else None,
                log_group=logs.LogGroup(
                    self,
                    f"{name}Logs",
                    retention=stage.log_retention,
                    removal_policy=stage.removal_policy,
                ),
            )
            if sizing.reads_jwt_key:
                secrets.jwt_key.grant_read(function)
            if sizing.reads_mongodb:
                secrets.mongodb_uri.grant_read(function)
            acknowledge(
                function,
                f"AwsSolutions-IAM4[Policy::{BASIC_EXECUTION_POLICY}]",
                "AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs.",
            )
            acknowledge(
                function,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray's PutTraceSegments/PutTelemetryRecords take no resource-level permissions; "
                "every other statement is scoped to a named secret or this API's stage.",
            )
            if sizing.scheduled:
                self.failed_runs[module] = failed_runs = failed_runs_queue(
                    self, f"{name}FailedRuns", "the function's asynchronous runs and of its schedule"
                )
                function.configure_async_invoke(
                    on_failure=destinations.SqsDestination(failed_runs),
                    retry_attempts=sizing.retries,
                    max_event_age=Duration.seconds(sizing.max_event_age_s),
                )
            self.by_module[module] = function
            self._invoked[module] = function
            if module in snapshotted:
                self._invoked[module] = self.live_aliases[module] = lambda_.Alias(
                    self, f"{name}Live", alias_name=LIVE_ALIAS, version=function.current_version
                )
                acknowledge(
                    function,
                    "Annotation::@aws-cdk/aws-lambda:snapStartRequirePublish",
                    "Every deploy publishes this function's version (current_version) and moves the live alias, which "
                    "API Gateway invokes, to it: Lambda snapshots that version.",
                )

    def __getitem__(self, module: str) -> lambda_.Function:
        return self.by_module[module]

    def invoked(self, module: str) -> lambda_.IFunction:
        """What API Gateway invokes for `module` (and is granted to): the function's live alias where
        SnapStart is on, which the deploy moves to each new version, else the function itself."""
        return self._invoked[module]


def snap_started(stage: StageSettings) -> set[str]:
    """The modules whose functions run with SnapStart in `stage`: none unless the stage turns it on;
    then those their sizing marks, which the runtime must support."""
    if not stage.snap_start:
        return set()
    if not RUNTIME.supports_snap_start:
        raise ValueError(f"snap_start is on in {stage.name}, but the {RUNTIME.name} runtime has no SnapStart")
    return {module for module, sizing in SIZING.items() if sizing.snap_start}


def reserved_concurrency(stage: StageSettings) -> dict[str, int]:
    """The stage's reserved concurrency by module; a name that is no function's, the archiver's
    (always 1) or a number under 1 stops the synth, named."""
    by_name = {module.rsplit(".", 1)[-1]: module for module in SIZING if not SIZING[module].archives}
    reserved: dict[str, int] = {}
    for name, count in stage.reserved_concurrency:
        if name not in by_name:
            raise ValueError(f"reserved_concurrency names {name!r}: use one of {', '.join(sorted(by_name))}")
        if count < 1:
            raise ValueError(f"reserved_concurrency for {name} must be at least 1 (0 would stop the function)")
        reserved[by_name[name]] = count
    return reserved
