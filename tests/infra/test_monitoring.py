"""Monitoring on AWS: every alarm goes to one encrypted, SSL-only topic (e-mailed when a deploy names an
address), every function, both APIs and both job queues are watched, and one dashboard shows them."""

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from app import build_app
from infra.constructs.functions import SIZING
from infra.stages import AlarmSettings, stage_settings
from tests.infra.stack_template import function_logical_id, job_queues, resources


def alarm_topic(template: Template) -> str:
    (logical_id,) = resources(template, "AWS::SNS::Topic")
    return logical_id


def alarms(template: Template) -> list[dict[str, Any]]:
    return [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]


def alarms_on(template: Template, namespace: str, metric: str, dimensions: dict[str, Any]) -> list[dict[str, Any]]:
    """The alarms that watch one metric of one resource (dimensions as the template writes their values)."""
    watched = sorted(({"Name": k, "Value": v} for k, v in dimensions.items()), key=lambda d: d["Name"])
    return [
        a
        for a in alarms(template)
        if (a.get("Namespace"), a.get("MetricName")) == (namespace, metric)
        and sorted(a.get("Dimensions", []), key=lambda d: d["Name"]) == watched
    ]


def only_alarm_on(template: Template, namespace: str, metric: str, dimensions: dict[str, Any]) -> dict[str, Any]:
    found = alarms_on(template, namespace, metric, dimensions)
    assert len(found) == 1, f"{len(found)} alarms on {namespace} {metric} {dimensions}"
    return found[0]


def settings_of(synthesized: tuple[str, App, Template]) -> AlarmSettings:
    return stage_settings(synthesized[0]).alarms


def api_id(template: Template, construct: str) -> dict[str, str]:
    (logical_id,) = (k for k in resources(template, "AWS::ApiGatewayV2::Api") if k.startswith(construct))
    return {"Ref": logical_id}


def test_alarms_go_to_one_topic_encrypted_with_its_own_rotated_key_and_ssl_only(template: Template) -> None:
    # Given the alarm topic
    topic = alarm_topic(template)
    properties = resources(template, "AWS::SNS::Topic")[topic]["Properties"]

    # Then it is encrypted with a key of its own (CloudWatch cannot use the AWS-managed one), rotated yearly
    key_id = properties["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = resources(template, "AWS::KMS::Key")[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    # And CloudWatch may use the key and publish, for this stack's alarms only
    (policy,) = (
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(template, "AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [{"Ref": topic}]
    )
    for statements in (policy, key["KeyPolicy"]["Statement"]):
        (from_cloudwatch,) = (s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"})
        assert from_cloudwatch["Effect"] == "Allow"
        assert "aws:SourceAccount" in from_cloudwatch["Condition"]["StringEquals"]
        assert "aws:SourceArn" in from_cloudwatch["Condition"]["ArnLike"]
    # And plain HTTP is refused
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy)
    # And without an address nobody is subscribed: alarms show in CloudWatch and on the dashboard
    assert resources(template, "AWS::SNS::Subscription") == {}


def test_an_alarm_email_given_at_deploy_is_subscribed_to_the_topic(tmp_path: Path) -> None:
    # Given a deploy that names an address
    app = build_app(outdir=str(tmp_path), context={"stage": "dev", "alarmEmail": "ops@example.com"})

    # When the stack is synthesized
    template = Template.from_stack(app.node.find_child("Chat-dev"))  # type: ignore[arg-type]

    # Then that address is subscribed to the alarm topic (AWS e-mails it a confirmation link first)
    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "Endpoint": "ops@example.com",
        "Protocol": "email",
        "TopicArn": {"Ref": alarm_topic(template)},
    }


def test_an_alarm_email_that_is_no_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="alarmEmail"):
        build_app(outdir=str(tmp_path), context={"stage": "dev", "alarmEmail": "ops"})


def test_every_alarm_tells_the_topic_when_it_goes_off_and_clears_and_says_what_to_do(template: Template) -> None:
    # Given every alarm in the stack, the ones other constructs make included
    topic = {"Ref": alarm_topic(template)}
    found = alarms(template)
    assert len(found) >= 3 * len(SIZING) + 8

    for alarm in found:
        # Then the topic hears of it going off and clearing
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]
        # And its description says what it means and what to look at first
        assert len(alarm["AlarmDescription"]) > 80, alarm["AlarmDescription"]
        # And what a period without data means is chosen, not left to the default: fine (nothing ran, nothing
        # queued) for all but the deep health check, which runs on a schedule (none: it did not run)
        breaching = "DeepHealth" in json.dumps(alarm.get("Metrics", []))
        assert alarm["TreatMissingData"] == ("breaching" if breaching else "notBreaching")


