"""The statusmon command against the emulator and moto server: each alert exactly once."""

from __future__ import annotations

import json

from statusmon_local import pipeline
from tests.e2e.conftest import World, run_statusmon

BROKEN_MANIFEST = b"this is not json\n{also not\n"
DONE = 3600  # longer than every emulated lifecycle


def _project_with_train(world: World, name: str) -> tuple[pipeline.Project, str]:
    pipeline.put_object(pipeline.IMAGE_BUCKET, f"{name}/train.manifest", pipeline.good_manifest(30))
    project = pipeline.create_project(name)
    return project, pipeline.create_dataset(project, "TRAIN", f"{name}/train.manifest")


def _status(world: World) -> dict[str, dict]:
    result = run_statusmon("status", "--json", env=world.env)
    assert result.code == 0, result.err
    return {row["resource_arn"]: row for row in json.loads(result.out)}


def test_baseline_records_pre_existing_failures_silently(world: World) -> None:
    # Given a project whose TEST dataset failed before statusmon was installed
    project, train = _project_with_train(world, "baseline")
    pipeline.put_object(pipeline.IMAGE_BUCKET, "baseline/test.manifest", BROKEN_MANIFEST)
    test = pipeline.create_dataset(project, "TEST", "baseline/test.manifest")
    world.emulator.advance(DONE)
    # When the first sweep runs
    result = world.sweep()
    # Then the failure is stored, not alerted
    assert world.alerts() == []
    assert "baseline" in result.err
    states = _status(world)
    assert states[test]["status"] == "CREATE_FAILED"
    assert states[test]["reason"]
    assert states[train]["status"] == "CREATE_COMPLETE"


def test_dataset_creation_failure_alerts_once_with_the_reason(world: World) -> None:
    # Given a baseline with one healthy project
    project, _ = _project_with_train(world, "create-fails")
    world.emulator.advance(DONE)
    world.sweep()
    # When a TEST dataset is created from a broken manifest and fails
    pipeline.put_object(pipeline.IMAGE_BUCKET, "create-fails/test.manifest", BROKEN_MANIFEST)
    test = pipeline.create_dataset(project, "TEST", "create-fails/test.manifest")
    world.sweep()  # sees it in flight
    world.emulator.advance(DONE)
    world.sweep()
    world.sweep()  # nothing new: nothing more is alerted
    # Then exactly one error alert, with the service's reason
    [alert] = world.alerts()
    assert alert["resource_arn"] == test
    assert (alert["previous_status"], alert["status"], alert["severity"]) == (
        "CREATE_IN_PROGRESS",
        "CREATE_FAILED",
        "error",
    )
    assert alert["reason"]
    assert alert["parent_arn"] == project.arn
    assert alert["name"] == "create-fails/test"


def test_update_failure_then_the_same_failure_again_after_a_retry(world: World) -> None:
    _, train = _project_with_train(world, "updates")
    world.emulator.advance(DONE)
    world.sweep()
    every_line_invalid = b'{"source-ref": "s3://statusmon-demo-images/x.jpg", "shoe-type": 0}\n'
    # When an update fails outright
    pipeline.update_entries(train, every_line_invalid)
    world.emulator.advance(DONE)
    world.sweep()
    # And the user retries it, and it fails again the same way, unseen in flight
    pipeline.update_entries(train, every_line_invalid)
    world.emulator.advance(DONE)
    world.sweep()
    # Then both failures are alerted, once each
    alerts = world.alerts()
    assert [(a["status"], a["previous_status"]) for a in alerts] == [
        ("UPDATE_FAILED", "CREATE_COMPLETE"),
        ("UPDATE_FAILED", "UPDATE_FAILED"),
    ]
    assert alerts[0]["detected_at"] <= alerts[1]["detected_at"]


