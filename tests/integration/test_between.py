"""What happens between two looks, end to end (DynamoDB, SNS, SQS and EventBridge on moto server, Custom
Labels on the emulator): an UpdateDatasetEntries that starts and ends before statusmon looks again
(UPDATE_COMPLETE before and after, 40 new error entries) gets exactly one warning, through CloudTrail
discovery and the watch, and without them, through the sweep's deep check within one period."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from statusmon.adapters.store import StatusStore
from statusmon.cli.ids import Resolved
from statusmon.cli.wait import Outcome, TableFollower, wait
from statusmon.domain import digest
from statusmon.domain.model import ResourceState, Transition
from statusmon.domain.vocabulary import Service
from statusmon.logic.discover import discover
from statusmon.logic.events import EVENTS_CHANNEL
from statusmon.logic.operations import UPDATE_DATASET_ENTRIES
from statusmon.logic.run import make_source, policy_of, run_discover, run_redrive, run_sweep, run_watch
from statusmon.logic.sweep import DeepCheck, sweep
from statusmon.settings import Settings, load_settings
from tests.emulator.helpers import classification, jsonl
from tests.integration.conftest import Subscriber

EVENTS = Path(__file__).parents[1] / "events" / "cloudtrail"
PROJECTS = 12
ERRORS = 40
# Long enough for the emulator's update (3 s) to start and finish between two looks.
BETWEEN_LOOKS = 30


@pytest.fixture
def settings(store: StatusStore, subscriber: Subscriber) -> Settings:
    bus = f"statusmon-{uuid.uuid4().hex[:8]}"  # a bus of the test's own (see test_events.bus)
    boto3.client("events").create_event_bus(Name=bus)
    return load_settings(
        {
            "STATUSMON_TABLE_NAME": store.table_name,
            "STATUSMON_TOPIC_ARN": subscriber.topic_arn,
            "STATUSMON_EVENT_BUS_NAME": bus,
            # Sweeps of their own deep check only (below, with their own clock).
            "STATUSMON_DEEP_CHECK_HOURS": "0",
        }
    )


@pytest.fixture
def account(fresh_emulator: Any, store: StatusStore, settings: Settings) -> tuple[Any, str]:
    """Twelve projects with a TRAIN dataset, swept; one dataset updated once (UPDATE_COMPLETE, no error
    entries) and swept again: its recorded state has the update's timestamp and stats."""
    created = fresh_emulator.seed(
        rekognition={
            "projects": [{"name": f"p{i:02d}", "datasets": [{"type": "TRAIN"}]} for i in range(PROJECTS)]
        }
    )
    arn = created["rekognition"][3]["datasets"]["TRAIN"]
    assert run_sweep(Service.REKOGNITION, settings).baseline
    _update(arn, errors=0)
    fresh_emulator.advance(BETWEEN_LOOKS)
    [first] = run_sweep(Service.REKOGNITION, settings).recorded
    assert (first.new.status, first.new.error_entries()) == ("UPDATE_COMPLETE", 0)
    run_redrive(settings, outbox=store)
    return fresh_emulator, arn


def _update(arn: str, *, errors: int) -> None:
    good = [classification(f"s3://shoes/good-{uuid.uuid4().hex[:6]}.jpg", "boot") for _ in range(3)]
    bad = [classification(f"http://not-s3/{i}.jpg", "boot") for i in range(errors)]
    boto3.client("rekognition").update_dataset_entries(
        DatasetArn=arn, Changes={"GroundTruth": jsonl(*good, *bad)}
    )


def _cloudtrail_event(arn: str, at: float) -> dict[str, Any]:
    event = json.loads((EVENTS / "update_dataset_entries.json").read_text())
    event = copy.deepcopy(event)
    event["detail"]["requestParameters"]["datasetArn"] = arn
    event["detail"]["eventTime"] = datetime.fromtimestamp(int(at), UTC).isoformat().replace("+00:00", "Z")
    return dict(event)


def _warnings(subscriber: Subscriber) -> list[dict[str, Any]]:
    return [m["body"] for m in subscriber.receive_all() if m["body"]["severity"] == "warning"]


