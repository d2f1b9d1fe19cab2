"""The hooks a handler module registers last (chat/handlers/cold_start.py): before a SnapStart
snapshot they import what the first event would and touch nothing else (no socket, no secret,
no client); after a restore they make the container its own."""

import importlib
import json
import os
import random
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from chat import config
from chat.adapters import secrets_manager, sigv4
from chat.handlers import cold_start, composition

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ROOT / "lambdas" / "chat" / "handlers"
SNAPSHOTTED = sorted(
    f"chat.handlers.{path.stem}" for path in HANDLERS.glob("*.py") if "\ncold_start.imported(" in path.read_text()
)

# In a fresh interpreter: import the handler, run its before-snapshot hook with sockets refused
# and a secret reader that fails, then tell what it imported and what it left built.
BEFORE_SNAPSHOT = """
import json, socket, sys
def refuse(*args, **kwargs):
    raise RuntimeError("a socket opened before the snapshot")
socket.socket.connect = refuse
socket.create_connection = refuse
handler = __import__(sys.argv[1], fromlist=["lambda_handler"])
from chat import config
from chat.adapters.mongo import client as mongo
from chat.handlers import cold_start, composition
def no_secret(arn):
    raise RuntimeError("a secret read before the snapshot: " + arn)
config.read_secrets_with(no_secret)
before = set(sys.modules)
cold_start.before_snapshot()
print(json.dumps({
    "imported": sorted(set(sys.modules) - before),
    "wanted": cold_start._lazy_imports,
    "missing": [m for w in cold_start._lazy_imports for m in cold_start._expanded(w) if m not in sys.modules],
    "settings_read": config.settings.cache_info().currsize,
    "services_built": composition.services.cache_info().currsize,
    "pusher_built": composition.pusher.cache_info().currsize,
    "mongo_client": mongo._client is not None,
}))
"""


def test_the_handlers_with_hooks_are_the_ones_prod_snapshots() -> None:
    assert SNAPSHOTTED == [
        "chat.handlers.http_api",
        "chat.handlers.ws_authorizer",
        "chat.handlers.ws_connect",
        "chat.handlers.ws_disconnect",
        "chat.handlers.ws_message_changes",
        "chat.handlers.ws_receipts",
        "chat.handlers.ws_send_message",
        "chat.handlers.ws_typing",
    ]


