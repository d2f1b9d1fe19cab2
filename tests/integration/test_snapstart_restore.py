"""A container resumed from a SnapStart snapshot, as the cold-start benchmark simulates it: the
handler imported and its before-snapshot hook run, then the after-restore hook and the first
event, with the credentials from the container endpoint. The hook's list is complete when that
event imports none of the product and no driver, and it still answers as a cold container does."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run apart: the benchmark's seeding installs a database client process-wide, and a restored
# container must start from nothing imported.
SCRIPT = """
import json, os, secrets, sys, tempfile
from pathlib import Path
from benchmarks import cold_start as bench
from local.environment import developer_defaults, set_defaults, stand_ins

key = secrets.token_urlsafe(48)
port, calls = bench.serve_aws({bench.JWT_ARN: key, bench.MONGODB_ARN: bench.MONGODB_URI})
os.environ.update({"JWT_SECRET": key, "WS_MANAGEMENT_ENDPOINT": f"http://127.0.0.1:{port}/live"})
set_defaults(developer_defaults() | stand_ins() | {"POWERTOOLS_LOG_LEVEL": "ERROR"})
results = {}
with tempfile.TemporaryDirectory() as directory:
    folder = Path(directory)
    events = bench.events(folder, bench.seed(folder))
    for label, (module, reads_jwt_key, reads_mongodb, snapstart) in bench.HANDLERS.items():
        if not snapstart:
            continue
        calls.clear()
        environment = bench.child_environment(port, reads_jwt_key, reads_mongodb, snapstart=True)
        figures, _, _ = bench.run_child(
            module, events[label], folder / "seed.pickle", environment, mode="restored", mongo_ms=0
        )
        results[label] = {"figures": figures, "calls": dict(calls)}
print(json.dumps(results))
"""


def test_a_restored_first_event_imports_none_of_the_product_and_answers() -> None:
    # When each SnapStart handler's first event runs in a container restored from its snapshot
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lambdas"), str(ROOT)])}
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(run.stdout.splitlines()[-1])
    assert set(results) == {"sendMessage", "authorizer", "$connect", "GET /api/conversations"}

    for label, result in results.items():
        figures = result["figures"]
        # Then it answers as a cold container does
        assert figures["status"] in {"200", "Allow"}, label
        # And imports none of the product, nor a driver or an SDK: the snapshot holds them
        leftovers = [name for name in figures["imported"] if name.startswith(("chat.", "pymongo", "boto", "jwt"))]
        assert leftovers == [], label
        # And it read its secrets and keys after the restore, none before: from the stand-ins, with the
        # credentials of the container endpoint (the snapshot held none)
        assert result["calls"]["secret"] >= 1, label
        assert result["calls"]["credentials"] == 1, label
