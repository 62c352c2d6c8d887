"""The sweep against the emulator and moto: what a quiet sweep costs, and the filters."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import boto3
import pytest

from statusmon.adapters.store import (
    HistoryItem,
    MarkItem,
    OutboxItem,
    ServiceItem,
    StateItem,
    StatusStore,
    WatchItem,
)
from statusmon.domain.vocabulary import Service
from statusmon.logic.run import run_sweep
from statusmon.settings import load_settings

PROJECTS = 101  # two DescribeProjects pages
JOBS = 101  # two ListDatasetImportJobs pages
FAILED_DATASETS = 3


@pytest.fixture
def seeded(fresh_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    projects = [
        {
            "name": f"p{i:04d}",
            "datasets": [
                {
                    "type": "TRAIN",
                    "status": "CREATE_FAILED"
                    if i < FAILED_DATASETS
                    else ("UPDATE_IN_PROGRESS" if i == PROJECTS - 1 else "CREATE_COMPLETE"),
                }
            ],
        }
        for i in range(PROJECTS)
    ]
    jobs = [
        {
            "name": f"job-{i:04d}",
            "status": "CREATE FAILED" if i % 50 == 0 else "ACTIVE",
            "failure_reason": "bad",
        }
        for i in range(JOBS)
    ]
    fresh_emulator.seed(
        rekognition={"projects": projects},
        personalize={
            "dataset_groups": [{"name": "shop", "datasets": [{"type": "Interactions", "import_jobs": jobs}]}]
        },
    )
    return fresh_emulator


def _calls(emulator: Any) -> dict[str, int]:
    return {k: v for k, v in emulator.call_counts().items() if v}


def test_a_quiet_sweep_costs_list_pages_and_failed_datasets_only(seeded: Any, store: StatusStore) -> None:
    # Given a baseline sweep of both services over the seeded account (the deep check's bounded slice
    # per sweep is measured apart: tests/integration/test_between.py)
    settings = load_settings({"STATUSMON_TABLE_NAME": store.table_name, "STATUSMON_DEEP_CHECK_HOURS": "0"})
    for service in Service:
        first = run_sweep(service, settings)
        assert first.baseline
        assert first.succeeded
    # When nothing changes and the next sweep runs
    seeded.reset_calls()
    items = _item_count(store)
    reports = [run_sweep(service, settings) for service in Service]
    # Then it lists in pages of 100, describes only the failed datasets, and writes nothing
    assert _calls(seeded) == {
        "rekognition:DescribeProjects": math.ceil(PROJECTS / 100),
        "rekognition:DescribeDataset": FAILED_DATASETS,
        "personalize:ListDatasetImportJobs": math.ceil(JOBS / 100),
    }
    assert [r.recorded for r in reports] == [[], []]
    assert [r.seen for r in reports] == [PROJECTS, JOBS]
    assert [r.aws_calls for r in reports] == [
        math.ceil(PROJECTS / 100) + FAILED_DATASETS,
        math.ceil(JOBS / 100),
    ]
    assert _item_count(store) == items


class _DynamoCalls:
    """DynamoDB calls by operation, from every PynamoDB model's botocore client."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        for model in (StateItem, HistoryItem, ServiceItem, MarkItem, OutboxItem, WatchItem):
            client = model._get_connection().connection.client
            client.meta.events.register("before-call.dynamodb.*", self._count, unique_id=f"test-{id(self)}")

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1


def test_quiet_sweeps_cost_one_dynamodb_query_and_a_change_one_bucket(
    seeded: Any, store: StatusStore
) -> None:
    # Given both services baselined (without the deep check, whose slice depends on the time of day)
    settings = load_settings({"STATUSMON_TABLE_NAME": store.table_name, "STATUSMON_DEEP_CHECK_HOURS": "0"})
    for service in Service:
        assert run_sweep(service, settings).succeeded
    # When nothing changes
    dynamo = _DynamoCalls()
    quiet = [run_sweep(service, settings) for service in Service]
    # Then each sweep makes one DynamoDB request (the bookkeeping and bucket marks) and reads no state
    assert dynamo.calls == {"Query": 2}
    assert [(r.buckets_read, r.states_read) for r in quiet] == [(0, 0), (0, 0)]
    # When one import job is added among the hundred
    seeded.seed(
        personalize={
            "dataset_groups": [
                {
                    "name": "more",
                    "datasets": [
                        {"type": "Items", "import_jobs": [{"name": "late-1", "status": "CREATE IN_PROGRESS"}]}
                    ],
                }
            ]
        }
    )
    dynamo.calls.clear()
    report = run_sweep(Service.PERSONALIZE, settings)
    # Then it reads its bucket only and the watch list, records the job (and puts it on the watch, in the
    # same transaction: it is in flight), and marks the bucket again
    [new] = report.recorded
    assert new.new.name.endswith("late-1")
    assert report.buckets_read == 1
    assert report.states_read < JOBS / 10
    assert dynamo.calls == {"Query": 3, "TransactWriteItems": 1, "UpdateItem": 1}
    watched = {entry.resource_arn: entry.version for entry in store.watched()}
    assert watched[new.new.resource_arn] == 1
    assert len(watched) == 2  # and the dataset the baseline found in flight
    dynamo.calls.clear()
    assert run_sweep(Service.PERSONALIZE, settings).recorded == []
    assert dynamo.calls == {"Query": 1}


def _item_count(store: StatusStore) -> int:
    return int(boto3.client("dynamodb").scan(TableName=store.table_name, Select="COUNT")["Count"])


def test_project_names_are_asked_ten_at_a_time(seeded: Any, store: StatusStore) -> None:
    names = [f"p{i:04d}" for i in range(12)]
    settings = load_settings(
        {"STATUSMON_TABLE_NAME": store.table_name, "STATUSMON_PROJECT_NAMES": ",".join(names)}
    )
    report = run_sweep(Service.REKOGNITION, settings)
    assert report.seen == 12
    assert seeded.call_counts()["rekognition:DescribeProjects"] == 2


def test_personalize_filter_by_dataset_group(seeded: Any, store: StatusStore) -> None:
    group = "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"
    seeded.seed(
        personalize={
            "dataset_groups": [
                {"name": "other", "datasets": [{"type": "Items", "import_jobs": [{"name": "other-1"}]}]}
            ]
        }
    )
    settings = load_settings(
        {"STATUSMON_TABLE_NAME": store.table_name, "STATUSMON_PERSONALIZE_FILTER_ARNS": group}
    )
    report = run_sweep(Service.PERSONALIZE, settings)
    assert report.seen == JOBS
    assert report.succeeded
    assert {s.parent_arn for s in store.states(Service.PERSONALIZE)} == {
        "arn:aws:personalize:us-east-1:123456789012:dataset/shop/INTERACTIONS"
    }
    calls = seeded.call_counts()
    assert calls["personalize:ListDatasets"] == 1
    assert calls["personalize:ListDatasetImportJobs"] == math.ceil(JOBS / 100)


def test_a_listing_that_fails_part_way_deletes_nothing(
    seeded: Any, store: StatusStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(
        {"STATUSMON_TABLE_NAME": store.table_name, "STATUSMON_PROJECT_NAMES": "p0001,p0002"}
    )
    run_sweep(Service.REKOGNITION, settings)
    seeded.set_faults(operation="DescribeProjects", error_rate=1.0)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    report = run_sweep(Service.REKOGNITION, settings)
    assert not report.complete
    assert report.recorded == []
    assert "DescribeProjects" in report.problems[0]
    assert all(s.status != "DELETED" for s in store.states(Service.REKOGNITION))
