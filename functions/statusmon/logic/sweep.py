"""One sweep of one service: list, describe what needs it, diff against the table, record changes.

Cost: one listing (pages of 100), Describe calls only for resources that changed (and, for
Rekognition, failed datasets), one batched read of the known state, and one transaction per
change. A quiet sweep writes nothing.

The first sweep of a service is a silent baseline: what exists is recorded, not alerted, until a
sweep has listed everything once (its start is recorded per service in the table); a resource
found later that the service dates before that moment is recorded silently too.

Failures: a page that cannot be read makes the listing incomplete (nothing is deleted); a resource
whose details cannot be read is skipped this time; a write that fails is left for the next sweep.
All are reported, none stops the sweep. Only an unreadable table stops it (there is nothing to
compare with).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from statusmon.adapters.aws import CallCounter
from statusmon.adapters.errors import AwsError, NotFoundError
from statusmon.adapters.sources import Listing
from statusmon.domain.model import Observation, ResourceState, Transition, error_entries, utcnow
from statusmon.domain.vocabulary import Service
from statusmon.logic.changes import detect_changes, is_change, needs_detail, silence_preexisting


class Source(Protocol):
    service: Service
    redescribe_failed: bool
    counter: CallCounter

    def read_listing(self) -> Listing: ...
    def describe(self, observation: Observation) -> Observation: ...
    def wants_error_samples(self, observation: Observation) -> bool: ...
    def error_samples(self, observation: Observation) -> list[dict[str, Any]]: ...


class Store(Protocol):
    def load_service(self, service: Service) -> dict[str, ResourceState]: ...
    def baseline_at(self, service: Service) -> datetime | None: ...
    def mark_baseline_done(self, service: Service, at: datetime) -> None: ...
    def get(self, arn: str) -> ResourceState | None: ...
    def record(self, transition: Transition, *, retention_days: int) -> bool: ...


@dataclass
class SweepReport:
    service: Service
    baseline: bool = False
    seen: int = 0
    described: int = 0
    recorded: list[Transition] = field(default_factory=list)
    lost_races: int = 0
    complete: bool = True
    stopped_early: bool = False
    problems: list[str] = field(default_factory=list)
    aws_calls: int = 0
    throttles: int = 0
    duration_ms: int = 0

    @property
    def succeeded(self) -> bool:
        """Everything listed was read and every change recorded."""
        return self.complete and not self.stopped_early and not self.problems

    def summary(self) -> dict[str, Any]:
        return {
            "service": self.service.value,
            "baseline": self.baseline,
            "seen": self.seen,
            "described": self.described,
            "transitions": len(self.recorded),
            "lost_races": self.lost_races,
            "complete": self.complete,
            "stopped_early": self.stopped_early,
            "problems": self.problems[:20],
            "aws_calls": self.aws_calls,
            "throttles": self.throttles,
            "duration_ms": self.duration_ms,
        }


def never() -> bool:
    return False


def sweep(
    source: Source,
    store: Store,
    *,
    retention_days: int,
    now: datetime | None = None,
    out_of_time: Callable[[], bool] = never,
) -> SweepReport:
    started = time.monotonic()
    report = SweepReport(service=source.service)
    moment = now or utcnow()
    known = store.load_service(source.service)
    baseline_at = store.baseline_at(source.service)
    report.baseline = baseline_at is None

    listing = source.read_listing()
    report.seen = len(listing.observations)
    report.complete = listing.complete
    report.problems += listing.problems

    ready, skipped = _read_details(source, listing.observations, known, report, out_of_time)
    changes = detect_changes(
        ready,
        known,
        now=moment,
        complete_listing=report.complete and not report.stopped_early,
        baseline=report.baseline,
        also_listed=skipped,
    )
    if baseline_at is not None:
        changes = silence_preexisting(changes, baseline_at)
    _record(
        store,
        changes=changes,
        observations=ready,
        report=report,
        retention_days=retention_days,
        out_of_time=out_of_time,
    )
    if report.baseline and report.complete and not report.stopped_early:
        # The baseline ends with the first complete listing; what it could not read in detail is
        # silenced later by its own timestamps (silence_preexisting).
        try:
            store.mark_baseline_done(source.service, moment)
        except AwsError as exc:
            report.problems.append(str(exc))

    report.aws_calls = source.counter.total
    report.throttles = source.counter.throttles
    report.duration_ms = int((time.monotonic() - started) * 1000)
    return report


def _read_details(
    source: Source,
    observations: list[Observation],
    known: dict[str, ResourceState],
    report: SweepReport,
    out_of_time: Callable[[], bool],
) -> tuple[list[Observation], set[str]]:
    ready: list[Observation] = []
    skipped: set[str] = set()
    for index, observation in enumerate(observations):
        if out_of_time():
            report.stopped_early = True
            skipped.update(o.resource_arn for o in observations[index:])
            break
        previous = known.get(observation.resource_arn)
        if needs_detail(observation, previous, redescribe_failed=source.redescribe_failed):
            try:
                observation = source.describe(observation)  # noqa: PLW2901 (the detailed view replaces it)
                report.described += 1
            except NotFoundError:
                # Listed a moment ago, gone now (a project being deleted): the next listing says so.
                skipped.add(observation.resource_arn)
                continue
            except AwsError as exc:
                report.problems.append(str(exc))
                skipped.add(observation.resource_arn)
                continue
            # Samples only for a completion that added error entries: what the warning alert shows.
            errors_before = previous.error_entries() if previous else 0
            if (
                is_change(observation, previous)
                and source.wants_error_samples(observation)
                and error_entries(observation.details) > errors_before
            ):
                try:
                    samples = source.error_samples(observation)
                    observation.details["error_entries"] = samples
                except AwsError as exc:
                    report.problems.append(str(exc))
        ready.append(observation)
    return ready, skipped


def _record(
    store: Store,
    *,
    changes: list[Transition],
    observations: list[Observation],
    report: SweepReport,
    retention_days: int,
    out_of_time: Callable[[], bool],
) -> None:
    by_arn = {o.resource_arn: o for o in observations}
    for change in changes:
        if out_of_time():
            report.stopped_early = True
            return
        try:
            if store.record(change, retention_days=retention_days):
                report.recorded.append(change)
                continue
            # Another sweep wrote this resource since we read it: diff again against what it wrote.
            report.lost_races += 1
            retry = _rediff(store, change, by_arn.get(change.new.resource_arn))
            if retry is not None and store.record(retry, retention_days=retention_days):
                report.recorded.append(retry)
        except AwsError as exc:
            report.problems.append(str(exc))


def _rediff(store: Store, change: Transition, observation: Observation | None) -> Transition | None:
    current = store.get(change.new.resource_arn)
    known = {current.resource_arn: current} if current else {}
    redone = detect_changes(
        [observation] if observation else [],
        known,
        now=change.detected_at,
        complete_listing=observation is None,
        baseline=change.baseline,
    )
    return redone[0] if redone else None
