"""What tells the team something is wrong: one alarm topic (with an e-mail subscription when the stack's
AlarmEmail parameter names an address),
alarms on every function, both APIs and the job queues, and one dashboard of the key graphs.
What each alarm means and what to do first is in its description and in the README (Operating it)."""

from collections.abc import Sequence
from typing import cast

from aws_cdk import ArnFormat, CfnCondition, CfnParameter, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.apis import HttpApi, WebSocketApi
from infra.constructs.fan_out import MAX_RECEIVES, FanOutQueue
from infra.constructs.functions import SIZING, ChatFunctions
from infra.constructs.health_check import DeepHealthCheck
from infra.constructs.keep_warm import KeepWarm
from infra.constructs.notifications import Notifications
from infra.routes import ARCHIVER, HEALTH_CHECK, WS_AUTHORIZER
from infra.stages import StageSettings

# Every alarm and graph looks at five-minute periods: the finest the default (free) metrics give for
# every source here, and short enough to hear of an outage while it happens.
PERIOD = Duration.minutes(5)
# The functions' own metrics: Powertools Metrics (EMF) writes them to the stage's namespace
# (StageSettings.metrics_namespace, the functions' POWERTOOLS_METRICS_NAMESPACE), with service=chat.
SERVICE_DIMENSION = {"service": "chat"}
NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING
AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD


# The functions' own counts the dashboard graphs (lambdas/chat: Metrics port), by what they tell.
CHAT_GRAPHS = {
    "Messages and fan-out": (
        "MessagesSent",
        "FanOutDelivered",
        "FanOutQueued",
        "FanOutGone",
        "FanOutFailed",
        "FanOutRejected",
    ),
    "Refusals and failures": ("RateLimited", "ServiceUnavailable", "MediaRefused", "UnhandledErrors"),
    "Sign-in": ("LoginFailures", "LoginLockouts", "LoginCeilingExceeded", "RefreshTokenReuse"),
    "Catch-up resyncs": ("CatchUpResyncs",),
}
# One sample per message sent (how many sockets its fan-out was for): read as a distribution, not summed.
PUSHES_PER_MESSAGE = "PushesPerMessage"
# The stack parameter naming where alarms are e-mailed (empty: nobody). A parameter, not a synth-time
# setting: a later deploy that does not name it keeps the address (the CDK CLI passes previous values on).
ALARM_EMAIL_PARAMETER = "AlarmEmail"


