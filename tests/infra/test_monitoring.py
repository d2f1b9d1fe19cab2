"""Monitoring on AWS: every alarm goes to one encrypted, SSL-only topic (e-mailed when the stack's AlarmEmail
parameter names an address), every function, both APIs and both job queues are watched, and one dashboard
shows them, all reading the metrics the functions emit in their stage's own namespace."""

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from app import build_app
from infra.constructs.functions import SIZING
from infra.routes import WS_AUTHORIZER
from infra.stages import AlarmSettings, stage_settings
from tests.infra.stack_template import function_logical_id, job_queues, resources, variables_of

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas" / "chat"


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


def namespace_of(synthesized: tuple[str, App, Template]) -> str:
    return stage_settings(synthesized[0]).metrics_namespace


def dashboard_body(template: Template) -> str:
    """The dashboard's body: a JSON string joined with the resources' names."""
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    return "".join(
        part if isinstance(part, str) else json.dumps(part)
        for part in dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    )


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


def test_the_alarm_email_is_a_stack_parameter_later_deploys_keep(template: Template) -> None:
    # Given the stack's AlarmEmail parameter (cdk deploy --parameters AlarmEmail=ops@example.com): a deploy
    # that does not name it keeps the stored value, as the CDK CLI passes previous values on
    parameter = template.to_json()["Parameters"]["AlarmEmail"]

    # Then it may be left out (empty: nobody is e-mailed) and takes an address or nothing
    assert (parameter["Type"], parameter["Default"]) == ("String", "")
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.match("")
    assert pattern.match("ops@example.com")
    assert not pattern.match("ops")
    assert not pattern.match("ops@example.com, me@example.com")

    # And the address is subscribed to the alarm topic only when there is one (AWS e-mails it a confirmation
    # link first); without one, alarms show in CloudWatch and on the dashboard
    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "Endpoint": {"Ref": "AlarmEmail"},
        "Protocol": "email",
        "TopicArn": {"Ref": alarm_topic(template)},
    }
    condition = template.to_json()["Conditions"][subscription["Condition"]]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}


def test_an_alarm_email_given_as_context_is_refused_not_forgotten_by_the_next_deploy(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="AlarmEmail"):
        build_app(outdir=str(tmp_path), context={"stage": "dev", "alarmEmail": "ops@example.com"})


def test_every_alarm_tells_the_topic_when_it_goes_off_and_clears_and_says_what_to_do(template: Template) -> None:
    # Given every alarm in the stack, the ones other constructs make included
    topic = {"Ref": alarm_topic(template)}
    found = alarms(template)
    assert len(found) >= 2 * len([s for s in SIZING.values() if not s.at_deploy]) + 8

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
        function = {"FunctionName": {"Ref": function_logical_id(template, module)}}
        if sizing.at_deploy:
            # A function CloudFormation runs at deploy has none: a failure fails the deploy
            for metric in ("Errors", "Throttles", "Duration"):
                assert alarms_on(template, "AWS/Lambda", metric, function) == [], (module, metric)
            continue
        # When the alarms on that function's metrics are found
        throttles = only_alarm_on(template, "AWS/Lambda", "Throttles", function)
        # Then a throttled invocation within five minutes is enough
        assert (throttles["Statistic"], throttles["Threshold"]) == ("Sum", settings.function_throttles)

        if module == WS_AUTHORIZER:
            # The authorizer refuses every bad token by raising "Unauthorized", which Lambda counts as an
            # error: an Errors alarm would go off on every expired token (its bugs count as UnhandledErrors)
            assert alarms_on(template, "AWS/Lambda", "Errors", function) == []
        else:
            # And so is a failed invocation
            errors = only_alarm_on(template, "AWS/Lambda", "Errors", function)
            assert (errors["Statistic"], errors["Period"], errors["EvaluationPeriods"]) == ("Sum", 300, 1)
            assert (errors["ComparisonOperator"], errors["Threshold"]) == (
                "GreaterThanOrEqualToThreshold",
                settings.function_errors,
            )

        if sizing.scheduled:
            # A scheduled function runs too seldom for a p99 held 3 periods in a row: no NearTimeout alarm
            assert alarms_on(template, "AWS/Lambda", "Duration", function) == []
            continue
        # And a p99 duration past the stage's share of this function's own timeout, held a while
        duration = only_alarm_on(template, "AWS/Lambda", "Duration", function)
        assert duration["ExtendedStatistic"] == "p99"
        assert duration["Threshold"] == round(sizing.timeout_s * 1000 * settings.duration_share_of_timeout)
        assert duration["ComparisonOperator"] == "GreaterThanThreshold"
        assert duration["EvaluationPeriods"] == duration["DatapointsToAlarm"] == settings.sustained_periods


def test_the_functions_own_counts_alarm_on_bugs_outages_failed_pushes_and_guessing(
    synthesized: tuple[str, App, Template],
) -> None:
    # Given a stage's template, its thresholds and its namespace
    _, _, template = synthesized
    settings = settings_of(synthesized)
    namespace = namespace_of(synthesized)

    for metric, threshold in (
        ("UnhandledErrors", settings.unhandled_errors),
        ("ServiceUnavailable", settings.service_unavailable),
        ("FanOutFailed", settings.fan_out_failed),
        ("FanOutRejected", settings.fan_out_rejected),
        ("LoginCeilingExceeded", settings.login_ceiling),
    ):
        # When the alarm on that count, service-wide (the dimension every count is also written with), is found
        alarm = only_alarm_on(template, namespace, metric, {"service": "chat"})

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


