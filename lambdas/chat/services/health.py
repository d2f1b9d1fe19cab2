"""Whether this deployment can serve: the plain check says the function runs; the deep one
pings each dependency it cannot serve without, and names the ones that did not answer."""

from chat.models.api import DependencyState, Health
from chat.models.errors import DependencyUnavailable
from chat.models.ports import DatabaseProbe


class HealthService:
    def __init__(self, database: DatabaseProbe) -> None:
        self._database = database

    def check(self, *, deep: bool) -> Health:
        """Plain: touches nothing. Deep: one ping per dependency; raises DependencyUnavailable
        (a 503 naming each dependency and its state) unless every one answered."""
        if not deep:
            return Health(status="ok")
        checks: dict[str, DependencyState] = {"mongodb": "ok" if self._database.ping() else "unavailable"}
        if any(state != "ok" for state in checks.values()):
            raise DependencyUnavailable(dict(checks))
        return Health(status="ok", checks=checks)
