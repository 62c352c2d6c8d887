"""The alert policy: which transitions become alerts, and how severe they are.

Defaults: a failure is an ``error``; a dataset that completes with more ``DatasetStats.ErrorEntries``
than it had is a ``warning`` (UpdateDatasetEntries' non-terminal errors); a resource that failed
and completes again (through any in-flight statuses) is an ``info`` recovery, opt-in. A status
outside the vocabulary is a ``warning`` the first time statusmon meets it (``novel_status``), so a
new status a service adds is seen, once. A service's first sweep (baseline) and deletions alert
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from statusmon.domain.model import Alert, Transition
from statusmon.domain.vocabulary import Phase, phase

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class AlertPolicy:
    warnings: bool = True
    recoveries: bool = False
    # Also render each alert for the chat topic (statusmon.logic.chat): a third outbox channel.
    chat: bool = False


def decide(transition: Transition, policy: AlertPolicy, *, novel_status: bool = False) -> Alert | None:
    if transition.baseline:
        return None
    new_phase = transition.new.phase
    if new_phase is Phase.UNKNOWN:
        return _unknown_status(transition) if novel_status else None
    if new_phase is Phase.FAILED:
        return Alert(transition=transition, severity=ERROR)
    if new_phase is Phase.COMPLETE:
        # ErrorEntries counts the whole dataset: warn when an update added errors, not on every
        # later clean update of a dataset that still holds old ones.
        if policy.warnings and transition.new.error_entries() > transition.previous_error_entries:
            return Alert(transition=transition, severity=WARNING)
        settled_before = transition.previous_settled_status or transition.previous_status
        recovered = phase(transition.new.service, settled_before) is Phase.FAILED
        if policy.recoveries and recovered:
            return Alert(transition=transition, severity=INFO)
    return None


def _unknown_status(transition: Transition) -> Alert:
    state = transition.new
    return Alert(
        transition=transition,
        severity=WARNING,
        hint=(
            f"statusmon does not know status {state.status!r} of {state.service.value}: it is recorded "
            "as the service gave it; please report it so statusmon learns what it means"
        ),
    )
