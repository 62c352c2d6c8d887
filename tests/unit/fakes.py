"""In-memory stand-ins for a source and the status table, keeping the table's rules (conditional
records, bucket generations, the watch list moved in the record transaction)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from statusmon.adapters.aws import CallCounter
from statusmon.adapters.errors import AccessDeniedError, AwsError, NotFoundError, ThrottledError
from statusmon.adapters.sources import Listing
from statusmon.domain.digest import bucket_of
from statusmon.domain.model import (
    BucketMark,
    Observation,
    OutboxMessage,
    ResourceState,
    ServiceMeta,
    Transition,
    WatchEntry,
)
from statusmon.domain.vocabulary import Phase, Service
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.events import EVENTS_CHANNEL
from statusmon.logic.sweep import never

ARN2 = "arn:aws:rekognition:us-east-1:123456789012:project/shoes/dataset/test/1690476084999"
JOB2 = "arn:aws:personalize:eu-west-1:123456789012:dataset-import-job/users-2026-11-24"


@dataclass
class FakeSource:
    service: Service
    redescribe_failed: bool
    listed: list[Observation]
    complete: bool = True
    detail: dict[str, dict[str, Any]] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)  # the service no longer finds them
    denied: set[str] = field(default_factory=set)  # the credentials may not describe them
    samples: list[dict[str, Any]] = field(default_factory=list)
    described: list[str] = field(default_factory=list)
    sampled: list[str] = field(default_factory=list)
    counter: CallCounter = field(default_factory=CallCounter)
    deep_check: bool = False

    def read_listing(self, out_of_time: Callable[[], bool] = never) -> Listing:
        return Listing(
            list(self.listed), self.complete, problems=[] if self.complete else ["page 2 throttled"]
        )

    def describe(self, observation: Observation) -> Observation:
        self.described.append(observation.resource_arn)
        if observation.resource_arn in self.broken:
            raise ThrottledError(f"DescribeDataset {observation.resource_arn}: throttled")
        if observation.resource_arn in self.missing:
            raise NotFoundError(f"DescribeDataset {observation.resource_arn}: not found")
        if observation.resource_arn in self.denied:
            raise AccessDeniedError(f"DescribeDataset {observation.resource_arn}: access denied")
        return replace(observation, **self.detail.get(observation.resource_arn, {}))

    def wants_error_samples(self, observation: Observation) -> bool:
        return self.service is Service.REKOGNITION

    def error_samples(self, observation: Observation) -> list[dict[str, Any]]:
        self.sampled.append(observation.resource_arn)
        return self.samples


@dataclass
class FakeStore:
    states: dict[str, ResourceState] = field(default_factory=dict)
    history: list[Transition] = field(default_factory=list)
    sneaky: dict[str, ResourceState] = field(default_factory=dict)  # written by "another sweep"
    failing: bool = False
    metas: dict[Service, ServiceMeta] = field(default_factory=dict)
    outbox: list[OutboxMessage] = field(default_factory=list)
    marks: dict[tuple[Service, str], BucketMark] = field(default_factory=dict)
    loads: list[set[str] | None] = field(default_factory=list)
    # The hot watch, kept as the real store keeps it (in the transaction that records a transition).
    watch: dict[str, WatchEntry] = field(default_factory=dict)
    watch_reads: int = 0
    watch_unreadable: bool = False
    gets: int = 0

    @property
    def alerts(self) -> list[OutboxMessage]:
        return [m for m in self.outbox if m.channel == SNS_CHANNEL]

    @property
    def events(self) -> list[OutboxMessage]:
        return [m for m in self.outbox if m.channel == EVENTS_CHANNEL]

    @property
    def baselined(self) -> set[Service]:
        return {service for service, meta in self.metas.items() if meta.baseline_at is not None}

    def service_meta(self, service: Service) -> ServiceMeta:
        marks = {bucket: mark for (svc, bucket), mark in self.marks.items() if svc is service}
        return replace(self.metas.get(service, ServiceMeta()), marks=marks)

    def save_service_meta(self, service: Service, meta: ServiceMeta) -> bool:
        if self.service_meta(service).version != meta.version:
            return False
        self.metas[service] = replace(meta, version=meta.version + 1)
        return True

    def load_service(
        self, service: Service, buckets: Iterable[str] | None = None
    ) -> dict[str, ResourceState]:
        self.loads.append(None if buckets is None else set(buckets))
        return {
            arn: s
            for arn, s in self.states.items()
            if s.service is service and (buckets is None or bucket_of(arn) in set(buckets))
        }

    def save_marks(self, service: Service, marks: Mapping[str, BucketMark]) -> int:
        stored = 0
        for bucket, mark in marks.items():
            if self.marks.get((service, bucket), BucketMark()).generation == mark.digest_generation:
                self.marks[service, bucket] = mark
                stored += 1
        return stored

    def upgrade_keys(self, service: Service, *, out_of_time: Callable[[], bool] = never) -> bool:
        return True

    def get(self, arn: str) -> ResourceState | None:
        self.gets += 1
        return self.states.get(arn)

    def watched(self) -> list[WatchEntry]:
        self.watch_reads += 1
        if self.watch_unreadable:
            raise AwsError("reading the watch list failed: InternalServerError")
        return list(self.watch.values())

    def unwatch(self, entry: WatchEntry) -> bool:
        current = self.watch.get(entry.resource_arn)
        if current is None or current.version != entry.version:
            return False
        del self.watch[entry.resource_arn]
        return True

    def warn_stuck(self, entry: WatchEntry, outbox: Sequence[OutboxMessage], *, at: Any) -> bool:
        current = self.watch.get(entry.resource_arn)
        if current is None or current.version != entry.version or current.stuck_at is not None:
            return False
        self.watch[entry.resource_arn] = replace(current, stuck_at=at)
        self.outbox += outbox
        return True

    def note_denial(self, entry: WatchEntry) -> int:
        current = self.watch.get(entry.resource_arn)
        if current is None:
            return 0
        self.watch[entry.resource_arn] = replace(current, denials=current.denials + 1)
        return current.denials + 1

    def mirror(self, state: ResourceState) -> bool:
        current = self.watch.get(state.resource_arn)
        if current is None or (current.version or 0) >= state.version:
            return False
        self.watch[state.resource_arn] = _mirrored(current, state)
        return True

    def record(
        self,
        transition: Transition,
        *,
        retention_days: int,
        outbox: Sequence[OutboxMessage] = (),
        watched: bool = False,
    ) -> bool:
        if self.failing:
            raise AwsError("recording a transition failed: InternalServerError")
        arn = transition.new.resource_arn
        if arn in self.sneaky:
            self.states[arn] = self.sneaky.pop(arn)
        current = self.states.get(arn)
        if (current.version if current else 0) != transition.previous_version:
            return False
        self.states[arn] = transition.new
        key = (transition.new.service, bucket_of(arn))
        mark = self.marks.get(key, BucketMark())
        self.marks[key] = replace(mark, generation=mark.generation + 1)
        self.history.append(transition)
        self.outbox += outbox
        new = transition.new
        if new.phase is Phase.IN_FLIGHT:
            before = self.watch.get(arn)
            entry = before or WatchEntry(
                new.service, arn, transition.detected_at, new.resource_type, new.name
            )
            self.watch[arn] = _mirrored(entry, new)
        elif watched:
            self.watch.pop(arn, None)
        return True


def _mirrored(entry: WatchEntry, state: ResourceState) -> WatchEntry:
    return replace(
        entry,
        name=state.name,
        parent_arn=state.parent_arn,
        status=state.status,
        reason=state.reason,
        updated_at=state.updated_at,
        version=state.version,
    )
