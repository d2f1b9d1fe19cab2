"""The Secrets Manager reader: it signs GetSecretValue exactly as botocore does, sends it where
botocore would, tries again on throttling and 5xx only, and keeps what it read for the
container; config reads secrets by ARN through it."""

import base64
import datetime
import json
from collections.abc import Iterator
from typing import Any

import boto3.session
import botocore.auth
import pytest
from botocore.awsrequest import AWSResponse

from chat import config
from chat.adapters import secrets_manager, sigv4
from chat.adapters.secrets_manager import SecretNotRead, SecretsManagerReader, endpoint_url, secret_value
from chat.adapters.sigv4 import AwsCredentials, EnvironmentCredentials

FROZEN = datetime.datetime(2026, 12, 1, 12, 30, 45, tzinfo=datetime.UTC)
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat-jwt-AbCdEf"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        return iter([self._body])


def botocore_request(secret_id: str, region: str = "eu-west-1") -> dict[str, Any]:
    """What boto3 sends for GetSecretValue, captured before it leaves."""
    client = boto3.session.Session().client("secretsmanager", region_name=region)
    sent: dict[str, Any] = {}

    def capture(request: Any, **_: Any) -> AWSResponse:
        headers = {
            name: value.decode() if isinstance(value, bytes) else value for name, value in request.headers.items()
        }
        sent.update(url=request.url, headers=headers, body=request.body)
        return AWSResponse(request.url, 200, {}, _Raw(b'{"SecretString": "x"}'))

    client.meta.events.register("before-send.secrets-manager", capture)
    client.get_secret_value(SecretId=secret_id)
    return sent


@pytest.fixture(autouse=True)
def no_endpoint_override(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        monkeypatch.delenv(name, raising=False)
    secrets_manager.forget()
    yield
    secrets_manager.forget()


@pytest.mark.parametrize("token", [None, "session-token-from-the-lambda-role"])
def test_get_secret_value_is_signed_as_botocore_signs_it(monkeypatch: pytest.MonkeyPatch, token: str | None) -> None:
    # Given one clock and one set of credentials (a Lambda role's carry a session token)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FROZEN)
    if token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    else:
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)

    # When both sign the same GetSecretValue
    expected = botocore_request(ARN)
    path, headers, body = SecretsManagerReader("eu-west-1").signed_request(ARN, FROZEN)

    # Then the URL, the body and every header Secrets Manager checks are the same
    assert "https://secretsmanager.eu-west-1.amazonaws.com" + path == expected["url"]
    assert body == expected["body"]
    for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Target", "Content-Type"):
        assert headers.get(name) == expected["headers"].get(name), name
    assert ("X-Amz-Security-Token" in headers) == bool(token)


def test_the_endpoint_is_the_one_botocore_would_use(monkeypatch: pytest.MonkeyPatch) -> None:
    assert endpoint_url("eu-west-1") == "https://secretsmanager.eu-west-1.amazonaws.com"
    assert endpoint_url("cn-north-1", "aws-cn") == "https://secretsmanager.cn-north-1.amazonaws.com.cn"
    # the local stand-ins, as botocore reads them: the service's own variable first
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert endpoint_url("eu-west-1") == "http://127.0.0.1:4566"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9999")
    assert endpoint_url("eu-west-1") == "http://127.0.0.1:9999"
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert endpoint_url("eu-west-1") == "https://secretsmanager.eu-west-1.amazonaws.com"


class Answers:
    """A connection that answers each request with the next (status, body) or raises it."""

    def __init__(self, *answers: tuple[int, dict[str, Any]] | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, str, bytes, dict[str, str]]] = []
        self.closed = 0

    def __call__(self) -> "Answers":
        return self  # the reader's connection factory

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        self.requests.append((method, path, body, headers))

    def getresponse(self) -> "Answers":
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        self.status, self._body = answer
        return self

    def read(self) -> bytes:
        return json.dumps(self._body).encode()

    def close(self) -> None:
        self.closed += 1


def reader_with(answers: Answers, waits: list[float] | None = None) -> SecretsManagerReader:
    credentials = EnvironmentCredentials(AwsCredentials("AKID", "secret", None))
    sleep = waits.append if waits is not None else lambda _: None
    reader = SecretsManagerReader("eu-west-1", credentials=credentials, sleep=sleep)
    reader._connect = answers  # type: ignore[assignment]  # no sockets in unit tests
    return reader


def test_a_secret_string_is_read_with_one_request() -> None:
    answers = Answers((200, {"ARN": ARN, "SecretString": "the-key", "VersionId": "1"}))
    assert reader_with(answers).read(ARN) == "the-key"
    ((method, path, body, headers),) = answers.requests
    assert (method, path, json.loads(body)) == ("POST", "/", {"SecretId": ARN})
    assert headers["X-Amz-Target"] == "secretsmanager.GetSecretValue"
    assert headers["Content-Type"] == "application/x-amz-json-1.1"


def test_a_binary_secret_is_read_as_utf8() -> None:
    answers = Answers((200, {"SecretBinary": base64.b64encode("clé".encode()).decode()}))
    assert reader_with(answers).read(ARN) == "clé"


