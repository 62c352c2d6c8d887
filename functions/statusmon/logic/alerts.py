"""Alert rendering: the ``statusmon.alert/v1`` JSON document, the email text, subject and attributes.

SNS delivers one message per protocol (``MessageStructure="json"``): email subscribers get the
readable text; every other protocol (SQS, Lambda, HTTP/S, email-json, Firehose) falls back to
``default``, the JSON document.

SNS refuses a message over 256 KB, and a message that can never be published would block its
outbox for ever: :func:`outbox_message` trims what is large (error entry samples, then the reason,
then the details) until the message fits, and says so in ``truncated``. The table keeps it all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statusmon.domain.arns import console_url
from statusmon.domain.model import DISTRIBUTED_WITH, OPERATION, Alert, OutboxMessage, Transition, iso
from statusmon.logic.operations import distributed_with, operation_of

SCHEMA = "statusmon.alert/v1"
SUBJECT_LIMIT = 99  # SNS: under 100 characters, ASCII, no line breaks
SNS_CHANNEL = "sns"
# SNS's limit is 262,144 bytes for the message and its attributes together; keep a margin.
MESSAGE_BUDGET = 250_000


@dataclass(frozen=True)
class Trim:
    """How much of an alert's large parts a rendering keeps (None: all of it)."""

    sample_chars: int | None = None
    reason_chars: int | None = None
    drop_details: bool = False

    @property
    def trimmed(self) -> bool:
        return self != Trim()


WHOLE = Trim()
# Tried in order until the message fits.
_TRIMS = (
    Trim(),
    Trim(sample_chars=500),
    Trim(sample_chars=500, reason_chars=4000),
    Trim(drop_details=True, reason_chars=4000),
    Trim(drop_details=True, reason_chars=500),
)


def _cut(text: str | None, limit: int | None) -> str | None:
    if text is None or limit is None or len(text) <= limit:
        return text
    return text[:limit] + " [... cut to fit the size limit; the full text is in the status table]"


_SERVICE_LABEL = {"rekognition": "Rekognition Custom Labels", "personalize": "Personalize"}
_TYPE_LABEL = {"dataset": "dataset", "dataset_import_job": "dataset import job"}


def _details(details: dict[str, Any], trim: Trim) -> dict[str, Any]:
    if trim.drop_details:
        return {}
    # The operation and the distribute pair are fields of their own (below), not repeated here.
    kept = {key: value for key, value in details.items() if key not in (OPERATION, DISTRIBUTED_WITH)}
    if trim.sample_chars is not None and kept.get("error_entries"):
        kept["error_entries"] = [
            {"summary": _cut(json.dumps(sample, sort_keys=True), trim.sample_chars)}
            for sample in kept["error_entries"]
        ]
    return kept


def transition_fields(transition: Transition, trim: Trim = WHOLE) -> dict[str, Any]:
    """What alerts and state-change events both say about a transition."""
    state = transition.new
    return {
        "service": state.service.value,
        "resource_type": state.resource_type.value,
        "resource_arn": state.resource_arn,
        "name": state.name,
        "parent_arn": state.parent_arn,
        "status": state.status,
        "previous_status": transition.previous_status,
        "reason": _cut(state.reason, trim.reason_chars),
        "detected_at": iso(transition.detected_at),
        "details": _details(state.details, trim),
        "console_url": console_url(state.resource_arn, state.parent_arn),
        "transition_id": transition.transition_id,
        "operation": operation_of(transition),
        "distributed_with": distributed_with(transition),
    }


def alert_document(alert: Alert, trim: Trim = WHOLE) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schema": SCHEMA,
        **transition_fields(alert.transition, trim),
        "severity": alert.severity,
        "hint": alert.hint,
        # Set on a stuck warning only: since when the resource has been in flight.
        "stuck_since": iso(alert.stuck_since),
    }
    if trim.trimmed:
        document["truncated"] = True
    return document


