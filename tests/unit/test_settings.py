"""Settings are checked when a function starts: one that makes no sense stops it there, named."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chat.config import environment_settings

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"


def cold_start(module: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Imports a handler in a fresh interpreter, as a new Lambda container does."""
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        env={**os.environ, "PYTHONPATH": str(LAMBDAS), **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RATE_LIMIT_SENDS", "10/10"),  # a misspelt limit
        ("FAN_OUT_THREADS", "many"),
        ("ARCHIVE_AFTER_DAYS", "-1"),
        ("VAPID_SUBJECT", "admin@example.com"),  # not a mailto: URL
        ("PUSH_ALLOW_LOOPBACK", "yes"),
        ("TRACING", "sometimes"),
        ("TRACE_MAX_SPANS", "0"),
        ("MAX_BLOCKS_PER_USER", "lots"),
    ],
)
def test_a_bad_setting_stops_the_cold_start_with_its_name(variable: str, value: str) -> None:
    for handler in ("chat.handlers.ws_send_message", "chat.handlers.http_api", "chat.handlers.ws_authorizer"):
        started = cold_start(handler, **{variable: value})
        assert started.returncode != 0, handler
        assert "RuntimeError" in started.stderr
        assert variable in started.stderr.splitlines()[-1]


def test_functions_that_read_no_setting_do_not_pay_for_the_check() -> None:
    # ws_ping and ws_default answer without settings: a bad one does not stop them
    for handler in ("chat.handlers.ws_ping", "chat.handlers.ws_default"):
        assert cold_start(handler, FAN_OUT_THREADS="many").returncode == 0, handler


def test_the_check_reads_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # A secret's ARN set but unreachable: the environment check does not fetch it
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("JWT_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:000000000000:secret:nowhere")
    assert environment_settings().jwt_secret is None


@pytest.mark.parametrize(
    ("handler", "variables"),
    [
        ("chat.handlers.ws_authorizer", ("JWT_SECRET", "JWT_SECRET_ARN")),
        ("chat.handlers.ws_send_message", ("WS_MANAGEMENT_ENDPOINT",)),
        ("chat.handlers.http_api", ("JWT_SECRET", "JWT_SECRET_ARN")),
        ("chat.handlers.http_api", ("MEDIA_URL",)),
        ("chat.handlers.notifier", ("VAPID_PRIVATE_KEY", "VAPID_SECRET_ARN")),
        ("chat.handlers.archiver", ("MEDIA_BUCKET",)),
    ],
)
def test_a_missing_setting_stops_the_cold_start_with_its_name(handler: str, variables: tuple[str, ...]) -> None:
    env = {name: value for name, value in os.environ.items() if name not in variables}
    started = subprocess.run(
        [sys.executable, "-c", f"import {handler}"],
        env={**env, "PYTHONPATH": str(LAMBDAS)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode != 0, handler
    last_line = started.stderr.splitlines()[-1]
    assert last_line.startswith("RuntimeError: this function needs"), last_line
    assert " or ".join(variables) in last_line


def test_a_handler_given_what_it_needs_starts() -> None:
    for handler in ("chat.handlers.ws_send_message", "chat.handlers.http_api", "chat.handlers.ws_authorizer"):
        started = cold_start(handler)
        assert started.returncode == 0, started.stderr
    # The tests' environment queues no notifications; the notifier needs to know where retries go.
    started = cold_start("chat.handlers.notifier", NOTIFY_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/0/n")
    assert started.returncode == 0, started.stderr


def test_a_short_jwt_key_stops_the_cold_start() -> None:
    started = cold_start("chat.handlers.ws_authorizer", JWT_SECRET="short")
    assert started.returncode != 0
    assert "at least 256 bits" in started.stderr.splitlines()[-1]


def test_the_local_stack_refuses_a_bad_setting_before_it_starts() -> None:
    # `make dev` runs `python -m local`: a bad setting stops it, named, instead of a silent 500 later
    root = LAMBDAS.parent
    env = {**os.environ, "TRACING": "sometimes", "PYTHONPATH": f"{LAMBDAS}{os.pathsep}{root}"}
    command = [sys.executable, "-m", "local", "--port", "0"]
    started = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert started.returncode == 1
    assert "Cannot start: TRACING must be on or off, not 'sometimes'" in started.stderr
