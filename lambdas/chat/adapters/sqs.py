"""An SQS queue whose client is built on first use."""

import threading
from typing import Any

from chat.adapters.boto_spans import traced


class SqsQueue:
    def __init__(self, queue_url: str) -> None:
        self._queue_url = queue_url
        self._sqs: Any = None
        self._building = threading.Lock()  # boto3's default session is not safe to share while building

    @property
    def _client(self) -> Any:
        """Built on first use: most functions' events never need it, and boto3 costs a cold
        start a few hundred milliseconds."""
        with self._building:
            if self._sqs is None:
                import boto3
                from botocore.config import Config

                # The region is the queue's; locally AWS_ENDPOINT_URL_SQS points boto3 at moto's server.
                url = self._queue_url
                region = url.split(".")[1] if url.startswith("https://sqs.") else None
                # A call answers in milliseconds: a slow SQS must not hold a send for boto3's 60 s.
                config = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 3, "mode": "standard"})
                self._sqs = traced(boto3.session.Session().client("sqs", region_name=region, config=config))
            return self._sqs
