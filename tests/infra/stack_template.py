"""Synthesizing the app for a stage, and reading its template: shared by the infra tests."""

import json
import os
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template

from app import build_app

STAGES = ("dev", "prod")

# dev synthesizes environment-agnostic (as in CI); prod with a concrete account and region (as `cdk deploy` does).
ENVIRONMENTS = {"dev": {}, "prod": {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"}}


def synthesize(stage: str, outdir: Path) -> tuple[App, Template]:
    saved = {k: os.environ.get(k) for k in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")}
    os.environ.update(ENVIRONMENTS[stage])
    try:
        app = build_app(outdir=str(outdir), context={"stage": stage})
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    # cdk-nag runs as a validation plugin: synth raises on any unacknowledged finding.
    assembly = app.synth()
    template = json.loads(Path(assembly.get_stack_by_name(f"Chat-{stage}").template_full_path).read_text())
    return app, Template.from_json(template)


def resources(template: Template, kind: str) -> dict[str, Any]:
    return dict(template.find_resources(kind))


def function_logical_id(template: Template, module: str) -> str:
    for logical_id, resource in resources(template, "AWS::Lambda::Function").items():
        if resource["Properties"].get("Handler") == f"{module}.lambda_handler":
            return logical_id
    raise AssertionError(f"no function runs {module}")


def invoked_logical_id(template: Template, module: str) -> str:
    """What API Gateway invokes for `module`: the function's alias where it has one (SnapStart), else the function."""
    function = function_logical_id(template, module)
    aliases = [
        logical_id
        for logical_id, alias in resources(template, "AWS::Lambda::Alias").items()
        if alias["Properties"]["FunctionName"] == {"Ref": function}
    ]
    assert len(aliases) <= 1, aliases
    return aliases[0] if aliases else function


def variables_of(template: Template, module: str) -> dict[str, Any]:
    """The environment of the function that runs `module`."""
    function = resources(template, "AWS::Lambda::Function")[function_logical_id(template, module)]
    return dict(function["Properties"]["Environment"]["Variables"])


def statements_of(template: Template, module: str) -> list[dict[str, Any]]:
    """Every statement of the policies on the role of the function that runs `module`, one per resource:
    CDK's minimizePolicies flag (cdk.json) merges statements that share their actions into one with a list
    of resources, which is the same grant."""
    functions = resources(template, "AWS::Lambda::Function")
    role = functions[function_logical_id(template, module)]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        {**s, "Resource": resource}
        for p in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]


def job_queues(template: Template, construct: str) -> tuple[str, str]:
    """The logical ids of a construct's jobs queue (the one with a redrive policy) and of its dead-letter queue."""
    queues = {k: q for k, q in resources(template, "AWS::SQS::Queue").items() if k.startswith(construct)}
    (jobs,) = (k for k, q in queues.items() if "RedrivePolicy" in q["Properties"])
    (dead_letters,) = set(queues) - {jobs}
    return jobs, dead_letters


def queues_sent_to(template: Template, module: str) -> set[str]:
    """The logical ids of the queues the function that runs `module` may send to."""
    return {
        s["Resource"]["Fn::GetAtt"][0] for s in statements_of(template, module) if "sqs:SendMessage" in actions_of(s)
    }


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]
