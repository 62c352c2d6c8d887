import json
from dataclasses import replace

from statusmon.domain.model import Alert
from statusmon.logic.alerts import (
    MESSAGE_BUDGET,
    SCHEMA,
    alert_document,
    email_body,
    message_attributes,
    outbox_message,
    sns_message,
    subject,
)
from statusmon.logic.policy import AlertPolicy, decide
from tests.contract import ALERT_ADDED_FIELDS, ALERT_FIELDS
from tests.unit.factories import DATASET_ARN, JOB_ARN, dataset, job, transition


def _dataset_failure() -> Alert:
    failed = dataset(
        "UPDATE_FAILED",
        reason="The manifest file contains too many invalid data objects.",
        parent_arn="arn:aws:rekognition:us-east-1:123456789012:project/shoes/1690474772815",
        details={
            "stats": {"ErrorEntries": 3, "TotalEntries": 10},
            "error_entries": [{"source-ref": "s3://b/1.jpg"}],
        },
    )
    return Alert(transition(failed, previous_status="UPDATE_IN_PROGRESS"), "error")


def test_document_has_exactly_the_contract_fields() -> None:
    doc = alert_document(_dataset_failure())
    assert set(doc) == ALERT_FIELDS | ALERT_ADDED_FIELDS
    assert doc["transition_id"] == f"{DATASET_ARN}#2"
    assert doc["hint"] is None
    assert doc["schema"] == SCHEMA == "statusmon.alert/v1"
    assert doc["service"] == "rekognition"
    assert doc["resource_type"] == "dataset"
    assert doc["resource_arn"] == DATASET_ARN
    assert doc["status"] == "UPDATE_FAILED"
    assert doc["previous_status"] == "UPDATE_IN_PROGRESS"
    assert doc["reason"].startswith("The manifest file")
    assert doc["severity"] == "error"
    assert doc["detected_at"] == "2026-11-24T12:00:00Z"
    assert doc["details"]["stats"]["ErrorEntries"] == 3
    assert doc["console_url"].startswith("https://us-east-1.console.aws.amazon.com/rekognition/")


def test_personalize_document_keeps_the_service_spelling_and_null_previous() -> None:
    doc = alert_document(
        Alert(transition(job("CREATE FAILED", reason="missing column"), previous_status=None), "error")
    )
    assert doc["status"] == "CREATE FAILED"
    assert doc["previous_status"] is None
    assert doc["resource_type"] == "dataset_import_job"
    assert doc["resource_arn"] == JOB_ARN
    assert "personalize" in doc["console_url"]
    assert "eu-west-1" in doc["console_url"]


def test_subject_is_short_ascii_and_one_line() -> None:
    long_name = dataset("CREATE_FAILED", reason="x")
    alert = Alert(transition(long_name), "error")
    text = subject(alert)
    assert text.startswith("[statusmon] ERROR")
    assert "CREATE_FAILED" in text
    huge = Alert(transition(replace(job("CREATE FAILED"), name="é" * 200)), "error")
    clipped = subject(huge)
    assert len(clipped) < 100
    assert clipped.isascii()
    assert "\n" not in clipped
    assert clipped.endswith("...")


def test_email_body_is_readable_text_with_reason_stats_samples_and_console() -> None:
    body = email_body(_dataset_failure())
    assert "is UPDATE_FAILED (was UPDATE_IN_PROGRESS)" in body
    assert "Reason:    The manifest file contains too many invalid data objects." in body
    assert "ErrorEntries=3" in body
    assert "s3://b/1.jpg" in body
    assert "Console:   https://" in body
    assert not body.lstrip().startswith("{")


def test_email_body_of_an_import_job_shows_mode_and_location() -> None:
    failed = job("CREATE FAILED", details={"import_mode": "FULL", "data_location": "s3://b/i.csv"})
    body = email_body(Alert(transition(failed), "error"))
    assert "(was not seen before)" in body
    assert "(the service gave none)" in body
    assert "FULL" in body
    assert "s3://b/i.csv" in body


def test_message_attributes_allow_filter_policies() -> None:
    attributes = message_attributes(_dataset_failure())
    assert attributes == {
        "service": "rekognition",
        "status": "UPDATE_FAILED",
        "severity": "error",
        "resource_type": "dataset",
    }


def test_sns_message_gives_json_by_default_and_text_to_email() -> None:
    structure = json.loads(sns_message(_dataset_failure()))
    assert set(structure) == {"default", "email"}
    assert json.loads(structure["default"])["schema"] == SCHEMA
    assert structure["email"] == email_body(_dataset_failure())


def test_an_alert_too_large_for_sns_is_cut_to_fit_and_says_so() -> None:
    # Given a failure whose reason and error samples together are far over SNS's 256 KB
    huge = dataset(
        "UPDATE_FAILED",
        reason="bad line; " * 40_000,
        details={
            "stats": {"ErrorEntries": 9},
            "error_entries": [{"source-ref": "s3://b/x", "errors": "e" * 90_000}],
        },
    )
    alert = Alert(transition(huge, previous_status="UPDATE_IN_PROGRESS"), "error")
    assert len(sns_message(alert).encode()) > 262_144
    # When it is rendered for the outbox
    message = outbox_message(alert)
    # Then it fits, still names the resource and its status, and says it was cut
    assert len(message.body.encode()) <= MESSAGE_BUDGET
    document = json.loads(json.loads(message.body)["default"])
    assert document["truncated"] is True
    assert document["status"] == "UPDATE_FAILED"
    assert document["reason"].startswith("bad line; bad line;")
    assert "cut to fit the size limit" in document["reason"]
    assert "statusmon history" in json.loads(message.body)["email"]


def test_an_alert_that_fits_is_not_cut() -> None:
    message = outbox_message(_dataset_failure())
    document = json.loads(json.loads(message.body)["default"])
    assert "truncated" not in document
    assert document["details"]["error_entries"] == [{"source-ref": "s3://b/1.jpg"}]
    assert message.attributes["severity"] == "error"
    assert message.transition_id == f"{DATASET_ARN}#2"


def test_an_unknown_status_warns_once_with_a_hint_naming_it() -> None:
    # Given a dataset in a status statusmon has never heard of
    odd = transition(dataset("UPDATE_PAUSED"), previous_status="UPDATE_IN_PROGRESS")
    # When the policy sees it for the first time, and again later
    first = decide(odd, AlertPolicy(), novel_status=True)
    again = decide(odd, AlertPolicy(), novel_status=False)
    # Then the first is a warning whose hint names the status, the later one is silent
    assert first is not None
    assert first.severity == "warning"
    assert "does not know status 'UPDATE_PAUSED'" in (first.hint or "")
    assert alert_document(first)["hint"] == first.hint
    assert "Note:      statusmon does not know status" in email_body(first)
    assert again is None
