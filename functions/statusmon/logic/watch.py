"""The hot watch: every minute, describe only what is in flight, and record what changed.

The full sweep (every 5 minutes by default) finds everything; the watch sees the end of what is
already known to be running within a minute. Its list is the table's ``WATCH`` partition
(:mod:`statusmon.adapters.table_schema`):

* a sweep or a watch run that records an in-flight state puts the resource on it, in the same
  transaction, with the state's status, reason, timestamp and version; recording a settled state
  takes it off. CloudTrail discovery (:mod:`statusmon.logic.discover`) adds resources the moment a
  call starts work on them, before any sweep has seen them;
* one run reads the list (one Query: a single read unit when nothing is in flight, and then it
  stops), describes each entry (one Describe each, 8 at a time), and compares the answer with the
  state the entry mirrors: an unchanged in-flight resource costs nothing more. A change is diffed
  against the recorded state (one GetItem) and recorded exactly as a sweep records it: the same
  conditional transaction, the same alert policy, the same outbox, so an overlapping sweep and watch
  record each transition once;
* an unchanged entry in flight longer than its operation's threshold gets its one stuck warning
  (:mod:`statusmon.logic.stuck`);
* what the watch leaves to the sweep: a status outside the vocabulary (its one-time announcement is
  the sweep's), any change while the service's silent baseline is not over (it is part of the
  baseline: the watch reads the bookkeeping only then, when it has a change to record), a
  discovered dataset whose project the call did not name, and deletions (only two complete
  listings delete, and that deletion takes the resource off the watch). A discovered resource the
  service does not find within ten minutes leaves the watch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol

from statusmon.adapters.errors import AwsError
from statusmon.domain.arns import MalformedArnError, parse_resource_arn
from statusmon.domain.model import (
    Observation,
    OutboxMessage,
    ResourceState,
    ServiceMeta,
    Transition,
    WatchEntry,
    never,
    utcnow,
)
from statusmon.domain.vocabulary import Phase, Service
from statusmon.logic.changes import detect_changes, is_change, is_stale, silence_preexisting
from statusmon.logic.policy import AlertPolicy
from statusmon.logic.stuck import Stuck, overdue, stuck_outbox
from statusmon.logic.sweep import (
    DESCRIBE_WORKERS,
    Recorder,
    Source,
    Store,
    add_error_samples,
    describe_all,
)

# A discovered resource the service does not find stays this long (a Describe right after the call
# that made it may not see it yet); one the table knows stays until the sweep records it deleted.
NOT_FOUND_GRACE = timedelta(minutes=10)


class WatchStore(Store, Protocol):
    def unwatch(self, entry: WatchEntry) -> bool: ...
    def mirror(self, state: ResourceState) -> bool: ...
    def warn_stuck(self, entry: WatchEntry, outbox: Sequence[OutboxMessage], *, at: datetime) -> bool: ...


@dataclass
class WatchReport:
    watched: int = 0
    described: int = 0
    recorded: list[Transition] = field(default_factory=list)
    alerts_queued: int = 0
    events_queued: int = 0
    lost_races: int = 0
    # Entries taken off the list: settled (with nothing left to record) or gone from the service.
    unwatched: int = 0
    # Entries whose change only a full sweep may record (see the module's doc).
    left_to_sweep: int = 0
    # Stuck warnings recorded (logic.stuck): one per in-flight episode past its threshold.
    stuck_warnings: int = 0
    stopped_early: bool = False
    problems: list[str] = field(default_factory=list)
    unknown_statuses: set[str] = field(default_factory=set)
    aws_calls: int = 0
    throttles: int = 0
    duration_ms: int = 0

    @property
    def succeeded(self) -> bool:
        return not self.stopped_early and not self.problems

    def summary(self) -> dict[str, Any]:
        return {
            "watched": self.watched,
            "described": self.described,
            "transitions": len(self.recorded),
            "alerts_queued": self.alerts_queued,
            "events_queued": self.events_queued,
            "lost_races": self.lost_races,
            "unwatched": self.unwatched,
            "left_to_sweep": self.left_to_sweep,
            "stuck_warnings": self.stuck_warnings,
            "stopped_early": self.stopped_early,
            "read_problems": len(self.problems),
            "problems": self.problems[:20],
            "aws_calls": self.aws_calls,
            "throttles": self.throttles,
            "duration_ms": self.duration_ms,
        }


def watch(
    source_for: Callable[[Service], Source],
    store: WatchStore,
    *,
    retention_days: int,
    policy: AlertPolicy = AlertPolicy(),  # noqa: B008 (frozen)
    now: datetime | None = None,
    out_of_time: Callable[[], bool] = never,
    describe_workers: int = DESCRIBE_WORKERS,
    stuck_after: Mapping[str, int] = MappingProxyType({}),
    clock: Callable[[], datetime] = utcnow,
) -> WatchReport:
    """One run of the hot watch. ``source_for`` makes a service's source, only if something of that
    service is watched (an idle run creates no client). ``clock`` stamps each answer with when it was
    read (:func:`statusmon.logic.changes.is_stale`)."""
    started = time.monotonic()
    report = WatchReport()
    moment = now or utcnow()
    entries = store.watched()
    report.watched = len(entries)
    run = _Run(store, report, moment, stuck_after, chat=policy.chat, clock=clock)
    sources: dict[Service, Source] = {}
    for service in sorted({entry.service for entry in entries}):
        source = sources[service] = source_for(service)
        mine = [entry for entry in entries if entry.service is service]
        run.service(source, mine, out_of_time, describe_workers)
    run.warn_stuck(out_of_time)
    if run.changes:
        recorder = Recorder(store, report, policy, retention_days, announced=set(), watching=run.watching)
        recorder.record_all(run.changes, run.observations, out_of_time)
    report.aws_calls = sum(source.counter.total for source in sources.values())
    report.throttles = sum(source.counter.throttles for source in sources.values())
    report.duration_ms = int((time.monotonic() - started) * 1000)
    return report


class _Run:
    """One watch run's decisions, entry by entry."""

    def __init__(
        self,
        store: WatchStore,
        report: WatchReport,
        moment: datetime,
        stuck_after: Mapping[str, int],
        *,
        chat: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self.chat = chat
        self.clock = clock
        self.store = store
        self.report = report
        self.moment = moment
        self.stuck_after = stuck_after
        self.stuck: list[Stuck] = []
        self.changes: list[Transition] = []
        self.observations: dict[str, Observation] = {}
        self.watching: dict[str, WatchEntry] = {}
        self._metas: dict[Service, ServiceMeta] = {}

    def service(
        self, source: Source, entries: list[WatchEntry], out_of_time: Callable[[], bool], workers: int
    ) -> None:
        asked = {entry.resource_arn: entry for entry in entries}
        observations = [o for o in (_observation(entry) for entry in entries) if o is not None]
        gone: set[str] = set()
        detailed, _ = describe_all(
            source, observations, self.report, out_of_time, workers, gone=gone, clock=self.clock
        )
        for arn in sorted(gone):
            # A recorded resource stays watched until the full sweep records it DELETED (two complete
            # listings without it), which takes it off in the same transaction; a discovered one that
            # the service still does not find after the grace period was never there to see.
            entry = asked[arn]
            if entry.version is None and self.moment - entry.since > NOT_FOUND_GRACE:
                self._unwatch(entry)
        for arn, observation in sorted(detailed.items()):
            try:
                self._diff(source, asked[arn], observation)
            except AwsError as exc:
                self.report.problems.append(str(exc))

    def _diff(self, source: Source, entry: WatchEntry, observation: Observation) -> None:
        mirrored = entry.known()
        if mirrored is not None and not is_change(observation, mirrored):
            # Still in flight, as recorded: the quiet case, one Describe and nothing else (unless it
            # has been in flight too long, and was not warned about yet).
            stuck = overdue(entry, self.moment, self.stuck_after)
            if stuck is not None:
                self.stuck.append(stuck)
            return
        known = self.store.get(entry.resource_arn)
        if known is not None:
            observation = replace(observation, parent_arn=observation.parent_arn or known.parent_arn)
        elif observation.parent_arn is None:
            self.report.left_to_sweep += 1  # a dataset whose project nobody named yet
            return
        add_error_samples(source, observation, known, self.report)
        arn = entry.resource_arn
        changes = detect_changes(
            [observation], {arn: known} if known else {}, now=self.moment, complete_listing=False
        )
        if not changes:
            if known is not None and is_stale(observation, known):
                return  # read before the state was recorded: the next run looks again
            if observation.phase is Phase.IN_FLIGHT and known is not None:
                # Recorded already (by a sweep), in flight: the entry mirrors it from now on.
                self.store.mirror(known)
            else:
                self._unwatch(entry)
            return
        if observation.phase is Phase.UNKNOWN:
            self.report.left_to_sweep += 1  # the sweep announces a status it does not know, once
            return
        baseline_at = self._meta(entry.service).baseline_at
        if baseline_at is None:
            # The service's silent baseline is not over: what changes now is part of it, the sweep's.
            self.report.left_to_sweep += 1
            return
        if known is None:
            changes = silence_preexisting(changes, baseline_at)
        self.changes += changes
        self.observations[arn] = observation
        self.watching[arn] = entry

    def warn_stuck(self, out_of_time: Callable[[], bool]) -> None:
        for stuck in self.stuck:
            if out_of_time():
                self.report.stopped_early = True
                return
            try:
                outbox = stuck_outbox(stuck, self.moment, chat=self.chat)
                self.report.stuck_warnings += self.store.warn_stuck(stuck.entry, outbox, at=self.moment)
            except AwsError as exc:
                self.report.problems.append(str(exc))

    def _unwatch(self, entry: WatchEntry) -> None:
        try:
            self.report.unwatched += self.store.unwatch(entry)
        except AwsError as exc:
            self.report.problems.append(str(exc))

    def _meta(self, service: Service) -> ServiceMeta:
        if service not in self._metas:
            self._metas[service] = self.store.service_meta(service)
        return self._metas[service]


def _observation(entry: WatchEntry) -> Observation | None:
    """What the Describe call starts from: the entry's resource, its status still to be read."""
    try:
        parsed = parse_resource_arn(entry.resource_arn)
    except MalformedArnError:
        return None
    return Observation(
        service=entry.service,
        resource_type=parsed.resource_type,
        resource_arn=entry.resource_arn,
        name=entry.name or parsed.name,
        status=entry.status or "",
        parent_arn=entry.parent_arn,
    )
