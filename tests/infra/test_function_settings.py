"""Every function the stack deploys starts with the environment the stack gives it: the
settings each handler requires at its cold start (chat.config.require) are all there, and the
literal ones (limits, sizes, switches) pass the same check they pass at a real cold start."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from tests.infra.stack_template import resources

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
# What every Lambda container has, whatever the stack sets.
LAMBDA_RUNTIME = {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_LAMBDA_FUNCTION_NAME": "chat"}


def deployed_environment(function: dict[str, Any]) -> dict[str, str]:
    """A function's variables as the template sets them; a reference resolved at
    deploy (an ARN, a queue's or the site's URL) becomes a URL standing in for it: only its
    presence (and, for a URL, its scheme) is checked at cold start."""
    variables = function["Properties"].get("Environment", {}).get("Variables", {})
    return {
        name: value if isinstance(value, str) else f"https://deployed.example/{name.lower()}"
        for name, value in variables.items()
    }


# After the import: a function whose settings name a secret by ARN must have what reads it
# (chat.handlers.composition installs it), or it would fail on its first event, not here.
READS_SECRETS = """
import os
import chat.config
if {"JWT_SECRET_ARN", "MONGODB_URI_SECRET_ARN"} & set(os.environ) and chat.config._secret_reader is None:
    raise SystemExit("RuntimeError: a secret is named by ARN, and nothing reads secrets")
"""


def cold_start(module: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"import {module}\n{READS_SECRETS}"],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(LAMBDAS), **LAMBDA_RUNTIME, **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_function_starts_with_the_environment_the_stack_gives_it(template: Template) -> None:
    handlers = {
        function["Properties"]["Handler"].removesuffix(".lambda_handler"): deployed_environment(function)
        for function in resources(template, "AWS::Lambda::Function").values()
        if function["Properties"].get("Handler", "").startswith("chat.handlers.")
    }
    assert "chat.handlers.http_api" in handlers
    assert "chat.handlers.notifier" in handlers
    with ThreadPoolExecutor(max_workers=4) as pool:
        started = dict(zip(handlers, pool.map(cold_start, handlers, handlers.values()), strict=True))
    refused = {module: run.stderr.strip().splitlines()[-1] for module, run in started.items() if run.returncode != 0}
    assert refused == {}


def test_a_function_missing_a_required_setting_does_not_start(template: Template) -> None:
    # The check above can fail: the notifier without the VAPID key's secret stops at once.
    notifier = next(
        function
        for function in resources(template, "AWS::Lambda::Function").values()
        if function["Properties"].get("Handler") == "chat.handlers.notifier.lambda_handler"
    )
    environment = deployed_environment(notifier)
    assert "VAPID_SECRET_ARN" in environment
    del environment["VAPID_SECRET_ARN"]
    run = cold_start("chat.handlers.notifier", environment)
    assert run.returncode != 0
    assert "VAPID_PRIVATE_KEY or VAPID_SECRET_ARN" in run.stderr