class Monitoring(Construct):
    """Alarms route to `self.topic`; `self.alarms` lists every one of them (the dashboard shows their state)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageSettings,
        functions: ChatFunctions,
        http_api: HttpApi,
        websocket_api: WebSocketApi,
        fan_out: FanOutQueue,
        notifications: Notifications,
        health_check: DeepHealthCheck,
        keep_warm: KeepWarm,
    ) -> None:
        super().__init__(scope, construct_id)
        self._settings = stage.alarms
        self._namespace = stage.metrics_namespace
        stack = Stack.of(self)
        # Named after the stack (as CloudFormation names the alarms other constructs make), so the topic's
        # grant to CloudWatch covers this stack's alarms and the e-mail's subject says which stack it is.
        self._prefix = stack.stack_name
        self.alarms: list[cloudwatch.Alarm] = []
        self.topic = self._alarm_topic(stage)
        self._action = actions.SnsAction(self.topic)

        for module, function in functions.by_module.items():
            self._watch_function(module, function)
        self._watch_http_api(http_api)
        self._watch_websocket_api(websocket_api)
        self._watch_queues(fan_out, notifications)
        self._watch_failed_runs(functions)
        if keep_warm.failed_runs is not None:
            self._watch_keep_warm(keep_warm.failed_runs)
        self._watch_chat_metrics()
        if stage.health_check.enabled:
            self._watch_health(health_check)
        self.dashboard = self._dashboard(
            functions=functions,
            http_api=http_api,
            websocket_api=websocket_api,
            fan_out=fan_out,
            notifications=notifications,
            health_check=health_check,
        )

    def alarm(
        self,
        name: str,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        comparison: cloudwatch.ComparisonOperator = AT_LEAST,
        periods: int = 1,
        missing_data: cloudwatch.TreatMissingData = NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        """An alarm named `<stack>-<name>` that tells the topic when it goes off and when it clears. By
        default a period without data (nothing ran, nothing queued) counts as fine: most metrics are
        quiet when idle. `self.alarm("X", metric=self.chat_metric("X"), ...)` watches one of the functions' counts."""
        alarm = cloudwatch.Alarm(
            self,
            name,
            alarm_name=f"{self._prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            treat_missing_data=missing_data,
        )
        self.route(alarm)
        return alarm

    def route(self, alarm: cloudwatch.Alarm) -> None:
        """Sends an alarm made elsewhere (a construct's own) to the topic too."""
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)

    def chat_metric(self, name: str) -> cloudwatch.Metric:
        """One of the functions' own counts (Powertools EMF, in this stage's namespace), service-wide, summed
        per period. No label: an alarm on a labelled metric is written as a metric query, which hides the
        metric's name."""
        return chat_metric(self._namespace, name)

    def _alarm_topic(self, stage: StageSettings) -> sns.Topic:
        # CloudWatch cannot publish to a topic under the AWS-managed SNS key: the topic gets its own key,
        # which CloudWatch may use for this stack's alarms only. Nothing outlives a delivery, so the key
        # goes with the stack.
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"Encrypts the chat {stage.name} alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        topic = sns.Topic(
            self, "AlarmTopic", display_name=f"Chat {stage.name} alarms", master_key=key, enforce_ssl=True
        )
        stack = Stack.of(self)
        from_these_alarms = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name=f"{self._prefix}-*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        }
        cloudwatch_service = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[cloudwatch_service],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=from_these_alarms,
            )
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[cloudwatch_service],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=from_these_alarms,
            )
        )
        # `cdk deploy --parameters AlarmEmail=ops@example.com` (make deploy ALARM_EMAIL=...) subscribes it; later
        # deploys keep the stored address unless given another (an empty one unsubscribes). AWS e-mails the
        # address a confirmation link first: nothing arrives until someone follows it.
        alarm_email = CfnParameter(
            stack,
            ALARM_EMAIL_PARAMETER,
            type="String",
            default="",
            allowed_pattern="^([^@\\s]+@[^@\\s]+)?$",
            constraint_description="an e-mail address (ops@example.com), or empty for none",
            description="Where the alarms are e-mailed (empty: nobody; kept by later deploys that do not name one)",
        )
        has_alarm_email = CfnCondition(
            self, "HasAlarmEmail", expression=Fn.condition_not(Fn.condition_equals(alarm_email.value_as_string, ""))
        )
        subscription = sns.Subscription(
            self,
            "AlarmEmailSubscription",
            topic=topic,
            protocol=sns.SubscriptionProtocol.EMAIL,
            endpoint=alarm_email.value_as_string,
        )
        cast(sns.CfnSubscription, subscription.node.default_child).cfn_options.condition = has_alarm_email
        return topic

    def _watch_function(self, module: str, function: lambda_.Function) -> None:
        name, settings, sizing = function.node.id, self._settings, SIZING[module]
        if sizing.at_deploy:
            # CloudFormation runs it during a deploy, which fails loudly if it does: its own report.
            return
        # The $connect authorizer refuses a bad token by raising Exception("Unauthorized") (the only way a
        # REQUEST authorizer makes API Gateway answer 401), which Lambda counts as an error: its Errors would
        # go off on every expired token. Its real failures are counted by the function itself instead
        # (UnhandledErrors, ServiceUnavailable) and a slow one shows in its NearTimeout alarm.
        if module != WS_AUTHORIZER:
            self.alarm(
                f"{name}-Errors",
                metric=function.metric_errors(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                threshold=settings.function_errors,
                description=(
                    f"{name} failed (an uncaught exception or a timeout) at least {settings.function_errors} "
                    "time(s) in 5 minutes. First: its log group, filtered on level ERROR and on 'Task timed out'. "
                    "API routes answer the client with an error; queue workers retry the job, then dead-letter it."
                ),
            )
        self.alarm(
            f"{name}-Throttles",
            metric=function.metric_throttles(period=PERIOD, statistic=cloudwatch.Stats.SUM),
            threshold=settings.function_throttles,
            description=(
                f"Lambda refused to run {name} (no concurrency left) at least "
                f"{settings.function_throttles} time(s) in 5 minutes: callers got errors or were retried. First: "
                "the account's ConcurrentExecutions against its quota (Service Quotas), then this function's "
                "reserved or maximum concurrency."
            ),
        )
        # A scheduled function runs too seldom for p99 to hold 3 periods in a row (the archiver runs daily);
        # its failed runs, and for the health check the DeepHealth alarm, report on it instead.
        if sizing.scheduled or function.timeout is None:  # every function sets a timeout (Lambda's default: 3 s)
            return
        timeout_ms = function.timeout.to_milliseconds()
        near_ms = round(timeout_ms * settings.duration_share_of_timeout)
        self.alarm(
            f"{name}-NearTimeout",
            metric=function.metric_duration(period=PERIOD, statistic=cloudwatch.Stats.p(99)),
            threshold=near_ms,
            comparison=ABOVE,
            periods=settings.sustained_periods,
            description=(
                f"{name}'s p99 duration stayed above {near_ms} ms "
                f"({settings.duration_share_of_timeout:.0%} of its {timeout_ms // 1000} s timeout) for "
                f"{settings.sustained_periods} x 5 minutes: soon invocations time out. First: MongoDB's latency and "
                "connections (Atlas metrics), then the traces of this function's slowest calls in X-Ray."
            ),
        )

    def _watch_http_api(self, http_api: HttpApi) -> None:
        settings = self._settings
        self.alarm(
            "HttpApi-5xx",
            metric=http_api.stage.metric_server_error(period=PERIOD, statistic=cloudwatch.Stats.SUM),
            threshold=settings.http_5xx,
            description=(
                f"The HTTP API answered 5xx at least {settings.http_5xx} times in 5 minutes. A 503 means MongoDB "
                "is unreachable (check the cluster, its network access list and the URI secret); a 500 is a bug "
                "(the HttpApiFunction's ERROR lines); an integration error in the access log is the function "
                "failing or timing out."
            ),
        )
        self.alarm(
            "HttpApi-LatencyP99",
            metric=http_api.stage.metric_latency(period=PERIOD, statistic=cloudwatch.Stats.p(99)),
            threshold=settings.http_latency_p99_ms,
            comparison=ABOVE,
            periods=settings.sustained_periods,
            description=(
                f"The HTTP API's p99 latency stayed above {settings.http_latency_p99_ms} ms for "
                f"{settings.sustained_periods} x 5 minutes. First: the HttpApiFunction's duration and cold starts "
                "(Init Duration in its REPORT lines), then MongoDB's latency; log-ins are slow by design (argon2)."
            ),
        )

    def _watch_websocket_api(self, websocket_api: WebSocketApi) -> None:
        settings = self._settings
        self.alarm(
            "WebSocket-IntegrationErrors",
            metric=websocket_api.stage.metric("IntegrationError", period=PERIOD, statistic=cloudwatch.Stats.SUM),
            threshold=settings.websocket_integration_errors,
            description=(
                f"A WebSocket route's function answered 4xx/5xx at least {settings.websocket_integration_errors} "
                "times in 5 minutes. Refused connects count here (over the connect rate limit or the socket cap: "
                "429), as do failed invocations. First: the WebSocket access log's status and integrationError, "
                "then the route functions' Errors alarms."
            ),
        )
        self.alarm(
            "WebSocket-ExecutionErrors",
            metric=websocket_api.stage.metric("ExecutionError", period=PERIOD, statistic=cloudwatch.Stats.SUM),
            threshold=settings.websocket_execution_errors,
            description=(
                f"API Gateway could not call a WebSocket route's function at least "
                f"{settings.websocket_execution_errors} time(s) in 5 minutes (throttled, missing permission, or "
                "the function failed outright): users' frames went unanswered. First: the route functions' "
                "Throttles and Errors alarms, then the WebSocket access log's integrationError."
            ),
        )

    def _watch_queues(self, fan_out: FanOutQueue, notifications: Notifications) -> None:
        settings = self._settings
        self.alarm(
            "FanOut-OldestJob",
            metric=fan_out.queue.metric_approximate_age_of_oldest_message(
                period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=settings.fan_out_oldest_job_s,
            comparison=ABOVE,
            description=(
                f"A fan-out job has waited more than {settings.fan_out_oldest_job_s} s: members of large groups get "
                "frames late (they catch up on reconnect). First: the FanOutWorkerFunction's Errors, Throttles and "
                "NearTimeout alarms; if the workers are healthy but busy, raise the stage's fan_out_max_concurrency."
            ),
        )
        self.alarm(
            "Notifications-OldestJob",
            metric=notifications.queue.metric_approximate_age_of_oldest_message(
                period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=settings.notify_oldest_job_s,
            comparison=ABOVE,
            description=(
                f"A Web Push job has waited more than {settings.notify_oldest_job_s} s: people who are away hear "
                "of messages late. First: the NotifierFunction's Errors and NearTimeout alarms (a slow push "
                "service); if it is healthy but busy, raise the stage's notify_max_concurrency."
            ),
        )
        self.alarm(
            "FanOut-DeadLetters",
            metric=fan_out.dead_letters.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=1,
            description=(
                f"A fan-out job failed {MAX_RECEIVES} times and was set aside: its frame reached some members only "
                "on their next catch-up. First: the FanOutWorkerFunction's ERROR lines; once fixed, redrive the "
                "dead-letter queue (SQS console, 'Start DLQ redrive') or purge it. The alarm clears when it is empty."
            ),
        )
        # The notification dead letters already have their alarm (in its construct): it only needs the topic.
        self.route(notifications.dead_letters_alarm)

    def _watch_failed_runs(self, functions: ChatFunctions) -> None:
        """The scheduled functions' runs that failed every try, or that their schedule could not start."""
        what_to_do = {
            ARCHIVER: "The next run moves what this one did not (runs resume where the last stopped). First: the "
            "ArchiverFunction's ERROR lines and 'Task timed out' (lower the stage's archive max_messages if it "
            "runs out of time).",
            HEALTH_CHECK: "The checker itself failed, so DeepHealth has a gap. First: the HealthCheckFunction's ERROR "
            "lines (its HEALTH_URL, its network).",
        }
        for module, failed_runs in functions.failed_runs.items():
            function = functions[module]
            self.alarm(
                f"{function.node.id}-FailedRuns",
                metric=failed_runs.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=1,
                description=(
                    f"A run of {function.node.id} failed every try (or its schedule could not invoke it) and was "
                    f"set aside in its failed-runs queue. {what_to_do.get(module, 'First: its ERROR lines.')} "
                    "Each message holds the event and the error; purge the queue once read. The alarm clears when "
                    "it is empty."
                ),
            )

    def _watch_keep_warm(self, failed_runs: sqs.IQueue) -> None:
        """Keep-warm events the scheduler could not hand to a SnapStart function (infra/constructs/keep_warm.py)."""
        self.alarm(
            "KeepWarm-FailedRuns",
            metric=failed_runs.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=1,
            description=(
                "The scheduler could not invoke a SnapStart function's live alias with its daily keep-warm for 12 "
                "hours, and set the event aside in the keep-warm failed-runs queue. A version nobody invokes for 14 "
                "days goes Inactive and refuses its next users until Lambda has initialized it again. First: the "
                "message's attributes name the schedule and the error (a permission, a throttle, an alias gone); "
                "purge the queue once read. The alarm clears when it is empty."
            ),
        )

    def _watch_chat_metrics(self) -> None:
        """The functions' own counts (Powertools EMF, lambdas/chat/observability.py), service-wide."""
        settings = self._settings
        self.alarm(
            "UnhandledErrors",
            metric=self.chat_metric("UnhandledErrors"),
            threshold=settings.unhandled_errors,
            description=(
                f"At least {settings.unhandled_errors} request(s) in 5 minutes hit a bug: the user was told "
                "'Something went wrong on our side' (HTTP 500 or a WebSocket error frame). First: the dashboard's "
                "'Latest errors' (code internal_error, with the stack), by correlation_id."
            ),
        )
        self.alarm(
            "ServiceUnavailable",
            metric=self.chat_metric("ServiceUnavailable"),
            threshold=settings.service_unavailable,
            description=(
                f"At least {settings.service_unavailable} requests in 5 minutes were answered 503: a dependency "
                "(MongoDB, S3, the archive) did not answer. First: GET /api/health?deep=true names the failed "
                "dependency; then the cluster's status and network access list, and the MongoDB URI secret."
            ),
        )
        self.alarm(
            "FanOutFailed",
            metric=self.chat_metric("FanOutFailed"),
            threshold=settings.fan_out_failed,
            description=(
                f"At least {settings.fan_out_failed} pushes to sockets failed after their retries in 5 minutes "
                "(API Gateway's Management API throttled or erred; sockets that are gone do not count). Those "
                "members see the messages on their next catch-up. First: the pushers' ERROR lines, then the "
                "stage's push threads and fan_out_max_concurrency against the Management API's rate."
            ),
        )
        self.alarm(
            "FanOutRejected",
            metric=self.chat_metric("FanOutRejected"),
            threshold=settings.fan_out_rejected,
            description=(
                "API Gateway refused pushes for good (a 4xx, usually 403): a role or signing fault, so likely "
                "every push fails and nobody gets frames live. First: the pushers' 'pushes rejected' ERROR "
                "lines, their execute-api:ManageConnections grant and WS_MANAGEMENT_ENDPOINT."
            ),
        )
        self.alarm(
            "LoginCeilingExceeded",
            metric=self.chat_metric("LoginCeilingExceeded"),
            threshold=settings.login_ceiling,
            description=(
                "Log-in attempts for one username passed the per-username ceiling (100 in 15 minutes, from many "
                "addresses): someone is guessing that password. First: the ERROR line names the username and "
                "source; consider blocking the sources (a WAF) and telling the user."
            ),
        )

    def _watch_health(self, health_check: DeepHealthCheck) -> None:
        periods = self._settings.health_check_periods
        self.alarm(
            "DeepHealth",
            metric=health_check.metric,
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            periods=periods,
            # The check runs every few minutes: no data means it did not run, which is no good news.
            missing_data=cloudwatch.TreatMissingData.BREACHING,
            description=(
                f"GET /api/health?deep=true failed (or no check ran) {periods} x 5 minutes in a row: the API, "
                "its function or MongoDB is down for clients. First: call it yourself, its answer names the "
                "failed dependency; then the HttpApi-5xx and HttpApiFunction alarms."
            ),
        )

    def _dashboard(
        self,
        *,
        functions: ChatFunctions,
        http_api: HttpApi,
        websocket_api: WebSocketApi,
        fan_out: FanOutQueue,
        notifications: Notifications,
        health_check: DeepHealthCheck,
    ) -> cloudwatch.Dashboard:
        stack = Stack.of(self)
        every = list(functions.by_module.values())

        def per_function(label: str, metric: str, statistic: str) -> cloudwatch.GraphWidget:
            return graph(
                label,
                [f.metric(metric, period=PERIOD, statistic=statistic, label=f.node.id) for f in every],
                width=6,
            )

        def ws(metric: str, statistic: str = cloudwatch.Stats.SUM) -> cloudwatch.Metric:
            return websocket_api.stage.metric(metric, period=PERIOD, statistic=statistic, label=metric)

        def queues(label: str, metric: str, statistic: str) -> cloudwatch.GraphWidget:
            watched = {
                "fan-out": fan_out.queue,
                "fan-out dead letters": fan_out.dead_letters,
                "notifications": notifications.queue,
                "notification dead letters": notifications.dead_letters,
                **{f"{functions[m].node.id} failed runs": q for m, q in functions.failed_runs.items()},
            }
            return graph(
                label,
                [q.metric(metric, period=PERIOD, statistic=statistic, label=name) for name, q in watched.items()],
                width=12,
            )

        http = http_api.stage
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{self._prefix}-{stack.region}",
            default_interval=Duration.hours(6),
        )
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24, height=6),
        )
        dashboard.add_widgets(
            graph(
                "HTTP API: requests and errors",
                [
                    http.metric_count(period=PERIOD, statistic=cloudwatch.Stats.SUM, label="requests"),
                    http.metric_client_error(period=PERIOD, statistic=cloudwatch.Stats.SUM, label="4xx"),
                    http.metric_server_error(period=PERIOD, statistic=cloudwatch.Stats.SUM, label="5xx"),
                ],
            ),
            graph(
                "HTTP API: latency (ms)",
                [
                    http.metric_latency(period=PERIOD, statistic=cloudwatch.Stats.p(50), label="p50"),
                    http.metric_latency(period=PERIOD, statistic=cloudwatch.Stats.p(99), label="p99"),
                    http.metric_integration_latency(
                        period=PERIOD, statistic=cloudwatch.Stats.p(99), label="integration p99"
                    ),
                ],
            ),
            graph("WebSocket: traffic", [ws("ConnectCount"), ws("MessageCount")]),
            graph(
                "WebSocket: errors and latency",
                [ws("IntegrationError"), ws("ExecutionError"), ws("ClientError")],
                right=[ws("IntegrationLatency", cloudwatch.Stats.p(99))],
            ),
        )
        dashboard.add_widgets(
            per_function("Functions: errors", "Errors", cloudwatch.Stats.SUM),
            per_function("Functions: duration p99 (ms)", "Duration", cloudwatch.Stats.p(99)),
            per_function("Functions: throttles", "Throttles", cloudwatch.Stats.SUM),
            per_function("Functions: concurrent executions", "ConcurrentExecutions", cloudwatch.Stats.MAXIMUM),
        )
        dashboard.add_widgets(
            queues("Queues: jobs waiting", "ApproximateNumberOfMessagesVisible", cloudwatch.Stats.MAXIMUM),
            queues("Queues: oldest job (s)", "ApproximateAgeOfOldestMessage", cloudwatch.Stats.MAXIMUM),
        )
        pushes_per_message = [
            self.chat_metric(PUSHES_PER_MESSAGE).with_(statistic=statistic, label=f"{PUSHES_PER_MESSAGE} {label}")
            for statistic, label in ((cloudwatch.Stats.AVERAGE, "average"), (cloudwatch.Stats.p(99), "p99"))
        ]
        dashboard.add_widgets(
            *(
                graph(title, [self.chat_metric(name).with_(label=name) for name in names])
                for title, names in CHAT_GRAPHS.items()
            )
        )
        dashboard.add_widgets(
            graph("Deep health (1 up, 0 down)", [health_check.metric], width=6),
            graph("Pushes per message (sockets per send)", pushes_per_message, width=6),
            cloudwatch.LogQueryWidget(
                title="Latest errors",
                log_group_names=[f.log_group.log_group_name for f in every],
                query_lines=[
                    "fields @timestamp, @log, message, code, correlation_id, exception_name",
                    "filter level = 'ERROR'",
                    "sort @timestamp desc",
                    "limit 50",
                ],
                width=12,
                height=6,
            ),
        )
        return dashboard

    @property
    def dashboard_url(self) -> str:
        region = Stack.of(self).region
        return (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards:name={self.dashboard.dashboard_name}"
        )


def graph(
    title: str, left: Sequence[cloudwatch.IMetric], *, right: Sequence[cloudwatch.IMetric] = (), width: int = 6
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(left), right=list(right), width=width, height=6)


def chat_metric(namespace: str, name: str) -> cloudwatch.Metric:
    """One of the functions' own counts in `namespace`, service-wide, summed per period."""
    return cloudwatch.Metric(
        namespace=namespace,
        metric_name=name,
        dimensions_map=SERVICE_DIMENSION,
        period=PERIOD,
        statistic=cloudwatch.Stats.SUM,
    )
