"""What log-in, refresh and log-out cost in MongoDB round trips (the README's cost table)."""

from typing import Any

from chat.adapters.mongo import client as mongo
from tests.conftest import reset_containers
from tests.integration.conftest import Pushed, call_http
from tests.round_trips import CountingDatabase, SingleDatabaseClient


def test_the_auth_calls_cost_what_the_readme_says(pushed: Pushed, installed_db: Any) -> None:
    counting = CountingDatabase(installed_db)
    mongo.use_client(SingleDatabaseClient(counting))
    reset_containers()

    def round_trips(*args: Any, **kwargs: Any) -> tuple[int, Any]:
        counting.calls.clear()
        answer = call_http(*args, **kwargs)
        assert answer.status in (200, 201, 204), answer.body
        return sum(counting.calls.values()), answer.body

    signed_up, session = round_trips("POST", "/api/auth/signup", {"username": "alice", "password": "password123"})
    logged_in, login = round_trips("POST", "/api/auth/login", {"username": "alice", "password": "password123"})
    authenticated, _ = round_trips("GET", "/api/users/me", token=login["accessToken"])
    refreshed, pair = round_trips("POST", "/api/auth/refresh", {"refreshToken": login["refreshToken"]})
    logged_out, _ = round_trips("POST", "/api/auth/logout", {"refreshToken": pair["refreshToken"]})
    everywhere, _ = round_trips("POST", "/api/auth/logout-all", token=session["accessToken"])

    assert signed_up == 4
    assert logged_in == 9  # the windows open: 2 each; clearing the window is a delete
    assert authenticated == 2  # the login, then the user
    assert refreshed == 5
    assert (logged_out, everywhere) == (3, 4)  # no open sockets: nothing to close
