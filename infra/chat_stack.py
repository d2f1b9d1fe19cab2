"""The chat backend's stack: composes one construct per concern."""

import math
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack, triggers
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

from infra.checkov import (
    AT_DEPLOY,
    LOGS_AT_REST,
    SCHEDULED,
    SQS_MANAGED_ENCRYPTION,
    Invocation,
    acknowledge_check,
    acknowledge_function_checks,
    by_api,
    by_queue,
)
from infra.constructs.apis import HttpApi, WebSocketApi
from infra.constructs.dependency_layer import DependencyLayer
from infra.constructs.fan_out import FanOutQueue
from infra.constructs.functions import RUNTIME, SIZING, ChatFunctions, Sizing
from infra.constructs.health_check import DeepHealthCheck
from infra.constructs.hosting import AccessLogs, CustomDomain, MediaHosting, WebHosting
from infra.constructs.keep_warm import KeepWarm
from infra.constructs.monitoring import Monitoring
from infra.constructs.notifications import Notifications
from infra.constructs.secrets import ChatSecrets
from infra.nag import acknowledge
from infra.routes import (
    ARCHIVER,
    DB_SETUP_HANDLER,
    FAN_OUT_WORKER,
    HTTP_HANDLER,
    MEDIA_KEY_SETUP_HANDLER,
    NOTIFIER,
    WS_AUTHORIZER,
    WS_ROUTES,
)
from infra.stages import StageSettings


class ChatStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageSettings,
        web_domain: CustomDomain | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        secrets = ChatSecrets(self, "Secrets", stage=stage)
        layer = DependencyLayer(self, "Dependencies", runtime=RUNTIME)
        functions = ChatFunctions(self, "Functions", stage=stage, layer=layer.layer, secrets=secrets)

        logs = AccessLogs(self, "AccessLogs", stage=stage)
        web = WebHosting(self, "Web", stage=stage, logs=logs.bucket, domain=web_domain)
        media = MediaHosting(
            self,
            "Media",
            stage=stage,
            logs=logs.bucket,
            upload_origins=[web.url],
            signing_key=secrets.media_signing_key,
            key_setup=functions[MEDIA_KEY_SETUP_HANDLER],
        )
        http_api = HttpApi(self, "HttpApi", stage=stage, functions=functions, allowed_origins=[web.url])
        websocket_api = WebSocketApi(self, "WebSocketApi", stage=stage, functions=functions)
        # Its `metric` (DeepHealth) and `failed_runs` are for the alarms; runs on a schedule in prod.
        self.health_check = DeepHealthCheck(self, "HealthCheck", stage=stage, functions=functions, api_url=http_api.url)
        # SnapStart versions go Inactive when nobody invokes them for 14 days: a daily keep-warm (prod).
        keep_warm = KeepWarm(self, "KeepWarm", stage=stage, functions=functions)
        fan_out = FanOutQueue(self, "FanOut", stage=stage, functions=functions)
        notifications = Notifications(
            self, "Notifications", stage=stage, functions=functions, vapid_key=secrets.vapid_key, subject=web.url
        )

        # Whoever pushes frames (the HTTP API, most WebSocket routes, the fan-out worker) may post to this
        # stage's sockets only; all but the worker hand the sockets beyond their own share to the queue.
        for module, pusher in ((m, functions[m]) for m, sizing in SIZING.items() if sizing.pushes):
            if module != FAN_OUT_WORKER:
                fan_out.enqueue_from(pusher)
            pusher.add_environment("WS_MANAGEMENT_ENDPOINT", websocket_api.management_endpoint)
            websocket_api.stage.grant_management_api_access(pusher)
            acknowledge(
                pusher,
                f"AwsSolutions-IAM5[Resource::{websocket_api.management_arn_pattern}]",
                "Pushes go to whichever connections are live: the grant is this API's stage, any connection id.",
            )

        # Whoever takes uploads signs them and links to media: the HTTP API and the sendMessage route.
        for media_handler in (functions[m] for m, sizing in SIZING.items() if sizing.handles_media):
            for name, value in media.environment().items():
                media_handler.add_environment(name, value)
            media.grant_media_handling(media_handler)
        for linker in (functions[m] for m, sizing in SIZING.items() if sizing.links_media):
            media.grant_linking(linker)
        # Whoever stores a message queues its notifications; the HTTP API hands browsers the key to subscribe with.
        for notifying in (functions[m] for m, sizing in SIZING.items() if sizing.notifies):
            notifications.enqueue_from(notifying)
        functions[HTTP_HANDLER].add_environment("VAPID_PUBLIC_KEY", notifications.public_key)
        # Archived history: the archiver writes it, history pages read it.
        for module, sizing in SIZING.items():
            if sizing.archives or sizing.uses_archive:
                media.grant_archive(functions[module])
        for name, value in stage.archive.environment().items():
            functions[ARCHIVER].add_environment(name, value)
        if stage.archive.retention_days is not None:
            # The archiver deletes expired chunks itself; this catches any object it never
            # recorded (a run that died after writing one). Objects are younger than their messages.
            media.bucket.add_lifecycle_rule(
                id="ArchiveRetention",
                prefix="archive/",
                expiration=Duration.days(math.ceil(stage.archive.retention_days)),
            )
        schedule_role = iam.Role(
            self, "ArchiveScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com")
        )
        scheduler.Schedule(
            self,
            "ArchiveSchedule",
            schedule=scheduler.ScheduleExpression.expression(stage.archive.schedule),
            # A run the scheduler could not start goes where the archiver's failed runs go.
            target=scheduler_targets.LambdaInvoke(
                functions[ARCHIVER], role=schedule_role, dead_letter_queue=functions.failed_runs[ARCHIVER]
            ),
            description="Moves old messages from MongoDB to S3 chunks",
        )
        archiver_id = self.get_logical_id(functions[ARCHIVER].node.default_child)  # type: ignore[arg-type]
        acknowledge(
            schedule_role,
            f"AwsSolutions-IAM5[Resource::<{archiver_id}.Arn>:*]",
            "The scheduler's role may invoke the archiver function (any version of it) and nothing else.",
        )

        web.publish(
            {
                "apiUrl": http_api.url.rstrip("/"),
                "wsUrl": websocket_api.url,
                "mediaUrl": media.url,
                "vapidPublicKey": notifications.public_key,
            }
        )
        # Only the web app's pages (and native clients, which send no Origin) may open a socket.
        functions[WS_AUTHORIZER].add_environment("WS_ALLOWED_ORIGINS", ",".join([web.url, *stage.local_origins]))

        # The same index set-up the local stack runs, once per deploy, before the APIs take traffic.
        triggers.Trigger(
            self,
            "CreateIndexes",
            handler=functions[DB_SETUP_HANDLER],
            execute_before=[http_api, websocket_api],
            execute_on_handler_change=True,
        )

        monitoring = Monitoring(
            self,
            "Monitoring",
            stage=stage,
            functions=functions,
            http_api=http_api,
            websocket_api=websocket_api,
            fan_out=fan_out,
            notifications=notifications,
            health_check=self.health_check,
            keep_warm=keep_warm,
        )

        self._acknowledge_checks(stage, functions, apis=(http_api, websocket_api))

        CfnOutput(self, "HttpApiUrl", value=http_api.url, description="Base URL of the HTTP API (routes under /api)")
        CfnOutput(self, "WebSocketUrl", value=websocket_api.url, description="Connect with ?token=<accessToken>")
        CfnOutput(self, "WebAppUrl", value=web.url, description="The web client")
        CfnOutput(self, "MediaUrl", value=media.url, description="CloudFront in front of the media bucket")
        CfnOutput(self, "DashboardUrl", value=monitoring.dashboard_url, description="Key graphs, every alarm's state")
        CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn, description="Subscribe to hear of alarms")

    def _acknowledge_checks(
        self, stage: StageSettings, functions: ChatFunctions, apis: tuple[HttpApi, WebSocketApi]
    ) -> None:
        """What checkov finds that this stack keeps (infra/checkov.py), where no construct of its own does: on
        every function, by how it is invoked; the failed-runs queues, the APIs' access logs, CDK's trigger provider
        and bucket emptier."""
        for module, sizing in SIZING.items():
            acknowledge_function_checks(functions[module], _invocation(module, sizing, stage))
        for failed_runs in functions.failed_runs.values():
            acknowledge_check(failed_runs, "CKV_AWS_27", SQS_MANAGED_ENCRYPTION)
        for api in apis:
            acknowledge_check(api.node.find_child("AccessLogs"), "CKV_AWS_158", LOGS_AT_REST)
        trigger_provider = next(c for c in self.node.children if c.node.id.startswith("AWSCDK.TriggerCustomResource"))
        acknowledge_function_checks(trigger_provider.node.find_child("Handler"), AT_DEPLOY)
        # Where destroy deletes the buckets (dev), CDK's function that empties them first.
        emptier = self.node.try_find_child("Custom::S3AutoDeleteObjectsCustomResourceProvider")
        if emptier is not None:
            acknowledge_function_checks(emptier.node.find_child("Handler"), AT_DEPLOY)


# The functions API Gateway invokes: the HTTP API's, the WebSocket authorizer and every WebSocket route's.
API_FUNCTIONS = {HTTP_HANDLER, WS_AUTHORIZER, *WS_ROUTES.values()}


def _invocation(module: str, sizing: Sizing, stage: StageSettings) -> Invocation:
    """How the function that runs `module` is invoked, which decides why checkov's findings on it stand."""
    queue_concurrency = {FAN_OUT_WORKER: stage.fan_out_max_concurrency, NOTIFIER: stage.notify_max_concurrency}
    if sizing.at_deploy:
        return AT_DEPLOY
    if sizing.scheduled:
        return SCHEDULED
    if module in API_FUNCTIONS:
        return by_api(stage.throttle_rate, stage.throttle_burst)
    if module in queue_concurrency:
        return by_queue(queue_concurrency[module])
    raise ValueError(f"{module}: say how it is invoked (chat_stack._invocation), for checkov's findings on it")
