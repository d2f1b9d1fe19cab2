"""Shared fixtures. The environment is set before any handler module reads it."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from chat.adapters.cloudfront_links import new_key_pair
from local.environment import developer_defaults

# What `make dev` sets (local/environment.py), with what the tests need apart from it.
os.environ.update(
    developer_defaults()
    | {
        # Media: moto's S3 in integration tests; the e2e stacks swap in their local S3 and key pair.
        "MEDIA_BUCKET": "chat-media-test",
        "MEDIA_URL": "https://media.test",
        "MEDIA_KEY_PAIR_ID": "KTESTKEYPAIR",
        "MEDIA_SIGNING_KEY": new_key_pair()[0],
        "WS_MANAGEMENT_ENDPOINT": "https://abc123.execute-api.us-east-1.amazonaws.com/live",
        # Every test user signs up from one address, as on the local stack; per-user limits stay.
        "RATE_LIMIT_SIGNUP": "100000/3600",
        "RATE_LIMIT_LOGIN": "100000/60",
    }
)

from chat.adapters.mongo import client as mongo
from chat.adapters.mongo.indexes import ensure_indexes
from chat.config import media_signing_key, settings
from chat.handlers import composition
from local.embedded_store import embedded_client
from tests.round_trips import SingleDatabaseClient
from tests.traces import Daemon


def reset_containers() -> None:
    """Forget what a warm Lambda container would keep: settings and services."""
    settings.cache_clear()
    media_signing_key.cache_clear()
    for factory in vars(composition).values():
        if callable(getattr(factory, "cache_clear", None)):
            factory.cache_clear()


@contextmanager
def fresh_database() -> Iterator[Any]:
    """A fresh, indexed database: a real MongoDB when MONGODB_URI is set, else the embedded store."""
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        db = embedded_client()["chat"]
        ensure_indexes(db)
        yield db
        return
    from pymongo import MongoClient

    client: Any = MongoClient(uri, serverSelectionTimeoutMS=5000, tz_aware=True)
    name = f"chat_test_{uuid.uuid4().hex[:12]}"
    try:
        db = client[name]
        ensure_indexes(db)
        yield db
    finally:
        client.drop_database(name)
        client.close()


@pytest.fixture
def mongo_db() -> Iterator[Any]:
    with fresh_database() as db:
        yield db


@contextmanager
def database_installed(db: Any) -> Iterator[Any]:
    """Makes `db` the database every handler in this process uses, then puts things back."""
    previous = mongo._client
    mongo.use_client(SingleDatabaseClient(db))
    os.environ["MONGODB_DATABASE"] = db.name
    reset_containers()
    try:
        yield db
    finally:
        mongo.use_client(previous)
        os.environ.pop("MONGODB_DATABASE", None)
        reset_containers()


@pytest.fixture
def installed_db(mongo_db: Any) -> Iterator[Any]:
    with database_installed(mongo_db) as db:
        yield db


@pytest.fixture
def no_rate_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """For tests that make hundreds of changes at once, as a load test would (RATE_LIMITS=off)."""
    monkeypatch.setenv("RATE_LIMITS", "off")
    reset_containers()
    yield
    monkeypatch.delenv("RATE_LIMITS")
    reset_containers()


@pytest.fixture
def daemon(monkeypatch: pytest.MonkeyPatch) -> Iterator[Daemon]:
    listening = Daemon()
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", listening.address)
    yield listening
    listening.socket.close()
