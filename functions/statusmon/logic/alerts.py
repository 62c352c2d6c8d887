"""Alert rendering: the ``statusmon.alert/v1`` JSON document, the email text, subject and attributes.

SNS delivers one message per protocol (``MessageStructure="json"``): email subscribers get the
readable text; every other protocol (SQS, Lambda, HTTP/S, email-json, Firehose) falls back to
``default``, the JSON document.
"""

from __future__ import annotations

import json
from typing import Any

from statusmon.domain.arns import console_url
from statusmon.domain.model import Alert, iso

SCHEMA = "statusmon.alert/v1"
SUBJECT_LIMIT = 99  # SNS: under 100 characters, ASCII, no line breaks

_SERVICE_LABEL = {"rekognition": "Rekognition Custom Labels", "personalize": "Personalize"}
_TYPE_LABEL = {"dataset": "dataset", "dataset_import_job": "dataset import job"}


def alert_document(alert: Alert) -> dict[str, Any]:
    state = alert.transition.new
    return {
        "schema": SCHEMA,
        "service": state.service.value,
        "resource_type": state.resource_type.value,
        "resource_arn": state.resource_arn,
        "name": state.name,
        "parent_arn": state.parent_arn,
        "status": state.status,
        "previous_status": alert.transition.previous_status,
        "reason": state.reason,
        "severity": alert.severity,
        "detected_at": iso(alert.transition.detected_at),
        "details": dict(state.details),
        "console_url": console_url(state.resource_arn, state.parent_arn),
    }


def _ascii_line(text: str) -> str:
    cleaned = " ".join(text.split())
    return cleaned.encode("ascii", "replace").decode("ascii")


def subject(alert: Alert) -> str:
    state = alert.transition.new
    text = _ascii_line(
        f"[statusmon] {alert.severity.upper()}: {_SERVICE_LABEL[state.service.value]} "
        f"{_TYPE_LABEL[state.resource_type.value]} {state.name} is {state.status}"
    )
    if len(text) > SUBJECT_LIMIT:
        text = text[: SUBJECT_LIMIT - 3].rstrip() + "..."
    return text


def email_body(alert: Alert) -> str:
    doc = alert_document(alert)
    state = alert.transition.new
    lines = [
        f"{_SERVICE_LABEL[doc['service']]} {_TYPE_LABEL[doc['resource_type']]} {doc['name']} "
        f"is {doc['status']} (was {doc['previous_status'] or 'not seen before'}).",
        "",
        f"Reason:    {doc['reason'] or '(the service gave none)'}",
        f"Severity:  {doc['severity']}",
        f"Detected:  {doc['detected_at']}",
        f"Resource:  {doc['resource_arn']}",
    ]
    if doc["parent_arn"]:
        lines.append(f"Parent:    {doc['parent_arn']}")
    stats = state.details.get("stats")
    if stats:
        lines.append("Stats:     " + ", ".join(f"{k}={v}" for k, v in sorted(stats.items())))
    for key, label in (("import_mode", "Import:    "), ("data_location", "Data:      ")):
        if state.details.get(key):
            lines.append(f"{label}{state.details[key]}")
    samples = state.details.get("error_entries") or []
    if samples:
        lines += ["", "Entries with errors (sample):"]
        lines += [f"  - {json.dumps(sample, sort_keys=True)[:500]}" for sample in samples]
    if doc["console_url"]:
        lines += ["", f"Console:   {doc['console_url']}"]
    lines += ["", "-- statusmon"]
    return "\n".join(lines)


def message_attributes(alert: Alert) -> dict[str, dict[str, str]]:
    """SNS message attributes, for subscription filter policies."""
    doc = alert_document(alert)
    return {
        name: {"DataType": "String", "StringValue": str(doc[name])}
        for name in ("service", "status", "severity", "resource_type")
    }


def sns_message(alert: Alert) -> str:
    """The per-protocol message body for ``Publish(MessageStructure="json")``."""
    document = json.dumps(alert_document(alert), sort_keys=True)
    return json.dumps({"default": document, "email": email_body(alert)})
