"""What tracing costs a function (chat/tracing.py), on this machine:

  - a cold container's first sampled request: importing the OpenTelemetry SDK, building the
    recorder, one span, and sending it to the daemon (a fresh interpreter per run);
  - the same request not sampled (what most requests pay: one check);
  - a warm sampled request's cost per span, with the encoding and the datagrams, for a request
    with as many spans as a fan-out to TRACE_MAX_SPANS sockets;
  - what the MongoDB client's command listener adds to each command, sampled or not (pymongo
    publishes a started and a succeeded event for every command once a listener is registered;
    the events are pymongo's own classes, built as the driver builds them).

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


def per_command(daemon: str, sampled: bool, commands: int = 20_000) -> float:
    """Microseconds the listener adds to one command: pymongo building its two events and handing
    them to CommandSpans, against a client with no listener (which builds none)."""
    import datetime

    from pymongo import monitoring

    from chat import tracing
    from chat.adapters.mongo.command_spans import CommandSpans

    os.environ["AWS_XRAY_DAEMON_ADDRESS"] = daemon
    os.environ["_X_AMZN_TRACE_ID"] = HEADER.format(1 if sampled else 0)
    listener, server, took = CommandSpans(), ("cluster0.example.mongodb.net", 27017), datetime.timedelta(0)
    command = {"find": "messages", "filter": {"conversationId": "c"}}

    def run(listening: bool) -> float:
        tracing.begin_invocation()
        began = time.perf_counter()
        for request_id in range(commands):
            if listening:  # without a listener, pymongo builds no event at all
                started = monitoring.CommandStartedEvent(command, "chat", request_id, server, request_id)
                listener.started(started)
                answered = monitoring.CommandSucceededEvent(took, {"ok": 1}, "find", request_id, server, request_id)
                listener.succeeded(answered)
        elapsed = time.perf_counter() - began
        tracing.end_invocation()
        return elapsed

    run(True)  # warm (a sampled run builds the recorder)
    return (min(run(True) for _ in range(3)) - min(run(False) for _ in range(3))) / commands * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        daemon = f"127.0.0.1:{udp.getsockname()[1]}"
        sampled, not_sampled = cold(True, daemon, runs), cold(False, daemon, runs)
        per_span = warm_per_span(daemon, 1000, runs)
        listener_unsampled, listener_sampled = per_command(daemon, False), per_command(daemon, True)
    print(f"Tracing's cost (median of {runs}; load average {os.getloadavg()[0]:.2f})")
    print(f"  first sampled request of a cold container: {statistics.median(sampled):7.1f} ms")
    print(f"  a request not sampled:                     {statistics.median(not_sampled):7.3f} ms")
    print(f"  per span, warm (1,000 spans, sent):         {statistics.median(per_span):7.3f} ms")
    print(f"  per MongoDB command, not sampled:           {listener_unsampled:7.2f} µs (events, check)")
    print(f"  per MongoDB command, sampled (span kept):   {listener_sampled:7.2f} µs (before its send)")


if __name__ == "__main__":
    main()
