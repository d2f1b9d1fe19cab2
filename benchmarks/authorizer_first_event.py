"""What the WebSocket authorizer's first event costs in a fresh interpreter: its imports and
the MongoDB client it builds (a cold start's share that grows with what the check reads).
The network time of the read itself is not in it: about 1 ms in-region.

    .venv/bin/python -m benchmarks.authorizer_first_event
"""

import statistics
import subprocess
import sys
from pathlib import Path

from local.environment import developer_defaults, set_defaults, stand_ins

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
CHECK_ONLY = "import chat.handlers.ws_authorizer, chat.services.tokens"
WITH_LOGIN_READ = (
    CHECK_ONLY + "; import chat.adapters.mongo.logins; from pymongo import MongoClient; "
    "MongoClient('mongodb://127.0.0.1:1', connect=False, tz_aware=True)"
)


def first_event_ms(code: str) -> float:
    timed = f"import time; t = time.perf_counter(); {code}; print((time.perf_counter() - t) * 1000)"
    out = subprocess.run(  # noqa: S603 - our own code, run in a fresh interpreter
        [sys.executable, "-c", timed], cwd=ROOT / "lambdas", capture_output=True, text=True, check=True
    ).stdout
    return float(out)


def main() -> None:
    # A handler stops at import without what it requires: give it what a deployed one has.
    set_defaults(developer_defaults() | stand_ins())
    print(f"WebSocket authorizer, first event's imports and client (median of {RUNS} fresh interpreters)")
    for label, code in (("the token check alone", CHECK_ONLY), ("with the login read", WITH_LOGIN_READ)):
        print(f"  {label:24} {statistics.median(first_event_ms(code) for _ in range(RUNS)):6.0f} ms")


if __name__ == "__main__":
    main()