def test_a_quick_update_reported_by_cloudtrail_gets_one_warning_from_the_watch(
    account: tuple[Any, str], store: StatusStore, settings: Settings, subscriber: Subscriber
) -> None:
    emulator, arn = account
    subscriber.receive_all()
    # Given an update with 40 bad lines, which CloudTrail reports, and which finishes before the watch's
    # first look
    called_at = emulator.now()
    _update(arn, errors=ERRORS)
    assert run_discover(discover(_cloudtrail_event(arn, called_at)), settings, store=store) == 1
    emulator.advance(BETWEEN_LOOKS)
    # And someone waiting for the dataset's next transition (statusmon wait --new), reading the table
    # while the watch runs every minute
    reports = []

    def a_minute_passes(_: float) -> None:
        reports.append(run_watch(settings, store=store))
        run_redrive(settings, outbox=store)

    follower = TableFollower(store, Resolved(arn, store.get(arn)))
    shown: list[Transition] = []
    outcome, state = wait(
        follower,
        _Shown(shown),
        new_only=True,
        timeout=600,
        interval=60,
        sleep=a_minute_passes,
        clock=_ticks(),
    )
    # Then the first watch run recorded the completion: the same status, with its new date and stats
    assert outcome is Outcome.COMPLETE
    [done] = reports[0].recorded
    assert [(t.previous_status, t.new.status) for t in shown] == [("UPDATE_COMPLETE", "UPDATE_COMPLETE")]
    assert state is not None
    assert state.error_entries() == ERRORS
    assert done.new.updated_at is not None
    assert done.new.updated_at.timestamp() > called_at
    # And exactly one warning went out, naming the operation, with samples of the bad entries
    [warning] = _warnings(subscriber)
    assert (warning["status"], warning["previous_status"], warning["operation"]) == (
        "UPDATE_COMPLETE",
        "UPDATE_COMPLETE",
        UPDATE_DATASET_ENTRIES,
    )
    assert warning["details"]["stats"]["ErrorEntries"] == ERRORS
    assert warning["details"]["error_entries"][0]["source-ref"].startswith("http://not-s3/")
    # And the state-change event too; the dataset has left the watch
    assert store.pending(EVENTS_CHANNEL) == []
    assert store.watched() == []
    # When the watch and sweeps (with a deep check of every dataset) run again, nothing more is said
    run_watch(settings, store=store)
    everything = DeepCheck(period=timedelta(minutes=1), interval=timedelta(minutes=5))
    again = sweep(make_source(Service.REKOGNITION, settings), store, retention_days=30, deep_check=everything)
    assert (again.recorded, again.deep_described) == ([], PROJECTS)
    run_redrive(settings, outbox=store)
    assert _warnings(subscriber) == []


def test_without_discovery_a_quick_update_is_found_within_one_deep_check_period(
    account: tuple[Any, str], store: StatusStore, settings: Settings, subscriber: Subscriber
) -> None:
    emulator, arn = account
    subscriber.receive_all()
    # Given the same quick update, and no CloudTrail discovery (nothing on the watch)
    _update(arn, errors=ERRORS)
    emulator.advance(BETWEEN_LOOKS)
    assert store.watched() == []
    # When sweeps run every five minutes for one hour, with an hourly deep check
    hourly = DeepCheck(period=timedelta(hours=1), interval=timedelta(minutes=5))
    start = datetime.fromtimestamp(emulator.now(), UTC)
    found, described = [], []
    for n in range(12):
        report = sweep(
            make_source(Service.REKOGNITION, settings),
            store,
            retention_days=30,
            policy=policy_of(settings),
            now=start + n * hourly.interval,
            deep_check=hourly,
        )
        run_redrive(settings, outbox=store)
        found += report.recorded
        described.append(report.deep_described)
    # Then the hour's sweeps recorded the update once, in the sweep of its bucket's turn
    [done] = found
    assert (done.new.resource_arn, done.previous_status, done.new.status) == (
        arn,
        "UPDATE_COMPLETE",
        "UPDATE_COMPLETE",
    )
    assert (done.previous_error_entries, done.new.error_entries()) == (0, ERRORS)
    # With exactly one warning (no operation: only CloudTrail tells an update from a distribution)
    [warning] = _warnings(subscriber)
    assert (warning["previous_status"], warning["operation"]) == ("UPDATE_COMPLETE", None)
    # And each complete dataset was described about once in the hour, each sweep taking its slice only
    assert PROJECTS <= sum(described) <= 2 * PROJECTS
    assert max(described) < PROJECTS
    assert digest.bucket_of(arn) in set().union(
        *(hourly.buckets(start + n * hourly.interval) for n in range(12))
    )


class _Shown:
    def __init__(self, into: list[Transition]) -> None:
        self.into = into

    def start(self, follower: Any, state: ResourceState | None) -> None:
        pass

    def transition(self, transition: Transition) -> None:
        self.into.append(transition)

    def warning(self, text: str) -> None:
        raise AssertionError(text)


def _ticks() -> Any:
    """A monotonic clock that moves a minute per reading (the wait's timeout, without waiting)."""
    moments = iter(range(0, 10_000, 60))
    return lambda: float(next(moments))
