"""Keeps each SnapStart version invoked. Lambda makes a version Inactive when nobody has invoked it
for 14 days (or when it recycles its environments), and its next invocations then fail with
SnapStartNotReadyException until it is initialized again
(https://docs.aws.amazon.com/lambda/latest/dg/snapstart-troubleshooting.html): a quiet deployment's
first users after two weeks would be refused. So EventBridge Scheduler invokes every live alias on
the stage's `snap_start_keep_warm` schedule (daily) with the keep-warm event, which the functions
answer at once, touching nothing (chat/observability.py: `entry_point`).

The scheduler invokes asynchronously: its retries cover handing the event to Lambda (a throttle, a
permission, an alias gone), and an event it never could hand over goes to `failed_runs`, which the
monitoring alarms on. Once Lambda has it, Lambda's own retries of asynchronous events apply."""

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.checkov import SQS_MANAGED_ENCRYPTION, acknowledge_check
from infra.constructs.functions import ChatFunctions, failed_runs_queue, function_id
from infra.stages import StageSettings

# What the functions recognize (chat/observability.py: KEEP_WARM): a key no API Gateway event has.
KEEP_WARM_EVENT = {"chatKeepWarm": True}


class KeepWarm(Construct):
    """One schedule per SnapStart function (none in a stage without SnapStart), and one role for them all
    that may invoke the live aliases and nothing else."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings, functions: ChatFunctions) -> None:
        super().__init__(scope, construct_id)
        self.schedules: dict[str, scheduler.Schedule] = {}
        self.failed_runs: sqs.Queue | None = None
        if not functions.live_aliases:
            return
        role = iam.Role(self, "ScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))
        self.failed_runs = failed_runs = failed_runs_queue(self, "FailedRuns", "the keep-warm schedules")
        acknowledge_check(failed_runs, "CKV_AWS_27", SQS_MANAGED_ENCRYPTION)
        for module, alias in functions.live_aliases.items():
            self.schedules[module] = scheduler.Schedule(
                self,
                function_id(module),
                schedule=scheduler.ScheduleExpression.expression(stage.snap_start_keep_warm),
                target=scheduler_targets.LambdaInvoke(
                    alias,
                    role=role,
                    input=scheduler.ScheduleTargetInput.from_object(KEEP_WARM_EVENT),
                    # Handing the event over is retried for hours; one never handed over is set aside (and
                    # alarmed on), and the next day's tries again.
                    retry_attempts=20,
                    max_event_age=Duration.hours(12),
                    dead_letter_queue=failed_runs,
                ),
                description=f"Invokes {module.rsplit('.', 1)[-1]}'s live alias so its SnapStart version stays active",
            )
