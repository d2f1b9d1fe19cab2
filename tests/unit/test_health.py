"""The health check: the plain one touches nothing; the deep one pings the database and names it when down."""

import pytest

from chat.models.errors import DependencyUnavailable, ServiceUnavailable
from tests.unit.conftest import Chat


def test_the_plain_check_touches_nothing(chat: Chat) -> None:
    # When the plain check runs
    health = chat.services.health.check(deep=False)

    # Then it is up without asking the database
    assert health.model_dump() == {"status": "ok"}
    assert chat.fakes.database_probe.pings == 0


def test_the_deep_check_pings_the_database_once(chat: Chat) -> None:
    # When the deep check runs with the database up
    health = chat.services.health.check(deep=True)

    # Then it says so, after one ping
    assert health.model_dump() == {"status": "ok", "checks": {"mongodb": "ok"}}
    assert chat.fakes.database_probe.pings == 1


def test_the_deep_check_names_the_database_when_it_is_down(chat: Chat) -> None:
    # Given a database that does not answer
    chat.fakes.database_probe.up = False

    # When the deep check runs
    with pytest.raises(DependencyUnavailable) as refused:
        chat.services.health.check(deep=True)

    # Then it is the API's 503, in the one error body, naming what is down
    assert isinstance(refused.value, ServiceUnavailable)
    assert refused.value.status == 503
    assert refused.value.to_body() == {
        "error": {
            "code": "service_unavailable",
            "message": "Unreachable right now: mongodb. Try again shortly.",
            "checks": {"mongodb": "unavailable"},
        }
    }
