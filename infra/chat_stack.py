"""The chat backend's stack: the Lambda functions behind an HTTP API and a
WebSocket API. (The dependency layer, secrets, media and web hosting are added
by the infrastructure work that builds on this.)"""

from pathlib import Path

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.routes import HTTP_HANDLER, WS_AUTHORIZER, WS_ROUTE_SELECTION, WS_ROUTES

LAMBDAS = Path(__file__).resolve().parent.parent / "lambdas"
# Requests per second across each stage, and the burst above it, before API Gateway answers 429.
THROTTLE_RATE = 200
THROTTLE_BURST = 400


class ChatStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        code = lambda_.Code.from_asset(str(LAMBDAS), exclude=["**/__pycache__"])

        def function(construct_id: str, module: str) -> lambda_.Function:
            return lambda_.Function(
                self,
                construct_id,
                code=code,
                handler=f"{module}.lambda_handler",
                runtime=lambda_.Runtime.PYTHON_3_13,
                architecture=lambda_.Architecture.ARM_64,
                memory_size=1024,
                timeout=Duration.seconds(15),
                environment={"POWERTOOLS_SERVICE_NAME": "chat"},
            )

        http_function = function("HttpFunction", HTTP_HANDLER)
        http_api = apigw.HttpApi(self, "HttpApi", api_name="chat-http", create_default_stage=False)
        http_api.add_routes(
            path="/api/{proxy+}",
            methods=[apigw.HttpMethod.ANY],
            integration=integrations.HttpLambdaIntegration("HttpIntegration", http_function),
        )
        http_stage = apigw.HttpStage(
            self,
            "HttpStage",
            http_api=http_api,
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=THROTTLE_RATE, burst_limit=THROTTLE_BURST),
        )

        authorizer = authorizers.WebSocketLambdaAuthorizer(
            "TokenAuthorizer",
            function("WsAuthorizerFunction", WS_AUTHORIZER),
            identity_source=["route.request.querystring.token"],
        )
        ws_functions = {
            route: function(f"Ws{module.rsplit('.', 1)[-1].title().replace('_', '')}Function", module)
            for route, module in WS_ROUTES.items()
        }

        def integration(route: str) -> integrations.WebSocketLambdaIntegration:
            return integrations.WebSocketLambdaIntegration(f"{route}Integration", ws_functions[route])

        ws_api = apigw.WebSocketApi(
            self,
            "WebSocketApi",
            api_name="chat-ws",
            route_selection_expression=WS_ROUTE_SELECTION,
            connect_route_options=apigw.WebSocketRouteOptions(
                integration=integration("$connect"), authorizer=authorizer
            ),
            disconnect_route_options=apigw.WebSocketRouteOptions(integration=integration("$disconnect")),
            default_route_options=apigw.WebSocketRouteOptions(
                integration=integration("$default"), return_response=True
            ),
        )
        for route in WS_ROUTES:
            if not route.startswith("$"):
                ws_api.add_route(route, integration=integration(route), return_response=True)
        stage = apigw.WebSocketStage(
            self,
            "WebSocketStage",
            web_socket_api=ws_api,
            stage_name="live",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=THROTTLE_RATE, burst_limit=THROTTLE_BURST),
        )
        # Whoever sends messages pushes them: the HTTP API and the sendMessage route.
        for pusher in (http_function, ws_functions["sendMessage"]):
            pusher.add_environment("WS_MANAGEMENT_ENDPOINT", stage.callback_url)
            stage.grant_management_api_access(pusher)

        CfnOutput(self, "HttpApiUrl", value=http_stage.url)
        CfnOutput(self, "WebSocketUrl", value=stage.url)
