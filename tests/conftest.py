"""Shared fixtures. The environment is set before any handler module reads it."""

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.update(
    {
        "JWT_SECRET": "test-secret-" + "k" * 40,
        "WS_MANAGEMENT_ENDPOINT": "https://abc123.execute-api.us-east-1.amazonaws.com/live",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_SERVICE_NAME": "chat",
    }
)

from chat.adapters import mongo
from chat.adapters.indexes import ensure_indexes
from chat.config import settings
from chat.handlers import composition
from local.embedded_store import embedded_client


def reset_containers() -> None:
    """Forget what a warm Lambda container would keep: settings and services."""
    settings.cache_clear()
    for factory in (
        composition.access_tokens,
        composition.auth_service,
        composition.user_service,
        composition.conversation_service,
        composition.connection_store,
        composition.message_service,
    ):
        factory.cache_clear()


@pytest.fixture
def mongo_db() -> Iterator[Any]:
    """A fresh, indexed database: a real MongoDB when MONGODB_URI is set, else the embedded store."""
    uri = os.environ.get("MONGODB_URI")
    if uri:
        from pymongo import MongoClient

        client: Any = MongoClient(uri, serverSelectionTimeoutMS=5000, tz_aware=True)
        name = f"chat_test_{uuid.uuid4().hex[:12]}"
        db = client[name]
        ensure_indexes(db)
        yield db
        client.drop_database(name)
        client.close()
    else:
        db = embedded_client()["chat"]
        ensure_indexes(db)
        yield db


@pytest.fixture
def installed_db(mongo_db: Any) -> Iterator[Any]:
    """Makes `mongo_db` the database every handler in this process uses, then puts things back."""
    previous = mongo._client
    mongo.use_client(_ClientOf(mongo_db))
    os.environ["MONGODB_DATABASE"] = mongo_db.name
    reset_containers()
    yield mongo_db
    mongo.use_client(previous)
    os.environ.pop("MONGODB_DATABASE", None)
    reset_containers()


class _ClientOf:
    """Indexing a client by name gives back the one database."""

    def __init__(self, db: Any) -> None:
        self._db = db

    def __getitem__(self, name: str) -> Any:
        return self._db
