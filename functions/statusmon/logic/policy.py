"""The alert policy: which transitions become alerts, and how severe they are.

Defaults: a failure is an ``error``; a dataset that completes with ``DatasetStats.ErrorEntries > 0``
is a ``warning`` (UpdateDatasetEntries' non-terminal errors); a failed resource completing again is
an ``info`` recovery, opt-in. A service's first sweep (baseline) and deletions alert nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from statusmon.domain.model import Alert, Transition
from statusmon.domain.vocabulary import Phase, phase

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class AlertPolicy:
    warnings: bool = True
    recoveries: bool = False


def error_entries(transition: Transition) -> int:
    stats = transition.new.details.get("stats") or {}
    try:
        return int(stats.get("ErrorEntries", 0))
    except (TypeError, ValueError):
        return 0


def decide(transition: Transition, policy: AlertPolicy) -> Alert | None:
    if transition.baseline:
        return None
    new_phase = transition.new.phase
    if new_phase is Phase.FAILED:
        return Alert(transition=transition, severity=ERROR)
    if new_phase is Phase.COMPLETE:
        if policy.warnings and error_entries(transition) > 0:
            return Alert(transition=transition, severity=WARNING)
        recovered = phase(transition.new.service, transition.previous_status) is Phase.FAILED
        if policy.recoveries and recovered:
            return Alert(transition=transition, severity=INFO)
    return None
