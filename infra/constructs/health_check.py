"""The scheduled deep health check: EventBridge Scheduler runs a small function that asks the stage's
own `GET /api/health?deep=true` through API Gateway, as a client would (so the route, the function
and MongoDB are all checked), and records the answer as the DeepHealth metric. On in the prod stage;
elsewhere the schedule is there but disabled."""

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

from infra.constructs.functions import ChatFunctions
from infra.nag import acknowledge
from infra.routes import HEALTH_CHECK
from infra.stages import StageSettings

# What the function records its answer as (lambdas/chat/handlers/health_check.py), through the functions'
# Metrics port: EMF, in the stage's namespace (StageSettings.metrics_namespace), with service=chat.
METRIC = "DeepHealth"


class DeepHealthCheck(Construct):
    """`metric` is the check's answer per period (Minimum: 0 if any check in it failed); a period with
    no data means no check ran, which an alarm should count as breaching. `failed_runs` holds runs of
    the checker itself that failed (a bug, or the schedule unable to invoke it)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, stage: StageSettings, functions: ChatFunctions, api_url: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = functions[HEALTH_CHECK]
        self.failed_runs = functions.failed_runs[HEALTH_CHECK]
        # The stage URL ends with a slash.
        self.function.add_environment("HEALTH_URL", f"{api_url}api/health?deep=true")
        role = iam.Role(self, "ScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            schedule=scheduler.ScheduleExpression.expression(stage.health_check.schedule),
            target=scheduler_targets.LambdaInvoke(
                self.function,
                role=role,
                dead_letter_queue=self.failed_runs,
                retry_attempts=0,  # a check that could not start is reported missing; the next is minutes away
                max_event_age=Duration.minutes(4),
            ),
            enabled=stage.health_check.enabled,
            description="Asks GET /api/health?deep=true and records DeepHealth (1 up, 0 down)",
        )
        function_id = _logical_id(self.function)
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{function_id}.Arn>:*]",
            "The scheduler's role may invoke the health-check function (any version of it) and nothing else.",
        )
        self.metric = cloudwatch.Metric(
            namespace=stage.metrics_namespace,
            metric_name=METRIC,
            dimensions_map={"service": "chat"},
            statistic=cloudwatch.Stats.MINIMUM,
            period=Duration.minutes(5),
            label="Deep health (1 up, 0 down)",
        )


def _logical_id(function: Construct) -> str:
    return Stack.of(function).get_logical_id(function.node.default_child)  # type: ignore[arg-type]
