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

from statusmon.domain.model import OutboxMessage, Transition
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


def wants_event(transition: Transition) -> bool:
    """Every recorded transition but the silent ones (a service's baseline, a silent return)."""
    return not transition.baseline


def outbox_event(transition: Transition, *, severity: str) -> OutboxMessage:
    """The event as it waits in the outbox: ``subject`` is its detail-type, ``body`` its detail."""
    state = transition.new
    body = fitting(lambda trim: json.dumps(event_detail(transition, trim), sort_keys=True), DETAIL_BUDGET)
    return OutboxMessage(
        channel=EVENTS_CHANNEL,
        transition_id=transition.transition_id,
        detected_at=transition.detected_at,
        severity=severity,
        subject=DETAIL_TYPES[state.resource_type],
        body=body,
        attributes={"source": SOURCE, "resource": state.resource_arn},
    )
