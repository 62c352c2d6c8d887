"""The change rules: observations of one sweep x the table's known state -> transitions.

A change is one of:

* a resource seen for the first time (``previous_status`` is None);
* a new status string;
* the same *failed* status with a new reason (StatusMessage / failureReason) or a new service
  timestamp (LastUpdatedTimestamp / lastUpdatedDateTime): an update that was retried and failed
  again is a new failure, even if the sweep never saw it in flight;
* the same *complete* status with a newer service timestamp (or, where either timestamp is missing,
  other ``DatasetStats``): an operation that started and ended between two looks (a quick
  UpdateDatasetEntries: UPDATE_COMPLETE before and after). Only a Describe carries these for a
  dataset, so this is what the watch (after a call CloudTrail reported) and the sweep's deep check
  find; an older timestamp is an older answer, never news;
* a resource that is absent from two *complete* listings in a row: it is marked ``DELETED``. A
  listing that failed part way, or held anything unreadable, never deletes anything, and one
  complete listing is not enough (a page that lost items without saying so looks complete);
* a deleted resource that is listed again (silently when it comes back exactly as it was).

Nothing else is a change: an unchanged in-flight or complete resource produces no write.
``baseline`` marks every transition of a service's first sweep, which the alert policy keeps silent.

**An observation older than the recorded state never replaces it** (:func:`is_stale`): older by the
service's own timestamps where both have one and they differ, by when each answer was read otherwise.
Answers arrive late: a sweep's Describe read before the hot watch recorded a failure, or a listing
that began before it, is delivered after that record. Such an answer is no change (nothing is
written, nothing described for it), and absence from a listing that began before a state was read
is no evidence that the resource is gone (:func:`absent`). Every writer diffs through
:func:`detect_changes`, and every write is conditional on the version it diffed against (a lost race
is diffed again against the winner), so the rule holds against whatever state a write replaces,
whichever order the calls of overlapping sweeps and watch runs come in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import replace
from datetime import datetime

from statusmon.domain.model import STATS, Observation, ResourceState, Transition
from statusmon.domain.vocabulary import DELETED, Phase


def is_stale(observation: Observation, known: ResourceState) -> bool:
    """Whether ``observation`` is older than what ``known`` recorded (the rule in the module's doc).

    The service's timestamps decide when both carry one and they differ: the service orders its own
    changes, whatever the clocks of the readers. Otherwise (a listing without timestamps, the same
    timestamp, a state that has none) the later read wins; a state without a read time (written
    before statusmon stored one) is older than any answer by that measure.
    """
    answered, recorded = observation.updated_at, known.updated_at
    if answered is not None and recorded is not None and answered != recorded:
        return answered < recorded
    if observation.read_at is None or known.read_at is None:
        return False
    return observation.read_at < known.read_at


def read_since(state: ResourceState, moment: datetime | None) -> bool:
    """Whether ``state`` was recorded from an answer read after ``moment`` (None: not known)."""
    return moment is not None and state.read_at is not None and state.read_at > moment


def is_change(observation: Observation, known: ResourceState | None) -> bool:
    if known is not None and is_stale(observation, known):
        return False
    if known is None or known.status != observation.status:
        return True
    if observation.phase is Phase.COMPLETE:
        return completed_again(observation, known)
    if observation.phase is not Phase.FAILED:
        return False
    new_reason = observation.reason is not None and observation.reason != known.reason
    new_timestamp = observation.updated_at is not None and observation.updated_at != known.updated_at
    return new_reason or new_timestamp


def completed_again(observation: Observation, known: ResourceState) -> bool:
    """A complete resource, complete as recorded, that went through an operation since: its service
    timestamp is later than the recorded one; with no two timestamps to compare, its stats differ."""
    if observation.updated_at is not None and known.updated_at is not None:
        return observation.updated_at > known.updated_at
    stats, recorded = observation.details.get(STATS), known.details.get(STATS)
    return isinstance(stats, dict) and isinstance(recorded, dict) and stats != recorded


def detect_changes(
    observations: Iterable[Observation],
    known: Mapping[str, ResourceState],
    *,
    now: datetime,
    complete_listing: bool,
    baseline: bool = False,
    also_listed: Iterable[str] = (),
    missing_before: Set[str] = frozenset(),
    listed_at: datetime | None = None,
) -> list[Transition]:
    """``also_listed``: ARNs the listing had but that are not diffed now (their details could not
    be read); they are not deleted. ``missing_before``: ARNs absent from the previous complete
    listing; only those, absent again from a complete one, are deleted. ``listed_at``: when the
    listing began (a state read since is not deleted for missing from it)."""
    transitions: list[Transition] = []
    seen: set[str] = set(also_listed)
    for observation in observations:
        seen.add(observation.resource_arn)
        previous = known.get(observation.resource_arn)
        if not is_change(observation, previous):
            continue
        restored = previous is not None and previous.returns_as_it_was(observation)
        previous_version = previous.version if previous else 0
        transitions.append(
            Transition(
                new=ResourceState.from_observation(
                    observation,
                    observed_at=now,
                    version=previous_version + 1,
                    previous_settled=previous.settled_status if previous else None,
                ),
                previous_status=previous.status if previous else None,
                previous_reason=previous.reason if previous else None,
                previous_version=previous_version,
                detected_at=now,
                baseline=baseline or restored,
                previous_settled_status=previous.settled_status if previous else None,
                previous_error_entries=previous.error_entries() if previous else 0,
            )
        )
    if complete_listing:
        for arn in sorted(absent(known, seen, listed_at) & missing_before):
            state = known[arn]
            transitions.append(
                Transition(
                    new=state.deleted(observed_at=now, read_at=listed_at),
                    previous_status=state.status,
                    previous_reason=state.reason,
                    previous_version=state.version,
                    detected_at=now,
                    baseline=baseline,
                    previous_settled_status=state.settled_status,
                    previous_error_entries=state.error_entries(),
                )
            )
    return transitions


def absent(
    known: Mapping[str, ResourceState], listed: Iterable[str], listed_at: datetime | None = None
) -> set[str]:
    """Known, not yet deleted, and not in this listing, which began (``listed_at``) after the state
    was read: a listing older than the state cannot tell that the resource is gone."""
    listed = set(listed)
    return {
        arn
        for arn, state in known.items()
        if arn not in listed and state.status != DELETED and not read_since(state, listed_at)
    }


def silence_preexisting(transitions: list[Transition], baseline_at: datetime) -> list[Transition]:
    """Resources first seen after the baseline, whose last change the service dates before it.

    They were missed by the baseline sweep (a Describe that failed, a page that was throttled), not
    new: their state is old news and is recorded silently like the rest of the baseline. A resource
    the service dates after the baseline is new, and alerts.
    """
    return [
        replace(t, baseline=True)
        if t.previous_status is None and t.new.updated_at is not None and t.new.updated_at < baseline_at
        else t
        for t in transitions
    ]


def needs_detail(observation: Observation, known: ResourceState | None, *, redescribe_failed: bool) -> bool:
    """Whether a Describe call adds something for this resource in this sweep.

    Only resources that changed, and (where the source needs it to see a repeated failure) failed
    ones: an unchanged complete or in-flight resource costs no Describe call, so a quiet sweep's
    calls do not grow with the number of resources.
    """
    return is_change(observation, known) or (redescribe_failed and observation.phase is Phase.FAILED)
