"""CloudTrail discovery, called as Lambda calls it, then the hot watch: DynamoDB on moto, the services on
the emulator."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from statusmon.adapters.errors import AwsError
from statusmon.adapters.store import StatusStore
from statusmon.domain.model import WATCHED_BY_CLOUDTRAIL
from statusmon.domain.vocabulary import Service
from statusmon.handlers import discover
from statusmon.logic.events import EVENTS_CHANNEL
from statusmon.logic.operations import CREATE_DATASET_IMPORT_JOB, UPDATE_DATASET_ENTRIES
from statusmon.logic.run import run_sweep, run_watch
from statusmon.settings import get_settings, load_settings
from tests.emulator.helpers import classification, jsonl

EVENTS = Path(__file__).parents[1] / "events" / "cloudtrail"


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / f"{name}.json").read_text()))


@pytest.fixture
def configured(store: StatusStore, monkeypatch: pytest.MonkeyPatch) -> StatusStore:
    monkeypatch.setenv("STATUSMON_TABLE_NAME", store.table_name)
    get_settings.cache_clear()
    return store


def test_a_recorded_import_job_call_puts_the_job_on_the_watch_before_any_sweep(
    configured: StatusStore, lambda_context: Any
) -> None:
    store = configured
    # Given a table no sweep has written to yet
    assert store.watched() == []
    # When EventBridge delivers the CloudTrail record of a CreateDatasetImportJob
    summary = discover.handler(sample("create_dataset_import_job"), lambda_context)
    # Then the job is on the watch, with the operation that started it
    assert summary == {"operation": CREATE_DATASET_IMPORT_JOB, "watched": 1, "excluded": 0, "skipped": None}
    (entry,) = store.watched()
    assert entry.resource_arn == (
        "arn:aws:personalize:us-east-1:111122223333:dataset-import-job/shop-interactions-20261124"
    )
    assert entry.service is Service.PERSONALIZE
    assert entry.operation == CREATE_DATASET_IMPORT_JOB
    assert entry.origin == WATCHED_BY_CLOUDTRAIL
    assert entry.parent_arn == "arn:aws:personalize:us-east-1:111122223333:dataset/shop/INTERACTIONS"
    # And the same record delivered again (Lambda retries) leaves one entry
    discover.handler(sample("create_dataset_import_job"), lambda_context)
    assert len(store.watched()) == 1


def test_a_failed_or_malformed_call_is_logged_and_not_retried(
    configured: StatusStore, lambda_context: Any
) -> None:
    # When the record of a refused call, and an event without its detail, arrive
    failed = discover.handler(sample("create_dataset_import_job_failed"), lambda_context)
    malformed = discover.handler({"detail-type": "AWS API Call via CloudTrail"}, lambda_context)
    # Then neither raises (Lambda would retry it for nothing), and nothing is watched
    assert failed["watched"] == malformed["watched"] == 0
    assert "ResourceAlreadyExistsException" in failed["skipped"]
    assert "no detail object" in malformed["skipped"]
    assert configured.watched() == []


def test_a_dynamodb_failure_raises_so_lambda_retries_the_event(
    aws_endpoint: str, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a table that does not exist
    monkeypatch.setenv("STATUSMON_TABLE_NAME", "statusmon-missing-table")
    get_settings.cache_clear()
    # When a usable event arrives
    # Then the handler raises: the event is worth another try
    with pytest.raises(AwsError):
        discover.handler(sample("create_dataset_import_job"), lambda_context)


def test_an_update_seen_by_cloudtrail_is_recorded_by_the_watch_with_its_operation(
    fresh_emulator: Any, configured: StatusStore, lambda_context: Any
) -> None:
    store = configured
    settings = load_settings({"STATUSMON_TABLE_NAME": store.table_name})
    # Given a Custom Labels dataset that a sweep has recorded (the silent baseline)
    created = fresh_emulator.seed(
        rekognition={"projects": [{"name": "shoes", "datasets": [{"type": "TRAIN"}]}]}
    )
    arn = created["rekognition"][0]["datasets"]["TRAIN"]
    assert run_sweep(Service.REKOGNITION, settings, store=store).succeeded
    assert store.get(arn).status == "CREATE_COMPLETE"
    # When someone updates its entries, and CloudTrail's record of the call reaches discovery
    boto3.client("rekognition").update_dataset_entries(
        DatasetArn=arn, Changes={"GroundTruth": jsonl(classification("s3://shoes/1.jpg", "boot"))}
    )
    event = copy.deepcopy(sample("update_dataset_entries"))
    event["detail"]["requestParameters"]["datasetArn"] = arn
    assert discover.handler(event, lambda_context)["watched"] == 1
    # And the watch runs, while the update is in flight, then after it completed
    in_flight = run_watch(settings, store=store)
    fresh_emulator.advance(5)
    settled = run_watch(settings, store=store)
    # Then it recorded both transitions, without any sweep
    assert [len(in_flight.recorded), len(settled.recorded)] == [1, 1]
    statuses = [t.new.status for t in store.history(arn)]
    assert statuses == ["CREATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]
    # And each state-change event names the operation CloudTrail saw
    events = [json.loads(message.body) for message in store.pending(EVENTS_CHANNEL)]
    assert [(e["status"], e["operation"]) for e in events] == [
        ("UPDATE_IN_PROGRESS", UPDATE_DATASET_ENTRIES),
        ("UPDATE_COMPLETE", UPDATE_DATASET_ENTRIES),
    ]
    # And the settled dataset has left the watch
    assert store.watched() == []


def test_an_excluded_projects_call_is_never_watched_alerted_or_deleted(
    fresh_emulator: Any, configured: StatusStore, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = configured
    # Given project_names = shoes, and a shoes and a hats project, swept (the silent baseline)
    monkeypatch.setenv("STATUSMON_PROJECT_NAMES", "shoes")
    get_settings.cache_clear()
    settings = get_settings()
    created = fresh_emulator.seed(
        rekognition={"projects": [{"name": "shoes", "datasets": [{"type": "TRAIN"}]}, {"name": "hats"}]}
    )
    hats_project = created["rekognition"][1]["project_arn"]
    assert run_sweep(Service.REKOGNITION, settings, store=store).succeeded
    # When someone creates a hats dataset, and CloudTrail's record of the call reaches discovery
    rekognition = boto3.client("rekognition")
    hats = rekognition.create_dataset(ProjectArn=hats_project, DatasetType="TRAIN")["DatasetArn"]
    event = copy.deepcopy(sample("create_dataset"))
    event["detail"]["requestParameters"]["projectArn"] = hats_project
    event["detail"]["responseElements"]["datasetArn"] = hats
    summary = discover.handler(event, lambda_context)
    # Then discovery counts it as excluded and puts nothing on the watch
    assert (summary["watched"], summary["excluded"]) == (0, 1)
    assert store.watched() == []
    # And while it is created, then for two sweeps after, nothing records, alerts about or deletes it
    assert run_watch(settings, store=store).recorded == []
    fresh_emulator.advance(5)
    assert run_watch(settings, store=store).recorded == []
    for _ in range(2):
        assert run_sweep(Service.REKOGNITION, settings, store=store).recorded == []
    assert store.get(hats) is None
    assert store.history(hats) == []
    assert [m for channel in ("sns", EVENTS_CHANNEL) for m in store.pending(channel)] == []
