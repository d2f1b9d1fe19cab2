"""The MongoDB connection: one client per container, opened lazily, and the one
place driver failures become domain errors."""

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from chat.config import settings
from chat.models.errors import ServiceUnavailable

if TYPE_CHECKING:
    from pymongo.database import Database

_client: Any = None

T = TypeVar("T")


def use_client(client: Any) -> None:
    """Hands the process a ready client: the local stack's embedded store, or a test's."""
    global _client
    _client = client


def database() -> "Database[dict[str, Any]]":
    global _client
    if _client is None:
        from pymongo import MongoClient

        from chat.adapters.mongo.command_spans import CommandSpans

        config = settings()
        if config.mongodb_uri is None:
            raise ServiceUnavailable("The database is not configured (MONGODB_URI is unset).")
        # A short server-selection timeout turns an unreachable cluster into a
        # clear 503 well inside the Lambda timeout instead of a hang.
        _client = MongoClient(
            config.mongodb_uri,
            serverSelectionTimeoutMS=config.mongodb_timeout_ms,
            connectTimeoutMS=config.mongodb_timeout_ms,
            socketTimeoutMS=10_000,
            appname="chat",
            tz_aware=True,
            event_listeners=[CommandSpans()],  # the commands of a traced request, as spans
        )
    return _client[settings().mongodb_database]  # type: ignore[no-any-return]


def _unavailable(error: Exception) -> bool:
    from pymongo.errors import ConnectionFailure, ExecutionTimeout, WTimeoutError

    return isinstance(error, (ConnectionFailure, ExecutionTimeout, WTimeoutError))


def translate_driver_errors(func: Callable[..., T]) -> Callable[..., T]:
    """Wraps a store method: an unreachable or timed-out database becomes ServiceUnavailable."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except ServiceUnavailable:
            raise
        except Exception as error:
            if _unavailable(error):
                raise ServiceUnavailable("The database is unreachable right now; try again shortly.") from error
            raise

    return wrapper


def translated(cls: type[T]) -> type[T]:
    """Applies translate_driver_errors to every public method of a store class."""
    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, translate_driver_errors(member))
    return cls
