"""Cold-start import cost of each Lambda handler module.

Runs `python -X importtime -c "import <module>"` in a fresh interpreter per
handler (what a cold container pays before the first event) and prints the
cumulative import time, best of N runs.

    make bench        # or: .venv/bin/python -m benchmarks.import_times --runs 5
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from infra.routes import FAN_OUT_WORKER, HTTP_HANDLER, WS_AUTHORIZER, WS_ROUTES
from local.environment import developer_defaults, set_defaults, stand_ins

ROOT = Path(__file__).resolve().parent.parent

LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def cumulative_us(module: str) -> tuple[int, list[tuple[int, str]]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lambdas"), "PYTHONDONTWRITEBYTECODE": "0"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and module names
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    total, own_time = 0, dict[str, int]()
    for line in result.stderr.splitlines():
        match = LINE.search(line)
        if not match:
            continue
        self_us, cumulative, indent, name = (
            int(match.group(1)),
            int(match.group(2)),
            len(match.group(3)),
            match.group(4),
        )
        if indent == 1:  # a top-level import of this run
            total += cumulative
        root = name.split(".")[0]
        own_time[root] = own_time.get(root, 0) + self_us
    return total, sorted(((us, name) for name, us in own_time.items()), reverse=True)[:4]


def main() -> None:
    # A handler stops at import without what it requires: give it what a deployed one has.
    set_defaults(developer_defaults() | stand_ins())
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    # Routes may share a handler: each once.
    modules = list(dict.fromkeys([HTTP_HANDLER, WS_AUTHORIZER, *WS_ROUTES.values(), FAN_OUT_WORKER]))
    print(f"Handler import time, best of {args.runs} fresh interpreters (python -X importtime)")
    print(f"{'handler':40} {'ms':>8}   heaviest packages (ms of their own modules)")
    for module in modules:
        cumulative_us(module)  # warm the bytecode cache, as a deployed asset would have it
        best = min((cumulative_us(module) for _ in range(args.runs)), key=lambda r: r[0])
        heaviest = ", ".join(f"{name} {us / 1000:.0f}" for us, name in best[1])
        print(f"{module:40} {best[0] / 1000:8.1f}   {heaviest}")


if __name__ == "__main__":
    main()
