"""Traces: an OpenTelemetry span for each call a request makes out of the function (a MongoDB
command, an AWS call through boto3, a push through the Management API), under the function's
own X-Ray segment, so X-Ray shows where a slow request spent its time.

Why OpenTelemetry: the X-Ray SDK, on which Powertools Tracer is built, has been in maintenance
mode since 25 February 2026 (support ends 25 February 2027), and AWS recommends OpenTelemetry.
Why not the ADOT Lambda layer: it instruments everything at start-up, through a wrapper script,
on every cold start; here three kinds of call are instrumented by the adapters themselves, and
the OpenTelemetry SDK is imported only when a sampled request first needs it.

Lambda decides what is sampled (X-Ray's default rule: the first request each second, then 5%)
and gives each invocation its trace header in `_X_AMZN_TRACE_ID` (Root, Parent: the function's
segment, Sampled). A request that is not sampled records nothing and imports nothing. The spans
of a sampled one are kept in memory and, when it ends, sent as OTLP over UDP to the X-Ray
daemon Lambda runs beside every function with active tracing (`AWS_XRAY_DAEMON_ADDRESS`),
the protocol AWS's own OpenTelemetry distribution uses there: no network call, no extension.

Settings: TRACING=off records nothing even when sampled; TRACE_MAX_SPANS (1000) bounds the
spans one invocation keeps (a fan-out to thousands of sockets keeps the first ones; the
entry point logs how many it left out, `trace cut short`).

One invocation runs at a time in a Lambda container: the sampled invocation is module state,
and spans started on the fan-out's threads join it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from chat.config import on_off_setting, positive_setting

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import ReadableSpan, Span
    from opentelemetry.trace import Tracer

AttributeValue = str | bool | int | float

# Lambda's daemon takes one datagram per message; a UDP datagram carries at most 65,507 bytes.
MAX_DATAGRAM_BYTES = 65_000
PROTOCOL_HEADER = b'{"format":"json","version":1}\n'
SAMPLED_SPANS_PREFIX = b"T1S"  # OTLP spans (protobuf, base64) of a sampled trace
DEFAULT_DAEMON_ADDRESS = "127.0.0.1:2000"


# Read at import, so a malformed value stops the cold start, named (every entry point imports
# this; the functions that read no other setting check only these two). environment_settings()
# reads them the same way, so the local stack refuses them before it starts.
ENABLED = on_off_setting("TRACING", default=True)
MAX_SPANS = positive_setting("TRACE_MAX_SPANS", 1000)


def parse_trace_header(header: str) -> tuple[int, int] | None:
    """(trace id, parent span id) of a sampled X-Ray trace header, else None.
    `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`."""
    fields = dict(part.split("=", 1) for part in header.split(";") if "=" in part)
    root, parent = fields.get("Root", ""), fields.get("Parent", "")
    if fields.get("Sampled") != "1" or not parent:
        return None
    version, _, rest = root.partition("-")
    epoch, _, unique = rest.partition("-")
    try:
        if version != "1" or len(epoch) != 8 or len(unique) != 24 or len(parent) != 16:
            return None
        trace_id, span_id = int(epoch + unique, 16), int(parent, 16)
    except ValueError:
        return None
    return (trace_id, span_id) if trace_id and span_id else None


class _Recorder:
    """The OpenTelemetry side, built on the first sampled request of the container."""

    def __init__(self) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

        recorder = self

        class Keep(SpanProcessor):
            def on_end(self, span: ReadableSpan) -> None:
                recorder.keep(span)

        function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "chat")
        resource = Resource.create(
            {
                "service.name": function,
                "cloud.provider": "aws",
                "cloud.platform": "aws_lambda",
                "cloud.region": os.environ.get("AWS_REGION", ""),
                "faas.name": function,
            }
        )
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(Keep())
        self.tracer: Tracer = provider.get_tracer("chat")
        self._lock = threading.Lock()
        self._kept: list[ReadableSpan] = []
        self._dropped = 0

    def parent(self, trace_id: int, span_id: int) -> Context:
        from opentelemetry import trace
        from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

        remote = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
        return trace.set_span_in_context(NonRecordingSpan(remote))

    def keep(self, span: ReadableSpan) -> None:
        with self._lock:
            if len(self._kept) < MAX_SPANS:
                self._kept.append(span)
            else:
                self._dropped += 1

    def send(self) -> int:
        """Sends what the invocation kept to the daemon, as few datagrams as fit, and forgets it;
        returns how many spans it could not keep."""
        with self._lock:
            spans, dropped, self._kept, self._dropped = self._kept, self._dropped, [], 0
        if not spans:
            return dropped
        import base64
        import socket

        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

        host, _, port = (os.environ.get("AWS_XRAY_DAEMON_ADDRESS") or DEFAULT_DAEMON_ADDRESS).rpartition(":")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            pending = [spans]
            while pending:
                batch = pending.pop()
                message = PROTOCOL_HEADER + SAMPLED_SPANS_PREFIX
                message += base64.b64encode(encode_spans(batch).SerializeToString())
                if len(message) > MAX_DATAGRAM_BYTES and len(batch) > 1:
                    half = len(batch) // 2
                    pending += [batch[half:], batch[:half]]
                    continue
                udp.sendto(message, (host, int(port)))
        return dropped


_recorder: _Recorder | None = None
_invocation: Context | None = None  # the sampled request running now: its spans' parent


def begin_invocation() -> None:
    """Called as each invocation starts: traces it if Lambda sampled it."""
    global _recorder, _invocation
    _invocation = None
    if not ENABLED:
        return
    sampled = parse_trace_header(os.environ.get("_X_AMZN_TRACE_ID", ""))
    if sampled is None:
        return
    if _recorder is None:
        _recorder = _Recorder()
    _invocation = _recorder.parent(*sampled)


def end_invocation() -> int:
    """Called as each invocation ends, however it ends: sends its spans; returns how many were
    past TRACE_MAX_SPANS and not kept."""
    global _invocation
    if _invocation is None or _recorder is None:
        return 0
    _invocation = None
    return _recorder.send()


def active() -> bool:
    """Whether the running request is traced: the instrumented calls check this first."""
    return _invocation is not None


def start_span(name: str, attributes: Mapping[str, AttributeValue]) -> Span | None:
    """A client span under the request's segment, or None when the request is not traced. The
    caller ends it with `finish`."""
    parent = _invocation
    if parent is None or _recorder is None:
        return None
    from opentelemetry.trace import SpanKind

    return _recorder.tracer.start_span(name, context=parent, kind=SpanKind.CLIENT, attributes=dict(attributes))  # type: ignore[return-value]


def annotate(span: Span, *, error: str | None = None, attributes: Mapping[str, AttributeValue] | None = None) -> None:
    """Adds what the call answered; `error` (a short description, never data) marks it failed."""
    if attributes:
        span.set_attributes(dict(attributes))
    if error is not None:
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR, error))


def finish(span: Span, *, error: str | None = None, attributes: Mapping[str, AttributeValue] | None = None) -> None:
    """Ends a span, with what `annotate` adds."""
    annotate(span, error=error, attributes=attributes)
    span.end()


@contextmanager
def span(name: str, attributes: Mapping[str, AttributeValue]) -> Iterator[Span | None]:
    """A client span around a block, which may `annotate` it: failed if the block raises (the
    exception's type only)."""
    started = start_span(name, attributes)
    if started is None:
        yield None
        return
    try:
        yield started
    except BaseException as error:
        finish(started, error=type(error).__name__)
        raise
    finish(started)


def aws_call_attributes(service: str, operation: str, region: str | None = None) -> dict[str, Any]:
    """OpenTelemetry's attributes for an AWS API call: what X-Ray draws as the service's node."""
    attributes: dict[str, Any] = {"rpc.system": "aws-api", "rpc.service": service, "rpc.method": operation}
    if region:
        attributes["cloud.region"] = region
    return attributes