def test_every_function_alarms_on_errors_throttles_and_a_duration_near_its_timeout(
    synthesized: tuple[str, App, Template],
) -> None:
    # Given a stage's template and its thresholds
    _, _, template = synthesized
    settings = settings_of(synthesized)

    for module, sizing in SIZING.items():
        # When the alarms on that function's metrics are found
        function = {"FunctionName": {"Ref": function_logical_id(template, module)}}
        errors = only_alarm_on(template, "AWS/Lambda", "Errors", function)
        throttles = only_alarm_on(template, "AWS/Lambda", "Throttles", function)
        duration = only_alarm_on(template, "AWS/Lambda", "Duration", function)

        # Then a failed invocation within five minutes is enough
        assert (errors["Statistic"], errors["Period"], errors["EvaluationPeriods"]) == ("Sum", 300, 1)
        assert (errors["ComparisonOperator"], errors["Threshold"]) == (
            "GreaterThanOrEqualToThreshold",
            settings.function_errors,
        )
        # And so is a throttled one
        assert (throttles["Statistic"], throttles["Threshold"]) == ("Sum", settings.function_throttles)
        # And a p99 duration past the stage's share of this function's own timeout, held a while
        assert duration["ExtendedStatistic"] == "p99"
        assert duration["Threshold"] == round(sizing.timeout_s * 1000 * settings.duration_share_of_timeout)
        assert duration["ComparisonOperator"] == "GreaterThanThreshold"
        assert duration["EvaluationPeriods"] == duration["DatapointsToAlarm"] == settings.sustained_periods


def test_the_functions_own_counts_alarm_on_bugs_outages_failed_pushes_and_guessing(
    synthesized: tuple[str, App, Template],
) -> None:
    # Given a stage's template and its thresholds
    _, _, template = synthesized
    settings = settings_of(synthesized)

    for metric, threshold in (
        ("UnhandledErrors", settings.unhandled_errors),
        ("ServiceUnavailable", settings.service_unavailable),
        ("FanOutFailed", settings.fan_out_failed),
        ("FanOutRejected", settings.fan_out_rejected),
        ("LoginCeilingExceeded", settings.login_ceiling),
    ):
        # When the alarm on that count, service-wide (the dimension every count is also written with), is found
        alarm = only_alarm_on(template, "Chat", metric, {"service": "chat"})

        # Then the stage's count within five minutes sets it off
        assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Sum", 300, 1)
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", threshold)


def test_a_failing_or_missing_deep_health_check_alarms_where_it_runs(synthesized: tuple[str, App, Template]) -> None:
    # Given a stage's template
    stage_name, _, template = synthesized
    settings = settings_of(synthesized)

    # When the alarms on the DeepHealth metric are found
    found = [
        a
        for a in alarms(template)
        if any(
            q.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "DeepHealth" for q in a.get("Metrics", [])
        )
    ]

    # Then only a stage whose check runs has one
    if not stage_settings(stage_name).health_check.enabled:
        assert found == []
        return
    (alarm,) = found
    # And a failed check, or none at all (the check did not run), for a few periods in a row sets it off
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == settings.health_check_periods
    assert alarm["TreatMissingData"] == "breaching"


def test_the_http_api_alarms_on_5xx_and_on_a_slow_p99(synthesized: tuple[str, App, Template]) -> None:
    # Given the HTTP API's stage
    _, _, template = synthesized
    settings = settings_of(synthesized)
    stage = {"ApiId": api_id(template, "HttpApi"), "Stage": "$default"}

    # When its alarms are found
    server_errors = only_alarm_on(template, "AWS/ApiGateway", "5xx", stage)
    latency = only_alarm_on(template, "AWS/ApiGateway", "Latency", stage)

    # Then a few 5xx answers within five minutes are enough
    assert (server_errors["Statistic"], server_errors["Threshold"]) == ("Sum", settings.http_5xx)
    # And a p99 latency above the stage's bound must hold a while (one cold start is no outage)
    assert (latency["ExtendedStatistic"], latency["Threshold"]) == ("p99", settings.http_latency_p99_ms)
    assert latency["EvaluationPeriods"] == settings.sustained_periods


