"""`statusmon wait` as a CI job runs it: blocked until the resource settles, told by its exit code."""

from __future__ import annotations

import json
import re
import subprocess

from statusmon_local import pipeline
from tests.e2e.conftest import Result, World, one_line_error, run_statusmon, start_statusmon

DONE = 3600  # longer than every emulated lifecycle
BROKEN_MANIFEST = b"this is not json\n{also not\n"
# These tests play the deployed monitor themselves (world.sweep()): the wait must not sweep too, as
# it does by default against a local endpoint (test_cli_traps.py covers that).
FAST = ("--interval", "0.2", "--timeout", "60", "--no-sweep")


def _started(process: subprocess.Popen[str]) -> subprocess.Popen[str]:
    """Once the wait has read the resource's first state (its first line on stderr)."""
    assert process.stderr is not None
    first = process.stderr.readline()
    assert first.startswith("waiting for "), first
    return process


def _finished(process: subprocess.Popen[str]) -> Result:
    out, err = process.communicate(timeout=60)
    return Result(process.returncode, out, err)


def _dataset(world: World, project_name: str, manifest: bytes) -> str:
    key = f"{project_name}/train.manifest"
    pipeline.put_object(pipeline.IMAGE_BUCKET, key, manifest)
    return pipeline.create_dataset(pipeline.create_project(project_name), "TRAIN", key)


def test_wait_returns_0_when_the_dataset_completes(world: World) -> None:
    # Given a dataset the monitor has seen in progress
    _dataset(world, "waits", pipeline.good_manifest(10))
    world.sweep()
    # When a CI job waits for it by its short id, and the monitor then records it complete
    env = {**world.env, "TZ": "Asia/Tokyo"}
    waiting = _started(start_statusmon("wait", "waits/train", *FAST, env=env))
    world.emulator.advance(DONE)
    world.sweep()
    result = _finished(waiting)
    # Then the wait shows the state it started from (local time, its age on the emulated clock) and the
    # transition, and exits 0
    assert result.code == 0, result.err
    first, change = result.out.splitlines()
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d JST \(.+\)  waits/train  CREATE_IN_PROGRESS", first)
    assert "waits/train  CREATE_IN_PROGRESS → CREATE_COMPLETE" in change
    assert result.err.strip().endswith("done: waits/train is CREATE_COMPLETE")


def test_wait_returns_1_with_the_reason_when_the_job_fails(world: World) -> None:
    # Given an import job of a file without its TIMESTAMP column, seen in progress
    dataset = pipeline.create_interactions_dataset("ci")
    world.emulator.advance(DONE)
    world.sweep()
    csv = pipeline.interactions_csv(with_timestamp=False)
    job = pipeline.import_job(
        "nightly", dataset, pipeline.put_object(pipeline.DATA_BUCKET, "nightly.csv", csv)
    )
    world.sweep()
    # When a script waits for it with JSON output, and the job fails
    waiting = _started(start_statusmon("wait", "ci/nightly", "--output", "json", *FAST, env=world.env))
    world.emulator.advance(DONE)
    world.sweep()
    result = _finished(waiting)
    # Then it exits 1, says why on stderr, and its last JSON line is the outcome with the reason
    assert result.code == 1, result.err
    assert "statusmon: failed: ci/nightly failed (CREATE FAILED): " in result.err
    assert "TIMESTAMP" in result.err
    *events, outcome = [json.loads(line) for line in result.out.splitlines()]
    assert [e["event"] for e in events] == ["state", "transition"]
    assert (outcome["outcome"], outcome["resource_arn"], outcome["status"]) == (
        "failed",
        job,
        "CREATE FAILED",
    )
    assert "TIMESTAMP" in outcome["reason"]


def test_wait_returns_2_on_timeout_with_a_line_that_says_so(world: World) -> None:
    # Given a dataset that stays in progress
    _dataset(world, "slow", pipeline.good_manifest(10))
    world.sweep()
    # When the wait's timeout passes first
    result = run_statusmon("wait", "slow/train", "--interval", "0.2", "--timeout", "1s", env=world.env)
    # Then it exits 2, its last line telling a timeout from a wrong command line
    assert result.code == 2
    assert result.err.strip().splitlines()[-1] == (
        "statusmon: timeout: slow/train is still CREATE_IN_PROGRESS after 1 s (--timeout)"
    )


def test_direct_wait_needs_no_table_and_follows_the_service(world: World) -> None:
    # Given a dataset that fails, and no monitor: no table configured at all
    arn = _dataset(world, "direct", BROKEN_MANIFEST)
    env = {k: v for k, v in world.env.items() if not k.startswith("STATUSMON_")}
    # When the wait asks the service itself, by the dataset's ARN, as it fails
    waiting = _started(start_statusmon("wait", arn, "--direct", "--output", "text", *FAST, env=env))
    world.emulator.advance(DONE)
    result = _finished(waiting)
    # Then it saw the failure (state, transition, outcome records) and exits 1 with the reason
    assert result.code == 1, result.err
    records = [line.split("\t") for line in result.out.splitlines()]
    assert [r[0] for r in records] == ["state", "transition", "failed"]
    assert records[1][3:5] == ["CREATE_IN_PROGRESS", "CREATE_FAILED"]
    assert records[1][5] != "-"  # the service's reason
    assert "statusmon: failed: direct/train failed (CREATE_FAILED)" in result.err


def test_direct_wait_refuses_a_short_id_in_one_line(world: World) -> None:
    result = run_statusmon("wait", "direct/train", "--direct", env=world.env)
    assert result.code == 2
    assert "give the resource's ARN" in one_line_error(result)
