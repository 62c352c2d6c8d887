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

from statusmon.domain import hints
from statusmon.domain.arns import console_url
from statusmon.domain.model import DISTRIBUTED_WITH, OPERATION, Alert, OutboxMessage, Transition, iso
from statusmon.domain.vocabulary import Phase, ResourceType
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


# One label per resource type, used by the subject and the email's first line.
_LABEL = {
    ResourceType.DATASET: "Custom Labels dataset",
    ResourceType.DATASET_IMPORT_JOB: "Personalize dataset import job",
}


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


def catalogue_hint(transition: Transition) -> hints.Hint | None:
    """The hints catalogue's entry for the transition's failure (or error entries), if it has one."""
    state = transition.new
    return hints.find(state.service, state.status, state.reason, state.details)


def history_command(arn: str) -> str:
    return f"statusmon history {arn}"


def transition_fields(transition: Transition, trim: Trim = WHOLE) -> dict[str, Any]:
    """What alerts and state-change events both say about a transition.

    ``hint`` and ``docs_url`` come from the hints catalogue (``statusmon.domain.hints``): what to do
    about the failure, and the documentation page on it; both null when no entry matches.
    """
    state = transition.new
    known = catalogue_hint(transition)
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
        "hint": known.hint if known else None,
        "docs_url": known.docs_url if known else None,
    }


def combined_hint(policy_note: str | None, catalogue: str | None) -> str | None:
    """An alert's ``hint``: the policy's note (a status statusmon does not know) first, then the
    catalogue's advice, joined by " | "; either alone as it is; None when there is neither."""
    return " | ".join(text for text in (policy_note, catalogue) if text) or None


def alert_document(alert: Alert, trim: Trim = WHOLE) -> dict[str, Any]:
    fields = transition_fields(alert.transition, trim)
    document: dict[str, Any] = {
        "schema": SCHEMA,
        **fields,
        "severity": alert.severity,
        "hint": combined_hint(alert.hint, fields["hint"]),
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
    """``[statusmon] SEVERITY: <resource type> <name> is <status>``, the same shape for every
    resource type; a long name is cut, never the status."""
    state = alert.transition.new
    head = _ascii_line(f"[statusmon] {alert.severity.upper()}: {_LABEL[state.resource_type]}")
    tail = _ascii_line(f"is stuck in {state.status}" if alert.stuck_since else f"is {state.status}")
    name = _ascii_line(state.name)
    room = SUBJECT_LIMIT - len(head) - len(tail) - 2
    if len(name) > room:
        name = name[: max(room - 3, 0)].rstrip() + "..."
    return f"{head} {name} {tail}"[:SUBJECT_LIMIT]


def headline(alert: Alert, doc: dict[str, Any]) -> str:
    """What happened, in words, before the status strings."""
    state = alert.transition.new
    what = f"{_LABEL[state.resource_type]} {doc['name']}"
    if alert.stuck_since:
        return f"{what} is stuck: {doc['status']} since {doc['stuck_since']}, and not finished."
    if state.phase is Phase.FAILED:
        happened = "failed"
    elif state.phase is Phase.UNKNOWN:
        happened = "is in a status statusmon does not know"
    elif alert.severity == "warning":
        happened = "completed with new entries in error"
    else:
        happened = "completed again after a failure"
    return f"{what} {happened}: {doc['status']} (was {doc['previous_status'] or 'not seen before'})."


def email_body(alert: Alert, trim: Trim = WHOLE) -> str:
    """What failed, why and what to do first (the reason, the catalogue's hint and its page, the
    console and the history command), then the details."""
    doc = alert_document(alert, trim)
    known = catalogue_hint(alert.transition)
    lines = [
        headline(alert, doc),
        "",
        f"Why:         {doc['reason'] or '(the service gave none)'}",
        *([f"Note:        {alert.hint}"] if alert.hint else []),
        *([f"What to do:  {known.hint}", f"Read more:   {known.docs_url}"] if known else []),
        *([f"Console:     {doc['console_url']}"] if doc["console_url"] else []),
        f"History:     {history_command(doc['resource_arn'])}",
        "",
        "Details",
        f"Severity:    {doc['severity']}",
        f"Detected:    {doc['detected_at']}",
        f"Resource:    {doc['resource_arn']}",
    ]
    if doc["parent_arn"]:
        lines.append(f"Parent:      {doc['parent_arn']}")
    if doc["operation"]:
        lines.append(f"Operation:   {doc['operation']}")
    if doc["distributed_with"]:
        lines.append(f"Paired:      {doc['distributed_with']} (the other dataset of the distribution)")
    details = doc["details"]
    stats = details.get("stats")
    if stats:
        lines.append("Stats:       " + ", ".join(f"{k}={v}" for k, v in sorted(stats.items())))
    for key, label in (("import_mode", "Import:      "), ("data_location", "Data:        ")):
        if details.get(key):
            lines.append(f"{label}{details[key]}")
    samples = details.get("error_entries") or []
    if samples:
        lines += ["", "Entries with errors (sample):"]
        lines += [f"  - {json.dumps(sample, sort_keys=True)[:500]}" for sample in samples]
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
