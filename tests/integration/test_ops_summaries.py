"""The failure summariser and the redrive's recovery check, called as Lambda calls them, with Lambda's
failure records (tests/events/lambda), a real table and topic on moto server, and an SQS subscriber."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from statusmon.adapters.episodes import EpisodeStore
from statusmon.adapters.store import StatusStore
from statusmon.handlers import ops, redrive
from statusmon.settings import get_settings
from tests.integration.conftest import Subscriber, subscribe

EVENTS = Path(__file__).resolve().parents[1] / "events"
SCHEDULED = json.loads((EVENTS / "scheduled.json").read_text())
WATCH = "statusmon-HotWatchSweepFunction6B1C2D3E-Ab12Cd34Ef56"
POLL = "statusmon-PollRekognitionSweepFunction12AB34CD-Zz99Yy88Xx77"


def failure_record(name: str, *, at: datetime, request_id: str | None = None) -> dict[str, Any]:
    """One of Lambda's documented failure records, at ``at``, with its own request id."""
    event = dict(json.loads((EVENTS / "lambda" / name).read_text()))
    event["timestamp"] = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event["requestContext"] = {**event["requestContext"], "requestId": request_id or str(uuid.uuid4())}
    return event


@pytest.fixture
def ops_topic(store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch) -> Subscriber:
    """The stack's environment for the summariser and the redrive: the table, the alert topic (also the
    ops topic, as by default), two quiet schedule periods of five minutes."""
    monkeypatch.setenv("STATUSMON_TABLE_NAME", store.table_name)
    monkeypatch.setenv("STATUSMON_TOPIC_ARN", subscriber.topic_arn)
    monkeypatch.setenv("STATUSMON_OPS_TOPIC_ARN", subscriber.topic_arn)
    monkeypatch.setenv("STATUSMON_OPS_RECOVERY_MINUTES", "10")
    get_settings.cache_clear()
    return subscriber


def test_a_flood_of_failure_records_reaches_people_as_two_messages_and_a_recovery(
    ops_topic: Subscriber, store: StatusStore, lambda_context: Any
) -> None:
    now = datetime.now(UTC)
    # Given the watch failing once, twenty minutes ago, and a poller failing at each of 30 runs since
    ops.handler(failure_record("failure-handled-error.json", at=now - timedelta(minutes=20)), lambda_context)
    for minute in range(30, 0, -1):
        ops.handler(
            failure_record("failure-timeout.json", at=now - timedelta(seconds=minute)), lambda_context
        )
    # Then the subscriber got one message per function, at once: the first failure of each
    first = ops_topic.receive_all()
    documents = [m["body"] for m in first]
    assert sorted((d["function"], d["kind"], d["failures"]) for d in documents) == [
        (WATCH, "failing", 1),
        (POLL, "failing", 1),
    ]
    watch = next(d for d in documents if d["function"] == WATCH)
    assert watch["schema"] == "statusmon.ops/v1"
    assert watch["last_error"].startswith("AwsError: AccessDeniedException: reading the watch list")
    assert {d["severity"] for d in documents} == {"error"}
    assert [m["attributes"] for m in first] == [{"ops": "failing"}, {"ops": "failing"}]
    # And the poller's 29 later failures are counted, not sent
    poll = EpisodeStore(store.table_name).episode(POLL)
    assert poll is not None
    assert (poll.failures, poll.told_failures) == (30, 1)
    assert "Task timed out after 300.00 seconds" in poll.last_error
    # When the redrive runs on its schedule
    summary = redrive.handler(SCHEDULED, lambda_context)
    # Then the watch, quiet for two periods with nothing untold, is reported recovered, once; the poller,
    # failing a few seconds ago, is not
    assert summary["recoveries"] == 1
    [recovery] = [m["body"] for m in ops_topic.receive_all()]
    assert (recovery["function"], recovery["kind"], recovery["severity"]) == (WATCH, "recovered", "info")
    redrive.handler(SCHEDULED, lambda_context)
    assert ops_topic.receive_all() == []


def test_a_record_delivered_twice_is_counted_once(
    ops_topic: Subscriber, store: StatusStore, lambda_context: Any
) -> None:
    # Given the same failure record twice (Lambda's delivery is at least once)
    record = failure_record("failure-event-age.json", at=datetime.now(UTC), request_id="dup-1")
    ops.handler(record, lambda_context)
    ops.handler(record, lambda_context)
    # Then it is one failure, told once, saying the event was dropped unrun
    [message] = ops_topic.receive_all()
    assert message["body"]["failures"] == 1
    assert "maximum age" in message["body"]["last_error"]


def test_email_subscribers_get_text_with_a_subject(
    ops_topic: Subscriber, store: StatusStore, lambda_context: Any
) -> None:
    # Given a subscriber that receives SNS's envelope (what SNS sends every protocol but raw ones)
    envelope = subscribe(ops_topic.topic_arn, raw=False)
    # When a failure is summarised
    ops.handler(failure_record("failure-handled-error.json", at=datetime.now(UTC)), lambda_context)
    # Then the message carries its subject, and its default body is the JSON document
    [message] = envelope.receive_all()
    body = message["body"]
    assert body["Subject"] == f"[statusmon] OPS: {WATCH} is failing"
    assert json.loads(body["Message"])["kind"] == "failing"


def test_what_is_not_a_failure_record_is_dropped_with_a_reason(
    ops_topic: Subscriber, lambda_context: Any
) -> None:
    # Given an event that is no failure record (a success record)
    record = failure_record("failure-handled-error.json", at=datetime.now(UTC))
    record["requestContext"]["condition"] = "Success"
    # Then nothing is counted or sent, and the answer says why
    assert ops.handler(record, lambda_context) == {
        "counted": 0,
        "skipped": "not a failure record: condition 'Success'",
    }
    assert ops_topic.receive_all() == []
