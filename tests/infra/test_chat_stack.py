"""The CDK app synthesizes offline and wires every route of the route table."""

import os
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App
from aws_cdk.assertions import Match, Template

from infra.chat_stack import ChatStack
from infra.routes import WS_ROUTE_SELECTION, WS_ROUTES


@pytest.fixture(scope="module")
def template() -> Template:
    app = App()
    return Template.from_stack(ChatStack(app, "Chat"))


def test_http_api_sends_every_api_path_to_the_http_function(template: Template) -> None:
    template.has_resource_properties("AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP"})
    template.has_resource_properties("AWS::ApiGatewayV2::Route", {"RouteKey": "ANY /api/{proxy+}"})
    template.has_resource_properties(
        "AWS::Lambda::Function", {"Handler": "chat.handlers.http_api.lambda_handler", "Architectures": ["arm64"]}
    )


def test_websocket_routes_select_on_action_with_the_authorizer_on_connect(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Api", {"ProtocolType": "WEBSOCKET", "RouteSelectionExpression": WS_ROUTE_SELECTION}
    )
    routes: dict[str, Any] = template.find_resources("AWS::ApiGatewayV2::Route")
    keys = {r["Properties"]["RouteKey"] for r in routes.values()}
    assert set(WS_ROUTES) <= keys
    connect = next(r for r in routes.values() if r["Properties"]["RouteKey"] == "$connect")
    assert connect["Properties"]["AuthorizationType"] == "CUSTOM"
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {"AuthorizerType": "REQUEST", "IdentitySource": ["route.request.querystring.token"]},
    )
    for module in WS_ROUTES.values():
        template.has_resource_properties("AWS::Lambda::Function", {"Handler": f"{module}.lambda_handler"})


def test_frame_routes_answer_the_caller(template: Template) -> None:
    # Route responses make a handler's return body the reply frame (pong, messageAck, error).
    assert len(template.find_resources("AWS::ApiGatewayV2::RouteResponse")) == len(
        [r for r in WS_ROUTES if r not in ("$connect", "$disconnect")]
    )


def test_functions_that_send_can_push_to_this_stage(template: Template) -> None:
    functions = template.find_resources("AWS::Lambda::Function")
    senders = {
        logical_id
        for logical_id, resource in functions.items()
        if resource["Properties"]["Handler"]
        in ("chat.handlers.http_api.lambda_handler", f"{WS_ROUTES['sendMessage']}.lambda_handler")
    }
    assert len(senders) == 2
    for logical_id in senders:
        variables = functions[logical_id]["Properties"]["Environment"]["Variables"]
        assert "WS_MANAGEMENT_ENDPOINT" in variables
    policies = template.find_resources("AWS::IAM::Policy")
    granted_roles = {
        role["Ref"]
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "execute-api:ManageConnections"
        for role in policy["Properties"]["Roles"]
    }
    for logical_id in senders:
        assert functions[logical_id]["Properties"]["Role"]["Fn::GetAtt"][0] in granted_roles


def test_both_stages_are_throttled(template: Template) -> None:
    throttle = Match.object_like({"ThrottlingRateLimit": Match.any_value(), "ThrottlingBurstLimit": Match.any_value()})
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage", {"StageName": "$default", "DefaultRouteSettings": throttle}
    )
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage", {"StageName": "live", "DefaultRouteSettings": throttle}
    )
