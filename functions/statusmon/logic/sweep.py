"""One sweep of one service: list, describe what needs it, diff against the table, record changes.

Cost: one listing (pages of 100), Describe calls only for resources that changed (and, for
Rekognition, failed datasets), one Query for the service's bookkeeping and bucket marks, and one
transaction per change. The known states are read only for the buckets whose listing no longer
matches their mark (:mod:`statusmon.domain.digest`): a quiet sweep reads no state and writes
nothing, whatever the number of resources; a sweep with one change reads one bucket (1/256 of the
states) and stores that bucket's new mark.

The deep check: a listing cannot show an operation that started and ended between two sweeps when
the resource settles in the status it had (DescribeProjects gives a dataset's status only, and an
update leaves it UPDATE_COMPLETE); only DescribeDataset's ``LastUpdatedTimestamp`` and
``DatasetStats`` do. So each sweep of a source that needs it (``Source.deep_check``: Custom Labels;
an import job is a new ARN, listed with its status and timestamps) also describes the complete
resources of the buckets whose turn came (:class:`DeepCheck`: a clock over the 256 buckets, one
period, ``deep_check_hours``), reads those buckets' states, and records what the diff finds, exactly
as any change (a quick update with new error entries gets its warning). Every complete dataset is
described once per period, give or take the margin for a late start (a fifth of the interval, at
most a minute); a sweep that did not run leaves its turn to the next period. Cost at the default
(24 h, 5-minute sweeps), 1,000 datasets: about 4 DescribeDataset calls (not billed) and one Query of
a bucket's states (0.5 read unit) per sweep, some 36,000 calls and 4,600 read units a month, and
about 0.1 s of the poller's time per sweep (one round of 8 calls at a time): under a cent a month
(``bench/cost_model.py`` prices it from the template). It is the one part of a quiet sweep that
grows with the resources, by design bounded to their share of the period.

The first sweep of a service is a silent baseline: what exists is recorded, not alerted, until a
sweep has listed everything once (its start is recorded per service in the table); a resource
found later that the service dates before that moment is recorded silently too.

Alerts are decided here, when the transition is recorded: the alert policy's message, and the
transition's state-change event (every transition but a baseline's), go into the table's outbox in
the same transaction as the state and history items, so a transition is never recorded without its
alert and event, and each stays pending until a delivery confirms its publish.

The hot watch (:mod:`statusmon.logic.watch`) rides on the same transaction: recording an in-flight
state puts the resource on the watch list, recording a settled one takes it off. A sweep with
changes reads the watch list once, for the operation CloudTrail discovery noted there
(:mod:`statusmon.logic.operations`).

Filters (:mod:`statusmon.domain.filters`): the listing asks the service for the included resources
only, so it vouches only for those. A recorded state the filters exclude, or cannot place (an import
job whose dataset is not recorded), is taken as listed: never deleted because a filtered listing
misses it (a filter narrowed after it was recorded leaves its state as it was, without a DELETED
transition or event). Discovery and the watch apply the same predicate where a resource enters.

Stale answers: **an observation older than the recorded state never replaces it** -- older by the
service's own timestamps where it has them, by when it was read otherwise
(:func:`statusmon.logic.changes.is_stale`). Each observation carries when its answer was read,
taken before the call was sent (a listing's items: before its first page); each state keeps the
read time of the answer it was recorded from. Sweeps and watch runs overlap and services move while
they run, so an answer may be delivered after a newer one was recorded: it is then no change, and a
listing that began before a state was read does not count it missing. The rule is applied where
every writer diffs (:func:`statusmon.logic.changes.detect_changes`, the watch's too), against the
state each write is conditional on; nothing depends on the order in which calls are sent (a kind
whose listing carries everything may record from it without a Describe). Read times come from the
writer's clock: a clock that is wrong only delays what it reads (the next sweep reads it again) or,
when the service gives no timestamp, may let an answer older by less than its error through.

Failures: an answer that cannot be read or does not hold what it must (a page without its list, an
item without its ARN or status, a repeated paging token) makes the listing incomplete, and an
incomplete listing deletes nothing; a resource is deleted only when two complete listings in a row
miss it. A resource whose details cannot be read is skipped this time; a write that fails is left
for the next sweep. All are reported, none stops the sweep. The deadline (``out_of_time``) is
checked before every page, Describe and write, the bookkeeping and each bucket mark included (a
mark not written leaves its bucket to be read again by the next sweep; the bookkeeping not written
is the previous sweep's, as when the write fails). Only an unreadable table stops the sweep (there
is nothing to compare with).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from statusmon.adapters import table_schema as schema
from statusmon.adapters.aws import CallCounter
from statusmon.adapters.errors import AccessDeniedError, AwsError, NotFoundError
from statusmon.adapters.sources import Listing
from statusmon.domain import digest
from statusmon.domain.filters import Filters
from statusmon.domain.hints import unmatched_reasons
from statusmon.domain.model import (
    BucketMark,
    Observation,
    OutboxMessage,
    ResourceState,
    ServiceMeta,
    Transition,
    WatchEntry,
    error_entries,
    never,
    utcnow,
)
from statusmon.domain.vocabulary import Phase, Service, phase
from statusmon.logic.alerts import outbox_message
from statusmon.logic.changes import (
    absent,
    detect_changes,
    is_change,
    is_stale,
    needs_detail,
    read_since,
    silence_preexisting,
)
from statusmon.logic.chat import outbox_chat
from statusmon.logic.events import EVENTS_CHANNEL, NO_ALERT, outbox_event, wants_event
from statusmon.logic.operations import with_operation
from statusmon.logic.policy import AlertPolicy, decide

# Describe calls in flight at once: a quiet sweep's re-described failures and a busy sweep's changes
# take one round trip per eight instead of one each; adaptive retries slow the client down if a
# service throttles (Describe* quotas are 5-10 per second and burst above that).
DESCRIBE_WORKERS = 8


@dataclass(frozen=True)
class DeepCheck:
    """Describe every complete resource of a source that needs it once per ``period``, spread over the
    sweeps: each sweep takes the buckets (:mod:`statusmon.domain.digest`) whose turn came since the
    previous scheduled sweep (``interval`` ago, plus a margin for a late start).

    A bucket's turn comes when ``moment / period * BUCKETS`` passes a whole number equal to it modulo
    ``BUCKETS``: a clock, not a cursor, so finding the slice costs no read and no write.
    """

    period: timedelta
    interval: timedelta

    def buckets(self, moment: datetime) -> set[str]:
        count = digest.BUCKETS
        # A sweep that starts up to a fifth of an interval (at most a minute) late still covers its turn.
        margin = min(self.interval / 5, timedelta(minutes=1))
        start = (moment - self.interval - margin).timestamp() / self.period.total_seconds() * count
        end = moment.timestamp() / self.period.total_seconds() * count
        turns = range(math.floor(start) + 1, math.floor(end) + 1)
        if len(turns) >= count:
            return {f"{bucket:02x}" for bucket in range(count)}
        return {f"{turn % count:02x}" for turn in turns}


class Source(Protocol):
    service: Service
    redescribe_failed: bool
    # Whether its listing can hide an operation that started and ended between two sweeps (the
    # deep check then describes its complete resources, a slice per sweep).
    deep_check: bool
    counter: CallCounter

    def read_listing(self, out_of_time: Callable[[], bool]) -> Listing: ...
    def describe(self, observation: Observation) -> Observation: ...
    def wants_error_samples(self, observation: Observation) -> bool: ...
    def error_samples(self, observation: Observation) -> list[dict[str, Any]]: ...


class Store(Protocol):
    def load_service(
        self, service: Service, buckets: Iterable[str] | None = None
    ) -> dict[str, ResourceState]: ...
    def service_meta(self, service: Service) -> ServiceMeta: ...
    def save_service_meta(self, service: Service, meta: ServiceMeta) -> bool: ...
    def save_marks(self, service: Service, marks: Mapping[str, BucketMark]) -> int: ...
    def upgrade_keys(self, service: Service, *, out_of_time: Callable[[], bool] = never) -> bool: ...
    def get(self, arn: str) -> ResourceState | None: ...
    def record(
        self,
        transition: Transition,
        *,
        retention_days: int,
        outbox: Sequence[OutboxMessage] = (),
        watched: bool = False,
    ) -> bool: ...
    def watched(self) -> list[WatchEntry]: ...


class _Tally(Protocol):
    """What recording and describing count, in a sweep's report and in a watch run's."""

    described: int
    recorded: list[Transition]
    alerts_queued: int
    events_queued: int
    lost_races: int
    stopped_early: bool
    problems: list[str]
    unknown_statuses: set[str]


@dataclass
class SweepReport:
    service: Service
    baseline: bool = False
    seen: int = 0
    described: int = 0
    # Buckets whose states were read (their listing no longer matched their mark), and how many states.
    buckets_read: int = 0
    states_read: int = 0
    marks_stored: int = 0
    # The deep check's share of this sweep: the buckets whose turn it was, and the Describe calls.
    deep_buckets: int = 0
    deep_described: int = 0
    recorded: list[Transition] = field(default_factory=list)
    alerts_queued: int = 0
    events_queued: int = 0
    lost_races: int = 0
    complete: bool = True
    stopped_early: bool = False
    problems: list[str] = field(default_factory=list)
    unknown_statuses: set[str] = field(default_factory=set)
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
            "buckets_read": self.buckets_read,
            "states_read": self.states_read,
            "deep_buckets": self.deep_buckets,
            "deep_described": self.deep_described,
            "transitions": len(self.recorded),
            "alerts_queued": self.alerts_queued,
            "events_queued": self.events_queued,
            "lost_races": self.lost_races,
            "complete": self.complete,
            "stopped_early": self.stopped_early,
            "read_problems": len(self.problems),
            "problems": self.problems[:20],
            "unknown_statuses": sorted(self.unknown_statuses),
            # Failures the hints catalogue has no entry for, to grow it (statusmon.domain.hints).
            "unmatched_reasons": unmatched_reasons(self.recorded),
            "aws_calls": self.aws_calls,
            "throttles": self.throttles,
            "duration_ms": self.duration_ms,
        }


def sweep(
    source: Source,
    store: Store,
    *,
    retention_days: int,
    policy: AlertPolicy = AlertPolicy(),  # noqa: B008 (frozen)
    now: datetime | None = None,
    out_of_time: Callable[[], bool] = never,
    describe_workers: int = DESCRIBE_WORKERS,
    filters: Filters = Filters(),  # noqa: B008 (frozen)
    deep_check: DeepCheck | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> SweepReport:
    """``clock``: what stamps each answer with when it was read (the staleness rule's other measure)."""
    started = time.monotonic()
    report = SweepReport(service=source.service)
    moment = now or utcnow()
    meta = store.service_meta(source.service)
    report.baseline = meta.baseline_at is None

    listed_at = clock()
    listing = source.read_listing(out_of_time)
    report.seen = len(listing.observations)
    report.complete = listing.complete
    report.stopped_early = listing.out_of_time
    report.problems += listing.problems

    observations, skipped, described = _listed(
        source,
        listing,
        report,
        out_of_time=out_of_time,
        workers=describe_workers,
        clock=clock,
    )
    listed_digests = digest.digests(o for o in observations if o.resource_arn not in skipped)
    full = report.baseline or meta.layout < schema.LAYOUT
    # The baseline describes everything anyway. A bucket with nothing listed has nothing to describe:
    # reading it would only store a mark for an empty bucket (a write a quiet sweep never makes).
    deep = (
        deep_check.buckets(moment) & set(listed_digests)
        if deep_check and source.deep_check and not report.baseline
        else set()
    )
    report.deep_buckets = len(deep)
    to_read, known = _known_states(store, source.service, meta, listed_digests, skipped, full=full, deep=deep)
    report.buckets_read = len(to_read)
    report.states_read = len(known)

    # A listed item counts as read when its listing began; stamped only if diffed (a quiet sweep's
    # items are not).
    subject = [
        o if o.read_at else replace(o, read_at=listed_at)
        for o in observations
        if o.resource_arn not in skipped and digest.bucket_of(o.resource_arn) in to_read
    ]
    ready, unread = _read_details(
        source,
        subject,
        known,
        report,
        out_of_time,
        described=described,
        workers=describe_workers,
        clock=clock,
        deep=deep,
    )
    skipped |= unread
    # Taken as listed, but not as unsettled: their buckets' marks are stored, so they cost no read later.
    unvouched = {
        arn for arn, state in known.items() if not filters.verdict(state.service, arn, state.parent_arn)
    }
    complete = report.complete and not report.stopped_early
    changes = detect_changes(
        ready,
        known,
        now=moment,
        complete_listing=complete,
        baseline=report.baseline,
        also_listed=skipped | unvouched,
        missing_before=meta.missing,
        listed_at=listed_at,
    )
    if meta.baseline_at is not None:
        changes = silence_preexisting(changes, meta.baseline_at)
    recorder = Recorder(
        store,
        report,
        policy,
        retention_days,
        announced=set(meta.unknown_statuses),
        watching=watch_entries(store, report) if changes else {},
    )
    recorder.record_all(changes, {o.resource_arn: o for o in ready}, out_of_time)

    listed = {o.resource_arn for o in listing.observations} | skipped | unvouched
    if complete:
        # Absent now: deleted if it was absent last time too (and the write went through), else on notice.
        deleted = {t.new.resource_arn for t in report.recorded if t.new.phase is Phase.DELETED}
        missing = frozenset(absent(known, listed, listed_at) - deleted)
    else:
        missing = frozenset(meta.missing - listed)
    updated = replace(meta, missing=missing, unknown_statuses=frozenset(recorder.announced))
    if report.baseline and complete and not report.stopped_early:
        # The baseline ends with the first complete listing; what it could not read in detail is
        # silenced later by its own timestamps (silence_preexisting).
        updated = replace(updated, baseline_at=moment)
    unsettled = skipped | missing | recorder.failed | _not_reconciled(ready, known, listed_at)
    try:
        _save_meta(store, report, meta, updated, upgrade=complete and full, out_of_time=out_of_time)
        if complete and not report.stopped_early:
            _mark_reconciled(
                store, report, meta, to_read, listed_digests, out_of_time=out_of_time, unsettled=unsettled
            )
    except AwsError as exc:
        report.problems.append(str(exc))

    report.aws_calls = source.counter.total
    report.throttles = source.counter.throttles
    report.duration_ms = int((time.monotonic() - started) * 1000)
    return report


def _listed(
    source: Source,
    listing: Listing,
    report: SweepReport,
    *,
    out_of_time: Callable[[], bool],
    workers: int,
    clock: Callable[[], datetime],
) -> tuple[list[Observation], set[str], set[str]]:
    """The listing as the diff compares it, the ARNs that could not be read, and those described.

    A failed dataset's repeated failure shows only in its Describe, so a source that needs it has its
    failed resources described first: the buckets' digests then cover what the diff compares.
    """
    first = [o for o in listing.observations if source.redescribe_failed and o.phase is Phase.FAILED]
    detailed, skipped = describe_all(source, first, report, out_of_time, workers, clock=clock)
    observations = [detailed.get(o.resource_arn, o) for o in listing.observations]
    return observations, skipped | listing.unreadable, set(detailed)


def _not_reconciled(
    ready: Sequence[Observation], known: Mapping[str, ResourceState], listed_at: datetime
) -> set[str]:
    """Resources whose answer is older than their state, or whose state is newer than the listing:
    this listing did not reconcile their buckets (a stored digest would describe an older view)."""
    stale = {o.resource_arn for o in ready if o.resource_arn in known and is_stale(o, known[o.resource_arn])}
    return stale | {arn for arn, state in known.items() if read_since(state, listed_at)}


def _save_meta(
    store: Store,
    report: SweepReport,
    meta: ServiceMeta,
    updated: ServiceMeta,
    *,
    upgrade: bool,
    out_of_time: Callable[[], bool],
) -> None:
    """Upgrade old index keys (``upgrade``: a complete full read found some), then write the
    bookkeeping, each only in time. Before the marks: one write that deletions and the baseline rely
    on, where a mark only spares the next sweep a read."""
    stale_keys = upgrade and not report.stopped_early and meta.layout < schema.LAYOUT
    if stale_keys and store.upgrade_keys(report.service, out_of_time=out_of_time):
        updated = replace(updated, layout=schema.LAYOUT)
    if updated != meta and not _out_of_time(report, out_of_time):
        # False: an overlapping sweep wrote newer bookkeeping; it stands (this one's is older).
        store.save_service_meta(report.service, updated)


def _out_of_time(report: _Tally, out_of_time: Callable[[], bool]) -> bool:
    if out_of_time():
        report.stopped_early = True
        return True
    return False


def _known_states(
    store: Store,
    service: Service,
    meta: ServiceMeta,
    listed_digests: dict[str, str],
    skipped: set[str],
    *,
    full: bool,
    deep: Set[str] = frozenset(),
) -> tuple[set[str], dict[str, ResourceState]]:
    """The buckets to diff, and their known states: those whose listing no longer matches their mark,
    those of the deep check's turn, or everything (``full``: the baseline, an older key layout; or
    most buckets changed anyway)."""
    if not full:
        doubtful = {digest.bucket_of(arn) for arn in skipped | meta.missing} | deep
        buckets = digest.buckets_to_read(listed_digests, meta.marks, also=doubtful)
        if len(buckets) * 2 <= digest.BUCKETS:
            return buckets, store.load_service(service, buckets=buckets)
    known = store.load_service(service)
    return set(listed_digests) | set(meta.marks) | {digest.bucket_of(arn) for arn in known}, known


def _mark_reconciled(
    store: Store,
    report: SweepReport,
    meta: ServiceMeta,
    buckets: set[str],
    listed_digests: dict[str, str],
    *,
    out_of_time: Callable[[], bool],
    unsettled: set[str],
) -> None:
    """Store the digest of every bucket this sweep read and fully reconciled, at the generation its
    own writes brought it to; a bucket with anything unread, unrecorded or awaiting deletion stays void.

    One write per mark, each after a look at the deadline: a mark left unwritten keeps its bucket's
    old one, which no longer matches (its generation moved, or its digest is not the listing's), so
    the next sweep reads that bucket again."""
    writes = Counter(digest.bucket_of(t.new.resource_arn) for t in report.recorded)
    open_buckets = {digest.bucket_of(arn) for arn in unsettled}
    marks: dict[str, BucketMark] = {}
    for bucket in buckets - open_buckets:
        before = meta.marks.get(bucket, BucketMark())
        value = listed_digests.get(bucket, digest.EMPTY)
        if not writes[bucket] and before.still(value):
            continue
        generation = before.generation + writes[bucket]
        marks[bucket] = BucketMark(generation=generation, digest=value, digest_generation=generation)
    for bucket, mark in sorted(marks.items()):
        if _out_of_time(report, out_of_time):
            return
        report.marks_stored += store.save_marks(report.service, {bucket: mark})


def describe_all(
    source: Source,
    observations: Sequence[Observation],
    report: _Tally,
    out_of_time: Callable[[], bool],
    workers: int,
    *,
    gone: set[str] | None = None,
    denied: set[str] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> tuple[dict[str, Observation], set[str]]:
    """Describe each of ``observations``, ``workers`` at a time: the detailed views by ARN (each read
    at ``clock()`` as the call was sent), and the ARNs that could not be read (skipped this time, never
    taken as gone; those the service did not find are added to ``gone`` too, those it refused to
    describe to ``denied``)."""

    def describe(observation: Observation) -> Observation | AwsError | None:
        if out_of_time():
            return None
        read_at = clock()
        try:
            return replace(source.describe(observation), read_at=read_at)
        except AwsError as exc:
            return exc

    if workers > 1 and len(observations) > 1:
        with ThreadPoolExecutor(min(workers, len(observations))) as pool:
            answers = list(pool.map(describe, observations))
    else:
        answers = [describe(o) for o in observations]
    detailed: dict[str, Observation] = {}
    skipped: set[str] = set()
    for observation, answer in zip(observations, answers, strict=True):
        if isinstance(answer, Observation):
            detailed[observation.resource_arn] = answer
            report.described += 1
            continue
        skipped.add(observation.resource_arn)
        if answer is None:
            report.stopped_early = True
        elif isinstance(answer, NotFoundError):
            # Listed a moment ago, gone now (a project being deleted); the next listing says so.
            if gone is not None:
                gone.add(observation.resource_arn)
        else:
            report.problems.append(str(answer))
            if isinstance(answer, AccessDeniedError) and denied is not None:
                denied.add(observation.resource_arn)
    return detailed, skipped


def _read_details(
    source: Source,
    observations: list[Observation],
    known: dict[str, ResourceState],
    report: SweepReport,
    out_of_time: Callable[[], bool],
    *,
    described: set[str],
    workers: int,
    clock: Callable[[], datetime],
    deep: Set[str] = frozenset(),
) -> tuple[list[Observation], set[str]]:
    """The observations to diff, each described if the diff needs it (``described``: already done),
    and the complete ones of the deep check's buckets (``deep``), whose listing cannot show an
    operation that started and ended since the last look."""
    wanted: list[Observation] = []
    for o in observations:
        if o.resource_arn in described:
            continue
        if needs_detail(o, known.get(o.resource_arn), redescribe_failed=source.redescribe_failed):
            wanted.append(o)
        elif o.phase is Phase.COMPLETE and digest.bucket_of(o.resource_arn) in deep:
            wanted.append(o)
            report.deep_described += 1
    detailed, skipped = describe_all(source, wanted, report, out_of_time, workers, clock=clock)
    ready: list[Observation] = []
    for observation in observations:
        arn = observation.resource_arn
        if arn in skipped:
            continue
        observation = detailed.get(arn, observation)  # noqa: PLW2901 (the detailed view replaces it)
        if arn in detailed or arn in described:
            add_error_samples(source, observation, known.get(arn), report)
        ready.append(observation)
    return ready, skipped


def add_error_samples(
    source: Source, observation: Observation, previous: ResourceState | None, report: _Tally
) -> None:
    # Samples only for a completion that added error entries: what the warning alert shows.
    errors_before = previous.error_entries() if previous else 0
    if (
        is_change(observation, previous)
        and source.wants_error_samples(observation)
        and error_entries(observation.details) > errors_before
    ):
        try:
            observation.details["error_entries"] = source.error_samples(observation)
        except AwsError as exc:
            report.problems.append(str(exc))


class Recorder:
    """Writes each transition with the alert the policy wants for it, in one transaction."""

    def __init__(
        self,
        store: Store,
        report: _Tally,
        policy: AlertPolicy,
        retention_days: int,
        *,
        announced: set[str],
        watching: Mapping[str, WatchEntry] | None,
    ) -> None:
        self.store = store
        # The hot watch as read before recording (None: it could not be read). An entry's operation
        # goes into the transition; a settled transition deletes the entry.
        self.watching = watching
        self.report = report
        self.policy = policy
        self.retention_days = retention_days
        # Unknown statuses already surfaced (by earlier sweeps, or by this one).
        self.announced = announced
        # Resources whose change could not be written (left for the next sweep).
        self.failed: set[str] = set()

    def record_all(
        self,
        changes: list[Transition],
        observations: dict[str, Observation],
        out_of_time: Callable[[], bool],
    ) -> None:
        for change in changes:
            if out_of_time():
                self.report.stopped_early = True
                return
            try:
                if self._record(change):
                    continue
                # Another sweep wrote this resource since we read it: diff again against what it wrote.
                self.report.lost_races += 1
                retry = _rediff(self.store, change, observations.get(change.new.resource_arn))
                if retry is not None:
                    self._record(retry)
            except AwsError as exc:
                self.failed.add(change.new.resource_arn)
                self.report.problems.append(str(exc))

    def _record(self, transition: Transition) -> bool:
        arn = transition.new.resource_arn
        entry = self.watching.get(arn) if self.watching is not None else None
        transition = with_operation(transition, entry)
        # Whether a watch entry may exist, to be deleted when the resource settles.
        watched = (
            self.watching is None
            or entry is not None
            or phase(transition.new.service, transition.previous_status) is Phase.IN_FLIGHT
        )
        status = transition.new.status
        unknown = transition.new.phase is Phase.UNKNOWN
        novel = unknown and status not in self.announced
        alert = decide(transition, self.policy, novel_status=novel)
        outbox = [outbox_message(alert)] if alert else []
        if alert and self.policy.chat:
            outbox.append(outbox_chat(alert))
        if wants_event(transition):
            outbox.append(outbox_event(transition, severity=alert.severity if alert else NO_ALERT))
        if not self.store.record(
            transition, retention_days=self.retention_days, outbox=outbox, watched=watched
        ):
            return False
        self.report.recorded.append(transition)
        self.report.alerts_queued += bool(alert)
        self.report.events_queued += sum(message.channel == EVENTS_CHANNEL for message in outbox)
        if unknown:
            self.report.unknown_statuses.add(status)
            if not transition.baseline:
                self.announced.add(status)
        return True


def watch_entries(store: Store, report: _Tally) -> dict[str, WatchEntry] | None:
    """The hot watch by ARN (one Query), or None if it cannot be read (then recording goes on)."""
    try:
        return {entry.resource_arn: entry for entry in store.watched()}
    except AwsError as exc:
        report.problems.append(str(exc))
        return None


def _rediff(store: Store, change: Transition, observation: Observation | None) -> Transition | None:
    current = store.get(change.new.resource_arn)
    known = {current.resource_arn: current} if current else {}
    redone = detect_changes(
        [observation] if observation else [],
        known,
        now=change.detected_at,
        complete_listing=observation is None,
        baseline=change.baseline,
        missing_before={change.new.resource_arn},
        # A deletion: its state was stamped with when the listing that missed the resource began.
        listed_at=change.new.read_at,
    )
    return redone[0] if redone else None
