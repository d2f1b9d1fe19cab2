"""Keeps each SnapStart version's snapshot ready. Lambda makes a version Inactive when nobody has
invoked it for 14 days, and its next invocations then fail with SnapStartNotReadyException until it
is initialized again (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-troubleshooting.html):
a quiet deployment's first users after two weeks would be refused. So EventBridge Scheduler invokes
every live alias on the stage's `snap_start_keep_warm` schedule (daily) with the keep-warm event,
which the functions answer at once, touching nothing (chat/observability.py: `entry_point`)."""

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

from infra.constructs.functions import ChatFunctions, function_id
from infra.stages import StageSettings

# What the functions recognize (chat/observability.py: KEEP_WARM): a key no API Gateway event has.
KEEP_WARM_EVENT = {"chatKeepWarm": True}


class KeepWarm(Construct):
    """One schedule per SnapStart function (none in a stage without SnapStart), and one role for them all
    that may invoke the live aliases and nothing else."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings, functions: ChatFunctions) -> None:
        super().__init__(scope, construct_id)
        self.schedules: dict[str, scheduler.Schedule] = {}
        if not functions.live_aliases:
            return
        role = iam.Role(self, "ScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))
        for module, alias in functions.live_aliases.items():
            self.schedules[module] = scheduler.Schedule(
                self,
                function_id(module),
                schedule=scheduler.ScheduleExpression.expression(stage.snap_start_keep_warm),
                target=scheduler_targets.LambdaInvoke(
                    alias,
                    role=role,
                    input=scheduler.ScheduleTargetInput.from_object(KEEP_WARM_EVENT),
                    # An Inactive version refuses the first tries while Lambda initializes it again: retry
                    # for hours. A day's keep-warm that never got through is tried again the next day.
                    retry_attempts=20,
                    max_event_age=Duration.hours(12),
                ),
                description=f"Invokes {module.rsplit('.', 1)[-1]}'s live alias so its SnapStart snapshot stays ready",
            )
