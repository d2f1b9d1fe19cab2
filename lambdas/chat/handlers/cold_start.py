"""What a handler module does last, once it is imported: `imported(...)`, given the modules its
first event would otherwise import lazily.

1. `gc.freeze()`. What the import made (pydantic's schemas, the routes, Powertools) lives as
   long as the container; frozen, the garbage collector's full passes during the first event
   (about 30 ms in the HTTP API's) no longer walk it. Objects are still freed by reference
   counting; only a cycle made at import and dropped later is never collected.

2. SnapStart (prod; infra/stages.py). Lambda initializes the function once, when a version is
   published, snapshots its memory and resumes every new container of that version from the
   snapshot (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html). Its runtime hooks
   (the `snapshot_restore_py` module, only in Lambda's Python runtime) run here:
   - before the snapshot, `before_snapshot()` imports the modules the handler named (pymongo,
     its stores and services, the pusher, the Secrets Manager reader, botocore where the
     credentials come from the container endpoint, and OpenTelemetry's SDK when TRACING is on),
     so a restored container imports none of them. It opens no connection, builds no client
     and reads no secret: the snapshot is resumed by many containers, for as long as the
     version lives (a secret read then would outlive its rotation, a connection would be dead,
     credentials would expire);
   - after a restore, `after_restore()` makes the container its own: `random` reseeded (the
     fan-out's and the secret reader's jitter), and what a container keeps forgotten, in case
     anything read or built it before the snapshot: the settings and secrets, the credentials
     and TLS context, the services and the pusher (with their connections). The MongoDB client
     is never built before the snapshot (the tests hold the hook to that).
   In a function without SnapStart the hooks are registered and never run.

`before_snapshot` and `after_restore` are public for the cold-start benchmark, which simulates
a restore with them, and for the tests."""

import gc
import importlib
import pkgutil
import random
import sys
from typing import Any

from chat import tracing

# What the first events import, by what they reach; "package.*" is every module under it.
# MongoDB: the driver (with dnspython's resolver, which a mongodb+srv URI needs), the client
# and the stores, the way the URI is read, and the wiring of the services.
MONGODB = (
    "pymongo",
    "pymongo.synchronous.srv_resolver",
    "dns.resolver",
    "chat.adapters.mongo.*",
    "chat.adapters.secrets_manager",
    "chat.services.wiring",
)
# Pushes to sockets: the pusher, the fan-out, and the queue for large fan-outs.
PUSHES = ("chat.adapters.apigw_push", "chat.services.push", "chat.adapters.sqs_fan_out")
# boto3, for S3 and SQS (only imported: a client would read credentials).
AWS_SDK = ("boto3", "botocore.config", "botocore.exceptions")
# Signed links to files (CloudFront).
MEDIA_LINKS = (
    "chat.adapters.cloudfront_links",
    "botocore.signers",
    "cryptography.hazmat.primitives.asymmetric.padding",
    "cryptography.hazmat.primitives.hashes",
    "cryptography.hazmat.primitives.serialization",
)

# A traced request's spans: the OpenTelemetry SDK and its OTLP encoding.
TRACES = (
    "opentelemetry.sdk.trace",
    "opentelemetry.sdk.resources",
    "opentelemetry.exporter.otlp.proto.common.trace_encoder",
)

_lazy_imports: list[str] = []
_looked_for_hooks = False


def imported(*lazy_imports: str | tuple[str, ...]) -> None:
    """Called at the end of a handler module: see the module's docstring."""
    for entry in lazy_imports:
        _lazy_imports.extend((entry,) if isinstance(entry, str) else entry)
    gc.freeze()
    _register_snapstart_hooks()


def before_snapshot() -> None:
    """Imports what the handler's first event would, and nothing more (see the docstring)."""
    import os

    for name in _lazy_imports:
        for module in _expanded(name):
            importlib.import_module(module)
    if tracing.ENABLED:
        # What a sampled request's first span imports (chat/tracing.py): in the snapshot, none pays it.
        for module in TRACES:
            importlib.import_module(module)
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        # A SnapStart function gets its credentials from the container endpoint, read through
        # botocore (chat.adapters.sigv4): its import is the costly part, the read is not.
        importlib.import_module("botocore.credentials")
    gc.collect()
    gc.freeze()


def after_restore() -> None:
    """Makes a container resumed from the snapshot its own (see the docstring)."""
    from chat.config import forget_read_settings
    from chat.handlers import composition

    random.seed()  # from os.urandom, which the kernel reseeds on a restore
    if "bson" in sys.modules:
        # pymongo's ObjectId keeps a per-process random part and counter, drawn at import: every
        # container of the snapshot would make the same ids in the same second. (Every insert here
        # names its own _id; this keeps one that ever does not from colliding.)
        _new_object_id_state(sys.modules["bson"].ObjectId)
    forget_read_settings()
    composition.services.cache_clear()
    composition.pusher.cache_clear()
    for module, forget in (("chat.adapters.secrets_manager", "forget"), ("chat.adapters.sigv4", "forget")):
        if module in sys.modules:  # nothing to forget in a module never imported
            getattr(sys.modules[module], forget)()


def _new_object_id_state(object_id: Any) -> None:
    import secrets

    object_id._pid = -1  # its next id draws a new random part (it checks the process id)
    with object_id._inc_lock:
        object_id._inc = secrets.randbelow(0xFFFFFF + 1)


def _expanded(name: str) -> list[str]:
    """`name`, or with ".*" every module under the package it names."""
    if not name.endswith(".*"):
        return [name]
    package = importlib.import_module(name[:-2])
    return [module.name for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]


def _register_snapstart_hooks() -> None:
    """Once per process (the local stack imports every handler in one)."""
    global _looked_for_hooks
    if _looked_for_hooks:
        return
    _looked_for_hooks = True
    try:
        hooks = importlib.import_module("snapshot_restore_py")  # only in Lambda's Python runtime
    except ImportError:
        return
    hooks.register_before_snapshot(before_snapshot)
    hooks.register_after_restore(after_restore)
