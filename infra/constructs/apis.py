"""The HTTP API and the WebSocket API, each with a throttled, access-logged stage. Each invokes
what `ChatFunctions.invoked` names: a SnapStart function's live alias, else the function."""

import json
from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw_v1
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.functions import ChatFunctions
from infra.nag import acknowledge, as_nag_writes
from infra.routes import HTTP_HANDLER, HTTP_ROUTES, WS_AUTHORIZER, WS_ROUTE_SELECTION, WS_ROUTES, WS_TOKEN_SOURCE
from infra.stages import StageSettings

# `requestId` is the `correlation_id` on every log line of the function that served the request
# (chat.observability), so one request's access log and function logs are found together.
HTTP_ACCESS_LOG = {
    "requestId": "$context.requestId",
    "lambdaRequestId": "$context.integration.requestId",  # the function's own: its REPORT line's RequestId
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "latencyMs": "$context.responseLatency",  # the whole request, as the caller waited
    "integrationLatencyMs": "$context.integrationLatency",  # the function's part of it
    "integrationError": "$context.integrationErrorMessage",
}
WS_ACCESS_LOG = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "connectionId": "$context.connectionId",
    "status": "$context.status",
    # A WebSocket API logs no whole-request latency: the route's function is the frame's work.
    "latencyMs": "$context.integrationLatency",
    "authorizerLatencyMs": "$context.authorizer.latency",  # $connect only
    "authorizerError": "$context.authorizer.error",
    "integrationError": "$context.integrationErrorMessage",
}


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogSettings:
    """Where a stage writes its access log, and in what shape (jsii reads these as properties)."""

    def __init__(self, destination: apigw.IAccessLogDestination, log_format: apigw_v1.AccessLogFormat) -> None:
        self._destination = destination
        self._format = log_format

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw_v1.AccessLogFormat:
        return self._format


def _stage_options(scope: Construct, stage: StageSettings, log_fields: dict[str, str]) -> dict[str, Any]:
    """What both APIs' stages share: auto-deploy, the stage's throttling, and JSON access logs."""
    group = logs.LogGroup(scope, "AccessLogs", retention=stage.log_retention, removal_policy=stage.removal_policy)
    return {
        "auto_deploy": True,
        "throttle": apigw.ThrottleSettings(rate_limit=stage.throttle_rate, burst_limit=stage.throttle_burst),
        "access_log_settings": _AccessLogSettings(
            apigw.LogGroupLogDestination(group), apigw_v1.AccessLogFormat.custom(json.dumps(log_fields))
        ),
    }


class HttpApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageSettings,
        functions: ChatFunctions,
        allowed_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigw.HttpApi(
            self,
            "Api",
            api_name=f"chat-{stage.name}-http",
            create_default_stage=False,
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=[*allowed_origins, *stage.local_origins],
                # Every method a route uses (the web app calls PUT, PATCH and DELETE too).
                allow_methods=[
                    apigw.CorsHttpMethod(method)
                    for method in sorted({m for m, _ in HTTP_ROUTES if m != "ANY"} | {"OPTIONS"})
                ],
                allow_headers=["authorization", "content-type"],
                max_age=Duration.hours(1),
            ),
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG4",
            "The handler checks the bearer token (the one JWT check it shares with the WebSocket authorizer) "
            "and answers 401 in the contract's error shape; sign-up, log-in, health and the API docs are public.",
        )
        integration = integrations.HttpLambdaIntegration("HttpIntegration", functions.invoked(HTTP_HANDLER))
        for method, path in HTTP_ROUTES:
            self.api.add_routes(path=path, methods=[apigw.HttpMethod(method)], integration=integration)
        self.stage = apigw.HttpStage(self, "Stage", http_api=self.api, **_stage_options(self, stage, HTTP_ACCESS_LOG))

    @property
    def url(self) -> str:
        return self.stage.url


class WebSocketApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings, functions: ChatFunctions) -> None:
        super().__init__(scope, construct_id)
        authorizer = authorizers.WebSocketLambdaAuthorizer(
            "TokenAuthorizer", functions.invoked(WS_AUTHORIZER), identity_source=[WS_TOKEN_SOURCE]
        )

        def integration(route: str) -> integrations.WebSocketLambdaIntegration:
            return integrations.WebSocketLambdaIntegration(f"{route}Integration", functions.invoked(WS_ROUTES[route]))

        self.api = apigw.WebSocketApi(
            self,
            "Api",
            api_name=f"chat-{stage.name}-ws",
            route_selection_expression=WS_ROUTE_SELECTION,
            connect_route_options=apigw.WebSocketRouteOptions(
                integration=integration("$connect"), authorizer=authorizer
            ),
            disconnect_route_options=apigw.WebSocketRouteOptions(integration=integration("$disconnect")),
            # Route responses: a handler's return body is the reply frame (pong, error).
            default_route_options=apigw.WebSocketRouteOptions(
                integration=integration("$default"), return_response=True
            ),
        )
        for route in WS_ROUTES:
            if not route.startswith("$"):
                self.api.add_route(route, integration=integration(route), return_response=True)
        acknowledge(
            self.api,
            "AwsSolutions-APIG4",
            "API Gateway authorizes a WebSocket once, at $connect (the token authorizer); every later route "
            "runs on that authorized connection with the authorizer's userId.",
        )
        self.stage = apigw.WebSocketStage(
            self, "Stage", web_socket_api=self.api, stage_name=stage.name, **_stage_options(self, stage, WS_ACCESS_LOG)
        )

    @property
    def url(self) -> str:
        return self.stage.url

    @property
    def management_endpoint(self) -> str:
        return self.stage.callback_url

    @property
    def management_arn_pattern(self) -> str:
        """How cdk-nag writes the stage-scoped ManageConnections resource, to acknowledge exactly that grant."""
        api_id = Stack.of(self).get_logical_id(self.api.node.default_child)  # type: ignore[arg-type]
        return as_nag_writes(
            self,
            f"arn:{{partition}}:execute-api:{{region}}:{{account}}:<{api_id}>/{self.stage.stage_name}/*/@connections/*",
        )
