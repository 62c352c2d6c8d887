"""Alerts people can trust: a bad answer costs one read, not the run; an alert that could not be
published is still delivered, once, by the next sweep or by ``statusmon redrive``; a status
statusmon does not know is recorded and surfaced once."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from statusmon.adapters import table_schema
from statusmon_local import pipeline
from tests.e2e.conftest import Result, World, run_statusmon

BROKEN_MANIFEST = b"this is not json\n{also not\n"
DONE = 3600  # longer than every emulated lifecycle
ACCOUNT = "123456789012"  # moto's


def _status(world: World) -> dict[str, dict[str, Any]]:
    result = run_statusmon("status", "--json", env=world.env)
    assert result.code == 0, result.err
    return {row["resource_arn"]: row for row in json.loads(result.out)}


def _warnings(result: Result) -> list[str]:
    return [line for line in result.err.splitlines() if line.startswith("warning: ")]


def _sweep_error(result: Result) -> str:
    """A sweep or redrive that ran but could not deliver: exit 1, its last line the one error."""
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert [line for line in lines if line.startswith("statusmon: error: ")] == [lines[-1]]
    return lines[-1]


def _project(name: str, *, failed_test: bool = False) -> tuple[pipeline.Project, list[str]]:
    """A Custom Labels project with a TRAIN dataset, and a TEST dataset that fails to create."""
    pipeline.put_object(pipeline.IMAGE_BUCKET, f"{name}/train.manifest", pipeline.good_manifest(30))
    project = pipeline.create_project(name)
    datasets = [pipeline.create_dataset(project, "TRAIN", f"{name}/train.manifest")]
    if failed_test:
        pipeline.put_object(pipeline.IMAGE_BUCKET, f"{name}/test.manifest", BROKEN_MANIFEST)
        datasets.append(pipeline.create_dataset(project, "TEST", f"{name}/test.manifest"))
    return project, datasets


def _failed_job_after_baseline(world: World, name: str) -> str:
    """A baseline sweep, then an import job that fails (its data is not there)."""
    dataset = pipeline.create_interactions_dataset(name)
    world.emulator.advance(DONE)
    world.sweep()
    job = pipeline.import_job(f"{name}-job", dataset, f"s3://{pipeline.DATA_BUCKET}/{name}/absent.csv")
    world.emulator.advance(DONE)
    return job


def _topic_not_created_yet() -> str:
    return f"arn:aws:sns:us-east-1:{ACCOUNT}:later-{uuid.uuid4().hex[:8]}"


def _create_topic_with_queue(topic_arn: str) -> str:
    created = boto3.client("sns").create_topic(Name=topic_arn.rsplit(":", 1)[-1])["TopicArn"]
    assert created == topic_arn
    return pipeline.subscribe_queue(topic_arn)


def _alerts(queue_url: str) -> list[dict[str, Any]]:
    return [message["body"] for message in pipeline.drain_queue(queue_url)]


# --- a malformed answer is one read problem --------------------------------------------------------

DESCRIBE_KINDS = ["bad-timestamp", "wrong-type", "item-missing-key", "empty-object"]
LISTING_KINDS = ["empty", "html", "null-list", "item-missing-key"]


@pytest.mark.parametrize("kind", DESCRIBE_KINDS)
def test_a_malformed_describe_costs_one_read_not_the_run(world: World, kind: str) -> None:
    # Given a baseline of a project and a Personalize dataset
    project, _ = _project(f"describe-{kind}")
    job = _failed_job_after_baseline(world, f"shop-{kind}")
    # And, in the same run, a new TEST dataset that failed as well as the failed import job
    pipeline.put_object(pipeline.IMAGE_BUCKET, f"describe-{kind}/test.manifest", BROKEN_MANIFEST)
    test = pipeline.create_dataset(project, "TEST", f"describe-{kind}/test.manifest")
    world.emulator.advance(DONE)
    # When every DescribeDataset answer is a malformed 200
    world.emulator.set_faults(operation="rekognition:DescribeDataset", malformed_rate=1.0, malformed=[kind])
    result = run_statusmon("sweep", env=world.env)
    # Then the sweep says what it could not read, and carries on
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert any(line.startswith("warning: DescribeDataset") for line in _warnings(result)), result.err
    # And the Personalize failure of the same run is delivered, once
    assert [a["resource_arn"] for a in world.alerts()] == [job]
    # When the answers are whole again, the next sweep catches up on the dataset, once
    world.emulator.clear_faults()
    world.sweep()
    world.sweep()
    [alert] = world.alerts()
    assert (alert["resource_arn"], alert["status"]) == (test, "CREATE_FAILED")


@pytest.mark.parametrize("kind", LISTING_KINDS)
def test_a_malformed_listing_deletes_nothing_and_alerts_nothing(world: World, kind: str) -> None:
    # Given a baseline of two projects, the first (listed first) with a failed TEST dataset
    _, first = _project(f"first-{kind}", failed_test=True)
    _, second = _project(f"second-{kind}")
    world.emulator.advance(DONE)
    world.sweep()
    before = _status(world)
    assert set(first + second) <= set(before)
    assert before[first[1]]["status"] == "CREATE_FAILED"
    # When every DescribeProjects answer is malformed, for two sweeps (what deletes a resource)
    world.emulator.set_faults(operation="rekognition:DescribeProjects", malformed_rate=1.0, malformed=[kind])
    for _ in range(2):
        result = run_statusmon("sweep", env=world.env)
        # Then each sweep exits 0 and says the listing could not be read
        assert result.code == 0, result.err
        assert "Traceback" not in result.err
        assert any(line.startswith("warning: DescribeProjects") for line in _warnings(result)), result.err
    # And nothing was deleted or changed, and nothing alerted
    after = _status(world)
    assert {arn: row["status"] for arn, row in after.items()} == {
        arn: row["status"] for arn, row in before.items()
    }
    assert "DELETED" not in {row["status"] for row in after.values()}
    assert world.alerts() == []
    # When the answers are whole again, nothing has happened: nothing is alerted
    world.emulator.clear_faults()
    world.sweep()
    assert world.alerts() == []
    assert {arn: row["status"] for arn, row in _status(world).items()} == {
        arn: row["status"] for arn, row in before.items()
    }


# --- an alert that could not be published stays pending --------------------------------------------


def test_redrive_delivers_what_a_sweep_could_not_publish(world: World) -> None:
    job = _failed_job_after_baseline(world, "redrive")
    # Given a sweep that records the failure while its topic does not exist yet
    topic = _topic_not_created_yet()
    env = {**world.env, "STATUSMON_TOPIC_ARN": topic}
    failed = run_statusmon("sweep", env=env)
    # Then it exits 1 with one line saying the alert is not delivered yet and stays pending
    line = _sweep_error(failed)
    assert "1 alert not delivered yet" in line
    assert "pending" in line
    # And a redrive while the topic is still missing sends nothing and keeps it pending
    assert "1 alert still pending" in _sweep_error(run_statusmon("redrive", env=env))
    # When the topic is created and subscribed, and the user runs redrive
    queue = _create_topic_with_queue(topic)
    redrive = run_statusmon("redrive", env=env)
    # Then the alert is delivered, once, to that topic only
    assert redrive.code == 0, redrive.err
    assert "1 alert and 0 state-change events sent" in redrive.err
    [alert] = _alerts(queue)
    assert (alert["resource_arn"], alert["status"]) == (job, "CREATE FAILED")
    assert world.alerts() == []
    # And another redrive has nothing left to send
    again = run_statusmon("redrive", env=env)
    assert again.code == 0, again.err
    assert "nothing pending" in again.err
    as_json = run_statusmon("redrive", "--json", env=env)
    assert as_json.code == 0, as_json.err
    assert json.loads(as_json.out)["sent"] == 0
    assert json.loads(as_json.out)["failed"] == 0
    assert _alerts(queue) == []


@pytest.fixture
def streamless_world(world: World) -> Iterator[World]:
    """The world on a statusmon table that has no stream at all.

    Turning the stream off with UpdateTable would say the same, but moto cannot: after
    ``update_table(StreamSpecification={"StreamEnabled": False})`` every write to the table is
    applied and then answered HTTP 500 (``KeyError: 'StreamViewType'`` in moto's stream shard).
    """
    name = f"no-stream-{uuid.uuid4().hex[:8]}"
    spec = table_schema.TABLE.create_table_kwargs(name)
    del spec["StreamSpecification"]
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(**spec)
    assert not dynamodb.describe_table(TableName=name)["Table"].get("StreamSpecification")
    yield replace(world, env={**world.env, "STATUSMON_TABLE_NAME": name})
    dynamodb.delete_table(TableName=name)


def test_a_pending_alert_is_delivered_without_the_table_stream(streamless_world: World) -> None:
    world = streamless_world
    job = _failed_job_after_baseline(world, "no-stream")
    # Given a failure recorded by a sweep that could not publish (its topic does not exist yet)
    topic = _topic_not_created_yet()
    env = {**world.env, "STATUSMON_TOPIC_ARN": topic}
    assert "not delivered yet" in _sweep_error(run_statusmon("sweep", env=env))
    # When the topic exists and a sweep runs (it finds nothing new to record)
    queue = _create_topic_with_queue(topic)
    result = run_statusmon("sweep", env=env)
    # Then the recorded alert is delivered, once, with no stream to read it from
    assert result.code == 0, result.err
    assert "1 alert and 0 state-change events sent" in result.err
    [alert] = _alerts(queue)
    assert (alert["resource_arn"], alert["status"]) == (job, "CREATE FAILED")
    assert run_statusmon("sweep", env=env).code == 0
    assert _alerts(queue) == []


# --- a status statusmon does not know ---------------------------------------------------------------

KNOWN, NEW = "CREATE PENDING", "CREATE QUEUED"


def _rewrite_status(document: Any, old: str, new: str) -> Any:
    if isinstance(document, dict):
        return {
            key: new if key == "status" and value == old else _rewrite_status(value, old, new)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [_rewrite_status(item, old, new) for item in document]
    return document


@contextmanager
def _service_that_says(upstream: str, old: str, new: str) -> Iterator[str]:
    """A proxy in front of the emulator whose answers spell status ``old`` as ``new``: a service
    that added a status. Nothing in statusmon or the emulator is changed for it."""

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            skip = {"host", "content-length", "connection"}
            request = urllib.request.Request(
                upstream + self.path,
                data=body,
                method="POST",
                headers={k: v for k, v in self.headers.items() if k.lower() not in skip},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    code, headers, payload = answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as error:
                code, headers, payload = error.code, error.headers, error.read()
            if code == 200 and payload:
                payload = json.dumps(_rewrite_status(json.loads(payload), old, new)).encode()
            self.send_response(code)
            for key, value in headers.items():
                if key.lower() not in {"content-length", "connection", "transfer-encoding", "server", "date"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _seed_job(world: World, group: str, **job: Any) -> str:
    [seeded] = world.emulator.seed(
        personalize={"dataset_groups": [{"name": group, "datasets": [{"import_jobs": [job]}]}]}
    )["personalize"]
    [arn] = seeded["datasets"]["Interactions"]["import_jobs"]
    return str(arn)


def test_a_status_the_service_adds_is_recorded_and_surfaced_once(world: World) -> None:
    with _service_that_says(world.emulator.url, KNOWN, NEW) as personalize:
        env = {**world.env, "AWS_ENDPOINT_URL_PERSONALIZE": personalize}
        # Given a baseline
        world.emulator.advance(DONE)
        assert run_statusmon("sweep", env=env).code == 0
        # When a job shows up in a status statusmon has never heard of (it fails a minute later)
        world.emulator.advance(DONE)
        first = _seed_job(
            world,
            "new-status-1",
            name="first",
            status=KNOWN,
            next={"after": 60, "status": "CREATE FAILED", "failure_reason": "Input path does not exist."},
        )
        result = run_statusmon("sweep", env=env)
        # Then it is recorded as the service gave it, and the sweep says it is not in the vocabulary
        assert result.code == 0, result.err
        assert f"warning: status {NEW!r} is not in statusmon's vocabulary (recorded as given)" in (
            _warnings(result)
        )
        assert _status(world)[first]["status"] == NEW
        # And it is alerted once, as a warning that says what statusmon does not know
        [alert] = world.alerts()
        assert (alert["resource_arn"], alert["status"], alert["severity"]) == (first, NEW, "warning")
        assert alert["hint"].startswith(f"statusmon does not know status {NEW!r}")
        # When another job meets the same status, and sweeps go on
        second = _seed_job(world, "new-status-2", name="second", status=KNOWN)
        assert run_statusmon("sweep", env=env).code == 0
        assert run_statusmon("sweep", env=env).code == 0
        # Then it is recorded too, and not alerted again
        assert _status(world)[second]["status"] == NEW
        assert world.alerts() == []
        # When the first job then fails, the failure is alerted as usual
        world.emulator.advance(60)
        assert run_statusmon("sweep", env=env).code == 0
        [failure] = world.alerts()
        assert (failure["resource_arn"], failure["previous_status"], failure["status"]) == (
            first,
            NEW,
            "CREATE FAILED",
        )
        assert failure["severity"] == "error"
