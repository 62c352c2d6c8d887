"""The hot watch against the emulator and moto: a failure seen within one run, at one Describe per
watched resource, and an idle minute that costs one DynamoDB request."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from statusmon.adapters.store import StatusStore, WatchItem
from statusmon.domain.vocabulary import Service
from statusmon.handlers import watch as watch_handler
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.run import make_source, run_sweep, run_watch
from statusmon.logic.watch import watch
from statusmon.settings import get_settings, load_settings

EVENT = json.loads((Path(__file__).parents[1] / "events" / "scheduled.json").read_text())
REASON = "The manifest file contains too many invalid data lines."


class _DynamoCalls:
    """DynamoDB calls by operation (every model shares one client: see StatusStore)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        client = WatchItem._get_connection().connection.client
        client.meta.events.register("before-call.dynamodb.*", self._count, unique_id=f"watch-{id(self)}")

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1


@pytest.fixture
def settings(store: StatusStore) -> Any:
    return load_settings({"STATUSMON_TABLE_NAME": store.table_name})


def _calls(emulator: Any) -> dict[str, int]:
    return {k: v for k, v in emulator.call_counts().items() if v}


def test_a_failure_in_flight_is_recorded_by_the_next_watch_run_at_one_describe(
    fresh_emulator: Any, store: StatusStore, settings: Any
) -> None:
    # Given an account of 30 complete datasets, baselined by a full sweep
    fresh_emulator.seed(
        rekognition={"projects": [{"name": f"p{i:02d}", "datasets": [{"type": "TRAIN"}]} for i in range(30)]}
    )
    assert run_sweep(Service.REKOGNITION, settings).baseline
    # And a dataset a later sweep found in flight, which will fail two minutes on
    fresh_emulator.seed(
        rekognition={
            "projects": [
                {
                    "name": "shoes",
                    "datasets": [
                        {
                            "type": "TRAIN",
                            "status": "CREATE_IN_PROGRESS",
                            "next": {"after": 120, "status": "CREATE_FAILED", "status_message": REASON},
                        }
                    ],
                }
            ]
        }
    )
    [in_flight] = run_sweep(Service.REKOGNITION, settings).recorded
    arn = in_flight.new.resource_arn
    assert [entry.resource_arn for entry in store.watched()] == [arn]
    dynamo = _DynamoCalls()
    # When a minute passes with only the watch running
    fresh_emulator.advance(60)
    fresh_emulator.reset_calls()
    quiet = run_watch(settings)
    # Then it described the one watched dataset, and read nothing but the watch list
    assert _calls(fresh_emulator) == {"rekognition:DescribeDataset": 1}
    assert dynamo.calls == {"Query": 1}
    assert (quiet.watched, quiet.recorded) == (1, [])
    # When the service reports the failure, the next watch run records it, with its alert
    fresh_emulator.advance(61)
    fresh_emulator.reset_calls()
    dynamo.calls.clear()
    report = run_watch(settings)
    assert _calls(fresh_emulator) == {"rekognition:DescribeDataset": 1}
    [failure] = report.recorded
    assert (failure.previous_status, failure.new.status, failure.new.reason) == (
        "CREATE_IN_PROGRESS",
        "CREATE_FAILED",
        REASON,
    )
    # (the watch list; the state; the bookkeeping, to know the baseline is over; one transaction with
    # the state, history, alert, event, bucket generation and watch entry)
    assert dynamo.calls == {"Query": 2, "GetItem": 1, "TransactWriteItems": 1}
    [alert] = store.pending(SNS_CHANNEL)
    assert alert.transition_id == failure.transition_id
    assert json.loads(json.loads(alert.body)["default"])["operation"] == "CreateDataset"
    assert store.get(arn).status == "CREATE_FAILED"
    # And it is off the watch: the next minute is one read and no AWS call
    fresh_emulator.reset_calls()
    dynamo.calls.clear()
    idle = run_watch(settings)
    assert (idle.watched, _calls(fresh_emulator), dynamo.calls) == (0, {}, {"Query": 1})
    # And the full sweep that follows finds nothing new to record
    assert run_sweep(Service.REKOGNITION, settings).recorded == []


