"""The scheduled poll Lambdas, called as Lambda would, against the emulator and moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from statusmon.adapters.store import StatusStore
from statusmon.handlers import poll_personalize, poll_rekognition
from statusmon.observability import metrics
from statusmon.settings import get_settings

EVENT = json.loads((Path(__file__).parents[1] / "events" / "scheduled.json").read_text())


@pytest.fixture
def configured(fresh_emulator: Any, store: StatusStore, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("STATUSMON_TABLE_NAME", store.table_name)
    get_settings.cache_clear()
    metrics.clear_metrics()
    fresh_emulator.seed(
        rekognition={
            "projects": [{"name": "shoes", "datasets": [{"type": "TRAIN", "status": "CREATE_FAILED"}]}]
        },
        personalize={
            "dataset_groups": [
                {"name": "shop", "datasets": [{"type": "Interactions", "import_jobs": [{"name": "j1"}]}]}
            ]
        },
    )
    return fresh_emulator


def _emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The CloudWatch embedded-metric document Powertools printed."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [document] = lines
    # Powertools writes a metric added once as a number, several times as a list of numbers
    return {k: (sum(v) if isinstance(v, list) and k != "_aws" else v) for k, v in document.items()}


@pytest.mark.parametrize(
    ("module", "source", "seen"), [(poll_rekognition, "rekognition", 1), (poll_personalize, "personalize", 1)]
)
def test_a_scheduled_sweep_records_and_reports_metrics(
    configured: Any,
    store: StatusStore,
    lambda_context: Any,
    capsys: pytest.CaptureFixture[str],
    module,
    source,
    seen,
) -> None:
    # When the schedule invokes the poll function
    summary = module.handler(EVENT, lambda_context)
    # Then its service was swept, baseline first
    assert summary["service"] == source
    assert summary["baseline"] is True
    assert summary["seen"] == seen
    assert summary["transitions"] == seen
    assert [s.service.value for s in store.states()] == [source]
    # And the metrics the dashboard and the staleness alarm read were emitted, per source
    document = _emitted(capsys)
    assert document["source"] == source
    assert document["service"] == "statusmon"
    assert document["SweepSucceeded"] == 1.0
    assert document["ResourcesSeen"] == float(seen)
    assert document["Transitions"] == float(seen)
    assert document["AwsCalls"] >= 1


def test_a_sweep_with_problems_emits_no_success(
    configured: Any, lambda_context: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    configured.set_faults(operation="DescribeProjects", error_rate=1.0)
    summary = poll_rekognition.handler(EVENT, lambda_context)
    assert summary["complete"] is False
    assert summary["problems"]
    document = _emitted(capsys)
    assert "SweepSucceeded" not in document
    assert document["ReadFailures"] == 1.0


def test_the_sweep_stops_before_the_lambda_timeout(configured: Any, lambda_context: Any, capsys) -> None:
    lambda_context.get_remaining_time_in_millis = lambda: 5_000  # inside the safety margin
    summary = poll_rekognition.handler(EVENT, lambda_context)
    assert summary["stopped_early"] is True
    assert summary["transitions"] == 0


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_with_custom_metrics_off_the_sweep_runs_and_prints_no_metrics(
    configured: Any,
    store: StatusStore,
    lambda_context: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the stack's default environment: custom metrics off
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    # When the schedule invokes the poll function, then again warm
    first = poll_personalize.handler(EVENT, lambda_context)
    again = poll_personalize.handler(EVENT, lambda_context)
    # Then the sweeps ran as usual (baseline, then quiet)
    assert (first["baseline"], first["transitions"]) == (True, 1)
    assert again["transitions"] == 0
    assert [s.service.value for s in store.states()] == ["personalize"]
    # And no embedded-metric document reached the logs (no custom metric is created or billed)
    assert '"_aws"' not in capsys.readouterr().out
