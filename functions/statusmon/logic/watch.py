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
* what happened between its looks: an operation CloudTrail reported may start and end before the
  first Describe (a small UpdateDatasetEntries takes seconds). A discovered entry whose answer is
  settled with a service timestamp (``LastUpdatedTimestamp``, ``lastUpdatedDateTime``) later than
  the call (the entry's ``since``, CloudTrail's ``eventTime``) is that operation completed: the diff
  (:func:`statusmon.logic.changes.is_change`: the same complete status with a later timestamp is a
  change) records it as if it had been seen in flight, through the same Recorder: a history item
  from the status it had to the one it has (``UPDATE_COMPLETE`` → ``UPDATE_COMPLETE``, with the new
  timestamp and stats), a state-change event naming the operation, and the warning when it added
  error entries (``add_error_samples`` and the alert policy, as for any completion); ``statusmon
  wait --new`` sees the new version. A settled answer dated at or before the call is not the call's
  effect (not visible yet, or the call failed): nothing is recorded, and the entry waits
  :data:`NOT_STARTED_GRACE` for it, then leaves (the sweep's deep check finds what it then missed).
  A resource the call created (no recorded state) is new whatever its status: a job created and
  finished within the minute is recorded as new, with its outcome;
* an unchanged entry in flight longer than its operation's threshold gets its one stuck warning
  (:mod:`statusmon.logic.stuck`);
* what the watch leaves to the sweep: a status outside the vocabulary (its one-time announcement is
  the sweep's), any change while the service's silent baseline is not over (it is part of the
  baseline: the watch reads the bookkeeping only then, when it has a change to record), a
  discovered dataset whose project the call did not name, and deletions (only two complete
  listings delete, and that deletion takes the resource off the watch). A discovered resource the
  service does not find within ten minutes leaves the watch.

The list cleans itself, each removal named in the run's report (``excluded``, ``malformed``,
``denied``) for the handler's log:

* the filters (:mod:`statusmon.domain.filters`) apply to every entry, so the watch never records a
  resource they exclude: an entry they exclude is taken off without a Describe (one put before the
  filters changed, say). An import job is placed by its dataset: the entry's ``parent_arn``, else
  the ``datasetArn`` its Describe returns; one that still cannot be placed while Personalize filters
  are set is taken off too (the sweep's filtered listing finds it if it is included);
* an entry whose ARN is malformed can never be described: it is taken off;
* an entry whose Describe is denied (AccessDeniedException) is tried again on the next runs (a
  policy being fixed takes effect within minutes), its denials counted on the entry; the
  :data:`MAX_DENIALS`-th takes it off. The full sweep still tracks the resource, and reports the
  denial on every sweep.
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
from statusmon.domain.filters import Filters
from statusmon.domain.model import (
    WATCHED_BY_CLOUDTRAIL,
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
# Denied Describe calls before an entry leaves the watch: ten minutes of one-minute runs, well past the
# seconds to minutes an IAM policy change takes to apply, and 10 of the 10,080 runs of its week.
MAX_DENIALS = 10
# A discovered resource whose settled answer the service dates before the call stays this long: the
# call's effect may not be visible at once, and a call that failed without CloudTrail saying so
# changes nothing (the entry then leaves; a sweep's deep check still finds what the watch missed).
NOT_STARTED_GRACE = timedelta(minutes=10)


class WatchStore(Store, Protocol):
    def unwatch(self, entry: WatchEntry) -> bool: ...
    def mirror(self, state: ResourceState) -> bool: ...
    def warn_stuck(self, entry: WatchEntry, outbox: Sequence[OutboxMessage], *, at: datetime) -> bool: ...
    def note_denial(self, entry: WatchEntry) -> int: ...


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
    # Taken off the list, by why (see the module's doc); each is also counted in ``unwatched``.
    excluded: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)
    # Discovered entries kept because the answer predates the call (NOT_STARTED_GRACE).
    not_started: int = 0
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
            "excluded": len(self.excluded),
            "malformed": len(self.malformed),
            "denied": len(self.denied),
            "not_started": self.not_started,
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
    filters: Filters = Filters(),  # noqa: B008 (frozen)
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
    run = _Run(store, report, moment, stuck_after, filters, chat=policy.chat, clock=clock)
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
        filters: Filters,
        *,
        chat: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self.chat = chat
        self.filters = filters
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
        asked: dict[str, WatchEntry] = {}
        observations: list[Observation] = []
        for entry in entries:
            observation = _observation(entry)
            if observation is None:
                self._drop(entry, self.report.malformed)
            elif self.filters.verdict(entry.service, entry.resource_arn, entry.parent_arn) is False:
                self._drop(entry, self.report.excluded)
            else:
                asked[entry.resource_arn] = entry
                observations.append(observation)
        gone: set[str] = set()
        denied: set[str] = set()
        detailed, _ = describe_all(
            source,
            observations,
            self.report,
            out_of_time,
            workers,
            gone=gone,
            denied=denied,
            clock=self.clock,
        )
        for arn in sorted(denied):
            self._denied(asked[arn])
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
        if not self.filters.verdict(entry.service, entry.resource_arn, observation.parent_arn):
            # Placed only now, by the Describe's parent (an import job's dataset), or not at all.
            self._drop(entry, self.report.excluded)
            return
        mirrored = entry.known()
        if mirrored is not None and not is_change(observation, mirrored):
            # Still in flight, as recorded: the quiet case, one Describe and nothing else (unless it
            # has been in flight too long, and was not warned about yet).
            stuck = overdue(entry, self.moment, self.stuck_after)
            if stuck is not None:
                self.stuck.append(stuck)
            return
        known = self.store.get(entry.resource_arn)
        if known is not None and not shows_the_call(entry, observation):
            self._wait_for_the_call(entry)
            return
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
        self._queue(entry, observation, changes, known)

    def _queue(
        self,
        entry: WatchEntry,
        observation: Observation,
        changes: list[Transition],
        known: ResourceState | None,
    ) -> None:
        """Queue a change for the Recorder, unless it is the sweep's to record."""
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
        arn = entry.resource_arn
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

    def _wait_for_the_call(self, entry: WatchEntry) -> None:
        """The call CloudTrail reported has left no trace yet (or failed): what the Describe shows
        predates it. Wait for its effect a bounded time; a deep check finds what it then missed."""
        if self.moment - entry.since > NOT_STARTED_GRACE:
            self._unwatch(entry)
        else:
            self.report.not_started += 1

    def _unwatch(self, entry: WatchEntry) -> bool:
        try:
            removed = self.store.unwatch(entry)
        except AwsError as exc:
            self.report.problems.append(str(exc))
            return False
        self.report.unwatched += removed
        return removed

    def _drop(self, entry: WatchEntry, why: list[str]) -> None:
        if self._unwatch(entry):
            why.append(entry.resource_arn)

    def _denied(self, entry: WatchEntry) -> None:
        if entry.denials + 1 >= MAX_DENIALS:
            self._drop(entry, self.report.denied)
            return
        try:
            self.store.note_denial(entry)
        except AwsError as exc:
            self.report.problems.append(str(exc))

    def _meta(self, service: Service) -> ServiceMeta:
        if service not in self._metas:
            self._metas[service] = self.store.service_meta(service)
        return self._metas[service]


def shows_the_call(entry: WatchEntry, observation: Observation) -> bool:
    """Whether a Describe of a discovered resource can show the effect of the call CloudTrail reported:
    an answer in flight can (the operation is under way), a settled one only when the service dates
    it after the call (``LastUpdatedTimestamp`` / ``lastUpdatedDateTime`` later than the event's
    time). An entry that mirrors a recorded state already tracks the operation."""
    if entry.version is not None or entry.origin != WATCHED_BY_CLOUDTRAIL:
        return True
    if observation.phase not in (Phase.COMPLETE, Phase.FAILED):
        return True
    return observation.updated_at is not None and observation.updated_at > entry.since


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