def test_the_watch_lambda_reports_what_it_did(
    fresh_emulator: Any, store: StatusStore, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATUSMON_TABLE_NAME", store.table_name)
    get_settings.cache_clear()
    jobs = [{"name": "j1", "status": "CREATE PENDING", "next": {"after": 30, "status": "ACTIVE"}}]
    fresh_emulator.seed(
        personalize={
            "dataset_groups": [{"name": "shop", "datasets": [{"type": "Interactions", "import_jobs": jobs}]}]
        }
    )
    run_sweep(Service.PERSONALIZE, get_settings())
    fresh_emulator.advance(31)
    summary = watch_handler.handler(EVENT, lambda_context)
    assert summary["watched"] == 1
    assert summary["transitions"] == 1
    # Found in flight by the baseline, its completion is news: a state-change event (and no alert)
    assert (summary["events_queued"], summary["alerts_queued"]) == (1, 0)
    assert watch_handler.handler(EVENT, lambda_context)["watched"] == 0


def test_a_job_stuck_past_its_threshold_warns_once_and_its_failure_then_alerts_once(
    fresh_emulator: Any, store: StatusStore, settings: Any
) -> None:
    # Given a baselined account, then an import job found in flight that fails eight hours on
    fresh_emulator.seed(personalize={"dataset_groups": [{"name": "shop", "datasets": [{"type": "Items"}]}]})
    assert run_sweep(Service.PERSONALIZE, settings).baseline
    jobs = [
        {
            "name": "slow",
            "status": "CREATE IN_PROGRESS",
            "next": {"after": 8 * 3600, "status": "CREATE FAILED", "failure_reason": "Internal error"},
        }
    ]
    fresh_emulator.seed(
        personalize={
            "dataset_groups": [{"name": "shop2", "datasets": [{"type": "Interactions", "import_jobs": jobs}]}]
        }
    )
    [found] = run_sweep(Service.PERSONALIZE, settings).recorded
    seen, started = found.detected_at, fresh_emulator.now()
    assert store.pending(SNS_CHANNEL) == []  # an in-flight job alerts nobody

    def watch_at(hours: float) -> Any:
        # The emulator's clock (the service's) and statusmon's both move ``hours`` from the sweep.
        fresh_emulator.advance(started + hours * 3600 - fresh_emulator.now())
        return watch(
            lambda service: make_source(service, settings),
            store,
            retention_days=30,
            now=seen + timedelta(hours=hours),
            stuck_after={"CreateDatasetImportJob": 360},
        )

    # When the watch runs at 5 h, then 7 h, then 7.5 h
    assert watch_at(5).stuck_warnings == 0
    assert watch_at(7).stuck_warnings == 1
    assert watch_at(7.5).stuck_warnings == 0
    # Then one warning is pending, with the real table's mark on the entry
    [warning] = store.pending(SNS_CHANNEL)
    assert (warning.severity, warning.transition_id) == ("warning", found.transition_id)
    assert "is stuck in CREATE IN_PROGRESS" in warning.subject
    assert [e.subject for e in store.pending("events")] == [
        "Personalize Dataset Import Job State Change",
        "Personalize Dataset Import Job Stuck",
    ]
    [entry] = store.watched()
    assert entry.stuck_at == seen + timedelta(hours=7)
    # When the job fails at 8 h, its failure alerts once, as usual, and the job leaves the watch
    report = watch_at(8.1)
    assert [t.new.status for t in report.recorded] == ["CREATE FAILED"]
    assert [m.severity for m in store.pending(SNS_CHANNEL)] == ["warning", "error"]
    assert store.watched() == []
