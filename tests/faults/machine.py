"""The property-based fault suite: random changes and faults, statusmon's invariants after every step.

Hypothesis drives a state machine (``RuleBasedStateMachine``) over the world of ``world.py``: the
services change (resources appear, change, fail, fail again, vanish), faults come and go (every
kind of bad answer, DynamoDB errors and lost answers, SNS outages and lost answers), and statusmon
sweeps (with deadlines, killed part way, overlapping another sweep, killed right after recording a
change that then reverts, with its resources in 1, 3 or 256 buckets) and delivers (killed between
publish and confirm). The real sweep, store (PynamoDB on moto server) and delivery code run.

After every step:
* nothing is alerted that is not a recorded, non-baseline transition into a state the service really
  had (failures, or a status statusmon did not know), and only after the baseline;
* no state-change event is put that is not a recorded, non-baseline transition, and none twice
  (beyond puts whose success statusmon could not see); EventBridge and SNS fail independently;
* no failure is alerted twice, except right after a publish whose success statusmon could not see
  (a lost Publish answer, or a deliverer killed before its confirm): those are counted apart;
  (a lost Publish answer, a deliverer killed before its confirm, a confirm the table refused);
* no sweep makes a call to a service after its deadline said stop;
* a resource the services still have is counted missing only after a listing that looked whole left
  it out, and DELETED only after two such listings (or overlapping sweeps, see below).
At every settle point (faults cleared, two clean sweeps, a delivery past every lease):
* the table equals the services (deleted resources are DELETED);
* every failure transition in the table's history, and every failure the services hold since the
  baseline, has been alerted, exactly once (``lost`` and ``duplicate`` stay 0);
* every non-baseline transition in the table's history has been put as an event, nothing is pending.

Known and allowed: a failure the services reach while the sweep that ends a service's silent
baseline runs (an overlapping sweep records it, silently) is part of the baseline, not required to
alert. And a listing counts as having shown a resource only once statusmon recorded that
(its bookkeeping no longer has it missing): a sweep killed, or whose bookkeeping write failed,
before then showed statusmon nothing. And a listing by a sweep that overlaps an older one of the
same service does not clear what the older one writes about missing resources (the bookkeeping
write is conditional on its version, but a sweep that changed nothing writes nothing).

Services move while statusmon runs: an answer may be held (read, then delivered only after the
resource it is about moved on and a watch run or another sweep recorded what it shows now), and an
overlapping sweep's services move between its reads and its writes. After every step, too:
* no resource's history steps back: no recorded state is one the service had before a state
  recorded earlier (``reversal``), the staleness rule of :mod:`statusmon.logic.changes`.

Every guard was checked by breaking it (confirm before publish, no claim, no pre-baseline silence,
repeated failures ignored, outbox outside the transaction, no answer checks, one-listing deletion,
no silent return, no deadline or loop check while paging, bucket marks that ignore their generation,
no staleness rule): each made the long profile fail; without the staleness rule the quick profile
fails too (``reversal``: a Describe read before a watch run or another sweep recorded the
resource's next state, delivered after it, recorded once the write lost its race).
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from statusmon.adapters.errors import AwsError
from statusmon.adapters.personalize import PersonalizeSource
from statusmon.adapters.rekognition import RekognitionSource
from statusmon.adapters.store import StatusStore
from statusmon.domain import digest
from statusmon.domain.arns import parse_resource_arn
from statusmon.domain.digest import BUCKETS
from statusmon.domain.model import (
    WATCHED_BY_CLOUDTRAIL,
    BucketMark,
    OutboxMessage,
    ResourceState,
    ServiceMeta,
    Transition,
    WatchEntry,
)
from statusmon.domain.vocabulary import DELETED, Phase, Service, phase
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.chat import CHAT_CHANNEL
from statusmon.logic.deliver import LEASE_SECONDS, deliver_pending
from statusmon.logic.events import EVENTS_CHANNEL
from statusmon.logic.operations import CREATE_DATASET_IMPORT_JOB, UPDATE_DATASET_ENTRIES
from statusmon.logic.policy import AlertPolicy
from statusmon.logic.sweep import DeepCheck, sweep
from statusmon.logic.watch import NOT_FOUND_GRACE, NOT_STARTED_GRACE, watch
from tests.faults.world import (
    ACCOUNT,
    REGION,
    SERVICE_FAULTS,
    STATUSES,
    STUCK,
    DynamoFaults,
    Episode,
    Killed,
    Services,
    Subscriber,
)

START = 1_764_000_000.0
# Every sweep and watch run renders alerts for the chat topic too (a third delivery channel).
CHAT_ON = AlertPolicy(chat=True)
KINDS = ["in_flight", "complete", "failed", "failed", "failed", "unknown"]
# Stuck thresholds in minutes, short enough for the machine's clock to pass them in a run.
STUCK_AFTER = {
    "CreateDataset": 10,
    "UpdateDatasetEntries": 10,
    "DistributeDatasetEntries": 10,
    "CreateDatasetImportJob": 20,
}

# Scheduled sweeps deep-check a rotating slice (a sixth of the buckets, and the margin's); a settle's
# sweeps check every bucket, so that every quick operation between two looks must be recorded then.
ROTATING_DEEP_CHECK = DeepCheck(period=timedelta(hours=1), interval=timedelta(minutes=10))
FULL_DEEP_CHECK = DeepCheck(period=timedelta(minutes=1), interval=timedelta(minutes=10))

ServiceFaults = tuple[float, frozenset[str]]
DynamoRates = tuple[float, float]
NO_SERVICE_FAULTS: ServiceFaults = (0.0, frozenset())
SERVICE_FAULT_DRAWS = st.one_of(
    st.just(NO_SERVICE_FAULTS),
    st.tuples(
        st.sampled_from([0.2, 0.5, 1.0]),
        st.frozensets(st.sampled_from(SERVICE_FAULTS), min_size=1, max_size=3),
    ),
)
SnsRates = tuple[float, float, float]  # down, answer lost, deliverer killed after publishing
SNS_FAULT_DRAWS = st.sampled_from(
    [
        (0.0, 0.0, 0.0),
        (0.0, 0.0, 0.0),
        (1.0, 0.0, 0.0),
        (0.5, 0.0, 0.0),
        (0.3, 0.2, 0.2),
        (0.0, 0.5, 0.0),
        (0.0, 0.0, 0.5),
    ]
)
DYNAMO_FAULT_DRAWS = st.sampled_from([(0.0, 0.0), (0.0, 0.0), (0.1, 0.0), (0.0, 0.1), (0.2, 0.2)])
# A late answer: the run's n-th listing page or Describe (None: none), and what runs while it is held.
LATE_AT = st.sampled_from(
    [None, None, ("list", 1), ("list", 2), ("describe", 1), ("describe", 1), ("describe", 2)]
)
LATE_THEN = st.sampled_from(["watch", "sweep", "sweep", "nothing"])
Late = tuple[str, int, Callable[[str, dict[str, Any]], None]]


@dataclass
class Tally:
    """Counts across every run of the machine (what `make soak` prints)."""

    examples: int = 0
    steps: int = 0
    sweeps: int = 0
    killed_sweeps: int = 0
    sweeps_not_run: int = 0
    clean_sweeps: int = 0
    transitions: int = 0
    overlapping_sweeps: int = 0
    # Answers held while the services moved and another run recorded what they showed then.
    late_answers: int = 0
    watch_runs: int = 0
    killed_watch_runs: int = 0
    watch_transitions: int = 0
    discoveries: int = 0
    stuck_warnings: int = 0
    chat_notifications: int = 0
    watch_left_to_sweep: int = 0
    watch_problems: int = 0
    watch_described: int = 0
    deliveries: int = 0
    events: int = 0
    settles: int = 0
    overlapping_deliveries: int = 0
    publish_refused: int = 0
    failures_required: int = 0
    failure_transitions: int = 0
    alerts: int = 0
    lost: int = 0
    duplicate: int = 0
    unexpected: int = 0
    # A recorded state the service dates before one recorded earlier (a late answer that won).
    reversal: int = 0
    mismatch: int = 0
    deadline: int = 0
    repeats_after_unseen_publish: int = 0
    unknown_status_warnings: int = 0
    # Operations that started and ended between two looks (issue 19), and those CloudTrail reported.
    quick_operations: int = 0
    quick_operations_reported: int = 0
    # Those whose outcome the dataset still showed at the next settle point (checked as recorded).
    quick_operations_checked: int = 0
    faults: Counter[str] = field(default_factory=Counter)


TALLY = Tally()


class _Proxy:
    """The real store, with a kill or another sweep slipped in before its n-th write."""

    def __init__(self, store: StatusStore, *, kill_at: int | None, before_first_write: Any = None) -> None:
        self._store = store
        self._kill_at = kill_at
        self._writes = 0
        self._before_first_write = before_first_write

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _write(self) -> None:
        self._writes += 1
        if self._writes == 1 and self._before_first_write is not None:
            hook, self._before_first_write = self._before_first_write, None
            hook()
        if self._kill_at is not None and self._writes >= self._kill_at:
            raise Killed

    def record(
        self,
        transition: Transition,
        *,
        retention_days: int,
        outbox: Sequence[OutboxMessage] = (),
        watched: bool = False,
    ) -> bool:
        self._write()
        return self._store.record(transition, retention_days=retention_days, outbox=outbox, watched=watched)

    def save_service_meta(self, service: Service, meta: ServiceMeta) -> bool:
        self._write()
        return self._store.save_service_meta(service, meta)

    def save_marks(self, service: Service, marks: Mapping[str, BucketMark]) -> int:
        self._write()
        return self._store.save_marks(service, marks)

    def unwatch(self, entry: WatchEntry) -> bool:
        self._write()
        return self._store.unwatch(entry)

    def mirror(self, state: ResourceState) -> bool:
        self._write()
        return self._store.mirror(state)


class _Confirms:
    """The real store as the outbox, noting each confirm the table failed to record as it happens (a
    deliverer killed later in the same run must not lose the note): that message may go out again."""

    def __init__(self, store: StatusStore, targets: Mapping[str, Subscriber]) -> None:
        self._store = store
        self._targets = targets

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def confirm(self, message: OutboxMessage, *, owner: str) -> bool:
        try:
            return self._store.confirm(message, owner=owner)
        except AwsError:
            # Under the key the subscriber counts it by: a stuck warning's is not its transition's.
            key, _ = Subscriber.key_of(message)
            self._targets[message.channel].unacknowledged[key] += 1
            raise


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


class StatusmonMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        TALLY.examples += 1
        self.store = StatusStore(f"faults-{uuid.uuid4().hex[:10]}")
        self.store.ensure_table()
        self.clock = START
        self.rng = random.Random(0)
        self.services = Services(self.rng)
        self.dynamo = DynamoFaults(self.rng)
        self.subscriber = Subscriber(self.rng)
        # EventBridge: the state-change events, with faults of their own.
        self.bus = Subscriber(self.rng)
        # The chat topic (Amazon Q Developer custom notifications), with faults of its own.
        self.chat = Subscriber(self.rng)
        self.evented: set[str] = set()  # transition ids whose event was checked
        self.alerted: dict[str, Episode | None] = {}  # transition id -> the episode it is about
        self.required: set[Episode] = set()
        self.steps_since_settle = 0
        self.recorded_failures: set[str] = set()
        self.deletions_seen: set[str] = set()
        # The last state each quick operation left (between two looks): recorded at the next settle.
        self.quick: dict[str, Episode] = {}
        self.histories_checked: dict[str, int] = {}  # ARN -> the version whose history was checked
        # When the suite first saw a service's baseline recorded as over (the end of a run).
        self.baseline_over: dict[Service, float] = {}

    def teardown(self) -> None:
        digest.BUCKETS = BUCKETS
        self.record_tally()
        boto3.client("dynamodb").delete_table(TableName=self.store.table_name)

    @contextmanager
    def _no_dynamo_faults(self) -> Iterator[None]:
        """The invariants read the table as it is: no injected DynamoDB faults while they look."""
        rates = self.dynamo.rate, self.dynamo.lost_answer_rate
        self.dynamo.rate = self.dynamo.lost_answer_rate = 0.0
        try:
            yield
        finally:
            self.dynamo.rate, self.dynamo.lost_answer_rate = rates

    def _violation(self, kind: str, message: str) -> None:
        setattr(TALLY, kind, getattr(TALLY, kind) + 1)
        trace = "\n".join(self.services.trace[-60:])
        raise AssertionError(f"{kind}: {message}\nlast events:\n{trace}")

    def _tick(self, seconds: float = 1.0) -> float:
        self.clock += seconds
        return self.clock

    # -- the services change -------------------------------------------------------------------------

    @initialize(
        seed=st.integers(0, 2**32 - 1),
        population=st.lists(
            st.tuples(st.sampled_from(["rekognition", "personalize"]), st.sampled_from(KINDS)), max_size=8
        ),
        baseline_first=st.booleans(),
        buckets=st.sampled_from([1, 3, digest.BUCKETS]),
    )
    def start(self, seed: int, population: list[tuple[str, str]], baseline_first: bool, buckets: int) -> None:
        """An account with resources (some failed before statusmon came), maybe baselined at once;
        its resources in few buckets (many share one, so marks are voided and matched often) or many."""
        self.rng.seed(seed)
        digest.BUCKETS = buckets
        self.dynamo.attach()
        for service, kind in population:
            self._create(service, kind, self.rng.randrange(3))
        if baseline_first:
            for service in Service:
                self._sweep(service, budget=None)

    def _create(self, service: str, kind: str, reason: int) -> None:
        status = self.rng.choice(STATUSES[service][kind])
        self.services.create(service, status, f"reason {reason}" if kind == "failed" else None, self._tick())

    @rule(
        service=st.sampled_from(["rekognition", "personalize"]),
        kind=st.sampled_from(KINDS),
        reason=st.integers(0, 2),
    )
    def create(self, service: str, kind: str, reason: int) -> None:
        self._create(service, kind, reason)

    @precondition(lambda self: self.services.resources)
    @rule(index=st.integers(0, 50), kind=st.sampled_from(KINDS), reason=st.integers(0, 2))
    def change(self, index: int, kind: str, reason: int) -> None:
        """A job or dataset moves on; "failed" again with the same reason is an update that failed again."""
        arns = sorted(self.services.resources)
        arn = arns[index % len(arns)]
        service = self.services.resources[arn].service
        status = self.rng.choice(STATUSES[service][kind])
        self.services.change(arn, status, f"reason {reason}" if kind == "failed" else None, self._tick())

    @precondition(lambda self: self.services.resources)
    @rule(index=st.integers(0, 50), kill_at=st.sampled_from([2, 3]))
    def round_trip(self, index: int, kill_at: int) -> None:
        """A complete resource is updated and completes again as it was, while the one sweep that saw it
        in flight was killed after recording that (before it could mark its bucket as reconciled)."""
        arns = sorted(self.services.resources)
        resource = self.services.resources[arns[index % len(arns)]]
        if phase(Service(resource.service), resource.status) is not Phase.COMPLETE:
            return
        before = resource.status
        self.services.change(
            resource.arn, self.rng.choice(STATUSES[resource.service]["in_flight"]), None, self._tick()
        )
        self._sweep(Service(resource.service), budget=None, kill_at=kill_at)
        self.services.change(resource.arn, before, None, self._tick())

    @precondition(lambda self: self.services.resources)
    @rule(index=st.integers(0, 50))
    def delete(self, index: int) -> None:
        arns = sorted(self.services.resources)
        self.services.delete(arns[index % len(arns)])
        self._tick()

    def _activity(self, changes: int) -> None:
        """Jobs and datasets move on between two sweeps, failing often."""
        for _ in range(changes):
            kind = self.rng.choice(KINDS)
            arns = sorted(self.services.resources)
            draw = self.rng.random()
            if not arns or draw < 0.25:
                self._create(self.rng.choice(["rekognition", "personalize"]), kind, self.rng.randrange(3))
            elif draw < 0.9:
                self.change(self.rng.randrange(len(arns)), kind, self.rng.randrange(3))
            else:
                self.delete(self.rng.randrange(len(arns)))
        self._tick(self.rng.choice([1, 30, 300]))

    @precondition(lambda self: self.services.resources)
    @rule(index=st.integers(0, 50), listings=st.sampled_from([1, 2, 2, 3]))
    def glitch(self, index: int, listings: int) -> None:
        """The service's listings leave a resource out for a while, without any sign (eventual
        consistency): twice in a row is enough to look deleted; it must come back silently."""
        # Failed ones first: a failure that looks deleted and comes back must not be alerted again.
        failed = [r.arn for r in self.services.resources.values() if "FAILED" in r.status]
        arns = sorted(failed or self.services.resources)
        self.services.hidden[arns[index % len(arns)]] = listings

    @rule(seconds=st.sampled_from([1, 30, 61, 121, 600]))
    def time_passes(self, seconds: int) -> None:
        self._tick(seconds)

    # -- statusmon runs, meeting faults --------------------------------------------------------------

    @contextmanager
    def _faults(
        self, service: ServiceFaults = NO_SERVICE_FAULTS, dynamo: DynamoRates = (0.0, 0.0)
    ) -> Iterator[None]:
        self.services.fault_rate, kinds = service
        self.services.fault_kinds = tuple(sorted(kinds))
        self.dynamo.rate, self.dynamo.lost_answer_rate = dynamo
        TALLY.faults.update(f"service:{k}" for k in kinds if self.services.fault_rate)
        TALLY.faults.update(["dynamodb:error"] * bool(dynamo[0]) + ["dynamodb:lost answer"] * bool(dynamo[1]))
        try:
            yield
        finally:
            self.services.fault_rate, self.services.fault_kinds = 0.0, ()
            self.dynamo.rate = self.dynamo.lost_answer_rate = 0.0

    def _source(self, service: Service) -> RekognitionSource | PersonalizeSource:
        client = self.services.client(service.value)
        if service is Service.REKOGNITION:
            return RekognitionSource(client=client)
        return PersonalizeSource(client=client)

    def _read_clock(self) -> datetime:
        """When statusmon reads an answer: the world's clock, which every change of the services moves."""
        return datetime.fromtimestamp(self.clock, UTC)

    def _sweep(
        self,
        service: Service,
        *,
        budget: int | None,
        kill_at: int | None = None,
        hook: Any = None,
        deep_check: DeepCheck = ROTATING_DEEP_CHECK,
        late: Late | None = None,
    ) -> None:
        services = self.services
        source = self._source(service)
        # Overlap: nested runs keep their own deadline, listing and late answer.
        outer = services.budget, services.sweep_calls, services.clean_listed, services.late
        services.budget, services.sweep_calls, services.clean_listed = budget, 0, set()
        services.late = late

        def out_of_time() -> bool:
            return services.budget is not None and services.sweep_calls >= services.budget

        TALLY.sweeps += 1
        try:
            report = sweep(
                source,
                _Proxy(self.store, kill_at=kill_at, before_first_write=hook),
                retention_days=30,
                policy=CHAT_ON,
                now=datetime.fromtimestamp(self._tick(), UTC),
                out_of_time=out_of_time,
                # One at a time: the world draws its faults from one random stream, and Hypothesis
                # needs each example to replay the same (threads would deal the draws in any order).
                describe_workers=1,
                deep_check=deep_check,
                clock=self._read_clock,
            )
            TALLY.transitions += len(report.recorded)
            TALLY.clean_sweeps += report.succeeded
        except Killed:
            TALLY.killed_sweeps += 1
        except AwsError:
            TALLY.sweeps_not_run += 1  # the table could not be read (a Lambda error; the next one runs)
        finally:
            with self._no_dynamo_faults():
                meta = self.store.service_meta(service)
            missing = meta.missing
            if meta.baseline_at is not None:
                self.baseline_over.setdefault(service, self.clock)
            for arn in services.clean_listed - missing:
                services.silently_dropped[arn] = 0
            services.trace.append(
                f"sweep {service.value} budget={budget} kill_at={kill_at} end: missing={sorted(missing)} "
                f"clean={sorted(services.clean_listed)} dropped={dict(services.silently_dropped)}"
            )
            services.budget, services.sweep_calls, services.clean_listed, services.late = outer

    def _late(self, service: Service | None, at: tuple[str, int] | None, then: str) -> Late | None:
        """An answer held at the run's n-th listing page or Describe (``at``): meanwhile the resource it
        is about (or another) moves on, and maybe a watch run or a sweep records what it shows now."""
        if at is None:
            return None

        def meanwhile(operation: str, params: dict[str, Any]) -> None:
            TALLY.late_answers += 1
            arn = params.get("DatasetArn") or params.get("datasetImportJobArn")
            self._move(arn, service)
            if then == "watch":
                self._watch(budget=None)
            elif then == "sweep":
                self._overlapping_sweep(service or Service(self.rng.choice(["rekognition", "personalize"])))

        return *at, meanwhile

    def _move(self, arn: str | None, service: Service | None) -> None:
        """A resource moves on (its status only: a listing's pages stay what they are)."""
        if arn not in self.services.resources:
            candidates = sorted(
                r.arn
                for r in self.services.resources.values()
                if service is None or r.service == service.value
            )
            if not candidates:
                return
            arn = self.rng.choice(candidates)
        assert arn is not None
        resource = self.services.resources[arn]
        kind = self.rng.choice(["failed", "failed", "complete", "in_flight"])
        reason = f"reason {self.rng.randrange(3)}" if kind == "failed" else None
        self.services.change(arn, self.rng.choice(STATUSES[resource.service][kind]), reason, self._tick())

    def _overlapping_sweep(self, service: Service) -> None:
        self.services.overlapped = True
        try:
            self._sweep(service, budget=None)
        finally:
            self.services.overlapped = False

    @rule(
        service=st.sampled_from(list(Service)),
        budget=st.sampled_from([None, None, 1, 3, 8, 40]),
        kill_at=st.sampled_from([None, None, None, 1, 2, 4]),
        overlap=st.booleans(),
        faults=SERVICE_FAULT_DRAWS,
        dynamo=DYNAMO_FAULT_DRAWS,
        sns=SNS_FAULT_DRAWS,
        activity=st.integers(0, 3),
        late_at=LATE_AT,
        then=LATE_THEN,
    )
    def run_sweep(
        self,
        service: Service,
        budget: int | None,
        kill_at: int | None,
        overlap: bool,
        faults: ServiceFaults,
        dynamo: DynamoRates,
        sns: SnsRates,
        activity: int,
        late_at: tuple[str, int] | None = None,
        then: str = "",
    ) -> None:
        """Some changes in the account, then a scheduled sweep (a deadline, maybe killed part way, maybe
        while another sweep runs, which the services move on under, maybe with an answer delivered
        late), then the notifier on what it recorded, as the table's stream runs it."""
        self._activity(activity)
        hook = None
        if overlap:
            TALLY.overlapping_sweeps += 1

            def hook() -> None:
                # The services move on between the sweep's reads and its writes, and another sweep
                # records what they show now.
                self._activity(self.rng.randrange(2))
                self._overlapping_sweep(service)

        with self._faults(faults, dynamo):
            self._sweep(
                service, budget=budget, kill_at=kill_at, hook=hook, late=self._late(service, late_at, then)
            )
        self.deliver(sns, sns, dynamo, overlap=False, chat=sns)

    def _watch(
        self, *, budget: int | None, kill_at: int | None = None, hook: Any = None, late: Late | None = None
    ) -> None:
        services = self.services
        outer = services.budget, services.sweep_calls, services.late
        services.budget, services.sweep_calls = budget, 0
        services.late = late
        TALLY.watch_runs += 1
        try:
            report = watch(
                self._source,
                _Proxy(self.store, kill_at=kill_at, before_first_write=hook),
                retention_days=30,
                policy=CHAT_ON,
                now=datetime.fromtimestamp(self._tick(), UTC),
                out_of_time=lambda: services.budget is not None and services.sweep_calls >= services.budget,
                describe_workers=1,
                stuck_after=STUCK_AFTER,
                clock=self._read_clock,
            )
            TALLY.stuck_warnings += report.stuck_warnings
            TALLY.watch_transitions += len(report.recorded)
            TALLY.watch_left_to_sweep += report.left_to_sweep
            TALLY.watch_problems += len(report.problems)
            TALLY.watch_described += report.described
            services.trace.append(f"watch budget={budget} kill_at={kill_at}: {report.summary()}")
        except Killed:
            TALLY.killed_watch_runs += 1
        except AwsError:
            services.trace.append("watch: the watch list could not be read")
        finally:
            services.budget, services.sweep_calls, services.late = outer

    @rule(
        budget=st.sampled_from([None, None, 1, 3]),
        kill_at=st.sampled_from([None, None, None, 1, 2]),
        overlap=st.sampled_from([None, None, *Service]),
        faults=SERVICE_FAULT_DRAWS,
        dynamo=DYNAMO_FAULT_DRAWS,
        sns=SNS_FAULT_DRAWS,
        activity=st.integers(0, 2),
        finishing=st.integers(0, 2),
        late_at=LATE_AT,
        then=LATE_THEN,
    )
    def run_watch(
        self,
        budget: int | None,
        kill_at: int | None,
        overlap: Service | None,
        faults: ServiceFaults,
        dynamo: DynamoRates,
        sns: SnsRates,
        activity: int,
        finishing: int,
        late_at: tuple[str, int] | None = None,
        then: str = "",
    ) -> None:
        """Some changes, some of what is in flight finishing or failing (what the watch is for), then the
        one-minute watch (a deadline, maybe killed, maybe while a full sweep records the same resources),
        then the notifier on what it recorded."""
        self._activity(activity)
        with self._no_dynamo_faults():
            watched = sorted(
                e.resource_arn for e in self.store.watched() if e.resource_arn in self.services.resources
            )
        for arn in self.rng.sample(watched, min(finishing, len(watched))):
            service = self.services.resources[arn].service
            kind = self.rng.choice(["complete", "failed", "failed", "in_flight"])
            reason = f"reason {self.rng.randrange(3)}" if kind == "failed" else None
            self.services.change(arn, self.rng.choice(STATUSES[service][kind]), reason, self._tick())
        hook = None
        if overlap is not None:
            TALLY.overlapping_sweeps += 1

            def hook() -> None:
                self._activity(self.rng.randrange(2))
                self._overlapping_sweep(overlap)

        with self._faults(faults, dynamo):
            self._watch(budget=budget, kill_at=kill_at, hook=hook, late=self._late(None, late_at, then))
        self.deliver(sns, sns, dynamo, overlap=False, chat=sns)

    @rule(index=st.integers(0, 50), phantom=st.booleans(), dynamo=DYNAMO_FAULT_DRAWS)
    def discover(self, index: int, phantom: bool, dynamo: DynamoRates) -> None:
        """CloudTrail reports a call: on a resource of the services (an update or an import), or on one
        the services never show (a call that made nothing statusmon can describe)."""
        arns = sorted(self.services.resources)
        if phantom or not arns:
            self.services.serial += 1
            arn = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-import-job/phantom-{self.services.serial}"
            service, operation, name = Service.PERSONALIZE, CREATE_DATASET_IMPORT_JOB, "phantom"
        else:
            resource = self.services.resources[arns[index % len(arns)]]
            arn, service, name = resource.arn, Service(resource.service), resource.name
            operation = (
                UPDATE_DATASET_ENTRIES if service is Service.REKOGNITION else CREATE_DATASET_IMPORT_JOB
            )
        kind = parse_resource_arn(arn).resource_type
        entry = WatchEntry(
            service,
            arn,
            datetime.fromtimestamp(self._tick(), UTC),
            kind,
            name,
            operation=operation,
            origin=WATCHED_BY_CLOUDTRAIL,
        )
        TALLY.discoveries += 1
        with self._faults(dynamo=dynamo), suppress(AwsError):
            self.store.watch([entry])  # a failed put: Lambda retries the event, or the sweep finds it

    @precondition(lambda self: self.services.of("rekognition"))
    @rule(index=st.integers(0, 50), kind=st.sampled_from(["same", "same", "failed"]), reported=st.booleans())
    def quick_operation(self, index: int, kind: str, reported: bool) -> None:
        """An update that starts and ends between two looks: a settled dataset goes through
        UPDATE_IN_PROGRESS unseen and settles again, often in the very status (and reason) it had, which
        leaves no trace in the listing. Maybe CloudTrail reports the call (the watch then sees its
        effect), maybe not (a deep check must find it)."""
        settled = [
            r
            for r in self.services.of("rekognition")
            if phase(Service.REKOGNITION, r.status) in (Phase.COMPLETE, Phase.FAILED)
        ]
        # Complete ones first for "same": there nothing but the Describe's timestamp and stats changes.
        complete = [r for r in settled if phase(Service.REKOGNITION, r.status) is Phase.COMPLETE]
        candidates = complete if kind == "same" and complete else settled
        if not candidates:
            return
        resource = candidates[index % len(candidates)]
        called_at = self._tick()
        status, reason = resource.status, resource.reason
        if kind == "failed":
            status, reason = "UPDATE_FAILED", f"reason {self.rng.randrange(3)}"
        self.services.change(resource.arn, "UPDATE_IN_PROGRESS", None, self._tick())
        self.services.change(resource.arn, status, reason, self._tick())
        self.quick[resource.arn] = self.services.episodes[-1]
        TALLY.quick_operations += 1
        if reported:
            TALLY.quick_operations_reported += 1
            entry = WatchEntry(
                Service.REKOGNITION,
                resource.arn,
                datetime.fromtimestamp(called_at, UTC),
                parse_resource_arn(resource.arn).resource_type,
                resource.name,
                operation=UPDATE_DATASET_ENTRIES,
                origin=WATCHED_BY_CLOUDTRAIL,
            )
            self.store.watch([entry])

    @rule(
        sns=SNS_FAULT_DRAWS,
        bus=SNS_FAULT_DRAWS,
        dynamo=DYNAMO_FAULT_DRAWS,
        overlap=st.booleans(),
        chat=SNS_FAULT_DRAWS,
    )
    def deliver(
        self,
        sns: SnsRates,
        bus: SnsRates,
        dynamo: DynamoRates,
        overlap: bool,
        chat: SnsRates = (0.0, 0.0, 0.0),
    ) -> None:
        """A delivery (the notifier or a redrive) with SNS, EventBridge and the chat topic each down,
        losing answers, or the deliverer killed after publishing; maybe while another deliverer runs
        (the redrive while the notifier publishes)."""
        for target, (down, lost, killed) in ((self.subscriber, sns), (self.bus, bus), (self.chat, chat)):
            target.down_rate, target.lost_answer_rate, target.kill_after_publish_rate = down, lost, killed
        if overlap:
            TALLY.overlapping_deliveries += 1
            self.subscriber.during_next_publish = self._deliver
        try:
            with self._faults(dynamo=dynamo):
                self._deliver()
        finally:
            for target in (self.subscriber, self.bus, self.chat):
                target.down_rate = target.lost_answer_rate = target.kill_after_publish_rate = 0.0
                target.during_next_publish = None

    def _deliver(self) -> None:
        TALLY.deliveries += 1
        targets = {SNS_CHANNEL: self.subscriber, EVENTS_CHANNEL: self.bus, CHAT_CHANNEL: self.chat}
        publishers = {channel: target.publish for channel, target in targets.items()}
        try:
            deliver_pending(_Confirms(self.store, targets), publishers, clock=lambda: self.clock)
        except Killed:
            return
        except AwsError:
            return  # the outbox could not be read; the next delivery tries again

    @precondition(lambda self: self.steps_since_settle >= 6)
    @rule()
    def settle(self) -> None:
        """No faults, two clean sweeps of each service, and a delivery after every lease ended."""
        TALLY.settles += 1
        self.steps_since_settle = 0
        self.services.hidden.clear()
        for _ in range(2):
            for service in Service:
                self._sweep(service, budget=None, deep_check=FULL_DEEP_CHECK)
        self._watch(budget=None)
        self._check_watch_settled()
        self._check_quick_operations_recorded()
        self._tick(LEASE_SECONDS + 1)
        self._deliver()
        for channel in (SNS_CHANNEL, EVENTS_CHANNEL, CHAT_CHANNEL):
            if self.store.pending(channel):
                self._violation(
                    "lost", f"still pending after a clean delivery: {self.store.pending(channel)}"
                )
        self._check_table_equals_services()
        self._require_current_failures()
        self._check_alerts()
        alerted = set(self.alerted.values())
        for episode in sorted(self.required - alerted, key=str)[:1]:
            self._violation("lost", f"{episode} was never alerted")
        for transition_id in self._recorded_failures():
            if transition_id not in self.subscriber.received:
                self._violation("lost", f"the recorded failure {transition_id} was never alerted")
        for key in self.subscriber.received:
            if key not in self.chat.received:
                self._violation("lost", f"the alert {key} never reached the chat topic")
        for transition_id in self._recorded_changes():
            if transition_id not in self.bus.received:
                self._violation("lost", f"the recorded transition {transition_id} never became an event")

    def _check_watch_settled(self) -> None:
        """After clean sweeps and a clean watch run: on the watch is what is in flight (mirrored), and
        only discoveries the services do not show, for their grace period; nothing settled."""
        live = self.services.resources
        for entry in self.store.watched():
            resource = live.get(entry.resource_arn)
            in_flight = resource is not None and phase(entry.service, resource.status) is Phase.IN_FLIGHT
            young = self.clock - entry.since.timestamp() <= NOT_FOUND_GRACE.total_seconds()
            # A reported call whose effect the service does not show yet (its state predates the call)
            # waits for it a bounded time.
            waiting = (
                resource is not None
                and entry.version is None
                and resource.updated_at <= entry.since.timestamp()
                and self.clock - entry.since.timestamp() <= NOT_STARTED_GRACE.total_seconds()
            )
            if (
                not (in_flight and entry.version is not None)
                and not (resource is None and young)
                and not waiting
            ):
                status = resource.status if resource else "gone"
                self._violation("mismatch", f"still watched after settling: {entry} (service: {status})")

    def _check_quick_operations_recorded(self) -> None:
        """After a settle's sweeps (a deep check of every bucket) and watch run: every quick operation
        whose outcome the dataset still shows is in the table's history, at its service timestamp."""
        for arn, episode in sorted(self.quick.items()):
            resource = self.services.resources.get(arn)
            if resource is None or (resource.status, resource.reason, resource.updated_at) != (
                episode.status,
                episode.reason,
                episode.updated_at,
            ):
                continue  # gone, or changed again since: the later state is what must be recorded
            TALLY.quick_operations_checked += 1
            recorded = [
                t
                for t in self.store.history(arn)
                if t.new.updated_at and t.new.updated_at.timestamp() == episode.updated_at
            ]
            if not recorded or recorded[-1].new.status != episode.status:
                self._violation("lost", f"the quick operation that left {episode} was never recorded")
        self.quick.clear()

    def _recorded_changes(self) -> list[str]:
        """Every transition in the table's history but the silent ones: each must be an event."""
        return [
            t.transition_id
            for service in Service
            for state in self.store.states(service)
            for t in self.store.history(state.resource_arn)
            if not t.baseline
        ]

    def _recorded_failures(self) -> list[str]:
        """Every failure transition in the table's history (after the baseline): each must be alerted."""
        recorded = []
        for service in Service:
            for state in self.store.states(service):
                recorded += [
                    t.transition_id
                    for t in self.store.history(state.resource_arn)
                    if t.new.phase is Phase.FAILED and not t.baseline
                ]
        self.recorded_failures.update(recorded)
        return recorded

    # -- invariants ----------------------------------------------------------------------------------

    @invariant()
    def nothing_past_the_deadline(self) -> None:
        if self.services.calls_past_deadline:
            self._violation("deadline", f"{self.services.calls_past_deadline} calls after the deadline")

    @invariant()
    def nothing_missing_that_was_listed(self) -> None:
        """statusmon counts a resource as missing only after a listing that looked whole left it out."""
        with self._no_dynamo_faults():
            for service in Service:
                for arn in self.store.service_meta(service).missing:
                    if arn in self.services.resources and self.services.silently_dropped[arn] < 1:
                        self._violation("mismatch", f"{arn} is counted missing but was listed")

    @invariant()
    def nothing_deleted_that_exists(self) -> None:
        """A resource the service has is marked DELETED only after two whole-looking listings left it
        out (checked when the deletion is recorded: a later listing may show it again)."""
        with self._no_dynamo_faults():
            for service in Service:
                for state in self.store.states(service):
                    deletion = f"{state.resource_arn}#{state.version}"
                    if state.status != DELETED or deletion in self.deletions_seen:
                        continue
                    self.deletions_seen.add(deletion)
                    arn = state.resource_arn
                    if arn in self.services.resources and self.services.silently_dropped[arn] < 2:
                        self._violation("mismatch", f"{arn} is DELETED in the table but exists")

    @invariant()
    def no_reversal_in_history(self) -> None:
        """A resource's history only moves forward: no recorded state is one the service had before a
        state recorded earlier (each change of the services gets a later timestamp), whatever answers
        arrived late and whichever runs overlapped."""
        with self._no_dynamo_faults():
            for service in Service:
                for state in self.store.states(service):
                    arn = state.resource_arn
                    if self.histories_checked.get(arn) == state.version:
                        continue
                    self.histories_checked[arn] = state.version
                    newest: Transition | None = None
                    for transition in self.store.history(arn):
                        when = _ts(transition.new.updated_at)
                        if when is None:
                            continue
                        before = _ts(newest.new.updated_at) if newest is not None else None
                        if newest is not None and before is not None and when < before:
                            self._violation(
                                "reversal",
                                f"{arn} v{transition.new.version} {transition.new.status} (of {when}) "
                                f"recorded after v{newest.new.version} {newest.new.status} (of {before})",
                            )
                        newest = transition

    @invariant()
    def alerts_are_transitions_and_once(self) -> None:
        TALLY.steps += 1
        self.steps_since_settle += 1
        with self._no_dynamo_faults():
            self._check_alerts()
            self._check_events()

    @invariant()
    def the_watch_mirrors_what_is_in_flight(self) -> None:
        """Every state in flight has its watch entry at its version, and every mirrored entry is one:
        they are written in one transaction, whatever fails or is killed."""
        with self._no_dynamo_faults():
            entries = {entry.resource_arn: entry for entry in self.store.watched()}
            states = {s.resource_arn: s for service in Service for s in self.store.states(service)}
        for arn, state in states.items():
            entry = entries.get(arn)
            if state.phase is Phase.IN_FLIGHT and (entry is None or entry.version != state.version):
                self._violation("mismatch", f"{arn} is {state.status} v{state.version}, watched as {entry}")
        for arn, entry in entries.items():
            state = states.get(arn)
            mirrors = state is not None and state.phase is Phase.IN_FLIGHT and state.version == entry.version
            if entry.version is not None and not mirrors:
                self._violation("mismatch", f"watch entry {entry} mirrors no state in flight ({state})")

    def _check_events(self) -> None:
        """Each event is a recorded, non-silent transition, put once (beyond unseen puts), its detail true."""
        self._check_stuck(self.bus, "event")
        for transition_id, times in self.bus.received.items():
            if transition_id.endswith(STUCK):
                continue
            if times - 1 > self.bus.unacknowledged[transition_id]:
                self._violation("duplicate", f"event {transition_id} put {times} times")
            if transition_id in self.evented:
                continue
            self.evented.add(transition_id)
            arn, version = transition_id.rsplit("#", 1)
            found = [t for t in self.store.history(arn) if t.new.version == int(version)]
            if not found or found[0].baseline:
                self._violation("unexpected", f"event {transition_id} is no recorded state change")
            detail = self.bus.bodies[transition_id]
            if (detail["status"], detail["previous_status"]) != (
                found[0].new.status,
                found[0].previous_status,
            ):
                self._violation("unexpected", f"event {transition_id} says {detail}, the table {found[0]}")

    def _check_chat(self) -> None:
        """Each chat notification is an alert's (the same transition, stuck or not), sent once beyond
        unseen publishes (that every alert gets its notification is checked at settle points)."""
        # The alert travels on its own channel: SNS may be down while the chat topic is not, so the
        # alert may still be pending (written in the same transaction as the chat item).
        pending = None
        for key, times in self.chat.received.items():
            if times - 1 > self.chat.unacknowledged[key]:
                self._violation("duplicate", f"chat notification {key} sent {times} times")
            if key in self.subscriber.received:
                continue
            if pending is None:
                pending = {m.transition_id for m in self.store.pending(SNS_CHANNEL)}
            if key.removesuffix(STUCK) not in pending:
                self._violation("unexpected", f"chat notification {key} is no alert's")

    def _check_alerts(self) -> None:
        self._check_chat()
        self._check_stuck(self.subscriber, "alert")
        transitions = {t: n for t, n in self.subscriber.received.items() if not t.endswith(STUCK)}
        for transition_id in transitions:
            if transition_id not in self.alerted:
                self.alerted[transition_id] = self._episode_of(transition_id)
        per_episode: Counter[Episode] = Counter()
        for transition_id, times in transitions.items():
            episode = self.alerted[transition_id]
            if times - 1 > self.subscriber.unacknowledged[transition_id]:
                self._violation("duplicate", f"{transition_id} published {times} times")
            if episode is not None:
                per_episode[episode] += 1
        for episode, times in per_episode.items():
            if times > 1:
                self._violation("duplicate", f"{episode} alerted by {times} transitions")

    def _check_stuck(self, target: Subscriber, what: str) -> None:
        """Each stuck warning is about a recorded in-flight state, sent once (beyond unseen publishes),
        and at most one per in-flight episode of a resource."""
        versions: dict[str, list[int]] = {}
        for key, times in target.received.items():
            if not key.endswith(STUCK):
                continue
            if times - 1 > target.unacknowledged[key]:
                self._violation("duplicate", f"stuck {what} {key} sent {times} times")
            arn, version = key.removesuffix(STUCK).rsplit("#", 1)
            versions.setdefault(arn, []).append(int(version))
        for arn, stuck_versions in versions.items():
            history = {t.new.version: t for t in self.store.history(arn)}
            for version in stuck_versions:
                found = history.get(version)
                if found is None or found.new.phase is not Phase.IN_FLIGHT:
                    self._violation("unexpected", f"stuck {what} about {arn}#{version}: {found}")
            ordered = sorted(stuck_versions)
            for earlier, later in itertools.pairwise(ordered):
                settled = any(
                    history[v].new.phase is not Phase.IN_FLIGHT
                    for v in range(earlier + 1, later + 1)
                    if v in history
                )
                if not settled:
                    self._violation(
                        "duplicate", f"two stuck {what}s in one episode of {arn}: v{earlier}, v{later}"
                    )

    def _episode_of(self, transition_id: str) -> Episode | None:
        """The service state an alert is about; fails the run if it is not one (an unexpected alert)."""
        arn, version = transition_id.rsplit("#", 1)
        found = [t for t in self.store.history(arn) if t.new.version == int(version)]
        if not found:
            self._violation("unexpected", f"{transition_id} was alerted but never recorded")
        transition = found[0]
        state = transition.new
        if transition.baseline:
            self._violation("unexpected", f"a baseline transition was alerted: {transition_id}")
        kind = phase(state.service, state.status)
        if kind not in {Phase.FAILED, Phase.UNKNOWN}:
            self._violation("unexpected", f"{state.status} alerted ({transition_id})")
        episode = Episode(arn, state.status, state.reason, _ts(state.updated_at) or -1.0)
        if episode not in self.services.episodes:
            self._violation("unexpected", f"{episode} never happened")
        baseline_at = self.store.service_meta(state.service).baseline_at
        if baseline_at is None or episode.updated_at <= baseline_at.timestamp():
            self._violation("unexpected", f"{episode} is from before the baseline")
        if kind is Phase.UNKNOWN:
            return None  # a warning about the vocabulary, not a failure
        return episode

    def _check_table_equals_services(self) -> None:
        for service in Service:
            states = {s.resource_arn: s for s in self.store.states(service)}
            live = {r.arn: r for r in self.services.of(service.value)}
            for arn, resource in live.items():
                recorded = states.get(arn)
                if recorded is None or (recorded.status, recorded.reason) != (
                    resource.status,
                    resource.reason,
                ):
                    self._violation("mismatch", f"{arn}: service {resource.status}, table {recorded}")
            for arn, state in states.items():
                if arn not in live and state.status != DELETED:
                    self._violation(
                        "mismatch", f"{arn} is gone from the service, {state.status} in the table"
                    )

    def _require_current_failures(self) -> None:
        for service in Service:
            baseline_at = self.store.service_meta(service).baseline_at
            assert baseline_at is not None, "two clean sweeps end the baseline"
            # The baseline is over once its end is recorded: a change while the sweep that ends it
            # runs (the services move, an overlapping sweep records it) is part of it, silent.
            over = max(baseline_at.timestamp(), self.baseline_over.get(service, 0.0))
            for resource in self.services.of(service.value):
                if phase(service, resource.status) is Phase.FAILED and resource.updated_at > over:
                    self.required.add(
                        Episode(resource.arn, resource.status, resource.reason, resource.updated_at)
                    )

    def record_tally(self) -> None:
        TALLY.failures_required += len(self.required)
        TALLY.failure_transitions += len(self.recorded_failures)
        TALLY.alerts += sum(self.subscriber.received.values())
        TALLY.events += sum(self.bus.received.values())
        TALLY.chat_notifications += sum(self.chat.received.values())
        TALLY.publish_refused += self.subscriber.refused + self.bus.refused + self.chat.refused
        TALLY.repeats_after_unseen_publish += sum(  # the at-least-once window, counted apart
            min(times - 1, target.unacknowledged[tid])
            for target in (self.subscriber, self.bus, self.chat)
            for tid, times in target.received.items()
        )
        TALLY.unknown_status_warnings += sum(1 for e in self.alerted.values() if e is None)
