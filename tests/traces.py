"""Lambda's X-Ray daemon as the functions see it, for the tests of traces: a UDP port that takes
datagrams, and what they hold decoded as the daemon reads them."""

import base64
import socket
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

TRACE_ID = "5759e988bd862e3fe1be46a994272793"
PARENT = "53995c3f42cd8ad8"
# The trace header Lambda hands a sampled invocation (_X_AMZN_TRACE_ID).
SAMPLED = f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent={PARENT};Sampled=1"


class Daemon:
    """Lambda's X-Ray daemon, as far as a function sees it: a UDP port that takes datagrams."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Room for a whole fan-out's datagrams: the test reads them only once the invocation is over.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.5)
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"

    def datagrams(self) -> list[bytes]:
        received = []
        while True:
            try:
                received.append(self.socket.recv(70_000))
            except TimeoutError:
                return received

    def spans(self) -> list[Span]:
        return spans_in(self.datagrams())


def spans_in(datagrams: list[bytes]) -> list[Span]:
    """The spans of OTLP datagrams as the daemon reads them: a header line, then T1S (sampled
    spans) and the ExportTraceServiceRequest in base64."""
    found = []
    for datagram in datagrams:
        header, _, body = datagram.partition(b"\n")
        assert header == b'{"format":"json","version":1}'
        assert body.startswith(b"T1S")
        request = ExportTraceServiceRequest.FromString(base64.b64decode(body[3:]))
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                found.extend(scope_spans.spans)
    return found


def attributes(span: Span) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in span.attributes:
        kind = item.value.WhichOneof("value")
        values[item.key] = getattr(item.value, kind) if kind else None
    return values
