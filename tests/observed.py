"""Reading what a function printed for CloudWatch: the embedded-metric-format lines of the real
recorder (chat.observability), and the JSON log lines of the real logger."""

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from chat.observability import logger, metrics


@dataclass
class Emitted:
    """The EMF lines printed to stdout, as CloudWatch would read them: each value under each of
    its line's dimension sets, and the namespace each went to."""

    lines: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(cls, stdout: str) -> "Emitted":
        lines = []
        for text in stdout.splitlines():
            try:
                line = json.loads(text)
            except ValueError:
                continue
            if isinstance(line, dict) and "_aws" in line:
                lines.append(line)
        return cls(lines)

    def total(self, name: str, **dimensions: str) -> float:
        """The sum of `name` over the lines that emit it under exactly `service` and `dimensions`."""
        wanted = {"service", *dimensions}
        found = 0.0
        for line in self.lines:
            for directive in line["_aws"]["CloudWatchMetrics"]:
                names = {metric["Name"] for metric in directive["Metrics"]}
                if name not in names:
                    continue
                for dimension_set in directive["Dimensions"]:
                    if set(dimension_set) == wanted and all(line[k] == v for k, v in dimensions.items()):
                        value = line[name]
                        found += sum(value) if isinstance(value, list) else value
        return found

    def namespaces(self) -> set[str]:
        return {d["Namespace"] for line in self.lines for d in line["_aws"]["CloudWatchMetrics"]}

    def dimension_names(self) -> set[str]:
        return {
            name
            for line in self.lines
            for d in line["_aws"]["CloudWatchMetrics"]
            for s in d["Dimensions"]
            for name in s
        }


@contextmanager
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Metrics printed, as on AWS (the tests, like `make dev`, keep them off), starting from none."""
    metrics.flush()  # whatever an earlier test counted (off then: printed nowhere)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    try:
        yield
    finally:
        monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        metrics.flush()


@contextmanager
def log_lines(level: str = "INFO") -> Iterator[list[dict[str, Any]]]:
    """The logger's JSON lines while the block runs (at `level` and above), parsed."""
    handler: Any = logger.registered_handler
    stream = io.StringIO()
    previous_stream, previous_level = handler.setStream(stream), logger.log_level
    logger.setLevel(level)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        handler.setStream(previous_stream)
        logger.setLevel(previous_level)
        lines.extend(json.loads(text) for text in stream.getvalue().splitlines() if text.strip())
