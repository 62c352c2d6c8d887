"""State-change events: the detail each transition puts on EventBridge, and which transitions do."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from statusmon.logic.events import DETAIL_BUDGET, EVENTS_CHANNEL, event_detail, outbox_event, wants_event
from tests.unit.factories import DATASET_ARN, JOB_ARN, dataset, job, transition

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "events.schema.json").read_text())


def test_a_failure_event_carries_the_alert_fields_and_its_phase() -> None:
    # Given an import job that failed after being in flight
    change = transition(
        job("CREATE FAILED", reason="Input CSV is missing column USER_ID"),
        previous_status="CREATE IN_PROGRESS",
    )
    # When it is rendered as an event
    message = outbox_event(change, severity="error")
    detail = json.loads(message.body)
    # Then it is a Personalize state change of that job, with the documented detail
    assert (message.channel, message.subject) == (
        EVENTS_CHANNEL,
        "Personalize Dataset Import Job State Change",
    )
    assert message.attributes == {"source": "statusmon", "resource": JOB_ARN}
    assert detail["status"] == "CREATE FAILED"
    assert detail["previous_status"] == "CREATE IN_PROGRESS"
    assert detail["reason"] == "Input CSV is missing column USER_ID"
    assert detail["phase"] == "failed"
    assert detail["transition_id"] == f"{JOB_ARN}#2" == message.transition_id
    assert detail["version"] == 2
    assert detail["detected_at"] == "2026-11-24T12:00:00Z"
    assert "severity" not in detail
    jsonschema.validate(detail, SCHEMA)


def test_completions_are_events_too_and_baselines_are_not() -> None:
    done = transition(
        dataset("UPDATE_COMPLETE", details={"stats": {"TotalEntries": 9}}),
        previous_status="UPDATE_IN_PROGRESS",
    )
    detail = event_detail(done)
    assert detail["phase"] == "complete"
    assert detail["details"] == {"stats": {"TotalEntries": 9}}
    assert outbox_event(done, severity="none").subject == "Rekognition Custom Labels Dataset State Change"
    assert wants_event(done)
    assert not wants_event(transition(dataset("CREATE_COMPLETE"), baseline=True))
    jsonschema.validate(detail, SCHEMA)


def test_a_huge_event_is_cut_to_fit_eventbridge_and_says_so() -> None:
    samples = [{"source-ref": f"s3://b/{n}.jpg", "errors": ["x" * 2000]} for n in range(200)]
    change = transition(dataset("UPDATE_COMPLETE", reason="y" * 300_000, details={"error_entries": samples}))
    message = outbox_event(change, severity="warning")
    assert len(message.body.encode()) <= DETAIL_BUDGET
    detail = json.loads(message.body)
    assert detail["truncated"] is True
    assert detail["resource_arn"] == DATASET_ARN
    jsonschema.validate(detail, SCHEMA)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: {**d, "phase": "failing"},
        lambda d: {**d, "transition_id": "x"},
        lambda d: {k: v for k, v in d.items() if k != "status"},
        lambda d: {**d, "detected_at": "2026-11-24 12:00"},
    ],
)
def test_the_schema_rejects_what_consumers_must_not_get(breakage) -> None:
    detail = event_detail(
        transition(dataset("CREATE_FAILED", reason="bad"), previous_status="CREATE_IN_PROGRESS")
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(breakage(detail), SCHEMA)
