"""The Metrics port's contract, once on the fake the unit tests read and once on the production
recorder, read back from the embedded-metric-format lines it prints (Powertools' own
serialization, nothing mocked)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from chat.models.ports import Metrics
from chat.observability import EmfMetrics
from tests.fakes import FakeMetrics
from tests.observed import Emitted, metrics_on


@dataclass
class Recorder:
    metrics: Metrics
    total: Callable[..., float]  # total(name, **breakdown), read after what was counted


@pytest.fixture(params=["fake", "emf"])
def recorder(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Recorder]:
    if request.param == "fake":
        fake = FakeMetrics()
        yield Recorder(fake, fake.total)
        return
    emf = EmfMetrics()

    def total(name: str, **breakdown: str) -> float:
        emf.flush()
        emitted.lines.extend(Emitted.read(capsys.readouterr().out).lines)
        return emitted.total(name, **breakdown)

    emitted = Emitted()
    with metrics_on(monkeypatch):
        yield Recorder(emf, total)


def test_counts_are_summed_by_name(recorder: Recorder) -> None:
    recorder.metrics.count("MessagesSent")
    recorder.metrics.count("MessagesSent")
    recorder.metrics.count("PushesPerMessage", 5)
    assert recorder.total("MessagesSent") == 2
    assert recorder.total("PushesPerMessage") == 5
    assert recorder.total("FanOutGone") == 0


def test_a_breakdown_is_kept_and_counts_in_the_total(recorder: Recorder) -> None:
    recorder.metrics.count("RateLimited", by={"limit": "send"})
    recorder.metrics.count("RateLimited", by={"limit": "send"})
    recorder.metrics.count("RateLimited", by={"limit": "typing"})
    assert recorder.total("RateLimited", limit="send") == 2
    assert recorder.total("RateLimited", limit="typing") == 1
    assert recorder.total("RateLimited") == 3


def test_the_recorder_prints_to_the_namespace_setting_with_service_as_its_only_dimension(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = EmfMetrics()
    with metrics_on(monkeypatch):
        # Given the default namespace, then the one a deploy sets
        recorder.count("MessagesSent")
        recorder.flush()
        monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Chat/prod")
        recorder.count("MessagesSent")
        recorder.flush()
        # And a flush with nothing counted
        recorder.flush()

    emitted = Emitted.read(capsys.readouterr().out)
    assert len(emitted.lines) == 2  # nothing printed for nothing counted
    assert emitted.namespaces() == {"Chat", "Chat/prod"}
    assert emitted.dimension_names() == {"service"}
    assert {line["service"] for line in emitted.lines} == {"chat"}


def test_metrics_off_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    # The tests' environment is the local stack's: POWERTOOLS_METRICS_DISABLED=true
    recorder = EmfMetrics()
    recorder.count("MessagesSent")
    recorder.flush()
    assert Emitted.read(capsys.readouterr().out).lines == []
