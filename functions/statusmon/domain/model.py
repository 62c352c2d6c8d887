"""Domain objects shared by every layer: what a source saw, what the table knows, what changed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from statusmon.domain.vocabulary import DELETED, Phase, ResourceType, Service, phase


def never() -> bool:
    """A deadline that never comes (no ``out_of_time`` given)."""
    return False


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, the one timestamp format users see."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# Where a state's details keep a dataset's DatasetStats as last described.
STATS = "stats"


def error_entries(details: dict[str, Any]) -> int:
    """DatasetStats.ErrorEntries as last described (0 when unknown)."""
    stats = details.get(STATS) or {}
    try:
        return int(stats.get("ErrorEntries") or 0)
    except (TypeError, ValueError):
        return 0


LAST_LISTED = "last_listed"


@dataclass(frozen=True)
class Observation:
    """One resource as a source read it in this sweep."""

    service: Service
    resource_type: ResourceType
    resource_arn: str
    name: str
    status: str
    parent_arn: str | None = None
    reason: str | None = None
    # The service's own last-change time (LastUpdatedTimestamp / lastUpdatedDateTime), when read.
    updated_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # When the answer it comes from was read: taken just before its call was sent (for a listing,
    # before its first page). What the staleness rule compares when the service gives no timestamp
    # (logic.changes.is_stale); None: not stamped (never judged stale by it).
    read_at: datetime | None = None

    @property
    def phase(self) -> Phase:
        return phase(self.service, self.status)


@dataclass(frozen=True)
class ResourceState:
    """The current state of one resource as recorded in the status table."""

    service: Service
    resource_type: ResourceType
    resource_arn: str
    name: str
    status: str
    parent_arn: str | None = None
    reason: str | None = None
    updated_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    observed_at: datetime | None = None
    # Optimistic-concurrency version; 0 means "not in the table yet".
    version: int = 0
    # The last complete or failed status: what an in-flight resource will finish "from".
    settled_status: str | None = None
    # When the answer it was recorded from was read (Observation.read_at); for DELETED, when the
    # listing that missed it began. None in states written before statusmon stored it: older than
    # any answer by read time, still compared by the service's timestamp.
    read_at: datetime | None = None

    @property
    def phase(self) -> Phase:
        return phase(self.service, self.status)

    @classmethod
    def from_observation(
        cls,
        obs: Observation,
        *,
        observed_at: datetime,
        version: int,
        previous_settled: str | None = None,
    ) -> ResourceState:
        settled = obs.status if obs.phase in (Phase.COMPLETE, Phase.FAILED) else previous_settled
        return cls(
            service=obs.service,
            resource_type=obs.resource_type,
            resource_arn=obs.resource_arn,
            name=obs.name,
            status=obs.status,
            parent_arn=obs.parent_arn,
            reason=obs.reason,
            updated_at=obs.updated_at,
            details=dict(obs.details),
            observed_at=observed_at,
            version=version,
            settled_status=settled,
            read_at=obs.read_at,
        )

    def error_entries(self) -> int:
        return error_entries(self.details)

    def deleted(self, *, observed_at: datetime, read_at: datetime | None = None) -> ResourceState:
        """``read_at``: when the listing that missed it began."""
        # What it was when last listed: if it comes back as it was, that is not news.
        last_listed = {"status": self.status, "reason": self.reason}
        return replace(
            self,
            status=DELETED,
            reason="no longer listed by the service",
            observed_at=observed_at,
            read_at=read_at,
            version=self.version + 1,
            details={**self.details, LAST_LISTED: last_listed},
        )

    def returns_as_it_was(self, observation: Observation) -> bool:
        """A deleted resource listed again with the status, reason and timestamp it had before."""
        before = self.details.get(LAST_LISTED)
        if self.status != DELETED or not isinstance(before, dict):
            return False
        same_time = observation.updated_at is None or observation.updated_at == self.updated_at
        return (
            before.get("status") == observation.status
            and before.get("reason") == observation.reason
            and same_time
        )


@dataclass(frozen=True)
class Transition:
    """A change worth recording: the new state, and the status it replaced.

    ``new.version`` is the version the write creates; ``previous_version`` the one it was read at
    (0 when the resource is new). ``baseline`` marks the silent first sweep of a service.
    """

    new: ResourceState
    previous_status: str | None
    previous_reason: str | None
    previous_version: int
    detected_at: datetime
    baseline: bool = False
    # What the policy compares with: the status the resource last settled in (a recovery goes
    # FAILED -> IN_PROGRESS -> COMPLETE), and the error entries it had before.
    previous_settled_status: str | None = None
    previous_error_entries: int = 0

    @property
    def transition_id(self) -> str:
        return f"{self.new.resource_arn}#{self.new.version}"


@dataclass(frozen=True)
class Alert:
    """One notification, as the alert policy decided it (rendering is in ``logic.alerts``)."""

    transition: Transition
    severity: str  # "error" | "warning" | "info"
    # What the reader should know beyond the service's reason (e.g. a status statusmon does not know).
    hint: str | None = None
    # Set on a stuck warning: since when the resource has been in flight (the transition is the one
    # that put it there, or its latest in-flight status).
    stuck_since: datetime | None = None


@dataclass(frozen=True)
class BucketMark:
    """One bucket of a service's resources as the table knows it (see :mod:`statusmon.domain.digest`):
    its write generation, and the digest of the listing it was last reconciled with, stored at
    ``digest_generation``."""

    generation: int = 0
    digest: str | None = None
    digest_generation: int | None = None

    def still(self, digest: str) -> bool:
        """Nothing was recorded in the bucket since its digest was stored, and ``digest`` equals it."""
        return self.digest_generation == self.generation and self.digest == digest


@dataclass(frozen=True)
class ServiceMeta:
    """Per-service bookkeeping that outlives one sweep."""

    # When the first complete listing was read (None: the silent baseline is not over).
    baseline_at: datetime | None = None
    # Known resources absent from the last complete listing: deleted if absent from the next one too.
    missing: frozenset[str] = frozenset()
    # Status strings outside the vocabulary that were already surfaced (alerted once each).
    unknown_statuses: frozenset[str] = frozenset()
    # Optimistic-concurrency version of the bookkeeping as read (0: never written).
    version: int = 0
    # The table's key layout for this service (see table_schema.LAYOUT); older ones are upgraded.
    layout: int = 0
    # Every bucket's mark, read with the bookkeeping; written apart from it (per bucket, conditionally).
    marks: Mapping[str, BucketMark] = field(default_factory=dict, compare=False)


# Where a watch entry came from: a recorded in-flight transition, or an API call CloudTrail reported.
WATCHED_BY_SWEEP = "sweep"
WATCHED_BY_CLOUDTRAIL = "cloudtrail"

# The API operation a dataset change came from, as alerts and events name it (see logic.operations).
OPERATION = "operation"
# The other dataset of a DistributeDatasetEntries (each of the two points at the other).
DISTRIBUTED_WITH = "distributed_with"


# How long a watch entry lives after its last write (the table's TTL): a safety net for a resource that
# neither settles nor vanishes (the full sweep keeps tracking it, at its own pace). Stuck thresholds
# must end before it (statusmon.settings).
WATCH_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class WatchEntry:
    """A resource on the hot watch: in flight, described every minute until it settles.

    A sweep (or the watch) that records an in-flight transition writes the entry in the same
    transaction, with the fields the diff compares (``status``, ``reason``, ``updated_at``) and the
    ``version`` it wrote, so a watch run that describes the resource and finds it unchanged needs no
    other read. CloudTrail discovery writes entries without those fields (``version`` None): the
    operation that started the work, and the resource as the call named it.
    """

    service: Service
    resource_arn: str
    since: datetime
    resource_type: ResourceType
    name: str
    parent_arn: str | None = None
    status: str | None = None
    reason: str | None = None
    updated_at: datetime | None = None
    version: int | None = None
    operation: str | None = None
    distributed_with: str | None = None
    origin: str = WATCHED_BY_SWEEP
    # When the stuck warning of this in-flight episode was recorded (None: not yet).
    stuck_at: datetime | None = None
    # Describe calls the service denied so far (AccessDeniedException); logic.watch ends the entry
    # after a bound.
    denials: int = 0

    def known(self) -> ResourceState | None:
        """The recorded state this entry mirrors (None: put by discovery, the state is unknown here)."""
        if self.version is None or self.status is None:
            return None
        return ResourceState(
            service=self.service,
            resource_type=self.resource_type,
            resource_arn=self.resource_arn,
            name=self.name,
            status=self.status,
            parent_arn=self.parent_arn,
            reason=self.reason,
            updated_at=self.updated_at,
            version=self.version,
        )

    def operation_details(self) -> dict[str, str]:
        """What the entry knows of the operation, as a state's details carry it."""
        found = {OPERATION: self.operation, DISTRIBUTED_WITH: self.distributed_with}
        return {key: value for key, value in found.items() if value}


@dataclass(frozen=True)
class OutboxMessage:
    """A rendered delivery of one transition, kept in the table until its publish is confirmed."""

    channel: str  # "sns"
    transition_id: str
    detected_at: datetime
    severity: str
    subject: str
    body: str  # SNS Publish Message (MessageStructure=json)
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Unique per transition and channel; sorts oldest first within a channel."""
        return f"{self.channel}#{iso(self.detected_at)}#{self.transition_id}"
