"""The local stack answers the health checks over HTTP, as API Gateway would pass them on."""

import pytest

from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def test_the_local_stack_answers_both_health_checks(stack: Stack) -> None:
    assert stack.http("GET", "/api/health") == (200, {"status": "ok"})
    assert stack.http("GET", "/api/health?deep=true") == (200, {"status": "ok", "checks": {"mongodb": "ok"}})
    status, body = stack.http("GET", "/api/health?deep=maybe")
    assert (status, body["error"]["code"]) == (422, "invalid_request")
