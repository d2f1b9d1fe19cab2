"""Web Push on AWS: the notification queue and its dead letters, the notifier's least privilege, and
the VAPID key generated at deploy and handed to browsers through config.json and the HTTP API."""

import json
import re
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.constructs.functions import SIZING
from infra.routes import HTTP_HANDLER, NOTIFIER, VAPID_KEY_SETUP_HANDLER, WS_ROUTES
from tests.infra.stack_template import (
    actions_of,
    function_logical_id,
    job_queues,
    queues_sent_to,
    resources,
    statements_of,
    variables_of,
)

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def notification_queues(template: Template) -> tuple[str, str]:
    """The logical ids of the notification jobs queue and of its dead-letter queue."""
    return job_queues(template, "Notifications")


def secret_id(template: Template, name: str) -> str:
    (logical_id,) = (k for k in resources(template, "AWS::SecretsManager::Secret") if k.startswith(f"Secrets{name}"))
    return logical_id


def vapid_key_resource(template: Template) -> str:
    (logical_id,) = resources(template, "Custom::VapidKey")
    return logical_id


def granted(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Each (action, resource) pair the statements allow, the resource as its JSON."""
    return {
        (action, json.dumps(resource, sort_keys=True))
        for s in statements
        if s["Effect"] == "Allow"
        for action in actions_of(s)
        for resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    }


def test_a_job_that_fails_three_times_is_set_aside_for_14_days(template: Template) -> None:
    # Given the notification queue and its dead-letter queue
    jobs, dead_letters = notification_queues(template)
    queues = resources(template, "AWS::SQS::Queue")

    # Then a job the notifier crashes on three times moves to the dead letters, kept 14 days for a look
    assert queues[jobs]["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters, "Arn"]},
        "maxReceiveCount": 3,
    }
    assert queues[dead_letters]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    # And a job is kept a day, as long as push services keep a notification, and less than the claims
    assert queues[jobs]["Properties"]["MessageRetentionPeriod"] == 24 * 3600
    # And a job the notifier still holds is not handed to a second one (nobody is notified twice)
    assert queues[jobs]["Properties"]["VisibilityTimeout"] == 6 * SIZING[NOTIFIER].timeout_s
    # And both are encrypted (plain HTTP is refused for every queue: test_chat_stack)
    assert all(queues[q]["Properties"]["SqsManagedSseEnabled"] is True for q in (jobs, dead_letters))


def test_an_alarm_goes_off_as_soon_as_a_job_is_set_aside(template: Template) -> None:
    # Given the notification dead-letter queue
    _, dead_letters = notification_queues(template)

    # When its alarm is found
    watched = [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dead_letters, "QueueName"]}}]
    alarms = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Dimensions") == watched
    ]

    # Then one message visible within five minutes is enough, and an idle queue is fine
    assert len(alarms) == 1
    alarm = alarms[0]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Maximum", 300, 1)
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert alarm["TreatMissingData"] == "notBreaching"
    # And it tells the alarm topic (tests/infra/test_monitoring.py)
    assert len(alarm["AlarmActions"]) == 1


def test_the_notifier_takes_one_job_at_a_time_with_the_stages_concurrency(
    synthesized: tuple[str, App, Template],
) -> None:
    # Given a stage's template
    stage, _, template = synthesized
    jobs, _ = notification_queues(template)

    # When the notification queue's event source mapping is found
    (mapping,) = (
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [jobs, "Arn"]}
    )

    # Then it runs the notifier, one message's notifications per invocation, retrying only the jobs it reports failed
    assert mapping == {
        "EventSourceArn": {"Fn::GetAtt": [jobs, "Arn"]},
        "FunctionName": {"Ref": function_logical_id(template, NOTIFIER)},
        "BatchSize": 1,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": 5 if stage == "dev" else 20},
    }


def test_the_notifier_reads_its_two_secrets_and_uses_its_queue_and_nothing_else(template: Template) -> None:
    # Given the notifier's grants
    jobs, _ = notification_queues(template)
    statements = statements_of(template, NOTIFIER)
    queue = json.dumps({"Fn::GetAtt": [jobs, "Arn"]}, sort_keys=True)
    mongodb_uri = json.dumps({"Ref": secret_id(template, "MongoDbUri")}, sort_keys=True)
    vapid_key = json.dumps({"Ref": secret_id(template, "VapidKey")}, sort_keys=True)
    read = {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    consume = {
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }

    # Then it reads the MongoDB URI and the VAPID key, takes jobs off its queue and puts retries back on it;
    # X-Ray (which names no resource) aside, that is all: no media, no sockets, no other secret or queue
    assert granted(statements) == {
        *((action, json.dumps("*")) for action in XRAY),
        *((action, secret) for action in read for secret in (mongodb_uri, vapid_key)),
        *((action, queue) for action in consume | {"sqs:SendMessage"}),
    }
    assert not [a for a, _ in granted(statements) if a.startswith(("s3:", "execute-api:", "kms:"))]


def test_the_notifier_knows_its_key_its_queue_and_signs_as_the_web_app(template: Template) -> None:
    # Given the notifier's environment
    jobs, _ = notification_queues(template)
    variables = variables_of(template, NOTIFIER)
    (web_distribution,) = (d for d in resources(template, "AWS::CloudFront::Distribution") if d.startswith("Web"))

    # Then it finds the VAPID key and MongoDB through their secrets, never their values
    assert variables["VAPID_SECRET_ARN"] == {"Ref": secret_id(template, "VapidKey")}
    assert variables["MONGODB_URI_SECRET_ARN"] == {"Ref": secret_id(template, "MongoDbUri")}
    assert "VAPID_PRIVATE_KEY" not in variables
    # And push services that need to reach the sender are sent to the web app's https URL
    assert variables["VAPID_SUBJECT"] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [web_distribution, "DomainName"]}]]
    }
    # And it puts its retries back on its own queue, and keeps to the stage's TTL and attempts
    assert variables["NOTIFY_QUEUE_URL"] == {"Ref": jobs}
    assert (variables["PUSH_TTL_SECONDS"], variables["PUSH_MAX_ATTEMPTS"]) == ("86400", "5")


def test_whoever_stores_a_message_queues_its_notifications(template: Template) -> None:
    # Given the notification queue, and the functions that store messages (and the notifier, which retries)
    jobs, _ = notification_queues(template)
    notifying = {module for module, sizing in SIZING.items() if sizing.notifies}
    assert notifying == {HTTP_HANDLER, WS_ROUTES["sendMessage"]}

    for module in SIZING:
        # When a function's environment and grants are read
        variables = variables_of(template, module)

        # Then exactly those know the queue and may send to it
        queues = module in notifying or module == NOTIFIER
        assert variables.get("NOTIFY_QUEUE_URL") == ({"Ref": jobs} if queues else None), module
        assert (jobs in queues_sent_to(template, module)) == queues, module


def test_the_vapid_key_is_generated_at_deploy_into_its_own_secret(template: Template) -> None:
    # Given the VAPID key resource and its secret
    vapid_key = secret_id(template, "VapidKey")
    resource = resources(template, "Custom::VapidKey")[vapid_key_resource(template)]["Properties"]

    # Then the resource is handed the secret, and its provider runs the VAPID key setup
    assert resource["SecretArn"] == {"Ref": vapid_key}
    framework = resources(template, "AWS::Lambda::Function")[resource["ServiceToken"]["Fn::GetAtt"][0]]
    assert framework["Properties"]["Environment"]["Variables"]["USER_ON_EVENT_FUNCTION_ARN"] == {
        "Fn::GetAtt": [function_logical_id(template, VAPID_KEY_SETUP_HANDLER), "Arn"]
    }
    # And the key setup may read and write that secret and nothing else
    secret = json.dumps({"Ref": vapid_key}, sort_keys=True)
    assert {(a, r) for a, r in granted(statements_of(template, VAPID_KEY_SETUP_HANDLER)) if a not in XRAY} == {
        ("secretsmanager:GetSecretValue", secret),
        ("secretsmanager:DescribeSecret", secret),
        ("secretsmanager:PutSecretValue", secret),
        ("secretsmanager:UpdateSecret", secret),
        ("secretsmanager:UpdateSecretVersionStage", secret),
    }
    # And only the notifier and the key setup may read it: the HTTP API is given the public half only
    readers = {
        module
        for module in SIZING
        if ("secretsmanager:GetSecretValue", secret) in granted(statements_of(template, module))
    }
    assert readers == {NOTIFIER, VAPID_KEY_SETUP_HANDLER}


def test_browsers_get_the_generated_public_key_from_config_json_and_the_http_api(
    synthesized: tuple[str, App, Template],
) -> None:
    # Given the VAPID key resource's public key attribute
    _, app, template = synthesized
    public_key = {"Fn::GetAtt": [vapid_key_resource(template), "PublicKey"]}

    # Then the HTTP API answers GET /api/push/config with it
    assert variables_of(template, HTTP_HANDLER)["VAPID_PUBLIC_KEY"] == public_key

    # And the web app's config.json carries it as vapidPublicKey
    (deployment,) = resources(template, "Custom::CDKBucketDeployment").values()
    properties = deployment["Properties"]
    # Deploy-time values stand in config.json as bare markers, each replaced by its JSON value at deploy.
    configs = {
        index: json.loads(re.sub(r"<<marker:[^>]+>>", lambda m: json.dumps(m.group()), config.read_text()))
        for index, key in enumerate(properties["SourceObjectKeys"])
        if (config := Path(app.outdir) / f"asset.{key.removesuffix('.zip')}" / "config.json").is_file()
    }
    ((index, config),) = configs.items()
    marker = config["vapidPublicKey"]
    assert properties["SourceMarkers"][index][marker] == {"Fn::Join": ["", ['"', public_key, '"']]}
    # And a new service worker and manifest reach browsers with the deploy, not a day later
    assert {"/sw.js", "/manifest.webmanifest"} <= set(properties["DistributionPaths"])
