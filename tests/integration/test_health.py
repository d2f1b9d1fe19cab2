"""GET /api/health through the real handler: plain (nothing touched) and deep (MongoDB pinged
through the adapter: the embedded store answers `ping`, as a real server does)."""

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pymongo import MongoClient

from chat.adapters.mongo import client as mongo
from chat.adapters.mongo.health import MongoDatabaseProbe
from chat.models.errors import ServiceUnavailable
from tests.conftest import reset_containers
from tests.integration.conftest import CONTEXT, call_http
from tests.observed import Emitted, metrics_on


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cluster nobody answers at (a closed port on this machine), with pymongo's own
    30 s server selection: only the probe's MONGODB_TIMEOUT_MS bounds the ping."""
    previous = mongo._client
    unreachable: Any = MongoClient("mongodb://127.0.0.1:9/?directConnection=true", tz_aware=True)
    monkeypatch.setenv("MONGODB_TIMEOUT_MS", "300")
    mongo.use_client(unreachable)
    reset_containers()
    try:
        yield
    finally:
        mongo.use_client(previous)
        unreachable.close()
        reset_containers()


def test_the_plain_check_is_the_contract_body(installed_db: Any) -> None:
    for query in (None, {"deep": "false"}):
        response = call_http("GET", "/api/health", query=query)
        assert (response.status, response.body) == (200, {"status": "ok"})


def test_the_deep_check_pings_mongodb(installed_db: Any) -> None:
    response = call_http("GET", "/api/health", query={"deep": "true"})
    assert (response.status, response.body) == (200, {"status": "ok", "checks": {"mongodb": "ok"}})


@pytest.mark.parametrize("deep", ["1", "yes", "True", "TRUE", "on", ""])
def test_deep_is_true_or_false_and_nothing_else(installed_db: Any, deep: str) -> None:
    response = call_http("GET", "/api/health", query={"deep": deep})
    assert response.status == 422
    assert response.body["error"]["code"] == "invalid_request"
    assert [d["loc"] for d in response.body["error"]["details"]] == [["query", "deep"]]


def test_a_database_that_does_not_answer_is_a_quick_503_naming_it(database_down: None) -> None:
    # When the deep check runs while MongoDB is unreachable
    started = time.monotonic()
    response = call_http("GET", "/api/health", query={"deep": "true"})
    elapsed = time.monotonic() - started

    # Then it answers 503 in the one error body, naming MongoDB, within the configured timeout
    assert response.status == 503
    assert response.body["error"]["code"] == "service_unavailable"
    assert response.body["error"]["checks"] == {"mongodb": "unavailable"}
    assert elapsed < 2.5, f"the ping took {elapsed:.1f} s; MONGODB_TIMEOUT_MS is 0.3 s"
    # and the plain check, which touches nothing, is still up
    assert call_http("GET", "/api/health").status == 200


def test_the_probe_answers_on_the_embedded_store_and_a_real_server(mongo_db: Any) -> None:
    # mongomock implements the `ping` command, so the adapter sends the same command everywhere.
    assert MongoDatabaseProbe(lambda: mongo_db, timeout_ms=1000).ping() is True


def test_a_database_that_is_not_configured_is_down() -> None:
    def not_configured() -> Any:
        raise ServiceUnavailable("The database is not configured (MONGODB_URI is unset).")

    assert MongoDatabaseProbe(not_configured, timeout_ms=1000).ping() is False


class _Api(BaseHTTPRequestHandler):
    """Answers every GET with `status`."""

    status = 200

    def do_GET(self) -> None:
        body = b"{}"
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[tuple[str, type[_Api]]]:
    handler = type("Api", (_Api,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/health?deep=true", handler
    finally:
        server.shutdown()
        server.server_close()


def deep_health_recorded(emitted: Emitted) -> list[float]:
    """The DeepHealth values the checker wrote as EMF lines."""
    values = [line["DeepHealth"] for line in emitted.lines if "DeepHealth" in line]
    return [v for value in values for v in (value if isinstance(value, list) else [value])]


@pytest.mark.parametrize(("status", "healthy"), [(200, 1.0), (503, 0.0), (500, 0.0)])
def test_the_scheduled_check_records_what_the_api_answered(
    api: tuple[str, type[_Api]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    status: int,
    healthy: float,
) -> None:
    from chat.handlers import health_check

    # Given the API answering `status` (over plain HTTP here: the stack gives an https:// URL)
    url, handler = api
    handler.status = status
    monkeypatch.setenv("HEALTH_URL", url.replace("http://", "https://", 1))
    ask = health_check.health_status
    monkeypatch.setattr(health_check, "health_status", lambda _: ask(url))

    # And metrics printed as on AWS, to the stage's namespace the stack sets
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Chat/prod")
    with metrics_on(monkeypatch):
        capsys.readouterr()

        # When the scheduled check runs
        result = health_check.lambda_handler({}, CONTEXT)
        emitted = Emitted.read(capsys.readouterr().out)

    # Then it records 1 for a 200 and 0 for anything else, in that namespace, and says what it saw
    assert result == {"healthy": status == 200, "status": status}
    assert deep_health_recorded(emitted) == [healthy]
    assert emitted.namespaces() == {"Chat/prod"}
    assert emitted.dimension_names() == {"service"}


def test_an_api_that_does_not_answer_is_down() -> None:
    from chat.handlers.health_check import health_status

    # A closed port: nothing listens
    assert health_status("http://127.0.0.1:9/api/health?deep=true") is None


def test_the_scheduled_check_wants_the_https_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from chat.handlers import health_check

    monkeypatch.setenv("HEALTH_URL", "file:///etc/passwd")
    with pytest.raises(RuntimeError, match="HEALTH_URL"):
        health_check.lambda_handler({}, CONTEXT)