@pytest.mark.parametrize("handler", SNAPSHOTTED)
def test_before_the_snapshot_only_imports(handler: str) -> None:
    # Given a deployed function's settings: its secrets by ARN, credentials from the container endpoint
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lambdas"), str(ROOT)]),
        "JWT_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-jwt-AbCdEf",
        "MONGODB_URI_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-mongodb-AbCdEf",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/2018-06-01/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "token",
    }
    for name in ("JWT_SECRET", "MONGODB_URI", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        environment.pop(name, None)

    # When its before-snapshot hook runs
    run = subprocess.run(
        [sys.executable, "-c", BEFORE_SNAPSHOT, handler], env=environment, capture_output=True, text=True, check=False
    )

    # Then it imported every module it names (and botocore's credentials, which come from the endpoint)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.splitlines()[-1])
    assert found["wanted"], handler
    assert found["missing"] == []
    assert {"pymongo", "botocore.credentials", "chat.services.wiring"} <= set(found["imported"])
    # (and, tracing being on by default, what a sampled request's first span would import)
    assert "opentelemetry.sdk.trace" in found["imported"]
    # And read no setting with secrets, built no service, pusher or MongoDB client (no socket opened)
    assert (found["settings_read"], found["services_built"], found["pusher_built"]) == (0, 0, 0)
    assert found["mongo_client"] is False


def test_the_package_wildcard_names_every_module_under_it() -> None:
    modules = cold_start._expanded("chat.adapters.mongo.*")
    assert "chat.adapters.mongo.limits" in modules
    assert "chat.adapters.mongo.client" in modules
    assert all(re.fullmatch(r"chat\.adapters\.mongo\.\w+", name) for name in modules)
    assert cold_start._expanded("pymongo") == ["pymongo"]


class Hooks(types.ModuleType):
    """What Lambda's runtime offers as `snapshot_restore_py`."""

    def __init__(self) -> None:
        super().__init__("snapshot_restore_py")
        self.before: list[Any] = []
        self.after: list[Any] = []

    def register_before_snapshot(self, hook: Any) -> None:
        self.before.append(hook)

    def register_after_restore(self, hook: Any) -> None:
        self.after.append(hook)


def test_in_lambdas_runtime_the_hooks_are_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given Lambda's runtime module, and a process that registered nothing yet
    hooks = Hooks()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", hooks)
    monkeypatch.setattr(cold_start, "_looked_for_hooks", False)
    monkeypatch.setattr(cold_start, "_lazy_imports", [])
    monkeypatch.setattr("chat.handlers.cold_start.gc.freeze", lambda: None)

    # When handler modules say what they import (a process could import two)
    cold_start.imported(cold_start.MONGODB, "chat.services.tokens")
    cold_start.imported("chat.services.presence")

    # Then Lambda runs the two hooks, once each
    assert hooks.before == [cold_start.before_snapshot]
    assert hooks.after == [cold_start.after_restore]
    assert cold_start._lazy_imports == [*cold_start.MONGODB, "chat.services.tokens", "chat.services.presence"]


def test_elsewhere_nothing_is_registered_and_it_is_looked_for_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a process outside Lambda's runtime: the module is not there
    looked: list[str] = []
    real_import = importlib.import_module

    def import_module(name: str) -> Any:
        looked.append(name)
        if name == "snapshot_restore_py":
            raise ImportError(name)
        return real_import(name)

    monkeypatch.setattr("chat.handlers.cold_start.importlib.import_module", import_module)
    monkeypatch.setattr(cold_start, "_looked_for_hooks", False)
    monkeypatch.setattr(cold_start, "_lazy_imports", [])
    monkeypatch.setattr("chat.handlers.cold_start.gc.freeze", lambda: None)

    # When two handlers are imported (the local stack imports them all), nothing fails, and it is looked for once
    cold_start.imported("chat.services.tokens")
    cold_start.imported("chat.services.presence")
    assert looked.count("snapshot_restore_py") == 1


def test_containers_restored_from_one_snapshot_draw_different_random_numbers() -> None:
    # Given the random state a snapshot holds
    random.seed(42)
    snapshot = random.getstate()

    # When two containers are restored from it
    draws = []
    for _ in range(2):
        random.setstate(snapshot)
        cold_start.after_restore()
        draws.append([random.random() for _ in range(4)])

    # Then their jitter differs
    assert draws[0] != draws[1]


def test_containers_restored_from_one_snapshot_make_different_object_ids() -> None:
    # Given pymongo's ObjectId state as a snapshot holds it
    from bson import ObjectId

    ObjectId()
    snapshot = (ObjectId._pid, ObjectId._inc, ObjectId._random())

    # When two containers are restored from it, each making an id in the same second
    made = []
    for _ in range(2):
        ObjectId._pid, ObjectId._inc = snapshot[0], snapshot[1]
        cold_start.after_restore()
        made.append(ObjectId().binary)

    # Then the ids differ in their random part (bytes 4-8), not only by chance in the counter
    assert made[0][4:9] != made[1][4:9]


def test_after_a_restore_nothing_read_or_built_before_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a container that read its settings and secrets and built its services, credentials and TLS context
    monkeypatch.setattr(secrets_manager, "_values", {"arn": (0.0, "kept")})
    config.settings()
    composition.services()
    sigv4._https_context()
    monkeypatch.setattr(sigv4, "_chain", object())

    # When it is restored
    cold_start.after_restore()

    # Then all of it is read and built again, by this container, on first use
    assert config.settings.cache_info().currsize == 0
    assert composition.services.cache_info().currsize == 0
    assert composition.pusher.cache_info().currsize == 0
    assert secrets_manager._values == {}
    assert (sigv4._chain, sigv4._https) == (None, None)
