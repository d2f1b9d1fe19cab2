"""What the benchmarks on the local stack share: its settings (local/environment.py), set
when this is imported, before the code asset is (`benchmarks` sorts first among this
project's imports; the logger reads its level once); a free port, a JSON POST, and a
database whose round trips are counted.

One user sending as fast as a load test can: the rate limits stay on (each figure includes
the bucket's write) but are set above anything a benchmark sends."""

import json
import socket
import urllib.request
from typing import Any

from local.environment import developer_defaults, set_defaults, stand_ins
from tests.round_trips import CountingDatabase, SingleDatabaseClient

RATE_LIMITED = ("SEND", "TYPING", "RECEIPT", "REACTION", "EDIT", "GROUP", "MEMBERSHIP", "UPLOAD", "SIGNUP", "LOGIN")
set_defaults(
    developer_defaults()
    | stand_ins()
    | {"POWERTOOLS_LOG_LEVEL": "ERROR"}
    | {f"RATE_LIMIT_{limit}": "1000000/1" for limit in RATE_LIMITED}
)


def count_round_trips(db: Any, *, mongo_ms: float = 0.0) -> CountingDatabase:
    """Makes `db`, counted, the database every handler in this process uses; each round
    trip also waits `mongo_ms`, as the network would."""
    from chat.adapters.mongo import client as mongo

    counting = CountingDatabase(db, wait_s=mongo_ms / 1000)
    mongo.use_client(SingleDatabaseClient(counting))
    return counting


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(base: str, path: str, body: Any, token: str | None = None) -> Any:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())
