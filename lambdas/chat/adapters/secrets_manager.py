"""Reads secrets from Secrets Manager: one GetSecretValue, SigV4-signed (sigv4.py) and sent over
http.client, instead of boto3 or Powertools Parameters, whose imports cost a cold start
150-300 ms before its first request could read the JWT key or the MongoDB URI.

The request is the one boto3 sends (a test compares the signatures): Secrets Manager's JSON 1.1
protocol, `POST /` with `X-Amz-Target: secretsmanager.GetSecretValue` and `{"SecretId": arn}`.
It goes to the endpoint botocore would use: AWS_ENDPOINT_URL_SECRETS_MANAGER, else
AWS_ENDPOINT_URL (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else the secret's region's
(https://secretsmanager.{region}.amazonaws.com; amazonaws.com.cn in China). FIPS endpoints and
endpoints named in a config file are not looked up. A try waits at most TIMEOUT_SECONDS to connect
and again to read; throttling (429 or ThrottlingException), a 5xx and a failed connection are
tried ATTEMPTS times in all, with jittered backoff; any other refusal (AccessDenied,
ResourceNotFound, ...) fails at once, naming the secret and the error, never the value.

Values are kept for the container: `secret_value` answers from memory for MAX_AGE_SECONDS (an
hour, what Powertools' `max_age` was) and fetches again after that. The settings that read them
(chat.config) are themselves read once per container, so in practice each secret is fetched
once by each container; a rotated JWT key or MongoDB URI reaches new containers only."""

import base64
import http.client
import json
import os
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from chat import tracing
from chat.adapters.sigv4 import CredentialSource, SigV4Signer, aws_credentials, aws_region, connector

SERVICE = "secretsmanager"
TARGET = "secretsmanager.GetSecretValue"
CONTENT_TYPE = "application/x-amz-json-1.1"
TIMEOUT_SECONDS = 2.0
ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.1
MAX_AGE_SECONDS = 3600.0
RETRIED_ERRORS = frozenset({"ThrottlingException", "InternalServiceError", "InternalServiceErrorException"})
DNS_SUFFIXES = {"aws-cn": "amazonaws.com.cn"}  # every other partition this runs in: amazonaws.com


class SecretNotRead(RuntimeError):
    """Secrets Manager refused (or could not answer) a GetSecretValue."""


def endpoint_url(region: str, partition: str = "aws") -> str:
    """Where botocore would send a Secrets Manager call from this environment."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() != "true":
        for variable in ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"):
            if configured := os.environ.get(variable, "").strip():
                return configured
    return f"https://{SERVICE}.{region}.{DNS_SUFFIXES.get(partition, 'amazonaws.com')}"


class SecretsManagerReader:
    """GetSecretValue in one region, over one kept-alive connection (not shared by threads)."""

    def __init__(
        self,
        region: str,
        *,
        endpoint: str | None = None,
        credentials: CredentialSource | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(endpoint or endpoint_url(region))
        self._host = parts.netloc
        self._path = parts.path or "/"
        self._signer = SigV4Signer(SERVICE, region, credentials or aws_credentials("Secrets Manager calls"))
        self._region = region
        self._connect = connector(parts.scheme, parts.hostname or "", parts.port, TIMEOUT_SECONDS)
        self._connection: http.client.HTTPConnection | None = None
        self._sleep = sleep

    def signed_request(self, secret_id: str, now: datetime | None = None) -> tuple[str, dict[str, str], bytes]:
        """The path, headers and body of a GetSecretValue, signed as boto3 signs it."""
        body = json.dumps({"SecretId": secret_id}).encode()
        headers = {"X-Amz-Target": TARGET, "Content-Type": CONTENT_TYPE}
        return self._path, self._signer.sign("POST", self._host, self._path, body, headers=headers, now=now), body

    def read(self, secret_id: str) -> str:
        """The secret's string (a binary secret's bytes as UTF-8): one span of a traced request,
        its tries included."""
        attributes = tracing.aws_call_attributes("Secrets Manager", "GetSecretValue", self._region)
        with tracing.span("Secrets Manager.GetSecretValue", attributes):
            return self._read(secret_id)

    def _read(self, secret_id: str) -> str:
        attempt = 1
        while True:
            try:
                status, answer = self._exchange(*self.signed_request(secret_id))
            except (OSError, http.client.HTTPException) as error:
                if attempt == ATTEMPTS:
                    raise SecretNotRead(f"Secrets Manager did not answer for {secret_id}: {error!r}") from error
            else:
                if status == 200:
                    return _value_of(answer, secret_id)
                error_type = str(answer.get("__type", "")).rpartition("#")[2] or f"HTTP {status}"
                retried = status == 429 or status >= 500 or error_type in RETRIED_ERRORS
                if attempt == ATTEMPTS or not retried:
                    raise SecretNotRead(f"Secrets Manager refused to read {secret_id}: {status} {error_type}")
            # full jitter: containers started together do not come back together
            self._sleep(random.uniform(0, BACKOFF_BASE_SECONDS * 2**attempt))  # noqa: S311 - jitter, not secrecy
            attempt += 1

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _exchange(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, object]]:
        if self._connection is None:
            self._connection = self._connect()
        try:
            self._connection.request("POST", path, body=body, headers=headers)
            response = self._connection.getresponse()
            data = response.read()
        except Exception:
            self.close()  # a timeout or a closed connection: the next try connects again
            raise
        try:
            answer = json.loads(data or b"{}")
        except ValueError:
            answer = {}
        return response.status, answer if isinstance(answer, dict) else {}


def _value_of(answer: dict[str, object], secret_id: str) -> str:
    if isinstance(value := answer.get("SecretString"), str):
        return value
    if isinstance(binary := answer.get("SecretBinary"), str):
        return base64.b64decode(binary).decode()
    raise SecretNotRead(f"Secrets Manager answered no value for {secret_id}")


# --- the container's cache -------------------------------------------------------------------

_lock = threading.Lock()
_readers: dict[tuple[str, str], SecretsManagerReader] = {}
_values: dict[str, tuple[float, str]] = {}


def secret_value(secret_id: str, max_age_seconds: float = MAX_AGE_SECONDS) -> str:
    """The value of the secret `secret_id` (an ARN, or a name in the function's region), fetched
    once and then answered from memory for `max_age_seconds`."""
    with _lock:
        kept = _values.get(secret_id)
        if kept is not None and time.monotonic() - kept[0] < max_age_seconds:
            return kept[1]
        value = _reader(secret_id).read(secret_id)
        _values[secret_id] = (time.monotonic(), value)
        return value


def forget() -> None:
    """Drops every value and connection kept: a container restored from a SnapStart snapshot
    reads its secrets afresh, with its own credentials, over its own connections."""
    with _lock:
        for reader in _readers.values():
            reader.close()
        _readers.clear()
        _values.clear()


def _reader(secret_id: str) -> SecretsManagerReader:
    # arn:{partition}:secretsmanager:{region}:{account}:secret:{name}: the secret's region signs it.
    parts = secret_id.split(":")
    partition, region = (parts[1], parts[3]) if secret_id.startswith("arn:") and len(parts) > 3 else ("aws", "")
    region = region or aws_region("Secrets Manager calls")
    key = (partition, region)
    if key not in _readers:
        _readers[key] = SecretsManagerReader(region, endpoint=endpoint_url(region, partition))
    return _readers[key]