def test_one_dashboard_graphs_both_apis_the_functions_and_the_queues(synthesized: tuple[str, App, Template]) -> None:
    # Given the dashboard's body and the stage's namespace
    _, _, template = synthesized
    body = dashboard_body(template)
    namespace = namespace_of(synthesized)

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
        f'"{namespace}","MessagesSent","service","chat"',
        f'"{namespace}","FanOutDelivered","service","chat"',
        f'"{namespace}","FanOutFailed","service","chat"',
        f'"{namespace}","DeepHealth","service","chat"',
    ):
        assert metric in body, metric
    # And pushes per message (one sample per send) as a distribution, never summed
    pushes = re.findall(rf'\["{re.escape(namespace)}","PushesPerMessage",[^\]]*\]', body)
    # (a graph's metric without a "stat" is drawn with the widget's default, Average)
    assert sorted(json.loads(graphed)[-1].get("stat", "Average") for graphed in pushes) == ["Average", "p99"]
    # And every function appears on the function graphs
    for module in SIZING:
        assert json.dumps({"Ref": function_logical_id(template, module)}) in body
    # And the latest ERROR lines are listed from the function log groups
    assert "filter level = 'ERROR'" in body


def test_every_function_emits_to_the_namespace_the_alarms_and_the_dashboard_read(
    synthesized: tuple[str, App, Template],
) -> None:
    # Given the namespaces the alarms and the dashboard read the functions' own metrics from
    _, _, template = synthesized
    namespace = namespace_of(synthesized)
    read = {namespace for namespace, _ in chat_metrics_read(template, namespace)}
    other_stage = stage_settings("prod" if synthesized[0] == "dev" else "dev").metrics_namespace

    # Then that is one namespace, the stage's own (two stages in one account never mix counts)
    assert read == {namespace}
    assert namespace != other_stage
    assert other_stage not in json.dumps(template.to_json())
    # And every function writes its metrics there
    for module in SIZING:
        assert variables_of(template, module)["POWERTOOLS_METRICS_NAMESPACE"] == namespace, module


def test_every_metric_the_alarms_and_the_dashboard_read_is_one_the_code_emits(
    synthesized: tuple[str, App, Template],
) -> None:
    # Given the metric names the functions count (chat.observability.metrics.count and the Metrics port)
    emitted = metric_names_counted()
    assert {"MessagesSent", "UnhandledErrors", "FanOutFailed", "DeepHealth", "PushesPerMessage"} <= emitted

    # When the custom metrics the stack's alarms and dashboard read are listed
    _, _, template = synthesized
    read = {name for _, name in chat_metrics_read(template, namespace_of(synthesized))}
    assert {"UnhandledErrors", "DeepHealth", "PushesPerMessage"} <= read

    # Then every one of them is one the code emits: a renamed count breaks this, not a silent alarm
    assert read <= emitted, read - emitted


def chat_metrics_read(template: Template, namespace: str) -> set[tuple[str, str]]:
    """(namespace, metric) of every metric outside AWS's own namespaces that an alarm or the dashboard reads."""
    read: set[tuple[str, str]] = set()
    for alarm in alarms(template):
        metrics = [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]
        if "MetricName" in alarm:
            metrics.append(alarm)
        read |= {(m["Namespace"], m["MetricName"]) for m in metrics if not m["Namespace"].startswith("AWS/")}
    body = dashboard_body(template)
    # A graphed metric is ["Namespace","MetricName",...]; the dashboard's other namespaces are AWS's own.
    read |= set(re.findall(r'\["((?!AWS/)[^"]+)","([A-Za-z]+)"', body))
    assert any(ns == namespace for ns, _ in read)
    return read


def metric_names_counted() -> set[str]:
    """Every name the Lambda code passes to a `.count(name, ...)` call: a string, a module constant, or the
    values of a module-level dict of names iterated into it (push outcomes)."""
    names: set[str] = set()
    for source in LAMBDAS.rglob("*.py"):
        tree = ast.parse(source.read_text(), filename=str(source))
        constants: dict[str, set[str]] = {}
        for node in tree.body:
            target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
            if isinstance(target, ast.Name) and isinstance(node, ast.Assign):
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    constants[target.id] = {value.value}
                elif isinstance(value, ast.Dict):
                    constants[target.id] = {
                        v.value for v in value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                    }
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.args):
                continue
            if call.func.attr != "count" or not isinstance(call.func.value, ast.Attribute | ast.Name):
                continue
            receiver = ast.unparse(call.func.value)
            if "metrics" not in receiver:  # str.count, list.count
                continue
            name = call.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                names.add(name.value)
            elif isinstance(name, ast.Name):
                names |= constants.get(name.id, set()) | dict_values_iterated_as(tree, name.id, constants)
    return names


def dict_values_iterated_as(tree: ast.Module, variable: str, constants: dict[str, set[str]]) -> set[str]:
    """The names a loop variable takes: `for _, metric in OUTCOME_METRICS.items()` gives the dict's values."""
    found: set[str] = set()
    for loop in ast.walk(tree):
        if isinstance(loop, ast.For) and variable in names_in(loop.target):
            for name in names_in(loop.iter):
                found |= constants.get(name, set())
    return found


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
