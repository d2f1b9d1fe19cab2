"""Schemathesis against a local stack of its own, from the stack's /api/openapi.json: the
examples, coverage, fuzzing and stateful phases, with every check. Each route must answer
only what the document says it answers (status, body schema, headers, content type),
never a 5xx; refuse input its schema refuses; answer a missing token with 401 and a
method the path does not take with 405 and Allow.

The engine runs in this process, the run `schemathesis run` makes without its CLI:
schemathesis' pytest plugin cannot load a schema from a fixture under pytest 9.2."""

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status
from schemathesis.engine.events import EngineFinished, FatalError, NonFatalError, PhaseFinished, ScenarioFinished
from schemathesis.specs.openapi.schemas import OpenApiSchema

from chat.models.limits import RATE_LIMITS
from tests.e2e.conftest import Stack, free_port, local_stack

pytestmark = pytest.mark.e2e

PHASES = ("examples", "coverage", "fuzzing", "stateful")
MAX_EXAMPLES = 10  # per operation and phase: about 1,200 requests, 15-20 s on 2 cores
MAX_STEPS = 10  # calls in one stateful scenario
# What the positive_data_acceptance check counts as accepted, unless told otherwise.
# (Not 429: the run's limits are set above what it sends, so a 429 is a finding.)
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "5xx"]
# Schema-valid input the services still refuse, as docs/API.md says: rules a JSON schema
# cannot state. Every other route must accept whatever its schema allows.
REFUSED_THOUGH_SCHEMA_VALID: dict[str, tuple[list[str], str]] = {
    "GET /api/users": (["422"], "a cursor the server did not hand out"),
    "GET /api/conversations": (["422"], "a cursor the server did not hand out"),
    "PUT /api/users/me": (["422"], "an avatar upload that is missing or not an image (invalid_media)"),
    "POST /api/users/me/avatar": (["413", "415"], "a type the chat does not take, or over its size"),
    "POST /api/media/upload-url": (["413", "415"], "a type the chat does not take, or over its size"),
    "POST /api/conversations/{conversation_id}/receipts": (["422"], "a seq past the last message"),
    "POST /api/conversations/direct": (["422"], "a direct chat with yourself"),
    "POST /api/groups/create": (["422"], "fewer than 2 members with the creator"),
    "POST /api/groups/{group_id}/members": (["422"], "a direct conversation, or a full group"),
    "DELETE /api/groups/{group_id}/members/{member_id}": (["422"], "a direct conversation"),
    "PATCH /api/groups/{group_id}": (["422"], "a direct conversation"),
    "POST /api/messages": (["422"], "not one target, nothing to say, to yourself, a bad upload"),
    "PATCH /api/messages/{id}": (["422"], "blank text on a message without files"),
    "POST /api/messages/{message_id}/reactions": (["422"], "not one emoji, or too many kinds"),
    "PUT /api/conversations/{conversation_id}/mute": (["422"], "a time that is not in the future"),
    "POST /api/push/subscriptions": (["422"], "an endpoint off the push services, or keys not on P-256"),
    "GET /api/search": (["422"], "a q with no word (letters or digits), or more than 10 different words"),
    "PUT /api/users/{id}/block": (["422"], "blocking yourself"),
    "DELETE /api/users/{id}/block": (["422"], "unblocking yourself"),
}


