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
