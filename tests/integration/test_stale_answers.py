"""Answers that arrive late, over moto server and the emulator: a sweep's listing or Describe read
before the hot watch recorded a failure, delivered after it, never reverses that failure."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import boto3
import pytest

from statusmon.adapters.rekognition import RekognitionSource
from statusmon.adapters.store import StatusStore
from statusmon.domain.model import WATCHED_BY_CLOUDTRAIL, WatchEntry
from statusmon.domain.vocabulary import ResourceType, Service
from statusmon.logic.operations import DISTRIBUTE_DATASET_ENTRIES
from statusmon.logic.run import run_redrive, run_sweep, run_watch
from statusmon.logic.sweep import sweep
from statusmon.settings import load_settings
from tests.integration.conftest import Subscriber


def _late(client: Any, operation: str, meanwhile: Any) -> None:
    """The first answer to ``operation`` is read, then held while ``meanwhile`` runs, then delivered."""
    pending = [meanwhile]

    def hold(**_: Any) -> None:
        if pending:
            pending.pop()()

    client.meta.events.register(f"after-call.rekognition.{operation}", hold)


@pytest.mark.parametrize("late", ["DescribeProjects", "DescribeDataset"])
def test_an_answer_read_before_the_watch_recorded_a_failure_does_not_reverse_it(
    late: str, fresh_emulator: Any, store: StatusStore, subscriber: Subscriber
) -> None:
    settings = load_settings(
        {"STATUSMON_TABLE_NAME": store.table_name, "STATUSMON_TOPIC_ARN": subscriber.topic_arn}
    )
    # Given a project's two complete datasets, baselined
    [project] = fresh_emulator.seed(
        rekognition={"projects": [{"name": "shoes", "datasets": [{"type": "TRAIN"}, {"type": "TEST"}]}]}
    )["rekognition"]
    arns = sorted(project["datasets"].values())
    assert run_sweep(Service.REKOGNITION, settings).baseline
    # And a DistributeDatasetEntries that will fail (too few images), which CloudTrail put on the watch
    boto3.client("rekognition").distribute_dataset_entries(Datasets=[{"Arn": arn} for arn in arns])
    store.watch(
        [
            WatchEntry(
                Service.REKOGNITION,
                arn,
                datetime.now().astimezone(),
                ResourceType.DATASET,
                "shoes",
                parent_arn=project["project_arn"],
                operation=DISTRIBUTE_DATASET_ENTRIES,
                origin=WATCHED_BY_CLOUDTRAIL,
            )
            for arn in arns
        ]
    )
    # And a sweep whose answer (its listing, or its first Describe) shows the datasets in flight, but
    # is held while the update fails and the watch records the failure, then delivered
    watched: list[Any] = []

    def the_update_fails_and_the_watch_records_it() -> None:
        fresh_emulator.advance(60)
        watched.append(run_watch(settings))

    source = RekognitionSource()
    _late(source._client, late, the_update_fails_and_the_watch_records_it)
    # When the sweep records what it read
    report = sweep(source, store, retention_days=30, describe_workers=1)
    # Then the watch recorded both failures, and the sweep reversed nothing
    [watch] = watched
    assert sorted((t.new.resource_arn, t.new.status) for t in watch.recorded) == [
        (arn, "UPDATE_FAILED") for arn in arns
    ]
    assert [t for t in report.recorded if t.new.status != "UPDATE_FAILED"] == []
    assert not report.problems
    if late == "DescribeProjects":
        # A listing older than the states is no change: it costs no Describe either
        assert report.described == 0
    # And once things are quiet, a sweep finds nothing to record
    assert run_sweep(Service.REKOGNITION, settings).recorded == []
    # And each dataset's history goes from complete to failed, with no step back
    for arn in arns:
        assert [t.new.status for t in store.history(arn)] == ["CREATE_COMPLETE", "UPDATE_FAILED"]
    # And the subscriber gets exactly one alert per dataset
    run_redrive(settings)
    alerts = Counter(message["body"]["resource_arn"] for message in subscriber.receive_all())
    assert alerts == dict.fromkeys(arns, 1)
