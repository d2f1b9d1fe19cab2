"""Settings are checked when a function starts: one that makes no sense stops it there, named."""

import importlib

import pytest

import chat.handlers
from chat.config import environment_settings


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("RATE_LIMIT_SENDS", "10/10", "RATE_LIMIT_SENDS"),  # a misspelt limit
        ("FAN_OUT_THREADS", "many", "FAN_OUT_THREADS"),
        ("ARCHIVE_AFTER_DAYS", "-1", "ARCHIVE_AFTER_DAYS"),
        ("VAPID_SUBJECT", "admin@example.com", "VAPID_SUBJECT"),  # not a mailto: URL
        ("PUSH_ALLOW_LOOPBACK", "yes", "PUSH_ALLOW_LOOPBACK"),
    ],
)
def test_a_bad_setting_stops_the_cold_start_with_its_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    try:
        with pytest.raises(RuntimeError, match=named):
            importlib.reload(chat.handlers)  # what importing a handler does on a new container
    finally:
        monkeypatch.undo()
    importlib.reload(chat.handlers)  # and with the setting gone, it starts


def test_the_check_reads_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # A secret's ARN set but unreachable: the environment check does not fetch it
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("JWT_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:000000000000:secret:nowhere")
    assert environment_settings().jwt_secret is None
