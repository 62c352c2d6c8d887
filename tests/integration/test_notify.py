import uuid
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from statusmon.adapters.store import StatusStore
from statusmon.adapters.stream import StreamCursor
from statusmon.handlers import notify
from statusmon.logic.changes import detect_changes
from statusmon.logic.notify import notify_record
from statusmon.settings import get_settings
from tests.contract import ALERT_FIELDS
from tests.integration.conftest import Subscriber, subscribe
from tests.unit.factories import DATASET_ARN, JOB_ARN, NOW, dataset, job


def _configure(monkeypatch: pytest.MonkeyPatch, store: StatusStore, topic_arn: str) -> None:
    monkeypatch.setenv("STATUSMON_TABLE_NAME", store.table_name)
    monkeypatch.setenv("STATUSMON_TOPIC_ARN", topic_arn)
    get_settings.cache_clear()


def _write_and_capture(store: StatusStore, *observations, baseline: bool = False) -> dict[str, Any]:
    """Record transitions and return the Lambda stream event their history items produce."""
    cursor = StreamCursor(store.table_name)
    already = len(cursor.retained())
    known = store.load_service(observations[0].service)
    for change in detect_changes(observations, known, now=NOW, complete_listing=False, baseline=baseline):
        assert store.record(change, retention_days=30)
    return {"Records": cursor.retained()[already:]}


def test_a_written_failure_reaches_the_subscriber_once_as_json(
    store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    # Given the notifier configured with the table and topic, and a dataset failure written
    _configure(monkeypatch, store, subscriber.topic_arn)
    event = _write_and_capture(store, dataset("CREATE_FAILED", reason="Manifest file not found."))
    # When the stream batch is handled
    response = notify.handler(event, lambda_context)
    # Then nothing failed, and the queue got exactly one JSON alert with the contract's fields
    assert response == {"batchItemFailures": []}
    [message] = subscriber.receive_all()
    assert set(message["body"]) == ALERT_FIELDS
    assert message["body"]["schema"] == "statusmon.alert/v1"
    assert message["body"]["resource_arn"] == DATASET_ARN
    assert message["body"]["status"] == "CREATE_FAILED"
    assert message["body"]["reason"] == "Manifest file not found."
    assert message["body"]["severity"] == "error"
    assert message["attributes"] == {
        "service": "rekognition",
        "status": "CREATE_FAILED",
        "severity": "error",
        "resource_type": "dataset",
    }


def test_baseline_and_in_flight_transitions_alert_nothing(
    store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    _configure(monkeypatch, store, subscriber.topic_arn)
    baseline = _write_and_capture(store, job("CREATE FAILED", reason="old failure"), baseline=True)
    in_flight = _write_and_capture(store, dataset("CREATE_IN_PROGRESS"))
    assert len(baseline["Records"]) == len(in_flight["Records"]) == 1
    assert notify.handler(baseline, lambda_context) == {"batchItemFailures": []}
    assert notify.handler(in_flight, lambda_context) == {"batchItemFailures": []}
    assert subscriber.receive_all() == []


def test_sns_failure_is_a_batch_item_failure_and_the_retry_alerts_once(
    store: StatusStore, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    # Given a topic that does not exist yet, so publishing fails, and a batch of an in-flight
    # dataset (no alert) and a failed import job (an alert)
    topic_name = f"late-{uuid.uuid4().hex[:8]}"
    topic_arn = f"arn:aws:sns:us-east-1:123456789012:{topic_name}"
    _configure(monkeypatch, store, topic_arn)
    quiet = _write_and_capture(store, dataset("CREATE_IN_PROGRESS"))
    loud = _write_and_capture(store, job("CREATE FAILED", reason="Input CSV is missing column TIMESTAMP"))
    event = {"Records": quiet["Records"] + loud["Records"]}
    # When the batch is handled
    failed = notify.handler(event, lambda_context)
    # Then only the alert's record is reported for retry
    sequence = loud["Records"][0]["dynamodb"]["SequenceNumber"]
    assert failed == {"batchItemFailures": [{"itemIdentifier": sequence}]}
    # And a batch that failed entirely raises, so the event source mapping retries (and bisects) it
    with pytest.raises(BatchProcessingError):
        notify.handler(loud, lambda_context)
    # Given SNS works again
    boto3.client("sns").create_topic(Name=topic_name)
    subscriber = subscribe(topic_arn)
    # When the event source mapping retries the batch, twice
    assert notify.handler(event, lambda_context) == {"batchItemFailures": []}
    assert notify.handler(event, lambda_context) == {"batchItemFailures": []}
    # Then the subscriber got the alert exactly once
    [message] = subscriber.receive_all()
    assert message["body"]["resource_arn"] == JOB_ARN
    assert message["body"]["status"] == "CREATE FAILED"
    assert message["body"]["reason"] == "Input CSV is missing column TIMESTAMP"


def test_a_subscriber_without_raw_delivery_gets_the_envelope_with_subject_and_json(
    store: StatusStore, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    # Given a plain (non-raw) SQS subscription, the SNS envelope carries the default JSON message
    topic_arn = boto3.client("sns").create_topic(Name=f"env-{uuid.uuid4().hex[:8]}")["TopicArn"]
    subscriber = subscribe(topic_arn, raw=False)
    _configure(monkeypatch, store, topic_arn)
    notify.handler(_write_and_capture(store, dataset("UPDATE_FAILED", reason="x")), lambda_context)
    [message] = subscriber.receive_all()
    envelope = message["body"]
    assert envelope["Subject"].startswith("[statusmon] ERROR")
    assert '"schema": "statusmon.alert/v1"' in envelope["Message"]


def test_the_cli_does_not_repeat_what_the_lambda_published(
    store: StatusStore, subscriber: Subscriber, monkeypatch: pytest.MonkeyPatch, lambda_context
) -> None:
    # Given the notify Lambda (its function name in the environment) published an alert
    _configure(monkeypatch, store, subscriber.topic_arn)
    event = _write_and_capture(store, dataset("CREATE_FAILED", reason="bad"))
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "statusmon-NotifyFunction-abc")
    assert notify.handler(event, lambda_context) == {"batchItemFailures": []}
    # When `statusmon sweep` (no function name) delivers the same stream record
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    delivery = notify_record(event["Records"][0], get_settings())
    # Then it recognises the transition as already alerted
    assert delivery.duplicate
    assert len(subscriber.receive_all()) == 1
