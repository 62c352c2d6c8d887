"""State-change events: what EventBridge carries for every recorded transition.

Modelled on SageMaker's "State Change" events: ``source`` ``statusmon``, one ``detail-type`` per
resource type, the resource's ARN in ``resources``, and a ``detail`` with the fields of the
``statusmon.alert/v1`` document that apply to any transition (not ``severity``, which belongs to
alerts; ``hint`` and ``docs_url`` are the hints catalogue's alone, without an alert's note on an
unknown status) plus ``phase``, the status's meaning in statusmon's vocabulary (``in_flight``,
``complete``, ``failed``, ``deleted``, ``unknown``), so that one rule matches failures of both
services. Every transition but a baseline's is an event, completions included: they are what a
pipeline waits for. ``transition_id`` is stable across redeliveries (EventBridge delivers at least
once): consumers drop repeats by it. docs/events.md documents the format and its JSON Schema.

Events travel the outbox like alerts, each in its own outbox item (channel ``events``), so an
EventBridge outage delays events without blocking alerts, and the reverse.
"""

from __future__ import annotations

import json
from typing import Any

from statusmon.domain.model import Alert, OutboxMessage, Transition, iso
from statusmon.domain.vocabulary import ResourceType
from statusmon.logic.alerts import WHOLE, Trim, fitting, transition_fields

EVENTS_CHANNEL = "events"
# The outbox item's severity when the transition raises no alert (an event only).
NO_ALERT = "none"
SOURCE = "statusmon"
SCHEMA = "statusmon.event/v1"
DETAIL_TYPES = {
    ResourceType.DATASET: "Rekognition Custom Labels Dataset State Change",
    ResourceType.DATASET_IMPORT_JOB: "Personalize Dataset Import Job State Change",
}
# A stuck warning (logic.stuck) is an event of its own kind: not a state change (the status did not
# change), and its transition_id is the in-flight transition's, so it must not share that one's
# detail-type (a consumer dropping repeats by transition_id would drop it).
STUCK_DETAIL_TYPES = {
    ResourceType.DATASET: "Rekognition Custom Labels Dataset Stuck",
    ResourceType.DATASET_IMPORT_JOB: "Personalize Dataset Import Job Stuck",
}
# PutEvents takes 256 KB per entry, source, detail-type, resources and detail together.
DETAIL_BUDGET = 240_000


def event_detail(transition: Transition, trim: Trim = WHOLE) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "schema": SCHEMA,
        **transition_fields(transition, trim),
        "phase": transition.new.phase.value,
        "version": transition.new.version,
    }
    if trim.trimmed:
        detail["truncated"] = True
    return detail


def outbox_stuck_event(alert: Alert) -> OutboxMessage:
    """A stuck warning's event: the in-flight state's detail, since when, and the warning's text."""
    transition = alert.transition

    def render(trim: Trim) -> str:
        detail = {**event_detail(transition, trim), "stuck_since": iso(alert.stuck_since), "hint": alert.hint}
        return json.dumps(detail, sort_keys=True)

    detail_type = STUCK_DETAIL_TYPES[transition.new.resource_type]
    return _outbox(
        transition, severity=alert.severity, body=fitting(render, DETAIL_BUDGET), detail_type=detail_type
    )


def wants_event(transition: Transition) -> bool:
    """Every recorded transition but the silent ones (a service's baseline, a silent return)."""
    return not transition.baseline


def outbox_event(transition: Transition, *, severity: str) -> OutboxMessage:
    """The event as it waits in the outbox: ``subject`` is its detail-type, ``body`` its detail."""
    body = fitting(lambda trim: json.dumps(event_detail(transition, trim), sort_keys=True), DETAIL_BUDGET)
    return _outbox(
        transition, severity=severity, body=body, detail_type=DETAIL_TYPES[transition.new.resource_type]
    )


def _outbox(transition: Transition, *, severity: str, body: str, detail_type: str) -> OutboxMessage:
    """An outbox item of the events channel: ``subject`` is the event's detail-type."""
    state = transition.new
    return OutboxMessage(
        channel=EVENTS_CHANNEL,
        transition_id=transition.transition_id,
        detected_at=transition.detected_at,
        severity=severity,
        subject=detail_type,
        body=body,
        attributes={"source": SOURCE, "resource": state.resource_arn},
    )
