"""MongoDB commands as trace spans, through pymongo's command monitoring: one span per command
a traced request sends (its name, collection and database; never the command's contents)."""

import threading
from typing import TYPE_CHECKING, Any

from pymongo import monitoring

from chat import tracing

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import Span


class CommandSpans(monitoring.CommandListener):
    """Registered on the one MongoClient; does nothing (one check) for a request not traced."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the fan-out's threads read connections at once
        self._open: dict[tuple[int, Any], Span] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not tracing.active():
            return
        operation = event.command_name
        collection = event.command.get(operation)
        if operation == "getMore":
            collection = event.command.get("collection")
        attributes: dict[str, tracing.AttributeValue] = {
            "db.system.name": "mongodb",
            "db.namespace": event.database_name,
            "db.operation.name": operation,
        }
        if isinstance(collection, str):
            attributes["db.collection.name"] = collection
        host, port = event.connection_id
        attributes["server.address"] = str(host)
        if port is not None:
            attributes["server.port"] = int(port)
        name = f"{operation} {collection}" if isinstance(collection, str) else operation
        span = tracing.start_span(name, attributes)
        if span is not None:
            with self._lock:
                self._open[(event.request_id, event.connection_id)] = span

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        span = self._pop(event)
        if span is not None:
            tracing.finish(span)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        span = self._pop(event)
        if span is not None:
            failure = event.failure if isinstance(event.failure, dict) else {}
            code = failure.get("codeName") or failure.get("code") or "failed"
            tracing.finish(span, error=str(code), attributes={"db.response.status_code": str(failure.get("code", ""))})

    def _pop(self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent) -> "Span | None":
        if not self._open:
            return None
        with self._lock:
            return self._open.pop((event.request_id, event.connection_id), None)