@pytest.mark.parametrize(
    "refusal",
    [
        (400, {"__type": "ThrottlingException", "message": "Rate exceeded"}),
        (429, {}),
        (500, {"__type": "InternalServiceError"}),
        (503, {}),
        TimeoutError("timed out"),
        ConnectionResetError(),
    ],
)
def test_throttling_a_5xx_and_a_failed_connection_are_tried_again(
    refusal: tuple[int, dict[str, Any]] | Exception,
) -> None:
    waits: list[float] = []
    answers = Answers(refusal, refusal, (200, {"SecretString": "the-key"}))
    assert reader_with(answers, waits).read(ARN) == "the-key"
    assert len(answers.requests) == 3
    assert len(waits) == 2  # jittered backoff between tries, bounded
    assert all(0 <= wait <= secrets_manager.BACKOFF_BASE_SECONDS * 2**3 for wait in waits)


def test_the_tries_are_bounded_and_the_error_names_the_secret_never_a_value() -> None:
    answers = Answers(*[(503, {"__type": "ServiceUnavailable"})] * 5)
    with pytest.raises(SecretNotRead, match=r"chat-jwt-AbCdEf.*503 ServiceUnavailable"):
        reader_with(answers).read(ARN)
    assert len(answers.requests) == secrets_manager.ATTEMPTS


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(400, "AccessDeniedException"), (400, "ResourceNotFoundException"), (400, "DecryptionFailure")],
)
def test_a_refusal_is_not_tried_again(status: int, error_type: str) -> None:
    answers = Answers((status, {"__type": f"com.amazonaws.secretsmanager#{error_type}"}))
    with pytest.raises(SecretNotRead, match=error_type):
        reader_with(answers).read(ARN)
    assert len(answers.requests) == 1


def test_a_connection_that_failed_is_not_used_again() -> None:
    answers = Answers(TimeoutError(), (200, {"SecretString": "the-key"}))
    reader_with(answers).read(ARN)
    assert answers.closed == 1


class Counting:
    def __init__(self) -> None:
        self.reads: list[str] = []

    def read(self, secret_id: str) -> str:
        self.reads.append(secret_id)
        return f"value-{len(self.reads)}"

    def close(self) -> None:
        pass


def test_a_value_is_kept_for_its_max_age_and_forgotten_on_demand(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a reader that counts its reads, and a clock
    reader, now = Counting(), [1000.0]
    monkeypatch.setattr(secrets_manager, "_reader", lambda _: reader)
    monkeypatch.setattr("chat.adapters.secrets_manager.time.monotonic", lambda: now[0])

    # Then a secret is fetched once, and again once it is older than its max age (an hour)
    assert secret_value(ARN) == secret_value(ARN) == "value-1"
    now[0] += secrets_manager.MAX_AGE_SECONDS - 1
    assert secret_value(ARN) == "value-1"
    now[0] += 2
    assert secret_value(ARN) == "value-2"
    # And forgetting (a SnapStart restore) fetches it again
    secrets_manager.forget()
    assert secret_value(ARN) == "value-3"
    assert reader.reads == [ARN] * 3


def test_one_reader_per_region_signing_for_the_secrets_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # The region is the ARN's (the secret lives there), whatever the function's
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    eu = secrets_manager._reader(ARN)
    assert eu is secrets_manager._reader(ARN.replace("chat-jwt", "chat-mongodb"))
    assert eu._signer.region == "eu-west-1"
    assert secrets_manager._reader("chat-by-name")._signer.region == "us-east-1"


def test_config_reads_a_secret_by_arn_through_the_reader_the_composition_root_hands_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a JWT key by ARN only, and the reader the composition root set (importing it sets it)
    from chat.handlers import composition

    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("JWT_SECRET_ARN", ARN)
    read: list[str] = []

    def reader(arn: str) -> str:
        read.append(arn)
        return "k" * 48

    assert config._secret_reader is composition.secret_by_arn
    monkeypatch.setattr(config, "_secret_reader", reader)
    config.forget_read_settings()
    try:
        # Then settings() fetches it once, and keeps it
        assert config.settings().jwt_secret == config.settings().jwt_secret == "k" * 48
        assert read == [ARN]
    finally:
        config.forget_read_settings()


def test_an_arn_with_nothing_to_read_it_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAPID_PRIVATE_KEY", raising=False)
    monkeypatch.setenv("VAPID_SECRET_ARN", ARN)
    monkeypatch.setattr(config, "_secret_reader", None)
    config.vapid_private_key.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="VAPID_SECRET_ARN is set but nothing reads secrets"):
            config.vapid_private_key()
    finally:
        config.vapid_private_key.cache_clear()


def test_credentials_from_the_container_endpoint_are_read_once_per_container(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a SnapStart function's environment: no keys, the container credentials endpoint named
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9001/2018-06-01/credentials")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "token")
    built: list[object] = []

    class Provider:
        def load(self) -> object:
            built.append(self)
            return self

    monkeypatch.setattr("botocore.credentials.ContainerProvider", Provider)
    sigv4.forget()
    try:
        # Then botocore's container provider is built once, and shared by every signer
        assert sigv4.aws_credentials("a test") is sigv4.aws_credentials("a test") is built[0]
        # And a restore builds its own
        sigv4.forget()
        assert sigv4.aws_credentials("a test") is built[1]
    finally:
        sigv4.forget()