def test_update_with_bad_lines_completes_with_a_warning(world: World) -> None:
    _, train = _project_with_train(world, "warns")
    world.emulator.advance(DONE)
    world.sweep()
    good = [pipeline.manifest_line(f"more/{i}.jpg") for i in range(5)]
    bad = [
        {
            "source-ref": "http://not-s3/1.jpg",
            "shoe-type": 0,
            "shoe-type-metadata": good[0]["shoe-type-metadata"],
        }
    ]
    pipeline.update_entries(train, pipeline.jsonl(good + bad))
    world.emulator.advance(DONE)
    world.sweep()
    [alert] = world.alerts()
    assert (alert["status"], alert["severity"]) == ("UPDATE_COMPLETE", "warning")
    assert alert["details"]["stats"]["ErrorEntries"] == 1
    assert alert["details"]["error_entries"][0]["source-ref"] == "http://not-s3/1.jpg"
    # And a later clean update of the same dataset (its old error entry still there) is silent
    pipeline.update_entries(train, pipeline.jsonl([pipeline.manifest_line("clean/1.jpg")]))
    world.emulator.advance(DONE)
    world.sweep()
    assert world.alerts() == []


def test_successful_distribute_alerts_nothing(world: World) -> None:
    project, train = _project_with_train(world, "distribute")
    test = pipeline.create_dataset(project, "TEST")
    world.emulator.advance(DONE)
    world.sweep()
    pipeline.distribute(train, test)
    world.sweep()
    world.emulator.advance(DONE)
    world.sweep()
    assert world.alerts() == []
    states = _status(world)
    assert states[train]["status"] == states[test]["status"] == "UPDATE_COMPLETE"


def test_import_job_failure_carries_its_failure_reason(world: World) -> None:
    dataset = pipeline.create_interactions_dataset("retail")
    world.emulator.advance(DONE)
    good = pipeline.put_object(pipeline.DATA_BUCKET, "good.csv", pipeline.interactions_csv())
    pipeline.import_job("good-import", dataset, good)
    world.emulator.advance(DONE)
    world.sweep()  # baseline
    missing = pipeline.put_object(
        pipeline.DATA_BUCKET, "missing.csv", pipeline.interactions_csv(with_timestamp=False)
    )
    job = pipeline.import_job("bad-import", dataset, missing)
    world.sweep()
    world.emulator.advance(DONE)
    world.sweep()
    [alert] = world.alerts()
    assert alert["resource_arn"] == job
    assert alert["service"] == "personalize"
    assert alert["resource_type"] == "dataset_import_job"
    assert alert["status"] == "CREATE FAILED"
    assert "TIMESTAMP" in alert["reason"]
    assert alert["parent_arn"] == dataset
    assert alert["details"]["data_location"] == missing
    assert alert["details"]["import_mode"] == "FULL"


def test_a_job_first_seen_already_failed_is_alerted(world: World) -> None:
    dataset = pipeline.create_interactions_dataset("first-seen")
    world.emulator.advance(DONE)
    pipeline.import_job(
        "ok", dataset, pipeline.put_object(pipeline.DATA_BUCKET, "ok.csv", pipeline.interactions_csv())
    )
    world.emulator.advance(DONE)
    world.sweep()  # baseline
    # Given a job that is created and fails entirely between two sweeps
    job = pipeline.import_job("between", dataset, f"s3://{pipeline.DATA_BUCKET}/no-such-file.csv")
    world.emulator.advance(DONE)
    world.sweep()
    [alert] = world.alerts()
    assert alert["resource_arn"] == job
    assert alert["previous_status"] is None
    assert alert["status"] == "CREATE FAILED"


def test_throttled_sweep_crashes_nothing_and_the_hidden_failure_alerts_once(world: World) -> None:
    project, _ = _project_with_train(world, "throttled")
    world.emulator.advance(DONE)
    world.sweep()  # baseline
    pipeline.put_object(pipeline.IMAGE_BUCKET, "throttled/test.manifest", BROKEN_MANIFEST)
    test = pipeline.create_dataset(project, "TEST", "throttled/test.manifest")
    world.emulator.advance(DONE)
    # When 30% of calls are throttled and the client does not retry
    world.emulator.set_faults(throttle_rate=0.3)
    no_retries = {**world.env, "AWS_MAX_ATTEMPTS": "1"}
    throttled_sweeps = [run_statusmon("sweep", env=no_retries) for _ in range(4)]
    # Then every sweep exits 0 and says what it could not read
    assert [r.code for r in throttled_sweeps] == [0, 0, 0, 0]
    assert any("throttled" in r.err for r in throttled_sweeps)
    assert all("Traceback" not in r.err for r in throttled_sweeps)
    # When the throttling stops
    world.emulator.clear_faults()
    world.sweep()
    world.sweep()
    # Then the failure is alerted exactly once in all
    assert [a["resource_arn"] for a in world.alerts()] == [test]


