"""The keep-warm event a prod stage's schedules invoke each SnapStart function with, daily
(infra/constructs/keep_warm.py): each function answers it at once, with no MongoDB round trip,
no push and no log line, and a client's request that carries the same key is still a request."""

import importlib
from typing import Any

import pytest

from chat.adapters.mongo import client as mongo
from chat.observability import is_keep_warm, metrics
from infra.constructs.functions import SIZING
from infra.constructs.keep_warm import KEEP_WARM_EVENT
from tests.conftest import reset_containers
from tests.integration.conftest import CONTEXT, Pushed, call_http, sign_up
from tests.observed import log_lines, metrics_on
from tests.round_trips import CountingDatabase, SingleDatabaseClient

SNAPSHOTTED = sorted(module for module, sizing in SIZING.items() if sizing.snap_start)


@pytest.mark.parametrize("module", SNAPSHOTTED)
def test_a_snapstart_function_answers_the_keep_warm_event_and_does_nothing_else(
    module: str,
    pushed: Pushed,
    installed_db: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the function, imported, its database counted, its metrics printed as on AWS
    handler = importlib.import_module(module).lambda_handler
    counting = CountingDatabase(installed_db)
    mongo.use_client(SingleDatabaseClient(counting))
    reset_containers()
    capsys.readouterr()

    # When the schedule invokes it with the keep-warm event
    with metrics_on(monkeypatch), log_lines("DEBUG") as logged:
        answer = handler(dict(KEEP_WARM_EVENT), CONTEXT)
        metrics.flush()  # anything it counted, printed

    # Then it answers, and touched nothing: no round trip, push, log line or metric
    assert answer == {"chatKeepWarm": "ok"}
    assert counting.calls == {}
    assert pushed.received == {}
    assert logged == []
    assert capsys.readouterr().out == ""


def test_the_schedules_event_is_the_one_the_functions_recognize() -> None:
    assert is_keep_warm(KEEP_WARM_EVENT)
    assert not is_keep_warm({"chatKeepWarm": "true"})
    assert not is_keep_warm([KEEP_WARM_EVENT])


def test_a_request_whose_body_names_the_key_is_an_ordinary_request(pushed: Pushed) -> None:
    # A client controls the body and headers of its request, never the top of the event API Gateway builds.
    account = sign_up("keepwarm")
    answer = call_http("PUT", "/api/users/me", {"chatKeepWarm": True}, token=account.access_token)
    assert answer.status == 422