@pytest.fixture(scope="module")
def own_stack() -> Iterator[Stack]:
    """A stack and database of its own: a thousand random calls stay out of every other
    test's way. The rate limits stay on (429 is documented on the routes that have one) but
    above what one fuzz user sends, so every valid call is judged on its own merits."""
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        for name in RATE_LIMITS:
            env.setenv(f"RATE_LIMIT_{name.upper()}", "1000000/1")
        with local_stack(port) as (db, gateway, media, fan_out, notifier):
            yield Stack(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", db, gateway, media, fan_out, notifier)


def authenticate(schema: OpenApiSchema, stack: Stack) -> str:
    """Every route that needs a token gets the fuzz user's, but log-out-everywhere, which
    would end that login for the rest of the run: it gets a new login of a user of its own
    each time."""
    token = str(stack.sign_up(f"fuzz_{uuid.uuid4().hex[:8]}")["accessToken"])
    leaver = {"username": f"leaver_{uuid.uuid4().hex[:8]}", "password": "password123"}
    stack.sign_up(leaver["username"])

    @schema.auth(refresh_interval=None).skip_for(tag=["auth", "health"])
    class FuzzUser:
        def get(self, case: Any, context: Any) -> str:
            return token

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers["Authorization"] = f"Bearer {data}"

    @schema.auth(refresh_interval=None).apply_to(name="POST /api/auth/logout-all")
    class NewLogin(FuzzUser):
        def get(self, case: Any, context: Any) -> str:
            status, session = stack.http("POST", "/api/auth/login", leaver)
            assert status == 200, session
            return str(session["accessToken"])

    return token


# Headers that frame the request on the wire, not the API's: a malformed one (fuzzing makes
# them up) is refused by the HTTP server before any route sees it, API Gateway's included.
FRAMING_HEADERS = {"transfer-encoding", "content-length", "connection", "host", "expect", "upgrade", "te", "trailer"}


def leave_framing_to_the_transport(schema: OpenApiSchema) -> None:
    @schema.hook
    def map_headers(context: Any, headers: dict[str, str] | None) -> dict[str, str] | None:
        if headers is None:
            return None
        return {name: value for name, value in headers.items() if name.lower() not in FRAMING_HEADERS}


def config(stack: Stack) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 20260101,  # the same cases each run, so a failure can be run again
            "base-url": stack.base_url,
            "auth": {"auto-signup": False},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {
                # No route carries examples of its own: one is made up for each.
                "examples": {"fill-missing": True},
                "stateful": {"max-steps": MAX_STEPS},
            },
            "operations": [
                {
                    "include-name": operation,
                    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED + statuses}},
                }
                for operation, (statuses, _) in REFUSED_THOUGH_SCHEMA_VALID.items()
            ],
        }
    )


def run(schema: Any) -> tuple[list[str], dict[str, Status]]:
    """Every failure the engine reports, readable and with a curl line to repeat it, and
    how each phase ended."""
    failures: list[str] = []
    phases: dict[str, Status] = {}
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, ScenarioFinished):
            for checks in event.recorder.checks.values():
                failures.extend(
                    f"[{event.phase.value}] {event.recorder.label}: {check.failure_info.failure}\n"
                    f"{check.failure_info.code_sample}"
                    for check in checks
                    if check.failure_info is not None
                )
        elif isinstance(event, NonFatalError):
            failures.append(f"[{event.phase}] {event.label}: {event.info.format()}")
        elif isinstance(event, FatalError):
            raise event.exception
        elif isinstance(event, PhaseFinished):
            phases[event.phase.name.value] = event.status
        elif isinstance(event, EngineFinished):
            failures.extend(str(failure) for failure in event.failures)
    return list(dict.fromkeys(failures)), phases


def test_every_route_answers_only_what_the_openapi_document_says(own_stack: Stack) -> None:
    # Given the document the stack serves, and users to call it as
    schema = schemathesis.openapi.from_url(f"{own_stack.base_url}/api/openapi.json", config=config(own_stack))
    token = authenticate(schema, own_stack)
    leave_framing_to_the_transport(schema)

    # When schemathesis runs every phase against it
    started = time.monotonic()
    failures, phases = run(schema)
    elapsed = time.monotonic() - started

    # Then each phase ran to the end with nothing to report
    report = f"{len(failures)} failures in {elapsed:.0f} s:\n\n" + "\n\n".join(failures)
    assert not failures, report
    assert {phase: phases.get(phase) for phase in PHASES} == dict.fromkeys(PHASES, Status.SUCCESS), report
    # and all along as the same signed-in user
    assert own_stack.http("GET", "/api/users/me", token=token)[0] == 200


def test_each_allowance_names_an_operation_of_the_document(own_stack: Stack) -> None:
    status, document = own_stack.http("GET", "/api/openapi.json")
    assert status == 200
    operations = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    assert set(REFUSED_THOUGH_SCHEMA_VALID) <= operations


def test_a_path_with_any_character_reaches_the_api(own_stack: Stack) -> None:
    # Found by the fuzz: the local gateway sent a path with a newline to its own text 404.
    status, body = own_stack.http("DELETE", "/api/messages/a%0Ab")
    assert (status, body["error"]["code"]) == (404, "not_found")