def test_default_retries_absorb_thirty_percent_throttling(world: World) -> None:
    dataset = pipeline.create_interactions_dataset("retry")
    world.emulator.advance(DONE)
    world.sweep()
    job = pipeline.import_job("fails", dataset, f"s3://{pipeline.DATA_BUCKET}/absent.csv")
    world.emulator.advance(DONE)
    world.emulator.set_faults(throttle_rate=0.3)
    summaries = [json.loads(world.sweep("--json").out)["sweeps"] for _ in range(3)]
    assert sum(s["throttles"] for sweep in summaries for s in sweep) > 0
    assert [a["resource_arn"] for a in world.alerts()] == [job]


def test_a_deleted_project_alerts_nothing(world: World) -> None:
    project, train = _project_with_train(world, "deleted")
    pipeline.put_object(pipeline.IMAGE_BUCKET, "deleted/test.manifest", BROKEN_MANIFEST)
    test = pipeline.create_dataset(project, "TEST", "deleted/test.manifest")
    world.emulator.advance(DONE)
    world.sweep()
    pipeline.delete_project(project)
    world.emulator.advance(DONE)
    world.sweep()
    world.sweep()
    assert world.alerts() == []
    states = _status(world)
    assert states[train]["status"] == states[test]["status"] == "DELETED"


def test_history_lists_a_datasets_statuses_oldest_first(world: World) -> None:
    _, train = _project_with_train(world, "history")
    world.sweep()
    world.emulator.advance(DONE)
    world.sweep()
    pipeline.update_entries(train, pipeline.jsonl([pipeline.manifest_line("h/1.jpg")]))
    world.sweep()
    world.emulator.advance(DONE)
    world.sweep()
    result = run_statusmon("history", train, "--json", env=world.env)
    assert [h["status"] for h in json.loads(result.out)] == [
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ]


def test_an_alert_that_could_not_be_published_is_published_by_the_next_sweep(world: World) -> None:
    dataset = pipeline.create_interactions_dataset("sns-down")
    world.emulator.advance(DONE)
    world.sweep()  # baseline
    job = pipeline.import_job("while-sns-down", dataset, f"s3://{pipeline.DATA_BUCKET}/nothing-here.csv")
    world.emulator.advance(DONE)
    # When the sweep records the failure but cannot publish (the topic is wrong)
    broken = {**world.env, "STATUSMON_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:no-such-topic"}
    failed = run_statusmon("sweep", env=broken)
    assert failed.code == 1
    assert "1 alert not delivered" in failed.err
    # Then the next sweep, with SNS working, publishes it, once
    world.sweep()
    world.sweep()
    assert [a["resource_arn"] for a in world.alerts()] == [job]


def test_the_hot_watch_alerts_a_failure_in_flight_once_and_the_full_sweep_not_again(world: World) -> None:
    # Given a baseline, and a TEST dataset from a broken manifest that a sweep saw in flight
    project, _ = _project_with_train(world, "hot")
    world.emulator.advance(DONE)
    world.sweep()
    pipeline.put_object(pipeline.IMAGE_BUCKET, "hot/test.manifest", BROKEN_MANIFEST)
    test = pipeline.create_dataset(project, "TEST", "hot/test.manifest")
    world.sweep()
    # When it fails and the hot watch runs (what the deployed one-minute schedule does)
    world.emulator.advance(DONE)
    hot = world.sweep("--hot")
    # Then it describes the one resource in flight and alerts the failure, with the operation
    assert "hot watch: 1 resource in flight, 1 Describe call, 1 change" in hot.err
    [alert] = world.alerts()
    assert (alert["resource_arn"], alert["status"], alert["operation"]) == (
        test,
        "CREATE_FAILED",
        "CreateDataset",
    )
    # And the full sweep after it, and the next hot run, send nothing more
    world.sweep()
    assert "hot watch: 0 resources in flight" in world.sweep("--hot").err
    assert world.alerts() == []


def test_the_hot_watch_covers_every_service(world: World) -> None:
    result = run_statusmon("sweep", "--hot", "--service", "personalize", env=world.env)
    # (a usage error: exit 2)
    assert (result.code, result.err.strip()) == (
        2,
        "statusmon: error: --hot describes whatever is in flight, of every service: drop --service",
    )
