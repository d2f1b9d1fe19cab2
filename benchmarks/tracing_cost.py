"""What tracing costs a function (chat/tracing.py), on this machine:

  - a cold container's first sampled request: importing the OpenTelemetry SDK, building the
    recorder, one span, and sending it to the daemon (a fresh interpreter per run);
  - the same request not sampled (what most requests pay: one check);
  - a warm sampled request's cost per span, with the encoding and the datagrams, for a request
    with as many spans as a fan-out to TRACE_MAX_SPANS sockets.

The daemon is a UDP socket on 127.0.0.1 that reads nothing (the send is the function's whole
part: UDP does not wait for the reader).

    .venv/bin/python -m benchmarks.tracing_cost [--runs 7]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled={}"

FIRST_REQUEST = """
import time
import chat.observability
from chat import tracing
began = time.perf_counter()
tracing.begin_invocation()
with tracing.span("find messages", {"db.system.name": "mongodb"}):
    pass
tracing.end_invocation()
print((time.perf_counter() - began) * 1000)
"""


def cold(sampled: bool, daemon: str, runs: int) -> list[float]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'lambdas'}{os.pathsep}{ROOT}",
        "_X_AMZN_TRACE_ID": HEADER.format(1 if sampled else 0),
        "AWS_XRAY_DAEMON_ADDRESS": daemon,
    }
    command = [sys.executable, "-c", FIRST_REQUEST]
    return [
        float(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)  # noqa: S603
        for _ in range(runs)
    ]


def warm_per_span(daemon: str, spans: int, runs: int) -> list[float]:
    os.environ["AWS_XRAY_DAEMON_ADDRESS"] = daemon
    os.environ["_X_AMZN_TRACE_ID"] = HEADER.format(1)
    from chat import tracing

    timings = []
    for _ in range(runs + 1):
        began = time.perf_counter()
        tracing.begin_invocation()
        for _ in range(spans):
            with tracing.span("ApiGatewayManagementApi.PostToConnection", {"rpc.method": "PostToConnection"}):
                pass
        tracing.end_invocation()
        timings.append((time.perf_counter() - began) * 1000 / spans)
    return timings[1:]  # the first builds the recorder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        daemon = f"127.0.0.1:{udp.getsockname()[1]}"
        sampled, not_sampled = cold(True, daemon, runs), cold(False, daemon, runs)
        per_span = warm_per_span(daemon, 1000, runs)
    print(f"Tracing's cost (median of {runs}; load average {os.getloadavg()[0]:.2f})")
    print(f"  first sampled request of a cold container: {statistics.median(sampled):7.1f} ms")
    print(f"  a request not sampled:                     {statistics.median(not_sampled):7.3f} ms")
    print(f"  per span, warm (1,000 spans, sent):         {statistics.median(per_span):7.3f} ms")


if __name__ == "__main__":
    main()