def test_the_websocket_api_alarms_on_integration_and_execution_errors(synthesized: tuple[str, App, Template]) -> None:
    # Given the WebSocket API's stage
    stage_name, _, template = synthesized
    settings = settings_of(synthesized)
    stage = {"ApiId": api_id(template, "WebSocketApi"), "Stage": stage_name}

    # When its alarms are found
    integration = only_alarm_on(template, "AWS/ApiGateway", "IntegrationError", stage)
    execution = only_alarm_on(template, "AWS/ApiGateway", "ExecutionError", stage)

    # Then route functions answering errors, and API Gateway failing to call them, both go off
    assert (integration["Statistic"], integration["Threshold"]) == ("Sum", settings.websocket_integration_errors)
    assert (execution["Statistic"], execution["Threshold"]) == ("Sum", settings.websocket_execution_errors)


def dead_letter_queues(template: Template) -> set[str]:
    """Every queue something sets its failures aside in: a queue's jobs, a function's asynchronous runs,
    a schedule's invocations."""
    arns = [
        *(
            q["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")
            for q in resources(template, "AWS::SQS::Queue").values()
        ),
        *(
            c["Properties"].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
        ),
        *(
            s["Properties"]["Target"].get("DeadLetterConfig", {}).get("Arn")
            for s in resources(template, "AWS::Scheduler::Schedule").values()
        ),
    ]
    queues = resources(template, "AWS::SQS::Queue")
    return {arn["Fn::GetAtt"][0] for arn in arns if arn and arn["Fn::GetAtt"][0] in queues}


def test_every_dead_letter_queue_alarms_as_soon_as_a_job_is_set_aside(template: Template) -> None:
    # Given every queue failures are set aside in (fan-out, notifications, the scheduled functions' failed runs)
    every = dead_letter_queues(template)
    assert len(every) >= 2 + len([s for s in SIZING.values() if s.scheduled])

    for dead_letters in sorted(every):
        # When its alarm is found
        watched = {"QueueName": {"Fn::GetAtt": [dead_letters, "QueueName"]}}
        alarm = only_alarm_on(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", watched)

        # Then one job visible within five minutes is enough
        assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Maximum", 300, 1)
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)


def test_each_job_queue_alarms_when_its_oldest_job_waits_too_long(synthesized: tuple[str, App, Template]) -> None:
    # Given the fan-out and notification queues and the stage's bounds
    _, _, template = synthesized
    settings = settings_of(synthesized)

    for construct, bound in (
        ("FanOut", settings.fan_out_oldest_job_s),
        ("Notifications", settings.notify_oldest_job_s),
    ):
        # When the alarm on its oldest job's age is found
        jobs, _ = job_queues(template, construct)
        watched = {"QueueName": {"Fn::GetAtt": [jobs, "QueueName"]}}
        alarm = only_alarm_on(template, "AWS/SQS", "ApproximateAgeOfOldestMessage", watched)

        # Then a job older than the bound sets it off
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "Maximum",
            "GreaterThanThreshold",
            bound,
        )


def test_one_dashboard_graphs_both_apis_the_functions_and_the_queues(template: Template) -> None:
    # Given the dashboard's body (a JSON string joined with the resources' names)
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = "".join(
        part if isinstance(part, str) else json.dumps(part)
        for part in dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    )

    # Then it shows every alarm's state
    assert '"type":"alarm"' in body
    # And the key graphs: both APIs' traffic, errors and latency, the functions' health, the queues' backlog
    for metric in (
        '"AWS/ApiGateway","Count"',
        '"AWS/ApiGateway","5xx"',
        '"AWS/ApiGateway","Latency"',
        '"AWS/ApiGateway","ConnectCount"',
        '"AWS/ApiGateway","MessageCount"',
        '"AWS/ApiGateway","IntegrationError"',
        '"AWS/ApiGateway","ExecutionError"',
        '"AWS/Lambda","Errors"',
        '"AWS/Lambda","Duration"',
        '"AWS/Lambda","Throttles"',
        '"AWS/Lambda","ConcurrentExecutions"',
        '"AWS/SQS","ApproximateNumberOfMessagesVisible"',
        '"AWS/SQS","ApproximateAgeOfOldestMessage"',
        '"Chat","MessagesSent","service","chat"',
        '"Chat","FanOutDelivered","service","chat"',
        '"Chat","FanOutFailed","service","chat"',
        '"Chat","DeepHealth","service","chat"',
    ):
        assert metric in body, metric
    # And every function appears on the function graphs
    for module in SIZING:
        assert json.dumps({"Ref": function_logical_id(template, module)}) in body
    # And the latest ERROR lines are listed from the function log groups
    assert "filter level = 'ERROR'" in body
