"""Reliability and cost bounds in the template: the media bucket keeps what is deleted for a while,
functions run asynchronously set their failed runs aside, the queue-driven ones are capped, and the
deep health check runs on a schedule in prod."""

import dataclasses
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from infra.constructs.functions import SIZING, reserved_concurrency
from infra.routes import ARCHIVER, FAN_OUT_WORKER, HEALTH_CHECK, NOTIFIER
from infra.stages import STAGES
from tests.infra.stack_template import function_logical_id, resources, variables_of


def media_bucket(template: Template) -> dict[str, Any]:
    (bucket,) = (
        b["Properties"]
        for b in resources(template, "AWS::S3::Bucket").values()
        if "CorsConfiguration" in b["Properties"]  # the bucket browsers upload to
    )
    return dict(bucket)


def test_the_media_bucket_keeps_deleted_objects_for_the_stages_window(synthesized: tuple[str, App, Template]) -> None:
    stage, _, template = synthesized
    bucket = media_bucket(template)
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = bucket["LifecycleConfiguration"]["Rules"]
    # every prefix: attachments, avatars, archived history
    (rule,) = (r for r in rules if "NoncurrentVersionExpiration" in r and "Prefix" not in r)
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": STAGES[stage].media.noncurrent_days}
    assert rule["ExpiredObjectDeleteMarker"] is True
    assert rule["Status"] == "Enabled"
    # but an upload nobody sent (incoming/, expired after 2 days) is gone a day later
    (uploads,) = (r for r in rules if r.get("Prefix") == "incoming/")
    assert (uploads["ExpirationInDays"], uploads["NoncurrentVersionExpiration"]) == (2, {"NoncurrentDays": 1})


def failure_destination(template: Template, module: str) -> dict[str, Any]:
    function = function_logical_id(template, module)
    (config,) = (
        c["Properties"]
        for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": function}
    )
    return dict(config)


def test_every_function_a_schedule_invokes_sets_its_failed_runs_aside(template: Template) -> None:
    # Given the functions EventBridge Scheduler invokes (asynchronously); the keep-warm schedules, which
    # invoke SnapStart aliases with an event they only answer, are tests/infra/test_snapstart.py's
    scheduled = {
        s["Properties"]["Target"]["Arn"]["Fn::GetAtt"][0]: s["Properties"]
        for s in resources(template, "AWS::Scheduler::Schedule").values()
        if "Fn::GetAtt" in s["Properties"]["Target"]["Arn"]
    }
    modules = {function_logical_id(template, m): m for m in SIZING}
    assert {modules[f] for f in scheduled} == {ARCHIVER, HEALTH_CHECK}
    queues = resources(template, "AWS::SQS::Queue")
    for function, schedule in scheduled.items():
        module = modules[function]
        # Then Lambda sends a run that failed every try to a queue of its own
        config = failure_destination(template, module)
        queue = config["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        assert config["MaximumRetryAttempts"] == SIZING[module].retries
        assert config["MaximumEventAgeInSeconds"] == SIZING[module].max_event_age_s
        # and so does the schedule, for an invocation that never got through
        assert schedule["Target"]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert queues[queue]["Properties"]["SqsManagedSseEnabled"] is True
        assert queues[queue]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_a_failed_check_is_not_retried_but_a_failed_archive_run_is(template: Template) -> None:
    assert failure_destination(template, HEALTH_CHECK)["MaximumRetryAttempts"] == 0
    assert failure_destination(template, ARCHIVER)["MaximumRetryAttempts"] == 2


def test_the_deep_health_check_runs_every_five_minutes_in_prod_only(synthesized: tuple[str, App, Template]) -> None:
    stage, _, template = synthesized
    function = function_logical_id(template, HEALTH_CHECK)
    (schedule,) = (
        s["Properties"]
        for s in resources(template, "AWS::Scheduler::Schedule").values()
        if s["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    )
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["State"] == ("ENABLED" if stage == "prod" else "DISABLED")
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    url = variables_of(template, HEALTH_CHECK)["HEALTH_URL"]
    assert str(url["Fn::Join"][1][-1]).endswith("/api/health?deep=true")
    assert "https://" in str(url)


def test_the_queue_driven_functions_run_at_most_the_stages_concurrency(synthesized: tuple[str, App, Template]) -> None:
    stage, _, template = synthesized
    caps = {
        m["Properties"]["FunctionName"]["Ref"]: m["Properties"]["ScalingConfig"]["MaximumConcurrency"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
    }
    assert caps == {
        function_logical_id(template, FAN_OUT_WORKER): STAGES[stage].fan_out_max_concurrency,
        function_logical_id(template, NOTIFIER): STAGES[stage].notify_max_concurrency,
    }


def test_only_the_archiver_reserves_concurrency_by_default(template: Template) -> None:
    reserved = {
        logical_id: f["Properties"]["ReservedConcurrentExecutions"]
        for logical_id, f in resources(template, "AWS::Lambda::Function").items()
        if "ReservedConcurrentExecutions" in f["Properties"]
    }
    assert reserved == {function_logical_id(template, ARCHIVER): 1}


def test_a_stage_reserves_concurrency_by_function_name() -> None:
    stage = dataclasses.replace(STAGES["prod"], reserved_concurrency=(("http_api", 200), ("ws_send_message", 100)))
    assert reserved_concurrency(stage) == {"chat.handlers.http_api": 200, "chat.handlers.ws_send_message": 100}


@pytest.mark.parametrize(
    ("setting", "named"),
    [(("http", 10), "'http'"), (("archiver", 2), "'archiver'"), (("http_api", 0), "at least 1")],
)
def test_a_reservation_that_makes_no_sense_stops_the_synth(setting: tuple[str, int], named: str) -> None:
    stage = dataclasses.replace(STAGES["dev"], reserved_concurrency=(setting,))
    with pytest.raises(ValueError, match=named):
        reserved_concurrency(stage)
