"""The deep health check's ping: one `ping` command, bounded by the configured timeout."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chat.models.errors import ServiceUnavailable
from chat.observability import logger

if TYPE_CHECKING:
    from pymongo.database import Database


class MongoDatabaseProbe:
    """`ping` is the cheapest command a server answers (no collection, no lock) and needs no
    privilege: it tells whether the cluster is reachable and this client can talk to it."""

    def __init__(self, database: "Callable[[], Database[dict[str, Any]]]", timeout_ms: int) -> None:
        self._database = database  # built on the first ping: a cluster that is not configured is "down"
        self._timeout_s = timeout_ms / 1000

    def ping(self) -> bool:
        import pymongo
        from pymongo.errors import PyMongoError

        try:
            # The whole round trip, server selection included, within the timeout (pymongo's CSOT).
            with pymongo.timeout(self._timeout_s):
                self._database().command("ping")
        except (PyMongoError, ServiceUnavailable) as error:
            logger.warning("MongoDB did not answer the health check's ping", extra={"error": type(error).__name__})
            return False
        except Exception as error:  # e.g. the URI's secret not fetched: MongoDB cannot be reached all the same
            logger.warning("MongoDB could not be reached for the health check", extra={"error": type(error).__name__})
            return False
        return True
