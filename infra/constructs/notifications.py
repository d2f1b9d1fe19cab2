"""Web Push to members who are away: the send paths queue one job per stored message, and the notifier
delivers it to their devices, signed with the stack's VAPID key (generated at deploy, like the media
signing key). A delivery that fails for a while is re-queued by the notifier itself, delayed."""

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.fan_out import job_queue
from infra.constructs.functions import SIZING, ChatFunctions
from infra.constructs.secrets import generated_public_key
from infra.routes import NOTIFIER, VAPID_KEY_SETUP_HANDLER
from infra.stages import StageSettings


class Notifications(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageSettings,
        functions: ChatFunctions,
        vapid_key: secretsmanager.ISecret,
        subject: str,
    ) -> None:
        super().__init__(scope, construct_id)
        # Jobs kept a day, as long as push services keep a notification (PUSH_TTL_SECONDS) and less
        # than the notifier's claims last (two days), so a job handed over again never pushes twice.
        self.queue, self.dead_letters = job_queue(
            self, worker_timeout_s=SIZING[NOTIFIER].timeout_s, retention=Duration.days(1)
        )
        # Anything set aside means notifications nobody got: worth a look. The stack's monitoring sends
        # this alarm to its topic.
        self.dead_letters_alarm = cloudwatch.Alarm(
            self,
            "DeadLettersAlarm",
            alarm_name=f"{Stack.of(self).stack_name}-Notifications-DeadLetters",  # as every alarm: <stack>-<what>
            alarm_description=(
                "Web Push jobs the notifier failed three times are waiting in the dead-letter queue: those "
                "members were not notified. First: the NotifierFunction's ERROR lines; once fixed, redrive the "
                "queue (SQS console, 'Start DLQ redrive') or purge it. The alarm clears when it is empty."
            ),
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,  # an idle queue reports nothing
        )

        notifier = functions[NOTIFIER]
        # One job (one message) per invocation: a slow push service delays only that message's notifications,
        # and a timeout redelivers only that job, never a batch of others already delivered.
        notifier.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=1,
                report_batch_item_failures=True,
                max_concurrency=stage.notify_max_concurrency,
            )
        )
        self.enqueue_from(notifier)  # its retries go back on the queue, delayed
        vapid_key.grant_read(notifier)
        for name, value in {
            "VAPID_SECRET_ARN": vapid_key.secret_arn,
            # Push services contact the sender here when something is wrong with its pushes.
            "VAPID_SUBJECT": subject,
            **stage.notifications.environment(),
        }.items():
            notifier.add_environment(name, value)

        # The VAPID public key (base64url, an uncompressed P-256 point) browsers subscribe with.
        self.public_key = generated_public_key(
            self,
            "VapidKey",
            secret=vapid_key,
            key_setup=functions[VAPID_KEY_SETUP_HANDLER],
            resource_type="Custom::VapidKey",
            stage=stage,
        )

    def enqueue_from(self, function: lambda_.Function) -> None:
        """What a function that queues notifications needs: the queue's URL and leave to send."""
        function.add_environment("NOTIFY_QUEUE_URL", self.queue.queue_url)
        self.queue.grant_send_messages(function)
