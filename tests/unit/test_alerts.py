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
    # (this reason is in no catalogue entry)
    assert doc["hint"] is None
    assert doc["docs_url"] is None
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
    assert text == "[statusmon] ERROR: Custom Labels dataset shoes/train is CREATE_FAILED"
    huge = Alert(transition(replace(job("CREATE FAILED"), name="é" * 200)), "error")
    clipped = subject(huge)
    assert len(clipped) < 100
    assert clipped.isascii()
    assert "\n" not in clipped
    # a long name is cut, never the status
    assert clipped.startswith("[statusmon] ERROR: Personalize dataset import job ???")
    assert clipped.endswith("... is CREATE FAILED")


def test_every_resource_type_has_one_subject_shape() -> None:
    # Given a warning on a dataset and a recovery of an import job
    warning = Alert(transition(dataset("UPDATE_COMPLETE")), "warning")
    info = Alert(transition(job("ACTIVE")), "info")
    # Then both subjects read "[statusmon] SEVERITY: <resource type> <name> is <status>"
    assert subject(warning) == "[statusmon] WARNING: Custom Labels dataset shoes/train is UPDATE_COMPLETE"
    assert subject(info) == (
        "[statusmon] INFO: Personalize dataset import job interactions-2026-11-24 is ACTIVE"
    )


def test_email_body_is_readable_text_with_reason_stats_samples_and_console() -> None:
    body = email_body(_dataset_failure())
    assert body.startswith(
        "Custom Labels dataset shoes/train failed: UPDATE_FAILED (was UPDATE_IN_PROGRESS)."
    )
    assert "Why:         The manifest file contains too many invalid data objects." in body
    assert "What to do:" not in body  # no catalogue entry for this reason
    assert "ErrorEntries=3" in body
    assert "s3://b/1.jpg" in body
    assert "Console:     https://" in body
    assert f"History:     statusmon history {DATASET_ARN}" in body


def test_email_body_leads_with_what_failed_why_and_what_to_do() -> None:
    # Given an import job that failed for a CSV without its TIMESTAMP column
    failed = job(
        "CREATE FAILED",
        reason="Input CSV is missing the following columns: [TIMESTAMP]",
        details={"import_mode": "FULL", "data_location": "s3://b/i.csv"},
    )
    body = email_body(Alert(transition(failed, previous_status="CREATE IN_PROGRESS"), "error"))
    lines = body.splitlines()
    # Then the first lines say what failed, why, what to do, where to read, the console and the history
    assert lines[0] == (
        "Personalize dataset import job interactions-2026-11-24 failed: CREATE FAILED "
        "(was CREATE IN_PROGRESS)."
    )
    assert [line.split(":", 1)[0] for line in lines[2:7]] == [
        "Why",
        "What to do",
        "Read more",
        "Console",
        "History",
    ]
    assert lines[3].startswith("What to do:  Add the missing columns to the CSV's header row")
    assert (
        lines[4] == "Read more:   https://docs.aws.amazon.com/personalize/latest/dg/data-prep-importing.html"
    )
    assert lines[6] == f"History:     statusmon history {JOB_ARN}"
    # and the details come after
    assert body.index("Details") > body.index("History:")
    assert body.index("Data:        s3://b/i.csv") > body.index("Details")


def test_an_alert_with_a_catalogue_entry_carries_its_hint_and_page() -> None:
    failed = dataset(
        "CREATE_FAILED",
        reason="ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT: The manifest file extension or "
        "contents are invalid.",
    )
    doc = alert_document(Alert(transition(failed), "error"))
    assert doc["hint"].startswith("Check that the manifest's S3 bucket and key exist")
    assert doc["docs_url"].endswith("#md-error-status-ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT")


def test_email_body_of_an_import_job_shows_mode_and_location() -> None:
    failed = job("CREATE FAILED", details={"import_mode": "FULL", "data_location": "s3://b/i.csv"})
    body = email_body(Alert(transition(failed), "error"))
    assert "(was not seen before)" in body
    assert "What to do:" not in body
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
    assert "Note:        statusmon does not know status" in email_body(first)
    assert again is None


def test_an_unknown_status_with_a_known_reason_keeps_the_note_first() -> None:
    # Given an unknown status whose reason the catalogue knows
    odd = transition(
        dataset(
            "UPDATE_PAUSED",
            reason="ERROR_MANIFEST_SIZE_TOO_LARGE: The manifest file size exceeds the maximum supported "
            "size.",
        ),
        previous_status="UPDATE_IN_PROGRESS",
    )
    alert = decide(odd, AlertPolicy(), novel_status=True)
    assert alert is not None
    doc = alert_document(alert)
    # Then the alert's hint is the policy's note, then the catalogue's advice; the page is the entry's
    note, advice = doc["hint"].split(" | ")
    assert note == alert.hint
    assert advice.startswith("Split the manifest")
    assert doc["docs_url"].endswith("#md-error-status-ERROR_MANIFEST_SIZE_TOO_LARGE")
    body = email_body(alert)
    assert body.index("Note:") < body.index("What to do:  Split the manifest")
