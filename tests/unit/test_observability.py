"""The one Metrics object: silent when the stack turns custom metrics off, however warm the function."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from statusmon.observability import metrics

# More warm invocations than the 100 values of one metric at which Powertools prints on its own.
WARM_INVOCATIONS = 250


@pytest.fixture(autouse=True)
def _fresh_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


@metrics.log_metrics
def _handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    metrics.add_dimension(name="source", value="rekognition")
    metrics.add_metric(name="SweepSucceeded", unit="Count", value=1)
    return {"ok": True}


def _documents(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_disabled_metrics_print_nothing_however_many_warm_invocations(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the stack's default: custom metrics off
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    # When one warm function runs many times
    results = [_handler({}, None) for _ in range(WARM_INVOCATIONS)]
    # Then every invocation works, no embedded-metric document is printed, and nothing piles up
    assert results == [{"ok": True}] * WARM_INVOCATIONS
    assert _documents(capsys.readouterr().out) == []
    assert metrics.provider.metric_set == {}


def test_enabled_metrics_print_one_document_per_invocation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given custom metrics on
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    # When the function runs three times
    for _ in range(3):
        _handler({}, None)
    # Then each run printed its metrics once, with the statusmon namespace and service dimension
    documents = _documents(capsys.readouterr().out)
    assert len(documents) == 3
    assert all(d["SweepSucceeded"] in (1.0, [1.0]) for d in documents)
    assert {d["_aws"]["CloudWatchMetrics"][0]["Namespace"] for d in documents} == {"statusmon"}
    assert {d["service"] for d in documents} == {"statusmon"}
