"""The outbox end to end: recorded alerts reach SNS once, through the stream or a redrive, whatever fails."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from statusmon.adapters import sns
from statusmon.adapters.errors import AwsError
from statusmon.adapters.store import StatusStore
from statusmon.domain.model import OutboxMessage
from statusmon.handlers import notify, redrive
from statusmon.logic.alerts import SNS_CHANNEL, outbox_message
from statusmon.logic.changes import detect_changes
from statusmon.logic.deliver import FAILED, LEASE_SECONDS, SENT, SKIPPED, deliver, deliver_pending
from statusmon.logic.policy import AlertPolicy, decide
from statusmon.logic.run import publishers, run_redrive
from statusmon.settings import get_settings
from tests.contract import ALERT_ADDED_FIELDS, ALERT_FIELDS
from tests.integration.conftest import Subscriber, subscribe
from tests.integration.streams import stream_event
from tests.unit.factories import DATASET_ARN, JOB_ARN, NOW, dataset, job


def _configure(monkeypatch: pytest.MonkeyPatch, store: StatusStore, topic_arn: str) -> None:
    monkeypatch.setenv("STATUSMON_TABLE_NAME", store.table_name)
    monkeypatch.setenv("STATUSMON_TOPIC_ARN", topic_arn)
    get_settings.cache_clear()


def _record(store: StatusStore, *observations, baseline: bool = False) -> int:
    """Record transitions as a sweep does (with the alert the policy wants); returns alerts queued."""
    known = store.load_service(observations[0].service)
    queued = 0
    for change in detect_changes(observations, known, now=NOW, complete_listing=False, baseline=baseline):
        alert = decide(change, AlertPolicy())
        outbox = [outbox_message(alert)] if alert else []
        assert store.record(change, retention_days=30, outbox=outbox)
        queued += len(outbox)
    return queued


def test_a_recorded_failure_reaches_the_subscriber_once_as_json(
    store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    # Given the notifier configured with the table and topic, and a dataset failure recorded
    _configure(monkeypatch, store, subscriber.topic_arn)
    assert _record(store, dataset("CREATE_FAILED", reason="Manifest file not found.")) == 1
    event = stream_event(store.table_name)
    # When the stream batch is handled
    response = notify.handler(event, lambda_context)
    # Then nothing failed, the queue got exactly one JSON alert with the contract's fields
    assert response == {"batchItemFailures": []}
    [message] = subscriber.receive_all()
    assert set(message["body"]) == ALERT_FIELDS | ALERT_ADDED_FIELDS
    assert message["body"]["schema"] == "statusmon.alert/v1"
    assert message["body"]["resource_arn"] == DATASET_ARN
    assert message["body"]["status"] == "CREATE_FAILED"
    assert message["body"]["reason"] == "Manifest file not found."
    assert message["body"]["severity"] == "error"
    assert message["body"]["transition_id"] == f"{DATASET_ARN}#1"
    assert message["attributes"] == {
        "service": "rekognition",
        "status": "CREATE_FAILED",
        "severity": "error",
        "resource_type": "dataset",
    }
    # And it is no longer pending: a redrive or a repeated batch sends nothing more
    assert store.pending(SNS_CHANNEL) == []
    assert run_redrive(get_settings()).deliveries == []
    assert notify.handler(event, lambda_context) == {"batchItemFailures": []}
    assert subscriber.receive_all() == []


def test_baseline_and_in_flight_transitions_queue_nothing(store: StatusStore) -> None:
    assert _record(store, job("CREATE FAILED", reason="old failure"), baseline=True) == 0
    assert _record(store, dataset("CREATE_IN_PROGRESS")) == 0
    assert store.pending(SNS_CHANNEL) == []
    assert stream_event(store.table_name) == {"Records": []}


def test_an_sns_outage_fails_the_record_and_the_alert_waits_in_the_outbox(
    store: StatusStore, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    # Given a topic that does not exist yet, so publishing fails, and two failures recorded
    topic_name = f"late-{uuid.uuid4().hex[:8]}"
    topic_arn = f"arn:aws:sns:us-east-1:123456789012:{topic_name}"
    _configure(monkeypatch, store, topic_arn)
    _record(store, dataset("CREATE_FAILED", reason="bad manifest"))
    _record(store, job("CREATE FAILED", reason="Input CSV is missing column TIMESTAMP"))
    event = stream_event(store.table_name)
    # When the stream batch is handled, and again (every retry of the event source mapping)
    with pytest.raises(BatchProcessingError):
        notify.handler(event, lambda_context)
    with pytest.raises(BatchProcessingError):
        notify.handler(event, lambda_context)
    # Then both alerts are still pending, with what went wrong
    assert sorted(m.transition_id for m in store.pending(SNS_CHANNEL)) == [f"{JOB_ARN}#1", f"{DATASET_ARN}#1"]
    # When SNS works again, long after the stream gave up (its records went to the DLQ)
    boto3.client("sns").create_topic(Name=topic_name)
    subscriber = subscribe(topic_arn)
    report = run_redrive(get_settings())
    # Then the scheduled redrive delivers each exactly once, and a late stream retry adds nothing
    assert [d.outcome for d in report.deliveries] == [SENT, SENT]
    assert notify.handler(event, lambda_context) == {"batchItemFailures": []}
    bodies = [m["body"] for m in subscriber.receive_all()]
    assert sorted(b["resource_arn"] for b in bodies) == sorted([DATASET_ARN, JOB_ARN])


def test_a_partly_failed_batch_reports_only_the_failed_record(
    store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    # Given two recorded failures, and SNS refusing the import job's alert only
    _configure(monkeypatch, store, subscriber.topic_arn)
    _record(store, dataset("CREATE_FAILED", reason="bad"))
    _record(store, job("CREATE FAILED", reason="x"))
    real_publish = sns.publish

    def refuse_jobs(message, topic_arn, **kwargs):
        if message.transition_id.startswith(JOB_ARN):
            raise AwsError(f"publishing to {topic_arn} failed: InternalError")
        return real_publish(message, topic_arn, **kwargs)

    monkeypatch.setattr(sns, "publish", refuse_jobs)
    event = stream_event(store.table_name)
    # When the batch is handled
    response = notify.handler(event, lambda_context)
    # Then only the job's record is retried, and only its alert is still pending
    job_record = event["Records"][1]["dynamodb"]["SequenceNumber"]
    assert response == {"batchItemFailures": [{"itemIdentifier": job_record}]}
    assert [m["body"]["resource_arn"] for m in subscriber.receive_all()] == [DATASET_ARN]
    assert [m.transition_id for m in store.pending(SNS_CHANNEL)] == [f"{JOB_ARN}#1"]


def test_a_message_another_deliverer_holds_is_skipped_without_failing_the_batch(
    store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    _configure(monkeypatch, store, subscriber.topic_arn)
    _record(store, job("CREATE FAILED", reason="x"))
    [held] = store.pending(SNS_CHANNEL)
    assert store.claim(held, owner="redrive", now=time.time(), lease_seconds=120)
    assert notify.handler(stream_event(store.table_name), lambda_context) == {"batchItemFailures": []}
    assert subscriber.receive_all() == []
    assert store.pending(SNS_CHANNEL) == [held]


def test_a_claim_keeps_other_deliverers_off_until_its_lease_ends(store: StatusStore) -> None:
    _record(store, dataset("UPDATE_FAILED", reason="x"))
    [message] = store.pending(SNS_CHANNEL)
    now = NOW.timestamp()
    sent: list[str] = []
    # Given a deliverer that claimed the message and died before publishing
    assert store.claim(message, owner="dead", now=now, lease_seconds=120)
    # When another tries within the lease, and after it
    during = deliver(message, store, lambda m: sent.append("x") or "id-1", owner="b", now=now + 60)
    after = deliver(message, store, lambda m: sent.append("x") or "id-2", owner="b", now=now + 121)
    # Then only the second publishes, and it is confirmed
    assert (during.outcome, after.outcome) == (SKIPPED, SENT)
    assert sent == ["x"]
    assert after.confirmed
    assert store.pending(SNS_CHANNEL) == []
    # And the dead deliverer's confirm, had it come back, would not remove anything of the next one's
    assert not store.confirm(message, owner="dead")


def test_a_publish_that_fails_is_released_for_the_next_try_at_once(store: StatusStore) -> None:
    _record(store, dataset("UPDATE_FAILED", reason="x"))

    def down(message):
        raise AwsError("publishing to topic failed: InternalError")

    first = deliver_pending(store, {SNS_CHANNEL: down}, clock=NOW.timestamp)
    assert [d.outcome for d in first.deliveries] == [FAILED]
    second = deliver_pending(store, {SNS_CHANNEL: lambda m: "ok-id"}, clock=lambda: NOW.timestamp() + 1)
    assert [(d.outcome, d.message_id) for d in second.deliveries] == [(SENT, "ok-id")]


def test_a_pending_alert_has_no_expiry_and_is_delivered_after_days(
    store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an alert recorded during an outage
    _configure(monkeypatch, store, subscriber.topic_arn)
    _record(store, job("CREATE FAILED", reason="no access to s3://bucket"))
    item = boto3.client("dynamodb").query(
        TableName=store.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "OUTBOX"}},
    )["Items"][0]
    # Then nothing in the table will expire it (no TTL attribute)
    assert "expires_at" not in item
    # When a redrive runs three days later
    later = (NOW + timedelta(days=3)).timestamp()
    report = deliver_pending(store, publishers(get_settings()), clock=lambda: later)
    # Then it is delivered
    assert [d.outcome for d in report.deliveries] == [SENT]
    [message] = subscriber.receive_all()
    assert message["body"]["reason"] == "no access to s3://bucket"


def test_the_redrive_lambda_delivers_what_is_pending(
    store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    _configure(monkeypatch, store, subscriber.topic_arn)
    _record(store, dataset("CREATE_FAILED", reason="bad"), job("CREATE FAILED", reason="worse"))
    scheduled = json.loads((Path(__file__).parents[1] / "events" / "scheduled.json").read_text())
    summary = redrive.handler(scheduled, lambda_context)
    assert summary["sent"] == 2
    assert summary["failed"] == 0
    assert len(subscriber.receive_all()) == 2
    assert redrive.handler(scheduled, lambda_context)["sent"] == 0


def test_a_subscriber_without_raw_delivery_gets_the_envelope_with_subject_and_json(
    store: StatusStore, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    # Given a plain (non-raw) SQS subscription, the SNS envelope carries the default JSON message
    topic_arn = boto3.client("sns").create_topic(Name=f"env-{uuid.uuid4().hex[:8]}")["TopicArn"]
    subscriber = subscribe(topic_arn, raw=False)
    _configure(monkeypatch, store, topic_arn)
    _record(store, dataset("UPDATE_FAILED", reason="x"))
    notify.handler(stream_event(store.table_name), lambda_context)
    [message] = subscriber.receive_all()
    envelope = message["body"]
    assert envelope["Subject"].startswith("[statusmon] ERROR")
    assert '"schema": "statusmon.alert/v1"' in envelope["Message"]


def test_a_claim_repeated_by_its_own_deliverer_still_holds(store: StatusStore) -> None:
    # Given a claim that took effect but whose answer was lost, so botocore (or the caller) repeats it
    _record(store, job("CREATE FAILED", reason="x"))
    [message] = store.pending(SNS_CHANNEL)
    now = NOW.timestamp()
    assert store.claim(message, owner="me", now=now, lease_seconds=120)
    # When the same deliverer claims again within its lease, and another one tries
    again = store.claim(message, owner="me", now=now + 1, lease_seconds=120)
    other = store.claim(message, owner="other", now=now + 2, lease_seconds=120)
    # Then the repeat succeeds and the other is still kept off
    assert again
    assert not other


def test_moto_server_dates_its_answers_and_the_store_reads_the_tables_time(store: StatusStore) -> None:
    # Given DynamoDB on moto server, which answers with an HTTP Date header
    answer = boto3.client("dynamodb").describe_table(TableName=store.table_name)
    assert answer["ResponseMetadata"]["HTTPHeaders"]["date"].endswith(" GMT")
    # When the store is asked for the service's time
    before = time.time()
    moment = store.service_time()
    # Then it is the server's clock (the same machine here), to the header's second
    assert before - 1.5 <= moment <= time.time() + 0.5


def _skewed_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """This test's thread (the deliverer) reads a wall clock ``seconds`` off; moto server's threads,
    which date its answers, keep the true one."""
    real = time.time
    deliverer = threading.current_thread()
    monkeypatch.setattr(
        time, "time", lambda: real() + seconds if threading.current_thread() is deliverer else real()
    )


def test_a_redrive_on_a_clock_two_minutes_ahead_leaves_a_lambdas_lease_alone(
    store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, store, subscriber.topic_arn)
    _record(store, job("CREATE FAILED", reason="x"))
    [message] = store.pending(SNS_CHANNEL)
    # Given a Lambda that claimed the message on the table's clock and is publishing it
    assert store.claim(message, owner="lambda", now=store.service_time(), lease_seconds=120)
    # When `statusmon redrive` runs on a laptop whose clock is two and a half minutes ahead
    _skewed_clock(monkeypatch, 150)
    report = run_redrive(get_settings())
    # Then it leaves the message to the Lambda: nothing published, still pending
    assert [d.outcome for d in report.deliveries] == [SKIPPED]
    assert subscriber.receive_all() == []
    assert store.pending(SNS_CHANNEL) == [message]
    # And measured by that laptop's own clock, the lease would have looked over (what this prevents)
    stolen = deliver_pending(store, publishers(get_settings()), clock=time.time)
    assert [d.outcome for d in stolen.deliveries] == [SENT]


def test_a_deliverer_on_a_clock_behind_still_takes_a_full_lease(
    store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, store, subscriber.topic_arn)
    _record(store, job("CREATE FAILED", reason="x"))
    dynamodb = boto3.client("dynamodb")
    true_time = time.time
    leases: list[float] = []

    def publish(message: OutboxMessage) -> str:
        item = dynamodb.get_item(
            TableName=store.table_name, Key={"pk": {"S": "OUTBOX"}, "sk": {"S": message.key}}
        )["Item"]
        leases.append(float(item["lease_until"]["N"]))
        return "id-1"

    # Given a deliverer whose clock is two and a half minutes behind
    _skewed_clock(monkeypatch, -150)
    # When it delivers, its lease (read while it publishes) is measured on the table's clock
    report = deliver_pending(store, {SNS_CHANNEL: publish})
    # Then the lease runs its full two minutes from now, not from the deliverer's past
    assert [d.outcome for d in report.deliveries] == [SENT]
    [lease] = leases
    assert true_time() + LEASE_SECONDS - 5 <= lease <= true_time() + LEASE_SECONDS + 1
