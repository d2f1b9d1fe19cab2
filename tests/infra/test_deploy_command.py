"""`make deploy` hands the MongoDB URI to the CDK CLI without ever printing it."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_deploy_never_prints_the_mongodb_uri(tmp_path: Path) -> None:
    # Given a stand-in for the CDK CLI that records what it was given
    received = tmp_path / "args"
    cdk = tmp_path / "cdk"
    cdk.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{received}"\necho deployed\n')
    cdk.chmod(0o755)
    uri = "mongodb+srv://chat:hunter2-secret@cluster0.example.net/"

    # When make deploy runs with the URI
    result = subprocess.run(
        ["make", "--no-print-directory", "deploy", f"CDK={cdk}", f"MONGODB_URI={uri}"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MFLAGS")},
        check=False,
    )

    # Then the CLI got it, and nothing make printed shows the password
    assert result.returncode == 0, result.stderr
    assert "deployed" in result.stdout
    assert f"MongoDbUri={uri}" in received.read_text().splitlines()
    assert "hunter2" not in result.stdout + result.stderr
    assert "MongoDbUri=<from MONGODB_URI: not shown>" in result.stdout


def deploy_arguments(tmp_path: Path, *settings: str) -> list[str]:
    """What the CDK CLI is given by `make deploy <settings>`, through a stand-in that records it."""
    received = tmp_path / "args"
    cdk = tmp_path / "cdk"
    cdk.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{received}"\n')
    cdk.chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "deploy", f"CDK={cdk}", *settings],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MFLAGS", "ALARM_EMAIL")},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return received.read_text().splitlines()


def test_the_alarm_email_is_a_parameter_later_deploys_keep_unless_named(tmp_path: Path) -> None:
    # Named: the address is the AlarmEmail parameter (not context, which a later deploy would drop)
    given = deploy_arguments(tmp_path, "ALARM_EMAIL=ops@example.com")
    assert "AlarmEmail=ops@example.com" in given
    assert given[given.index("AlarmEmail=ops@example.com") - 1] == "--parameters"
    assert not [argument for argument in given if "alarmEmail" in argument]
    # Named empty: unsubscribe; not named: nothing passed, so CloudFormation keeps the previous value
    assert "AlarmEmail=" in deploy_arguments(tmp_path, "ALARM_EMAIL=")
    assert not [argument for argument in deploy_arguments(tmp_path) if argument.startswith("AlarmEmail")]
