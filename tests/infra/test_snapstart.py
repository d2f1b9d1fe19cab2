"""SnapStart in the template: in prod, the API's heavy functions are published with SnapStart and
API Gateway invokes them through their `live` alias (a snapshot exists only for published
versions); in dev, nothing of it. And the stage setting is checked against the runtime."""

import ast
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from benchmarks.cold_start import HANDLERS
from infra.constructs import functions
from infra.constructs.functions import LIVE_ALIAS, SIZING, snap_started
from infra.constructs.keep_warm import KEEP_WARM_EVENT
from infra.routes import HTTP_HANDLER, WS_AUTHORIZER, WS_ROUTES
from infra.stages import STAGES
from tests.infra.stack_template import function_logical_id, invoked_logical_id, resources

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
SNAPSHOTTED = {module for module, sizing in SIZING.items() if sizing.snap_start}
API_INVOKED = {HTTP_HANDLER, WS_AUTHORIZER, *WS_ROUTES.values()}


def function_of(template: Template, module: str) -> dict[str, Any]:
    return dict(resources(template, "AWS::Lambda::Function")[function_logical_id(template, module)]["Properties"])


def api_gateway_grants(template: Template) -> list[dict[str, Any]]:
    return [
        p["Properties"]
        for p in resources(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]


def test_the_functions_worth_a_snapshot_are_the_apis_but_ping_and_default() -> None:
    # A restore costs more than the whole cold start of a route that answers pong or an error.
    expected = API_INVOKED - {WS_ROUTES["ping"], WS_ROUTES["$default"]}
    assert expected == SNAPSHOTTED


def test_each_stage_publishes_and_invokes_its_functions_as_its_snapstart_setting_says(
    synthesized: tuple[str, App, Template],
) -> None:
    stage, _, template = synthesized
    if STAGES[stage].snap_start:
        prod_publishes_them_with_snapstart_and_api_gateway_invokes_their_live_alias(template)
    else:
        dev_has_no_snapstart_no_alias_and_api_gateway_invokes_the_functions(template)


def prod_publishes_them_with_snapstart_and_api_gateway_invokes_their_live_alias(template: Template) -> None:
    aliases = resources(template, "AWS::Lambda::Alias")
    versions = resources(template, "AWS::Lambda::Version")
    grants = api_gateway_grants(template)
    targets = json.dumps(
        [i["Properties"]["IntegrationUri"] for i in resources(template, "AWS::ApiGatewayV2::Integration").values()]
        + [a["Properties"]["AuthorizerUri"] for a in resources(template, "AWS::ApiGatewayV2::Authorizer").values()]
    )
    for module in SIZING:
        function = function_logical_id(template, module)
        if module not in SNAPSHOTTED:
            # Then the others have none of it
            assert "SnapStart" not in function_of(template, module), module
            assert invoked_logical_id(template, module) == function, module
            continue
        # Then each is snapshotted on publishing
        assert function_of(template, module)["SnapStart"] == {"ApplyOn": "PublishedVersions"}, module
        # And published by every deploy, the replaced version deleted (its snapshot is charged while it lives)
        (version_id,) = (v for v, r in versions.items() if r["Properties"]["FunctionName"] == {"Ref": function})
        assert versions[version_id]["DeletionPolicy"] == versions[version_id]["UpdateReplacePolicy"] == "Delete"
        # And its live alias points at that version
        alias = invoked_logical_id(template, module)
        assert aliases[alias]["Properties"]["Name"] == LIVE_ALIAS
        assert aliases[alias]["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
        # And API Gateway invokes the alias, never the unpublished function ($LATEST has no snapshot)
        assert json.dumps({"Ref": alias}) in targets, module
        assert json.dumps({"Ref": function}) not in targets, module
        # And may invoke the alias only
        granted = [g for g in grants if g["FunctionName"] in ({"Ref": alias}, {"Fn::GetAtt": [function, "Arn"]})]
        assert granted, module
        assert all(g["FunctionName"] == {"Ref": alias} for g in granted), module


def dev_has_no_snapstart_no_alias_and_api_gateway_invokes_the_functions(template: Template) -> None:
    assert resources(template, "AWS::Lambda::Alias") == {}
    for module in SIZING:
        assert "SnapStart" not in function_of(template, module), module
    targets = json.dumps(
        [i["Properties"]["IntegrationUri"] for i in resources(template, "AWS::ApiGatewayV2::Integration").values()]
    )
    for module in API_INVOKED - {WS_AUTHORIZER}:
        assert json.dumps({"Fn::GetAtt": [function_logical_id(template, module), "Arn"]}) in targets, module


def test_each_live_alias_is_invoked_with_the_keep_warm_event_on_the_stages_schedule(
    synthesized: tuple[str, App, Template],
) -> None:
    # A version nobody invokes for 14 days goes Inactive and fails its next invocations.
    stage, _, template = synthesized
    keep_warm = {
        logical_id: schedule["Properties"]
        for logical_id, schedule in resources(template, "AWS::Scheduler::Schedule").items()
        if json.loads(schedule["Properties"]["Target"].get("Input", "null")) == KEEP_WARM_EVENT
    }
    if not STAGES[stage].snap_start:
        # (and no schedule at all invokes an alias: the stage has none)
        assert keep_warm == {}
        assert resources(template, "AWS::Lambda::Alias") == {}
        return
    # Then every SnapStart function's alias, and nothing else, is invoked on the stage's schedule
    aliases = {module: invoked_logical_id(template, module) for module in SNAPSHOTTED}
    assert sorted(s["Target"]["Arn"]["Ref"] for s in keep_warm.values()) == sorted(aliases.values())
    roles = {json.dumps(s["Target"]["RoleArn"]) for s in keep_warm.values()}
    (keep_warm_dead_letters,) = {s["Target"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] for s in keep_warm.values()}
    for schedule in keep_warm.values():
        assert schedule["ScheduleExpression"] == STAGES[stage].snap_start_keep_warm == "rate(1 day)"
        assert schedule["State"] == "ENABLED"
        assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] > 0
        # (an invocation it could not make set aside, where an alarm sees it)
        assert schedule["Target"]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [keep_warm_dead_letters, "Arn"]}
    # And their one role may invoke those aliases and nothing else
    (role,) = roles
    role_id = json.loads(role)["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    # (and send to its failed-runs queue)
    granted = {s["Action"]: s["Resource"] for s in statements if s["Effect"] == "Allow"}
    assert len(granted) == len(statements) == 2, statements
    assert sorted(r["Ref"] for r in granted["lambda:InvokeFunction"]) == sorted(aliases.values())
    assert granted["sqs:SendMessage"] == {"Fn::GetAtt": [keep_warm_dead_letters, "Arn"]}


def test_snapstart_is_on_in_prod_only() -> None:
    assert {name: stage.snap_start for name, stage in STAGES.items()} == {"dev": False, "prod": True}


def test_a_stage_turning_snapstart_on_for_a_runtime_without_it_stops_the_synth(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a runtime Lambda gives no SnapStart (Python before 3.12)
    monkeypatch.setattr(functions, "RUNTIME", lambda_.Runtime.PYTHON_3_11)

    # Then a stage with SnapStart is refused, naming the runtime; one without it is not
    with pytest.raises(ValueError, match=r"python3\.11"):
        snap_started(STAGES["prod"])
    assert snap_started(dataclasses.replace(STAGES["prod"], snap_start=False)) == set()


def test_every_snapshotted_handler_names_what_its_snapshot_holds() -> None:
    # The before-snapshot hook imports what the handler lists last (chat/handlers/cold_start.py).
    for module in SNAPSHOTTED:
        tree = ast.parse((LAMBDAS / (module.replace(".", "/") + ".py")).read_text())
        last = tree.body[-1]
        assert isinstance(last, ast.Expr), module
        assert isinstance(last.value, ast.Call), module
        assert ast.unparse(last.value.func) == "cold_start.imported", module
        assert last.value.args, module


def test_the_cold_start_benchmark_simulates_snapstart_where_prod_has_it() -> None:
    for label, (module, reads_jwt_key, reads_mongodb, snap_start) in HANDLERS.items():
        sizing = SIZING[module]
        assert (reads_jwt_key, reads_mongodb, snap_start) == (
            sizing.reads_jwt_key,
            sizing.reads_mongodb,
            sizing.snap_start,
        ), label