def fitting(render: Callable[[Trim], str], budget: int) -> str:
    """The first rendering, trimming more and more (error entry samples, the reason, the details),
    whose UTF-8 size is within ``budget``."""
    for trim in _TRIMS:
        body = render(trim)
        if len(body.encode()) <= budget:
            break
    return body


def _ascii_line(text: str) -> str:
    cleaned = " ".join(text.split())
    return cleaned.encode("ascii", "replace").decode("ascii")


def subject(alert: Alert) -> str:
    state = alert.transition.new
    what = f"is stuck in {state.status}" if alert.stuck_since else f"is {state.status}"
    text = _ascii_line(
        f"[statusmon] {alert.severity.upper()}: {_SERVICE_LABEL[state.service.value]} "
        f"{_TYPE_LABEL[state.resource_type.value]} {state.name} {what}"
    )
    if len(text) > SUBJECT_LIMIT:
        text = text[: SUBJECT_LIMIT - 3].rstrip() + "..."
    return text


def email_body(alert: Alert, trim: Trim = WHOLE) -> str:
    doc = alert_document(alert, trim)
    was = f"was {doc['previous_status'] or 'not seen before'}"
    if doc["stuck_since"]:
        was = f"in flight since {doc['stuck_since']}"
    lines = [
        f"{_SERVICE_LABEL[doc['service']]} {_TYPE_LABEL[doc['resource_type']]} {doc['name']} "
        f"is {doc['status']} ({was}).",
        "",
        f"Reason:    {doc['reason'] or '(the service gave none)'}",
        *([f"Note:      {doc['hint']}"] if doc["hint"] else []),
        f"Severity:  {doc['severity']}",
        f"Detected:  {doc['detected_at']}",
        f"Resource:  {doc['resource_arn']}",
    ]
    if doc["parent_arn"]:
        lines.append(f"Parent:    {doc['parent_arn']}")
    if doc["operation"]:
        lines.append(f"Operation: {doc['operation']}")
    if doc["distributed_with"]:
        lines.append(f"Paired:    {doc['distributed_with']} (the other dataset of the distribution)")
    details = doc["details"]
    stats = details.get("stats")
    if stats:
        lines.append("Stats:     " + ", ".join(f"{k}={v}" for k, v in sorted(stats.items())))
    for key, label in (("import_mode", "Import:    "), ("data_location", "Data:      ")):
        if details.get(key):
            lines.append(f"{label}{details[key]}")
    samples = details.get("error_entries") or []
    if samples:
        lines += ["", "Entries with errors (sample):"]
        lines += [f"  - {json.dumps(sample, sort_keys=True)[:500]}" for sample in samples]
    if doc["console_url"]:
        lines += ["", f"Console:   {doc['console_url']}"]
    if trim.trimmed:
        lines += ["", "(Parts of this alert were cut to fit SNS; `statusmon history` shows them all.)"]
    lines += ["", "-- statusmon"]
    return "\n".join(lines)


def message_attributes(alert: Alert) -> dict[str, str]:
    """SNS message attribute values (all strings), for subscription filter policies."""
    state = alert.transition.new
    return {
        "service": state.service.value,
        "status": state.status,
        "severity": alert.severity,
        "resource_type": state.resource_type.value,
    }


def sns_message(alert: Alert, trim: Trim = WHOLE) -> str:
    """The per-protocol message body for ``Publish(MessageStructure="json")``."""
    document = json.dumps(alert_document(alert, trim), sort_keys=True)
    return json.dumps({"default": document, "email": email_body(alert, trim)})


def outbox_message(alert: Alert) -> OutboxMessage:
    """The alert as it waits in the outbox: rendered once, within SNS's size limit."""
    body = fitting(lambda trim: sns_message(alert, trim), MESSAGE_BUDGET)
    return OutboxMessage(
        channel=SNS_CHANNEL,
        transition_id=alert.transition.transition_id,
        detected_at=alert.transition.detected_at,
        severity=alert.severity,
        subject=subject(alert),
        body=body,
        attributes=message_attributes(alert),
    )
