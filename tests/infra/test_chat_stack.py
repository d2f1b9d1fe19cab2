"""The CDK app: synthesizes offline for both stages with cdk-nag clean and
cfn-lint clean, and has the properties that matter for security and operation."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import App, Validations
from aws_cdk.assertions import Match, Template

from app import build_app
from infra.constructs.functions import RUNTIME, SIZING, function_id
from infra.routes import (
    ARCHIVER,
    FAN_OUT_WORKER,
    HTTP_HANDLER,
    HTTP_ROUTES,
    MEDIA_KEY_SETUP_HANDLER,
    NOTIFIER,
    VAPID_KEY_SETUP_HANDLER,
    WS_AUTHORIZER,
    WS_ROUTE_SELECTION,
    WS_ROUTES,
    WS_TOKEN_SOURCE,
)
from infra.web_policy import AWS_CONNECT, AWS_IMAGES, content_security_policy
from tests.infra.stack_template import (
    actions_of,
    function_logical_id,
    invoked_logical_id,
    job_queues,
    queues_sent_to,
    resources,
    statements_of,
)


def test_cfn_lint_passes_on_every_template(synthesized: tuple[str, App, Template]) -> None:
    _, app, _ = synthesized
    templates = sorted(Path(app.outdir).glob("*.template.json"))
    assert templates
    # W3005 (redundant DependsOn) is how CDK itself writes some dependencies: the only rule ignored.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--ignore-checks", "W3005", "--", *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_acknowledgment_gives_a_reason(synthesized: tuple[str, App, Template]) -> None:
    _, app, _ = synthesized
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    # Each entry maps "Annotation::<rule>" to the reason given for it.
    reasons = {
        (node.node.path, rule): reason
        for node in app.node.find_all()
        for entry in node.node.metadata
        if entry.type == key
        for rule, reason in entry.data.items()
    }
    assert len(reasons) > 10
    for (path, rule), reason in reasons.items():
        assert len(reason) > 40, f"{path} acknowledges {rule} without a real reason: {reason!r}"


def test_every_contract_route_goes_to_the_http_function(template: Template) -> None:
    http_function = invoked_logical_id(template, HTTP_HANDLER)
    route_keys = {r["Properties"]["RouteKey"] for r in resources(template, "AWS::ApiGatewayV2::Route").values()}
    for method, path in HTTP_ROUTES:
        assert f"{method} {path}" in route_keys
    integrations = resources(template, "AWS::ApiGatewayV2::Integration")
    http_integrations = [i for i in integrations.values() if i["Properties"].get("PayloadFormatVersion") == "2.0"]
    assert len(http_integrations) == 1
    assert http_function in json.dumps(http_integrations[0]["Properties"]["IntegrationUri"])


def test_websocket_api_routes_and_token_authorizer(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Api", {"ProtocolType": "WEBSOCKET", "RouteSelectionExpression": WS_ROUTE_SELECTION}
    )
    routes = resources(template, "AWS::ApiGatewayV2::Route")
    by_key = {r["Properties"]["RouteKey"]: r["Properties"] for r in routes.values()}
    assert set(WS_ROUTES) <= set(by_key)
    assert by_key["$connect"]["AuthorizationType"] == "CUSTOM"
    (authorizer,) = resources(template, "AWS::ApiGatewayV2::Authorizer").values()
    assert authorizer["Properties"]["AuthorizerType"] == "REQUEST"
    assert authorizer["Properties"]["IdentitySource"] == [WS_TOKEN_SOURCE]
    assert invoked_logical_id(template, WS_AUTHORIZER) in json.dumps(authorizer["Properties"]["AuthorizerUri"])


def test_functions_run_the_newest_python_on_arm64_with_the_layer_and_tracing(template: Template) -> None:
    functions = resources(template, "AWS::Lambda::Function")
    ours = {logical_id: f for logical_id, f in functions.items() if f["Properties"]["Handler"].startswith("chat.")}
    assert len(ours) == len(SIZING)
    (layer_id,) = (i for i in resources(template, "AWS::Lambda::LayerVersion") if i.startswith("DependenciesLayer"))
    for function in ours.values():
        properties = function["Properties"]
        assert properties["Runtime"] == RUNTIME.name == "python3.14"
        assert properties["Architectures"] == ["arm64"]
        assert properties["Layers"] == [{"Ref": layer_id}]
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert properties["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "chat"
        assert "LoggingConfig" in properties


def test_secrets_come_from_secrets_manager_never_plain_environment(template: Template) -> None:
    secrets = resources(template, "AWS::SecretsManager::Secret")
    assert len(secrets) == 4  # JWT key, MongoDB URI, media signing key, VAPID key
    for function in resources(template, "AWS::Lambda::Function").values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        assert "JWT_SECRET" not in variables
        assert "MONGODB_URI" not in variables
        assert "MEDIA_SIGNING_KEY" not in variables
        assert "VAPID_PRIVATE_KEY" not in variables
    template.has_parameter("MongoDbUri", {"NoEcho": True})


def test_each_function_reads_only_the_secrets_it_uses(template: Template) -> None:
    secret_ids = set(resources(template, "AWS::SecretsManager::Secret"))
    for module, sizing in SIZING.items():
        statements = statements_of(template, module)
        read = {s["Resource"]["Ref"] for s in statements if "secretsmanager:GetSecretValue" in s["Action"]}
        reads_media_key = sizing.handles_media or sizing.links_media or module == MEDIA_KEY_SETUP_HANDLER
        reads_vapid_key = module in (NOTIFIER, VAPID_KEY_SETUP_HANDLER)
        assert len(read) == sizing.reads_jwt_key + sizing.reads_mongodb + reads_media_key + reads_vapid_key, module
        assert read <= secret_ids
        for statement in statements:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Resource"] == "*":
                assert all(a.startswith("xray:") for a in actions), (module, statement)


def test_only_the_senders_may_push_and_only_to_this_stage(template: Template) -> None:
    functions = resources(template, "AWS::Lambda::Function")
    senders = {function_logical_id(template, module) for module, sizing in SIZING.items() if sizing.pushes}
    # the HTTP API; sendMessage, typing, receipts, message changes; $connect and $disconnect (presence);
    # the fan-out worker
    assert len(senders) == 8
    roles = {functions[f]["Properties"]["Role"]["Fn::GetAtt"][0]: f for f in functions}
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            # (one statement may carry several actions: CDK's minimizePolicies flag merges them)
            if "execute-api:ManageConnections" not in actions_of(statement):
                continue
            assert "/*/@connections/*" in json.dumps(statement["Resource"])
            assert statement["Resource"] != "*"
            granted = {roles[r["Ref"]] for r in policy["Properties"]["Roles"]}
            assert granted <= senders
    for sender in senders:
        assert "WS_MANAGEMENT_ENDPOINT" in functions[sender]["Properties"]["Environment"]["Variables"]


def fan_out_queues(template: Template) -> tuple[str, str]:
    """The logical ids of the fan-out jobs queue and of its dead-letter queue."""
    return job_queues(template, "FanOut")


def test_fan_out_jobs_are_encrypted_ssl_only_and_failures_are_set_aside(template: Template) -> None:
    # Given the fan-out queue and its dead-letter queue
    jobs, dead_letters = fan_out_queues(template)
    queues = resources(template, "AWS::SQS::Queue")

    # Then every queue, these two included, is encrypted and refuses plain HTTP
    assert {jobs, dead_letters} <= set(queues)
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    ssl_only = {
        q["Ref"]
        for p in resources(template, "AWS::SQS::QueuePolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for q in p["Properties"]["Queues"]
    }
    assert ssl_only == set(queues)
    # And a job that fails three times is kept 14 days for a look, not retried for ever
    assert queues[jobs]["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters, "Arn"]},
        "maxReceiveCount": 3,
    }
    assert queues[dead_letters]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    # And a job a worker still holds is not handed to a second worker
    assert queues[jobs]["Properties"]["VisibilityTimeout"] >= 6 * SIZING[FAN_OUT_WORKER].timeout_s


def test_the_worker_takes_one_job_at_a_time_with_the_stages_concurrency(
    synthesized: tuple[str, App, Template],
) -> None:
    # Given a stage's template
    stage, _, template = synthesized
    jobs, _ = fan_out_queues(template)

    # When the queue's event source mapping is found
    (mapping,) = (
        m
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [jobs, "Arn"]}
    )

    # Then it runs the worker, one job per invocation, retrying only the jobs it reports failed
    assert mapping["Properties"] == {
        "EventSourceArn": {"Fn::GetAtt": [jobs, "Arn"]},
        "FunctionName": {"Ref": function_logical_id(template, FAN_OUT_WORKER)},
        "BatchSize": 1,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": 5 if stage == "dev" else 50},
    }
    # And only the worker may take jobs off the queue
    for module in SIZING:
        receives = [
            s
            for s in statements_of(template, module)
            if "sqs:ReceiveMessage" in s["Action"] and s["Resource"] == {"Fn::GetAtt": [jobs, "Arn"]}
        ]
        assert bool(receives) == (module == FAN_OUT_WORKER), module


def test_the_web_app_is_served_with_a_strict_csp_hsts_and_no_framing(template: Template) -> None:
    # Given the web distribution's response headers policy
    web = next(d for name, d in resources(template, "AWS::CloudFront::Distribution").items() if name.startswith("Web"))
    policy_id = web["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]["Ref"]
    headers = resources(template, "AWS::CloudFront::ResponseHeadersPolicy")[policy_id]
    security = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]

    # Then: the shared CSP (scripts only from the app, no framing), HSTS for two years, DENY framing
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert csp == content_security_policy(AWS_CONNECT, AWS_IMAGES)
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    # And the app may register its own service worker (Web Push) and link its manifest (installing it)
    assert "worker-src 'self';" in csp
    assert "manifest-src 'self';" in csp
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 365 * 24 * 3600
    assert security["FrameOptions"]["FrameOption"] == "DENY"


def test_only_the_web_apps_pages_may_open_a_socket(synthesized: tuple[str, App, Template]) -> None:
    # Given the authorizer's environment
    stage, _, template = synthesized
    function = resources(template, "AWS::Lambda::Function")[function_logical_id(template, WS_AUTHORIZER)]
    origins = json.dumps(function["Properties"]["Environment"]["Variables"]["WS_ALLOWED_ORIGINS"])

    # Then it names the web distribution's https origin, and the local origins on dev only
    distribution = next(d for d in resources(template, "AWS::CloudFront::Distribution") if d.startswith("Web"))
    assert '"https://", {"Fn::GetAtt": ["' + distribution + '", "DomainName"]}' in origins
    assert ("http://127.0.0.1:8000" in origins) == (stage == "dev")


def test_the_authorizer_reads_ended_logins_and_every_store_reader_gets_the_limits(template: Template) -> None:
    functions = resources(template, "AWS::Lambda::Function")
    assert SIZING[WS_AUTHORIZER].reads_mongodb  # the deny-list of ended logins
    for module, sizing in SIZING.items():
        variables = functions[function_logical_id(template, module)]["Properties"]["Environment"]["Variables"]
        if sizing.reads_mongodb:
            assert variables["RATE_LIMITS"] == "on", module
            assert variables["MAX_SOCKETS_PER_USER"] == "20", module
            assert variables["MAX_PUSH_SUBSCRIPTIONS_PER_USER"] == "10", module
        else:
            assert "RATE_LIMITS" not in variables, module


def test_the_archiver_runs_daily_by_the_scheduler_with_the_stages_settings(template: Template) -> None:
    archiver_arn = {"Fn::GetAtt": [function_logical_id(template, ARCHIVER), "Arn"]}
    (schedule,) = (
        s
        for s in resources(template, "AWS::Scheduler::Schedule").values()
        if s["Properties"]["Target"]["Arn"] == archiver_arn
    )
    assert schedule["Properties"]["ScheduleExpression"] == "rate(1 day)"
    target = schedule["Properties"]["Target"]
    assert target["Arn"] == {"Fn::GetAtt": [function_logical_id(template, ARCHIVER), "Arn"]}
    role = resources(template, "AWS::IAM::Role")[target["RoleArn"]["Fn::GetAtt"][0]]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "scheduler.amazonaws.com"
    }
    variables = resources(template, "AWS::Lambda::Function")[function_logical_id(template, ARCHIVER)]["Properties"][
        "Environment"
    ]["Variables"]
    assert (variables["ARCHIVE_AFTER_DAYS"], variables["ARCHIVE_MAX_MESSAGES"]) == ("90", "100000")
    assert "MEDIA_BUCKET" in variables
    archiver = resources(template, "AWS::Lambda::Function")[function_logical_id(template, ARCHIVER)]
    assert archiver["Properties"]["ReservedConcurrentExecutions"] == 1  # one run at a time


def test_every_stages_limit_overrides_name_a_known_limit() -> None:
    from chat.models.limits import RATE_LIMITS
    from infra.stages import STAGES

    for stage in STAGES.values():
        assert {name for name, _ in stage.limits.overrides} <= set(RATE_LIMITS), stage.name


def test_every_pusher_but_the_worker_hands_large_fan_outs_to_the_queue(template: Template) -> None:
    # Given the fan-out and notification queues and every function
    jobs, _ = fan_out_queues(template)
    notification_jobs, _ = job_queues(template, "Notifications")
    functions = resources(template, "AWS::Lambda::Function")

    for module, sizing in SIZING.items():
        # When a function's environment and grants are read
        variables = functions[function_logical_id(template, module)]["Properties"]["Environment"]["Variables"]
        enqueues = sizing.pushes and module != FAN_OUT_WORKER
        notifies = sizing.notifies or module == NOTIFIER

        # Then a pusher knows the fan-out queue and may send to it; the worker never re-enqueues; and no
        # function may send to any queue but these two jobs queues (never straight to dead letters), and
        # a scheduled function to its own failed-runs queue (Lambda sends a failed run there as the function)
        if enqueues:
            assert variables["FAN_OUT_QUEUE_URL"] == {"Ref": jobs}, module
        else:
            assert "FAN_OUT_QUEUE_URL" not in variables, module
        expected = {jobs} if enqueues else set()
        expected |= {notification_jobs} if notifies else set()
        sent_to = queues_sent_to(template, module)
        if sizing.scheduled:
            failed_runs = {q for q in sent_to if q.startswith(f"Functions{function_id(module)}FailedRuns")}
            assert len(failed_runs) == 1, module
            expected |= failed_runs
        assert sent_to == expected, module
        # And every pusher bounds its pushes in flight and its inline share the same way
        fan_out = {"FAN_OUT_THREADS": "100", "FAN_OUT_INLINE_MAX": "200", "FAN_OUT_BATCH_SIZE": "500"}
        assert {k: variables.get(k) for k in fan_out} == (fan_out if sizing.pushes else dict.fromkeys(fan_out)), module
        # And whoever decides who hears of presence and typing knows the group sizes beyond which nobody does
        groups = {"PRESENCE_MAX_GROUP_SIZE": "20", "TYPING_MAX_GROUP_SIZE": "50"}
        assert {k: variables.get(k) for k in groups} == (groups if enqueues else dict.fromkeys(groups)), module


def test_buckets_are_private_encrypted_and_ssl_only(template: Template) -> None:
    buckets = resources(template, "AWS::S3::Bucket")
    assert len(buckets) == 3  # media, web, access logs
    for bucket in buckets.values():
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert "BucketEncryption" in properties
    bucket_policies = resources(template, "AWS::S3::BucketPolicy")
    ssl_only = [
        p
        for p in bucket_policies.values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(ssl_only) == 3


def test_media_bucket_takes_browser_uploads_and_drops_abandoned_ones(template: Template) -> None:
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "CorsConfiguration": {"CorsRules": [Match.object_like({"AllowedMethods": ["POST"]})]},
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [Match.object_like({"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}})]
                )
            },
        },
    )


def test_media_links_need_the_generated_key_group_except_public_avatars(template: Template) -> None:
    (setup_id,) = resources(template, "Custom::MediaSigningKey")
    ((public_key_id, public_key),) = resources(template, "AWS::CloudFront::PublicKey").items()
    assert public_key["Properties"]["PublicKeyConfig"]["EncodedKey"] == {"Fn::GetAtt": [setup_id, "PublicKey"]}
    ((key_group_id, key_group),) = resources(template, "AWS::CloudFront::KeyGroup").items()
    assert key_group["Properties"]["KeyGroupConfig"]["Items"] == [{"Ref": public_key_id}]
    media = [
        d["Properties"]["DistributionConfig"]
        for d in resources(template, "AWS::CloudFront::Distribution").values()
        if "TrustedKeyGroups" in d["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    ]
    assert len(media) == 1
    assert media[0]["DefaultCacheBehavior"]["TrustedKeyGroups"] == [{"Ref": key_group_id}]
    (avatars,) = media[0]["CacheBehaviors"]
    assert avatars["PathPattern"] == "avatars/*"
    assert "TrustedKeyGroups" not in avatars
    policies = resources(template, "AWS::CloudFront::ResponseHeadersPolicy")
    for behavior in (media[0]["DefaultCacheBehavior"], avatars):
        # Media is never a page: a sandboxing CSP, nosniff, no framing
        config = policies[behavior["ResponseHeadersPolicyId"]["Ref"]]["Properties"]["ResponseHeadersPolicyConfig"]
        security = config["SecurityHeadersConfig"]
        assert security["ContentSecurityPolicy"]["ContentSecurityPolicy"] == "default-src 'none'; sandbox"
        assert security["FrameOptions"]["FrameOption"] == "DENY"
        assert "ContentTypeOptions" in security


def test_only_media_handlers_touch_media_and_only_where_they_must(template: Template) -> None:
    (bucket_id,) = [k for k in resources(template, "AWS::S3::Bucket") if k.startswith("MediaBucket")]
    for module, sizing in SIZING.items():
        s3_statements = [s for s in statements_of(template, module) if bucket_id in json.dumps(s["Resource"])]
        granted = {
            (action, re.search(r"/([a-z]+)/\*", json.dumps(resource)).group(1))  # type: ignore[union-attr]
            for s in s3_statements
            for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
            for resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        }
        # Archived history: the archiver, history pages and deletions use it; nothing else
        archive = {(a, p) for a, p in granted if p == "archive"}
        uses = sizing.archives or sizing.uses_archive
        assert archive == (
            {(a, "archive") for a in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")} if uses else set()
        )
        granted -= archive
        if not sizing.handles_media:
            assert granted == set(), module
            continue
        assert granted == {
            ("s3:PutObject", "incoming"),  # presigned POST forms
            ("s3:GetObject", "incoming"),  # first bytes, and the copy's source
            ("s3:PutObject", "attachments"),  # the copy's target, served signed
            ("s3:PutObject", "avatars"),  # the copy's target, served public
        }, module
        assert (
            "MEDIA_SIGNING_KEY_ARN"
            in resources(template, "AWS::Lambda::Function")[function_logical_id(template, module)]["Properties"][
                "Environment"
            ]["Variables"]
        )


def test_only_each_key_setup_writes_its_own_key(template: Template) -> None:
    # Given the secrets each deploy-time key setup fills
    secrets = resources(template, "AWS::SecretsManager::Secret")
    (media_key,) = (k for k in secrets if k.startswith("SecretsMediaSigningKey"))
    (vapid_key,) = (k for k in secrets if k.startswith("SecretsVapidKey"))
    writers = {MEDIA_KEY_SETUP_HANDLER: media_key, VAPID_KEY_SETUP_HANDLER: vapid_key}

    for module in SIZING:
        # When a function's grants to change a secret are read
        writes = [s for s in statements_of(template, module) if "secretsmanager:PutSecretValue" in s["Action"]]

        # Then only the key setups may, each on its own secret
        assert [s["Resource"] for s in writes] == ([{"Ref": writers[module]}] if module in writers else []), module


def test_both_distributions_use_origin_access_control_and_https(template: Template) -> None:
    distributions = resources(template, "AWS::CloudFront::Distribution")
    assert len(distributions) == 2
    assert len(resources(template, "AWS::CloudFront::OriginAccessControl")) == 2
    for distribution in distributions.values():
        config = distribution["Properties"]["DistributionConfig"]
        assert all("OriginAccessControlId" in origin for origin in config["Origins"])
        assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    web = [d for d in distributions.values() if d["Properties"]["DistributionConfig"].get("DefaultRootObject")]
    assert len(web) == 1
    errors = web[0]["Properties"]["DistributionConfig"]["CustomErrorResponses"]
    assert {e["ErrorCode"] for e in errors} == {403, 404}
    assert all(e["ResponsePagePath"] == "/index.html" and e["ResponseCode"] == 200 for e in errors)


def test_stages_are_throttled_and_access_logged(synthesized: tuple[str, App, Template]) -> None:
    stage, _, template = synthesized
    stages = resources(template, "AWS::ApiGatewayV2::Stage")
    assert len(stages) == 2
    for api_stage in stages.values():
        properties = api_stage["Properties"]
        assert properties["DefaultRouteSettings"]["ThrottlingRateLimit"] == (50 if stage == "dev" else 500)
        assert "DestinationArn" in properties["AccessLogSettings"]
    for group in resources(template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == (7 if stage == "dev" else 90)


def test_stages_differ_in_removal_policy_and_log_level(synthesized: tuple[str, App, Template]) -> None:
    stage, _, template = synthesized
    expected = "Delete" if stage == "dev" else "Retain"
    buckets = resources(template, "AWS::S3::Bucket")
    for bucket in buckets.values():
        assert bucket["DeletionPolicy"] == expected
    # A bucket is deleted only once empty: in dev, CDK empties each on destroy; prod keeps them whole.
    emptiers = resources(template, "Custom::S3AutoDeleteObjects").values()
    emptied = {emptier["Properties"]["BucketName"]["Ref"] for emptier in emptiers}
    assert emptied == (set(buckets) if stage == "dev" else set())
    levels = {
        f["Properties"]["Environment"]["Variables"]["POWERTOOLS_LOG_LEVEL"]
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"].startswith("chat.")
    }
    assert levels == {"DEBUG" if stage == "dev" else "INFO"}


def test_indexes_are_created_on_deploy(template: Template) -> None:
    setup = function_logical_id(template, "chat.handlers.db_setup")
    (trigger,) = resources(template, "Custom::Trigger").values()
    # It runs the set-up function's current version, so a changed handler runs again.
    assert trigger["Properties"]["HandlerArn"]["Ref"].startswith(setup.removesuffix(setup[-8:]) + "CurrentVersion")
    assert trigger["Properties"]["ExecuteOnHandlerChange"] is True


def test_outputs_name_every_url(template: Template) -> None:
    outputs = template.find_outputs("*")
    assert {"HttpApiUrl", "WebSocketUrl", "WebAppUrl", "MediaUrl"} <= set(outputs)


def test_construct_ids_follow_one_rule() -> None:
    assert function_id("chat.handlers.ws_send_message") == "WsSendMessageFunction"
    assert function_id(HTTP_HANDLER) == "HttpApiFunction"


def test_a_custom_domain_gets_its_certificate_and_tls_1_2(tmp_path: Path) -> None:
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    app = build_app(
        outdir=str(tmp_path), context={"stage": "prod", "domainName": "chat.example.com", "certificateArn": certificate}
    )
    template = Template.from_stack(app.node.find_child("Chat-prod"))  # type: ignore[arg-type]
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": Match.object_like(
                {
                    "Aliases": ["chat.example.com"],
                    "ViewerCertificate": Match.object_like(
                        {"AcmCertificateArn": certificate, "MinimumProtocolVersion": "TLSv1.2_2021"}
                    ),
                }
            )
        },
    )
    outputs = template.find_outputs("WebAppUrl")
    assert outputs["WebAppUrl"]["Value"] == "https://chat.example.com"


def test_a_domain_without_a_certificate_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="certificateArn"):
        build_app(outdir=str(tmp_path), context={"domainName": "chat.example.com"})


def test_retention_when_set_expires_archive_objects_and_tells_the_archiver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from infra.stages import STAGES, ArchiveSettings

    monkeypatch.setitem(STAGES, "prod", replace(STAGES["prod"], archive=ArchiveSettings(retention_days=365)))
    app = build_app(outdir=str(tmp_path), context={"stage": "prod"})
    template = Template.from_stack(app.node.find_child("Chat-prod"))  # type: ignore[arg-type]
    (bucket_id,) = [k for k in resources(template, "AWS::S3::Bucket") if k.startswith("MediaBucket")]
    rules = resources(template, "AWS::S3::Bucket")[bucket_id]["Properties"]["LifecycleConfiguration"]["Rules"]
    (retention,) = [r for r in rules if r.get("Id") == "ArchiveRetention"]
    assert (retention["Prefix"], retention["ExpirationInDays"], retention["Status"]) == ("archive/", 365, "Enabled")
    variables = resources(template, "AWS::Lambda::Function")[function_logical_id(template, ARCHIVER)]["Properties"][
        "Environment"
    ]["Variables"]
    assert variables["RETENTION_DAYS"] == "365"


def test_without_retention_archived_history_is_kept(template: Template) -> None:
    (bucket_id,) = [k for k in resources(template, "AWS::S3::Bucket") if k.startswith("MediaBucket")]
    rules = resources(template, "AWS::S3::Bucket")[bucket_id]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert not [r for r in rules if r.get("Id") == "ArchiveRetention"]
