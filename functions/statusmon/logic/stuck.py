"""Stuck resources: one warning when something stays in flight past its operation's threshold.

A dataset or import job that hangs alerts nobody by itself: it never fails. The hot watch
(:mod:`statusmon.logic.watch`), which looks at everything in flight every minute, checks each
unchanged entry against the threshold of the operation that started it
(:data:`statusmon.settings.STUCK_AFTER_MINUTES`, ``stuck_after_minutes`` in ``cdk.json``). Past it,
one warning alert ("in CREATE IN_PROGRESS for 7 h") and one "Stuck" event are recorded, in one
transaction with a mark on the watch entry, conditional on the entry still mirroring the same state
and carrying no mark: so once per in-flight episode, whatever overlaps or retries. The mark stays
through later in-flight statuses of the episode; the episode's end (its completion or failure, which
alert as usual) deletes the entry, and the next episode starts unmarked.

In flight since: the earlier of when statusmon first saw the episode (the entry's ``since``) and the
service's own last-update time of the in-flight status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from statusmon.domain.model import Alert, OutboxMessage, Transition, WatchEntry
from statusmon.domain.vocabulary import Phase, ResourceType, phase
from statusmon.logic.alerts import outbox_message
from statusmon.logic.chat import outbox_chat
from statusmon.logic.events import outbox_stuck_event
from statusmon.logic.operations import (
    CREATE_DATASET,
    CREATE_DATASET_IMPORT_JOB,
    DISTRIBUTE_DATASET_ENTRIES,
    UPDATE_DATASET_ENTRIES,
)
from statusmon.logic.policy import WARNING


@dataclass(frozen=True)
class Stuck:
    entry: WatchEntry
    since: datetime
    threshold: timedelta


def threshold_key(entry: WatchEntry) -> str | None:
    """The operation whose threshold applies (None: deletions, which are not watched for time)."""
    status = entry.status or ""
    if entry.resource_type is ResourceType.DATASET_IMPORT_JOB:
        return CREATE_DATASET_IMPORT_JOB if status.startswith("CREATE") else None
    if status.startswith("CREATE_"):
        return CREATE_DATASET
    if status.startswith("UPDATE_"):
        return entry.operation if entry.operation == DISTRIBUTE_DATASET_ENTRIES else UPDATE_DATASET_ENTRIES
    return None


def overdue(entry: WatchEntry, now: datetime, thresholds: Mapping[str, int]) -> Stuck | None:
    """The entry's stuck warning, if it is due now (and was not recorded in this episode yet)."""
    if entry.stuck_at is not None or entry.version is None or entry.status is None:
        return None
    if phase(entry.service, entry.status) is not Phase.IN_FLIGHT:
        return None
    key = threshold_key(entry)
    minutes = thresholds.get(key, 0) if key else 0
    if minutes <= 0:
        return None
    since = min(entry.since, entry.updated_at) if entry.updated_at else entry.since
    threshold = timedelta(minutes=minutes)
    return Stuck(entry, since, threshold) if now - since >= threshold else None


def duration(span: timedelta) -> str:
    """A span as people say it: "45 min", "7 h", "2 d 3 h"."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d {hours % 24} h" if hours % 24 else f"{hours // 24} d"


def stuck_alert(stuck: Stuck, now: datetime) -> Alert:
    state = stuck.entry.known()
    assert state is not None  # overdue() checked it mirrors a recorded state
    transition = Transition(
        new=state,
        previous_status=state.status,
        previous_reason=state.reason,
        previous_version=state.version,
        detected_at=now,
    )
    hint = (
        f"in {state.status} for {duration(now - stuck.since)} (statusmon warns after "
        f"{duration(stuck.threshold)}): the service has not finished or failed. Check it in the console; "
        "statusmon alerts again when it completes or fails."
    )
    return Alert(transition=transition, severity=WARNING, hint=hint, stuck_since=stuck.since)


def stuck_outbox(stuck: Stuck, now: datetime, *, chat: bool = False) -> list[OutboxMessage]:
    """The warning alert, the "Stuck" event (and the chat notification), as they wait in the outbox."""
    alert = stuck_alert(stuck, now)
    return [outbox_message(alert), outbox_stuck_event(alert), *([outbox_chat(alert)] if chat else [])]
