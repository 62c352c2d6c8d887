"""CloudTrail discovery: each recorded call's event -> the watch entries it puts, or one reason why not."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from statusmon.domain.filters import Filters
from statusmon.domain.model import WATCHED_BY_CLOUDTRAIL
from statusmon.domain.vocabulary import ResourceType, Service
from statusmon.logic import operations
from statusmon.logic.discover import CALLS, DETAIL_TYPE, discover

EVENTS = Path(__file__).parents[1] / "events" / "cloudtrail"
PROJECT = "arn:aws:rekognition:us-east-1:111122223333:project/shoes/1732449600000"
TRAIN = "arn:aws:rekognition:us-east-1:111122223333:project/shoes/dataset/train/1732449712345"
TEST = "arn:aws:rekognition:us-east-1:111122223333:project/shoes/dataset/test/1732449733456"
JOB = "arn:aws:personalize:us-east-1:111122223333:dataset-import-job/shop-interactions-20261124"
PERSONALIZE_DATASET = "arn:aws:personalize:us-east-1:111122223333:dataset/shop/INTERACTIONS"


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / f"{name}.json").read_text()))


def pascal_case(value: Any) -> Any:
    """The same record with every member spelled as the API spells it (``DatasetArn``)."""
    if isinstance(value, list):
        return [pascal_case(item) for item in value]
    if isinstance(value, dict):
        return {key[0].upper() + key[1:]: pascal_case(item) for key, item in value.items()}
    return value


def spelled(event: dict[str, Any], spelling: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    if spelling == "PascalCase":
        for part in ("requestParameters", "responseElements"):
            event["detail"][part] = pascal_case(event["detail"][part])
    return event


SPELLINGS = ("as recorded", "PascalCase")


def test_every_sample_is_an_event_of_a_watched_call() -> None:
    # Given the stored samples
    names = sorted(path.stem for path in EVENTS.glob("*.json"))
    assert names == [
        "create_dataset",
        "create_dataset_import_job",
        "create_dataset_import_job_failed",
        "distribute_dataset_entries",
        "update_dataset_entries",
    ]
    for name in names:
        event = sample(name)
        # Then each is what the rule matches: the detail type, a source and a call the stack names
        assert event["detail-type"] == DETAIL_TYPE
        (calls,) = [c for c in CALLS.values() if c.source == event["source"]]
        assert event["detail"]["eventSource"] == calls.event_source
        assert event["detail"]["eventName"] in calls.operations


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_create_dataset_watches_the_new_dataset_in_its_project(spelling: str) -> None:
    # Given a recorded CreateDataset (the new ARN is only in the response)
    discovery = discover(spelled(sample("create_dataset"), spelling))
    # Then the new dataset is watched, named as statusmon names it, under its project
    (entry,) = discovery.entries
    assert discovery.skipped is None
    assert (entry.service, entry.resource_type, entry.resource_arn) == (
        Service.REKOGNITION,
        ResourceType.DATASET,
        TRAIN,
    )
    assert entry.name == "shoes/train"
    assert entry.parent_arn == PROJECT
    assert entry.operation == operations.CREATE_DATASET
    assert entry.since == datetime(2026, 11, 24, 12, 1, 52, tzinfo=UTC)
    assert entry.origin == WATCHED_BY_CLOUDTRAIL
    # And it mirrors no recorded state yet
    assert (entry.status, entry.version) == (None, None)
    assert entry.known() is None


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_update_dataset_entries_watches_the_dataset_it_names(spelling: str) -> None:
    discovery = discover(spelled(sample("update_dataset_entries"), spelling))
    (entry,) = discovery.entries
    assert entry.resource_arn == TRAIN
    assert entry.operation == operations.UPDATE_DATASET_ENTRIES
    assert entry.distributed_with is None
    assert entry.since == datetime(2026, 11, 24, 12, 10, 7, tzinfo=UTC)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_distribute_dataset_entries_watches_both_datasets_each_pointing_at_the_other(spelling: str) -> None:
    discovery = discover(spelled(sample("distribute_dataset_entries"), spelling))
    # Then the train and the test dataset are both watched, for the same operation
    by_arn = {entry.resource_arn: entry for entry in discovery.entries}
    assert set(by_arn) == {TRAIN, TEST}
    assert {entry.operation for entry in by_arn.values()} == {operations.DISTRIBUTE_DATASET_ENTRIES}
    # And each names the other as the dataset it was distributed with
    assert by_arn[TRAIN].distributed_with == TEST
    assert by_arn[TEST].distributed_with == TRAIN
    assert (by_arn[TRAIN].name, by_arn[TEST].name) == ("shoes/train", "shoes/test")


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_create_dataset_import_job_watches_the_job_under_its_dataset(spelling: str) -> None:
    discovery = discover(spelled(sample("create_dataset_import_job"), spelling))
    (entry,) = discovery.entries
    assert (entry.service, entry.resource_type, entry.resource_arn) == (
        Service.PERSONALIZE,
        ResourceType.DATASET_IMPORT_JOB,
        JOB,
    )
    assert entry.name == "shop-interactions-20261124"
    assert entry.parent_arn == PERSONALIZE_DATASET
    assert entry.operation == operations.CREATE_DATASET_IMPORT_JOB


def test_a_failed_call_watches_nothing_and_says_why() -> None:
    # Given a CreateDatasetImportJob that Personalize refused
    discovery = discover(sample("create_dataset_import_job_failed"))
    # Then nothing is watched, and the reason names the call and its error code, on one line
    assert discovery.entries == []
    assert discovery.failed_call is True
    assert discovery.skipped is not None
    assert "CreateDatasetImportJob failed (ResourceAlreadyExistsException" in discovery.skipped
    assert "\n" not in discovery.skipped


def _with(name: str, **detail: Any) -> dict[str, Any]:
    event = sample(name)
    event["detail"].update(detail)
    return event


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({}, "no detail object"),
        ({"detail": "text"}, "no detail object"),
        (_with("create_dataset", responseElements=None), "no DatasetArn in responseElements"),
        (_with("create_dataset", responseElements={"datasetArn": ""}), "no DatasetArn in responseElements"),
        (
            _with("create_dataset", responseElements={"datasetArn": "arn:aws:rekognition:x"}),
            "malformed ARN 'arn:aws:rekognition:x'",
        ),
        (
            _with("create_dataset", responseElements={"datasetArn": JOB}),
            "is not a rekognition resource",
        ),
        (_with("update_dataset_entries", requestParameters=None), "no DatasetArn in requestParameters"),
        (_with("update_dataset_entries", requestParameters=[]), "requestParameters is not an object"),
        (
            _with("distribute_dataset_entries", requestParameters={"datasets": [{"arn": TRAIN}]}),
            "expected the two datasets",
        ),
        (
            _with("distribute_dataset_entries", requestParameters={"datasets": [{"arn": TRAIN}, "x"]}),
            "requestParameters.Datasets[] is not an object",
        ),
        (_with("create_dataset_import_job", responseElements=None), "no DatasetImportJobArn"),
        (_with("create_dataset_import_job", eventTime="yesterday"), "eventTime 'yesterday'"),
        (_with("create_dataset_import_job", eventTime=None), "no eventTime"),
        (_with("create_dataset_import_job", eventName="DeleteDatasetImportJob"), "not a call statusmon"),
        (_with("create_dataset", eventSource="personalize.amazonaws.com"), "not a call statusmon"),
    ],
)
def test_an_unusable_event_watches_nothing_and_says_why_in_one_line(
    event: dict[str, Any], reason: str
) -> None:
    # When a malformed or unexpected event is parsed
    discovery = discover(event)
    # Then no entry, no exception, and one line that says what was missing
    assert discovery.entries == []
    assert discovery.failed_call is False
    assert discovery.skipped is not None
    assert reason in discovery.skipped
    assert "\n" not in discovery.skipped


def test_a_create_dataset_without_a_usable_project_is_still_watched_without_a_parent() -> None:
    # Given a CreateDataset whose project ARN is not one (the watch then leaves the dataset to the sweep)
    event = _with("create_dataset", requestParameters={"projectArn": "shoes", "datasetType": "TRAIN"})
    (entry,) = discover(event).entries
    # Then the dataset is watched with its operation, and no parent
    assert entry.resource_arn == TRAIN
    assert entry.parent_arn is None
    assert entry.operation == operations.CREATE_DATASET


def test_the_calls_are_the_operations_alerts_name() -> None:
    # The rule and the parser know exactly the operations logic.operations names
    watched = {operation for calls in CALLS.values() for operation in calls.operations}
    assert watched == set(operations.OPERATIONS)


def test_the_filters_drop_and_count_what_they_exclude() -> None:
    # Given filters on the project hats and the dataset group other
    filters = Filters.of(
        project_names=["hats"],
        personalize_arns=["arn:aws:personalize:us-east-1:111122223333:dataset-group/other"],
    )
    # When the shoes project's datasets are distributed, and a job of the shop group is created
    distributed = discover(sample("distribute_dataset_entries"), filters)
    imported = discover(sample("create_dataset_import_job"), filters)
    # Then nothing is put on the watch, and each excluded resource is counted, without being an error
    assert (distributed.entries, imported.entries) == ([], [])
    assert sorted(distributed.excluded) == sorted([TRAIN, TEST])
    assert imported.excluded == [JOB]
    assert distributed.skipped is None
    assert imported.skipped is None


def test_the_filters_keep_what_they_include_and_an_import_job_they_cannot_place_yet() -> None:
    # Given filters that include the shoes project and the shop group
    filters = Filters.of(
        project_names=["shoes"],
        personalize_arns=["arn:aws:personalize:us-east-1:111122223333:dataset-group/shop"],
    )
    # Then the shoes dataset and the shop job (by the datasetArn of its call) are watched
    assert [e.resource_arn for e in discover(sample("update_dataset_entries"), filters).entries] == [TRAIN]
    assert [e.resource_arn for e in discover(sample("create_dataset_import_job"), filters).entries] == [JOB]
    # And a job whose call named no dataset is watched: the watch places it by its Describe
    unplaced = _with("create_dataset_import_job", requestParameters={"jobName": "x"})
    discovery = discover(unplaced, filters)
    assert ([e.parent_arn for e in discovery.entries], discovery.excluded) == ([None], [])
