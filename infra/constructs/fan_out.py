"""The fan-out queue: a push to more sockets than one function should post to alone is split into
jobs of FAN_OUT_BATCH_SIZE sockets, which workers post in parallel. A worker never re-enqueues."""

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.checkov import SQS_MANAGED_ENCRYPTION, acknowledge_check
from infra.constructs.functions import SIZING, ChatFunctions
from infra.routes import FAN_OUT_WORKER
from infra.stages import StageSettings

# A job the worker crashed or timed out on three times is set aside (a push that fails is given up
# inside the worker, which never fails a job for it: the message is stored, and clients recover it).
MAX_RECEIVES = 3


def job_queue(
    scope: Construct, *, worker_timeout_s: int, retention: Duration | None = None
) -> tuple[sqs.Queue, sqs.Queue]:
    """A queue of jobs for one Lambda worker ("Jobs") and its dead-letter queue ("DeadLetters"),
    both encrypted and SSL-only; a job the worker failed MAX_RECEIVES times is set aside."""
    dead_letters = sqs.Queue(
        scope,
        "DeadLetters",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),  # the longest SQS keeps a message: time to look at what failed
    )
    queue = sqs.Queue(
        scope,
        "Jobs",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        # AWS's rule for a Lambda event source: six times the function's timeout, so a job a worker
        # still holds is not handed to a second one.
        visibility_timeout=Duration.seconds(6 * worker_timeout_s),
        retention_period=retention,
        dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=dead_letters),
    )
    for each in (queue, dead_letters):
        acknowledge_check(each, "CKV_AWS_27", SQS_MANAGED_ENCRYPTION)
    return queue, dead_letters


class FanOutQueue(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings, functions: ChatFunctions) -> None:
        super().__init__(scope, construct_id)
        self.queue, self.dead_letters = job_queue(self, worker_timeout_s=SIZING[FAN_OUT_WORKER].timeout_s)
        # One job (up to FAN_OUT_BATCH_SIZE sockets) per invocation, so a failure retries only its own sockets;
        # the stage's concurrency cap bounds how fast a burst of large groups posts to API Gateway.
        functions[FAN_OUT_WORKER].add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=1,
                report_batch_item_failures=True,
                max_concurrency=stage.fan_out_max_concurrency,
            )
        )

    def enqueue_from(self, function: lambda_.Function) -> None:
        """What a function that hands large fan-outs to the workers needs: the queue's URL and leave to send."""
        function.add_environment("FAN_OUT_QUEUE_URL", self.queue.queue_url)
        self.queue.grant_send_messages(function)
