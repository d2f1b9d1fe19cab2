"""The queue-fed functions on this machine, the fan-out workers and the notifier: each
queue lives in moto's SQS (the server that also stands in for S3), and pollers do what
Lambda's SQS event source does on AWS: receive one job at a time, call the function's
handler with the event SQS would send, and delete the job unless the handler reported it
failed (then it comes back when its visibility timeout ends, as on AWS)."""

import hashlib
import importlib
import threading
import time
from typing import Any, Self

from infra.routes import FAN_OUT_WORKER, NOTIFIER
from local import events

SQS_REGION = "us-east-1"
VISIBILITY_TIMEOUT_SECONDS = 30
LONG_POLL_SECONDS = 1


class LocalQueue:
    """One queue and the function it feeds: `handler` (a module) is called by `workers` pollers;
    `url_variable` is the setting that tells the sending functions where the queue is."""

    def __init__(self, sqs_endpoint_url: str, *, name: str, handler: str, url_variable: str, workers: int) -> None:
        import boto3

        self.name, self._handler, self._url_variable = name, handler, url_variable
        self.endpoint_url = sqs_endpoint_url
        # moto keeps queues per real region name; the functions use the same (AWS_DEFAULT_REGION).
        self._sqs: Any = boto3.client("sqs", endpoint_url=sqs_endpoint_url, region_name=SQS_REGION)
        self.queue_url = ""
        self._queue_arn = ""
        self._workers = workers
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.jobs_done = 0  # records the worker took and did not report failed
        self._counting = threading.Lock()

    def environment(self) -> dict[str, str]:
        """What the sending functions read to queue jobs, as the stack sets it on AWS."""
        return {self._url_variable: self.queue_url, "AWS_ENDPOINT_URL_SQS": self.endpoint_url}

    def start(self) -> Self:
        self.queue_url = self._sqs.create_queue(
            QueueName=self.name, Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS)}
        )["QueueUrl"]
        self._queue_arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        for index in range(self._workers):
            thread = threading.Thread(target=self._poll, name=f"{self.name}-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(LONG_POLL_SECONDS + 5)

    def _poll(self) -> None:
        """One worker container: one job at a time (batch size 1, as the stack configures)."""
        while not self._stopping.is_set():
            try:
                received = self._sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=1,
                    WaitTimeSeconds=LONG_POLL_SECONDS,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            except Exception:
                if self._stopping.is_set():
                    return
                time.sleep(0.5)  # the local SQS is starting or stopping
                continue
            messages = received.get("Messages") or []
            if messages:
                self._invoke(messages)

    def _invoke(self, messages: list[dict[str, Any]]) -> None:
        handler = importlib.import_module(self._handler).lambda_handler
        context = events.lambda_context(self._handler.rsplit(".", 1)[-1])
        try:
            result = handler(sqs_event(messages, self._queue_arn), context)
        except Exception:
            return  # the whole batch comes back after its visibility timeout
        failed = {failure["itemIdentifier"] for failure in (result or {}).get("batchItemFailures") or []}
        for message in messages:
            if message["MessageId"] not in failed:
                with self._counting:
                    self.jobs_done += 1
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


class LocalFanOut(LocalQueue):
    """Large fan-outs, from the sending functions to the fan-out workers."""

    def __init__(self, sqs_endpoint_url: str, *, workers: int = 4) -> None:
        name, variable = "chat-fan-out", "FAN_OUT_QUEUE_URL"
        super().__init__(sqs_endpoint_url, name=name, handler=FAN_OUT_WORKER, url_variable=variable, workers=workers)


class LocalNotifier(LocalQueue):
    """Push notifications, from the sending functions to the notifier."""

    def __init__(self, sqs_endpoint_url: str, *, workers: int = 2) -> None:
        name, variable = "chat-notifications", "NOTIFY_QUEUE_URL"
        super().__init__(sqs_endpoint_url, name=name, handler=NOTIFIER, url_variable=variable, workers=workers)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source sends: one record per message."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes") or {},
                "messageAttributes": message.get("MessageAttributes") or {},
                "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324 - SQS's checksum, not security
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": SQS_REGION,
            }
            for message in messages
        ]
    }
