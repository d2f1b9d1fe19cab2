"""Both APIs' access logs carry what joins a request to its function's logs (API Gateway's
request id, which the functions log as `correlation_id`) and how long it took."""

import json

from aws_cdk import App
from aws_cdk.assertions import Template

from tests.infra.stack_template import resources


def test_each_access_log_line_has_the_request_id_and_latency(synthesized: tuple[str, App, Template]) -> None:
    # Given both API stages of the synthesized stack
    _, _, template = synthesized
    formats = {
        stage["Properties"]["ApiId"]["Ref"]: json.loads(stage["Properties"]["AccessLogSettings"]["Format"])
        for stage in resources(template, "AWS::ApiGatewayV2::Stage").values()
    }
    apis = resources(template, "AWS::ApiGatewayV2::Api")
    by_protocol = {apis[api_id]["Properties"]["ProtocolType"]: fields for api_id, fields in formats.items()}

    # Then each line names the request and its latency, in the API's own variables
    http, websocket = by_protocol["HTTP"], by_protocol["WEBSOCKET"]
    for fields in (http, websocket):
        assert fields["requestId"] == "$context.requestId"
        assert fields["routeKey"] == "$context.routeKey"
        assert fields["status"] == "$context.status"
    assert http["latencyMs"] == "$context.responseLatency"
    assert http["integrationLatencyMs"] == "$context.integrationLatency"
    assert http["lambdaRequestId"] == "$context.integration.requestId"
    assert websocket["latencyMs"] == "$context.integrationLatency"
    assert websocket["connectionId"] == "$context.connectionId"
