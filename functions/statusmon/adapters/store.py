"""The status table, through PynamoDB: the only module that talks to DynamoDB.

The key design and its reasons are in :mod:`statusmon.adapters.table_schema`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import TableConnection
from pynamodb.exceptions import DeleteError, PutError, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from statusmon.adapters import aws
from statusmon.adapters import table_schema as schema
from statusmon.adapters.errors import AwsError, TableMissingError, error_code, translate
from statusmon.domain.digest import bucket_of
from statusmon.domain.model import (
    WATCH_LIFETIME,
    WATCHED_BY_SWEEP,
    BucketMark,
    OutboxMessage,
    ResourceState,
    ServiceMeta,
    Transition,
    WatchEntry,
    never,
)
from statusmon.domain.vocabulary import Phase, ResourceType, Service, is_failed

# Bucket Queries in flight at once (each reads a few kB; well inside on-demand throughput).
QUERY_WORKERS = 8
WATCH_TTL = WATCH_LIFETIME
# An outbox sort key no message has (they start with their channel): service_time reads nothing there.
_CLOCK_PROBE_SK = "#clock"
# The table's setup (`statusmon local-setup`, never a Lambda) calls `boto3.client`: clients of the
# process's one botocore session, without importing boto3.
boto3 = aws.boto3_clients


class _ByServiceIndex(GlobalSecondaryIndex["StateItem"]):
    class Meta:
        index_name = schema.BY_SERVICE_INDEX.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _FailedIndex(GlobalSecondaryIndex["StateItem"]):
    class Meta:
        index_name = schema.FAILED_INDEX.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class _ResourceFields(Model):
    """Attributes shared by current-state and history items (not a table of its own)."""

    class Meta:
        table_name = "statusmon-unbound"

    pk = UnicodeAttribute(hash_key=True, attr_name=schema.PARTITION_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=schema.SORT_KEY)
    service = UnicodeAttribute()
    resource_type = UnicodeAttribute()
    resource_arn = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute()
    parent_arn = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    observed_at = UTCDateTimeAttribute()
    details = MapAttribute[str, Any](null=True)
    settled_status = UnicodeAttribute(null=True)
    # When the recorded answer was read (the staleness rule, logic.changes.is_stale); absent from
    # items written before it was stored: read as None.
    read_at = UTCDateTimeAttribute(null=True)


class StateItem(_ResourceFields):
    class Meta:
        table_name = "statusmon-unbound"
        stream_view_type = schema.STREAM_VIEW_TYPE
        billing_mode = "PAY_PER_REQUEST"

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_service = _ByServiceIndex()
    failed = _FailedIndex()


class ServiceItem(Model):
    """Per-service bookkeeping (:class:`statusmon.domain.model.ServiceMeta`)."""

    class Meta:
        table_name = "statusmon-unbound"

    pk = UnicodeAttribute(hash_key=True, attr_name=schema.PARTITION_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=schema.SORT_KEY)
    baseline_at = UTCDateTimeAttribute(null=True)
    missing = UnicodeSetAttribute(null=True)
    unknown_statuses = UnicodeSetAttribute(null=True)
    layout = NumberAttribute(null=True)
    # Two sweeps of a service may overlap (the CLI and the Lambda): the one that read older
    # bookkeeping must not overwrite what the other wrote.
    version = VersionAttribute()


class MarkItem(Model):
    """One bucket's mark (:class:`statusmon.domain.model.BucketMark`), next to the service bookkeeping."""

    class Meta:
        table_name = "statusmon-unbound"

    pk = UnicodeAttribute(hash_key=True, attr_name=schema.PARTITION_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=schema.SORT_KEY)
    # Incremented by every transition recorded in the bucket, in the transition's own transaction.
    # Short names: a quiet sweep reads every mark of its service (256 of them), strongly consistent,
    # and read units count attribute names too.
    generation = NumberAttribute(null=True, attr_name="g")
    digest = UnicodeAttribute(null=True, attr_name="d")
    digest_generation = NumberAttribute(null=True, attr_name="dg")


class OutboxItem(Model):
    """A delivery not yet confirmed: the rendered message, and who is sending it until when."""

    class Meta:
        table_name = "statusmon-unbound"

    pk = UnicodeAttribute(hash_key=True, attr_name=schema.PARTITION_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=schema.SORT_KEY)
    channel = UnicodeAttribute()
    transition_id = UnicodeAttribute()
    detected_at = UTCDateTimeAttribute()
    severity = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    attributes = MapAttribute[str, str](null=True)
    # A claim: the deliverer (owner) may publish until lease_until (epoch seconds); then anyone may.
    lease_until = NumberAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)


class WatchItem(Model):
    """One resource on the hot watch (:class:`statusmon.domain.model.WatchEntry`)."""

    class Meta:
        table_name = "statusmon-unbound"

    pk = UnicodeAttribute(hash_key=True, attr_name=schema.PARTITION_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=schema.SORT_KEY)
    service = UnicodeAttribute()
    resource_type = UnicodeAttribute()
    name = UnicodeAttribute()
    since = UTCDateTimeAttribute()
    parent_arn = UnicodeAttribute(null=True)
    # The recorded state it mirrors (written with it, in the same transaction); absent when discovered.
    status = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(null=True)
    operation = UnicodeAttribute(null=True)
    distributed_with = UnicodeAttribute(null=True)
    origin = UnicodeAttribute(null=True)
    # When this in-flight episode's stuck warning was recorded (logic.stuck): at most one per episode.
    stuck_at = UTCDateTimeAttribute(null=True)
    # Describe calls denied so far (logic.watch ends the entry after MAX_DENIALS).
    denials = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True, attr_name=schema.TTL_ATTRIBUTE)


class HistoryItem(_ResourceFields):
    class Meta:
        table_name = "statusmon-unbound"

    version = NumberAttribute()
    previous_status = UnicodeAttribute(null=True)
    previous_reason = UnicodeAttribute(null=True)
    previous_settled_status = UnicodeAttribute(null=True)
    previous_error_entries = NumberAttribute(default=0)
    detected_at = UTCDateTimeAttribute()
    baseline = BooleanAttribute(default=False)
    expires_at = TTLAttribute(null=True, attr_name=schema.TTL_ATTRIBUTE)


def resource_pk(arn: str) -> str:
    return f"{schema.RESOURCE_PK_PREFIX}{arn}"


def service_pk(service: Service) -> str:
    return f"{schema.SERVICE_PK_PREFIX}{service.value}"


def mark_sk(bucket: str) -> str:
    return f"{schema.MARK_SK_PREFIX}{bucket}"


def by_service_sk(arn: str) -> str:
    return f"{bucket_of(arn)}#{arn}"


def history_sk(version: int) -> str:
    return f"{schema.HISTORY_SK_PREFIX}{version:010d}"


def _state_from_item(item: _ResourceFields, version: int) -> ResourceState:
    return ResourceState(
        service=Service(item.service),
        resource_type=ResourceType(item.resource_type),
        resource_arn=item.resource_arn,
        name=item.name,
        status=item.status,
        parent_arn=item.parent_arn,
        reason=item.reason,
        updated_at=item.updated_at,
        details=item.details.as_dict() if item.details is not None else {},
        observed_at=item.observed_at,
        version=version,
        settled_status=item.settled_status,
        read_at=item.read_at,
    )


def _transition_from_history(item: HistoryItem) -> Transition:
    return Transition(
        new=_state_from_item(item, int(item.version)),
        previous_status=item.previous_status,
        previous_reason=item.previous_reason,
        previous_version=int(item.version) - 1,
        detected_at=item.detected_at,
        baseline=bool(item.baseline),
        previous_settled_status=item.previous_settled_status,
        previous_error_entries=int(item.previous_error_entries or 0),
    )


def _fill(item: _ResourceFields, state: ResourceState) -> None:
    item.service = state.service.value
    item.resource_type = state.resource_type.value
    item.resource_arn = state.resource_arn
    item.name = state.name
    item.status = state.status
    item.parent_arn = state.parent_arn
    item.reason = state.reason
    item.updated_at = state.updated_at
    item.observed_at = state.observed_at or datetime.now().astimezone()
    item.details = state.details or None
    item.settled_status = state.settled_status
    item.read_at = state.read_at


class StatusStore:
    """Current state and history of every tracked resource, in one table."""

    def __init__(self, table_name: str, *, region: str | None = None) -> None:
        self.table_name = table_name
        self.region = region
        # ARNs read through the by_service index under a key layout older than table_schema.LAYOUT.
        self._old_keys: dict[Service, set[str]] = {}
        models = (StateItem, HistoryItem, ServiceItem, MarkItem, OutboxItem, WatchItem)
        bound = StateItem._connection
        if (
            bound is not None
            and isinstance(bound.connection, aws.SessionConnection)
            and all(model._connection is bound for model in models)
            and bound.table_name == table_name
            and getattr(StateItem.Meta, "region", None) == region
        ):
            return
        # PynamoDB binds a model to its table through Meta and caches a connection per model, each on
        # a botocore session of its own. The five models are items of one table: they share one
        # connection (one DynamoDB client) on the process's session, which knows the table's keys and
        # indexes from StateItem, the model that declares them all.
        for model in models:
            model.Meta.table_name = table_name
            setattr(model.Meta, "region", region)  # noqa: B010 (PynamoDB adds it at class creation)
            model._connection = None
        connection = aws.SessionConnection(region=region)
        connection.add_meta_table(StateItem._get_connection().get_meta_table())
        shared = TableConnection(table_name, region=region)
        shared.connection = connection
        for model in models:
            model._connection = shared

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except AwsError:
            raise
        except Exception as exc:
            if not isinstance(exc, PynamoDBException) and not _is_botocore(exc):
                raise
            if error_code(exc) == "ResourceNotFoundException":
                raise TableMissingError(self.table_name) from None
            raise translate(exc, f"{what} (table {self.table_name!r})") from None

    # -- setup ------------------------------------------------------------------------------------

    def ensure_table(self, client: Any = None) -> bool:
        """Create the table (stream, indexes, TTL) if it is missing. True if it was created."""
        dynamodb = client or boto3.client("dynamodb", region_name=self.region)
        with self._errors("creating the status table"):
            try:
                table = dynamodb.describe_table(TableName=self.table_name)["Table"]
            except dynamodb.exceptions.ResourceNotFoundException:
                table = None
            if table is not None and not schema.TABLE.matches(dict(table)):
                # Never turn on a stream or TTL on somebody else's table.
                raise AwsError(
                    f"table {self.table_name!r} exists but is not a statusmon table (its keys or indexes "
                    "differ): set STATUSMON_TABLE_NAME to another name"
                )
            if table is None:
                dynamodb.create_table(**schema.TABLE.create_table_kwargs(self.table_name))
                dynamodb.get_waiter("table_exists").wait(
                    TableName=self.table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
                )
            elif not table.get("StreamSpecification", {}).get("StreamEnabled"):
                # A table made by hand without its stream: the notifier would never see a change.
                dynamodb.update_table(
                    TableName=self.table_name,
                    StreamSpecification=schema.TABLE.create_table_kwargs(self.table_name)[
                        "StreamSpecification"
                    ],
                )
            ttl = dynamodb.describe_time_to_live(TableName=self.table_name)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") not in {"ENABLED", "ENABLING"}:
                dynamodb.update_time_to_live(
                    TableName=self.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE},
                )
            return table is None

    # -- reads ------------------------------------------------------------------------------------

    def load_service(
        self, service: Service, buckets: Iterable[str] | None = None
    ) -> dict[str, ResourceState]:
        """Current states of one service, by ARN: all of them, or those of ``buckets`` only (one Query
        of the by_service index per bucket: its sort keys start with the bucket)."""
        index = StateItem.by_service
        partition = service_pk(service)
        with self._errors(f"reading {service.value} states"):
            if buckets is None:
                items = list(index.query(partition))
                self._old_keys[service] = {
                    item.resource_arn for item in items if item.gsi1sk != by_service_sk(item.resource_arn)
                }
            else:

                def bucket_items(bucket: str) -> list[StateItem]:
                    return list(index.query(partition, StateItem.gsi1sk.startswith(f"{bucket}#")))

                # Side by side: a sweep with changes in many buckets waits for one round trip, not one each.
                with ThreadPoolExecutor(QUERY_WORKERS) as pool:
                    items = [item for page in pool.map(bucket_items, sorted(buckets)) for item in page]
            return {item.resource_arn: _state_from_item(item, int(item.version or 0)) for item in items}

    def states(self, service: Service | None = None, *, failed_only: bool = False) -> list[ResourceState]:
        services = [service] if service else list(Service)
        found: list[ResourceState] = []
        with self._errors("reading current states"):
            for svc in services:
                if failed_only:
                    items = StateItem.failed.query(f"{schema.FAILED_PK_PREFIX}{svc.value}")
                else:
                    items = StateItem.by_service.query(f"{schema.SERVICE_PK_PREFIX}{svc.value}")
                found += [_state_from_item(item, int(item.version or 0)) for item in items]
        return sorted(found, key=lambda s: (s.service.value, s.name, s.resource_arn))

    def get(self, arn: str) -> ResourceState | None:
        with self._errors("reading a resource"):
            try:
                item = StateItem.get(resource_pk(arn), schema.STATE_SK)
            except StateItem.DoesNotExist:
                return None
        return _state_from_item(item, int(item.version or 0))

    def history(self, arn: str) -> list[Transition]:
        """One resource's transitions, oldest first."""
        with self._errors("reading history"):
            items = HistoryItem.query(
                resource_pk(arn), HistoryItem.sk.startswith(schema.HISTORY_SK_PREFIX), scan_index_forward=True
            )
            return [_transition_from_history(item) for item in items]

    def service_meta(self, service: Service) -> ServiceMeta:
        """The service's bookkeeping and every bucket's mark, in one strongly consistent Query (empty
        before the service's first sweep: that sweep is the silent baseline)."""
        meta: ServiceItem | None = None
        marks: dict[str, BucketMark] = {}
        with self._errors("reading service bookkeeping"):
            for raw in self._partition(service_pk(service)):
                sort_key = raw[schema.SORT_KEY]["S"]
                if sort_key == schema.SERVICE_SK:
                    meta = ServiceItem.from_raw_data(raw)
                elif sort_key.startswith(schema.MARK_SK_PREFIX):
                    mark = MarkItem.from_raw_data(raw)
                    marks[sort_key.removeprefix(schema.MARK_SK_PREFIX)] = BucketMark(
                        generation=int(mark.generation or 0),
                        digest=mark.digest,
                        digest_generation=_int_or_none(mark.digest_generation),
                    )
        if meta is None:
            return ServiceMeta(marks=marks)
        return ServiceMeta(
            baseline_at=meta.baseline_at,
            missing=frozenset(meta.missing or ()),
            unknown_statuses=frozenset(meta.unknown_statuses or ()),
            version=int(meta.version or 0),
            layout=int(meta.layout or 0),
            marks=marks,
        )

    def _partition(self, partition_key: str) -> Iterator[dict[str, Any]]:
        connection = ServiceItem._get_connection()
        start: dict[str, Any] | None = None
        while True:
            page = connection.query(partition_key, consistent_read=True, exclusive_start_key=start)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    # -- writes -----------------------------------------------------------------------------------

    def save_service_meta(self, service: Service, meta: ServiceMeta) -> bool:
        """Write the bookkeeping read at ``meta.version``; False if another sweep wrote it since."""
        item = ServiceItem(
            f"{schema.SERVICE_PK_PREFIX}{service.value}",
            schema.SERVICE_SK,
            baseline_at=meta.baseline_at,
            missing=set(meta.missing) or None,
            unknown_statuses=set(meta.unknown_statuses) or None,
            layout=meta.layout or None,
        )
        if meta.version:
            item.version = meta.version
        with self._errors("writing service bookkeeping"):
            try:
                item.save()
            except PutError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def record(
        self,
        transition: Transition,
        *,
        retention_days: int,
        outbox: Sequence[OutboxMessage] = (),
        watched: bool = False,
    ) -> bool:
        """Write the new current state, its history item and its pending deliveries in one transaction.

        The state write is conditional on the version the transition was computed from, and the
        history key is unique per version, so of two sweeps racing to record the same change exactly
        one succeeds, and only its alert enters the outbox. Returns False when another writer got
        there first (nothing is written).

        The hot watch moves in the same transaction: an in-flight state puts (or refreshes) its watch
        entry; any other state deletes it when ``watched`` (the caller knows an entry may exist).
        """
        state = transition.new
        item = StateItem(resource_pk(state.resource_arn), schema.STATE_SK)
        _fill(item, state)
        item.gsi1pk = service_pk(state.service)
        item.gsi1sk = by_service_sk(state.resource_arn)
        if is_failed(state.service, state.status):
            item.gsi2pk = f"{schema.FAILED_PK_PREFIX}{state.service.value}"
            item.gsi2sk = (state.observed_at or transition.detected_at).isoformat()
        if transition.previous_version:
            item.version = transition.previous_version

        history = HistoryItem(resource_pk(state.resource_arn), history_sk(state.version))
        _fill(history, state)
        history.version = state.version
        history.previous_status = transition.previous_status
        history.previous_reason = transition.previous_reason
        history.previous_settled_status = transition.previous_settled_status
        history.previous_error_entries = transition.previous_error_entries
        history.detected_at = transition.detected_at
        history.baseline = transition.baseline
        history.expires_at = transition.detected_at + timedelta(days=retention_days)

        with self._errors("recording a transition"):
            try:
                with TransactWrite(connection=StateItem._get_connection().connection) as transaction:
                    transaction.save(item)
                    transaction.save(history, condition=HistoryItem.sk.does_not_exist())
                    for message in outbox:
                        transaction.save(_outbox_item(message), condition=OutboxItem.sk.does_not_exist())
                    # The bucket's generation moves with every write in it: its stored digest is void.
                    mark = MarkItem(service_pk(state.service), mark_sk(bucket_of(state.resource_arn)))
                    transaction.update(mark, actions=[MarkItem.generation.add(1)])
                    if state.phase is Phase.IN_FLIGHT:
                        transaction.update(*_watch_update(transition))
                    elif watched:
                        transaction.delete(WatchItem(schema.WATCH_PK, state.resource_arn))
            except TransactWriteError as exc:
                reasons = [r.code for r in exc.cancellation_reasons if r is not None]
                if "ConditionalCheckFailed" in reasons:
                    return False
                raise
        return True

    def save_marks(self, service: Service, marks: Mapping[str, BucketMark]) -> int:
        """Store each bucket's digest, if its generation is still ``digest_generation``; returns how many
        were stored (a bucket another writer recorded in since is left void, and read next time)."""
        stored = 0
        for bucket, mark in sorted(marks.items()):
            item = MarkItem(service_pk(service), mark_sk(bucket))
            unchanged = (
                MarkItem.generation == mark.digest_generation
                if mark.digest_generation
                else MarkItem.generation.does_not_exist()
            )
            with self._errors("writing a bucket mark"):
                try:
                    item.update(
                        actions=[
                            MarkItem.digest.set(mark.digest or ""),
                            MarkItem.digest_generation.set(mark.digest_generation or 0),
                        ],
                        condition=unchanged,
                    )
                except UpdateError as exc:
                    if error_code(exc) != "ConditionalCheckFailedException":
                        raise
                    continue
            stored += 1
        return stored

    def upgrade_keys(self, service: Service, *, out_of_time: Callable[[], bool] = never) -> bool:
        """Rewrite the by_service sort keys that the last full read of ``service`` found in an older
        layout (the bare ARN) to the current one (bucket, then ARN), until ``out_of_time``. True when
        none is left."""
        connection = StateItem._get_connection()
        old = self._old_keys.get(service, set())
        with self._errors("upgrading index keys"):
            for arn in sorted(old):
                if out_of_time():
                    break
                try:
                    connection.update_item(
                        resource_pk(arn),
                        schema.STATE_SK,
                        actions=[StateItem.gsi1sk.set(by_service_sk(arn))],
                        # A writer may have rewritten it meanwhile (then in the current layout).
                        condition=StateItem.gsi1sk == arn,
                    )
                except UpdateError as exc:
                    if error_code(exc) != "ConditionalCheckFailedException":
                        raise
                old.discard(arn)
        return not old

    # -- the hot watch ----------------------------------------------------------------------------

    def watched(self) -> list[WatchEntry]:
        """Everything on the hot watch (one Query; a single read unit when nothing is in flight)."""
        with self._errors("reading the watch list"):
            return [_watch_entry(item) for item in WatchItem.query(schema.WATCH_PK)]

    def watch(self, entries: Sequence[WatchEntry]) -> int:
        """Put discovered resources on the watch (CloudTrail): their operation and what the call named.

        Never overwrites what a recorded transition mirrored (status, version): an entry already there
        only gains the operation. Returns how many were written.
        """
        with self._errors("adding to the watch list"):
            for entry in entries:
                item = WatchItem(schema.WATCH_PK, entry.resource_arn)
                actions = [
                    WatchItem.service.set(entry.service.value),
                    WatchItem.resource_type.set(entry.resource_type.value),
                    WatchItem.name.set(WatchItem.name | entry.name),
                    WatchItem.since.set(WatchItem.since | entry.since),
                    WatchItem.origin.set(WatchItem.origin | entry.origin),
                    WatchItem.expires_at.set(entry.since + WATCH_TTL),
                ]
                if entry.parent_arn:
                    actions.append(WatchItem.parent_arn.set(WatchItem.parent_arn | entry.parent_arn))
                if entry.operation:
                    actions.append(WatchItem.operation.set(entry.operation))
                if entry.distributed_with:
                    actions.append(WatchItem.distributed_with.set(entry.distributed_with))
                item.update(actions=list(actions))
        return len(entries)

    def unwatch(self, entry: WatchEntry) -> bool:
        """Take a settled resource off the watch, unless a newer transition rewrote its entry meanwhile."""
        item = WatchItem(schema.WATCH_PK, entry.resource_arn)
        unchanged = (
            WatchItem.version.does_not_exist()
            if entry.version is None
            else WatchItem.version == entry.version
        )
        with self._errors("removing from the watch list"):
            try:
                item.delete(condition=unchanged)
            except DeleteError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                return False
        return True

    def warn_stuck(self, entry: WatchEntry, outbox: Sequence[OutboxMessage], *, at: datetime) -> bool:
        """Record an entry's stuck warning: its deliveries into the outbox and the mark on the entry, in
        one transaction, only if the entry still mirrors the same state and has no mark yet (so once
        per in-flight episode). False when it changed or was marked meanwhile (nothing is written)."""
        item = WatchItem(schema.WATCH_PK, entry.resource_arn)
        with self._errors("recording a stuck warning"):
            try:
                with TransactWrite(connection=WatchItem._get_connection().connection) as transaction:
                    transaction.update(
                        item,
                        actions=[WatchItem.stuck_at.set(at)],
                        condition=(WatchItem.version == entry.version) & WatchItem.stuck_at.does_not_exist(),
                    )
                    for message in outbox:
                        transaction.save(_outbox_item(message), condition=OutboxItem.sk.does_not_exist())
            except TransactWriteError as exc:
                reasons = [r.code for r in exc.cancellation_reasons if r is not None]
                if "ConditionalCheckFailed" in reasons:
                    return False
                raise
        return True

    def note_denial(self, entry: WatchEntry) -> int:
        """Count one denied Describe on the entry; the count so far (0 if the entry is gone)."""
        item = WatchItem(schema.WATCH_PK, entry.resource_arn)
        with self._errors("updating the watch list"):
            try:
                item.update(actions=[WatchItem.denials.add(1)], condition=WatchItem.sk.exists())
            except UpdateError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                return 0
        return _int_or_none(item.denials) or 0

    def mirror(self, state: ResourceState) -> bool:
        """Make a discovered entry mirror the recorded ``state`` (so the next run needs no other read);
        False if the entry is gone or already mirrors a newer state."""
        item = WatchItem(schema.WATCH_PK, state.resource_arn)
        with self._errors("updating the watch list"):
            try:
                item.update(
                    actions=_mirror_actions(state),
                    condition=WatchItem.sk.exists()
                    & (WatchItem.version.does_not_exist() | (WatchItem.version < state.version)),
                )
            except UpdateError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                return False
        return True

    # -- the outbox -------------------------------------------------------------------------------

    def pending(self, channel: str, *, limit: int | None = None) -> list[OutboxMessage]:
        """Deliveries of ``channel`` not yet confirmed, oldest first (strongly consistent)."""
        with self._errors("reading the outbox"):
            items = OutboxItem.query(
                schema.OUTBOX_PK,
                OutboxItem.sk.startswith(f"{channel}#"),
                consistent_read=True,
                limit=limit,
            )
            return [_outbox_message(item) for item in items]

    def service_time(self) -> float:
        """DynamoDB's own time now (epoch seconds): what leases are taken and judged by.

        Read from the ``Date`` header of the table's answers (:class:`statusmon.adapters.aws.ServiceClock`),
        so every deliverer (a Lambda, a CLI on a laptop whose clock is minutes off) measures leases on
        the same clock. Without an answer in the last minute, one Query of a key no item has (half a
        read unit) fetches the time. The header counts whole seconds: a reading is up to about a second
        behind, so a lease ends up to a second early by the table's clock and is taken over up to a
        second late, against leases of minutes.
        """
        connection = OutboxItem._get_connection().connection
        assert isinstance(connection, aws.SessionConnection)  # bound in __init__
        clock = connection.clock
        moment = clock.now()
        if moment is None:
            with self._errors("reading DynamoDB's time"):
                list(OutboxItem.query(schema.OUTBOX_PK, OutboxItem.sk == _CLOCK_PROBE_SK, limit=1))
            moment = clock.now()
        if moment is None:
            raise AwsError(
                f"DynamoDB's answers carry no Date header (table {self.table_name!r}): outbox leases "
                "need the service's time; check AWS_ENDPOINT_URL points at DynamoDB"
            )
        return moment

    def discard(self, message: OutboxMessage) -> bool:
        """Delete a pending message unsent (its channel is switched off); False if it was gone."""
        item = OutboxItem(schema.OUTBOX_PK, message.key)
        with self._errors("discarding an outbox item"):
            try:
                item.delete(condition=OutboxItem.sk.exists())
            except DeleteError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def claim(self, message: OutboxMessage, *, owner: str, now: float, lease_seconds: float) -> bool:
        """Take ``message`` for delivery until ``now + lease_seconds`` (idempotent for one ``owner``).

        ``now`` is :meth:`service_time` (tests pass a simulated one). False when it is gone (delivered
        and confirmed) or another deliverer's lease still runs.
        """
        item = OutboxItem(schema.OUTBOX_PK, message.key)
        # Our own claim counts as free: botocore retries a claim whose answer was lost, and that
        # retry must not find the item "taken" by the very claim it repeats.
        free = (
            OutboxItem.lease_until.does_not_exist()
            | (OutboxItem.lease_until < now)
            | (OutboxItem.owner == owner)
        )
        with self._errors("claiming an outbox item"):
            try:
                item.update(
                    actions=[
                        OutboxItem.lease_until.set(now + lease_seconds),
                        OutboxItem.owner.set(owner),
                        OutboxItem.attempts.add(1),
                    ],
                    condition=OutboxItem.sk.exists() & free,
                )
            except UpdateError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def confirm(self, message: OutboxMessage, *, owner: str) -> bool:
        """Remove a delivered message; False if ``owner``'s claim was taken over (it may go out twice)."""
        item = OutboxItem(schema.OUTBOX_PK, message.key)
        with self._errors("confirming an outbox item"):
            try:
                item.delete(condition=OutboxItem.owner == owner)
            except DeleteError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def release(self, message: OutboxMessage, *, owner: str, error: str) -> None:
        """Give a claim back after a failed publish, so the next delivery tries at once."""
        item = OutboxItem(schema.OUTBOX_PK, message.key)
        with self._errors("releasing an outbox item"):
            try:
                item.update(
                    actions=[OutboxItem.lease_until.set(0), OutboxItem.last_error.set(error[:1000])],
                    condition=OutboxItem.owner == owner,
                )
            except UpdateError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise


def _mirror_actions(state: ResourceState) -> list[Any]:
    # Set, or removed when None (PynamoDB turns a set to None into REMOVE).
    return [
        WatchItem.service.set(state.service.value),
        WatchItem.resource_type.set(state.resource_type.value),
        WatchItem.name.set(state.name),
        WatchItem.status.set(state.status),
        WatchItem.version.set(state.version),
        WatchItem.parent_arn.set(state.parent_arn),  # type: ignore[arg-type]
        WatchItem.reason.set(state.reason),  # type: ignore[arg-type]
        WatchItem.updated_at.set(state.updated_at),  # type: ignore[arg-type]
    ]


def _watch_update(transition: Transition) -> tuple[WatchItem, list[Any]]:
    """The watch entry of an in-flight transition: it mirrors the new state; a discovered operation
    already on it stays (``since`` keeps the episode's start)."""
    state = transition.new
    item = WatchItem(schema.WATCH_PK, state.resource_arn)
    return item, [
        *_mirror_actions(state),
        WatchItem.since.set(WatchItem.since | transition.detected_at),
        WatchItem.origin.set(WatchItem.origin | WATCHED_BY_SWEEP),
        WatchItem.expires_at.set(transition.detected_at + WATCH_TTL),
    ]


def _watch_entry(item: WatchItem) -> WatchEntry:
    return WatchEntry(
        service=Service(item.service),
        resource_arn=item.sk,
        since=item.since,
        resource_type=ResourceType(item.resource_type),
        name=item.name,
        parent_arn=item.parent_arn,
        status=item.status,
        reason=item.reason,
        updated_at=item.updated_at,
        version=_int_or_none(item.version),
        operation=item.operation,
        distributed_with=item.distributed_with,
        origin=item.origin or WATCHED_BY_SWEEP,
        stuck_at=item.stuck_at,
        denials=_int_or_none(item.denials) or 0,
    )


def _outbox_item(message: OutboxMessage) -> OutboxItem:
    return OutboxItem(
        schema.OUTBOX_PK,
        message.key,
        channel=message.channel,
        transition_id=message.transition_id,
        detected_at=message.detected_at,
        severity=message.severity,
        subject=message.subject,
        body=message.body,
        attributes=dict(message.attributes) or None,
    )


def _outbox_message(item: OutboxItem) -> OutboxMessage:
    return OutboxMessage(
        channel=item.channel,
        transition_id=item.transition_id,
        detected_at=item.detected_at,
        severity=item.severity,
        subject=item.subject,
        body=item.body,
        attributes=item.attributes.as_dict() if item.attributes is not None else {},
    )


def outbox_message_from_stream_image(new_image: dict[str, Any]) -> OutboxMessage:
    """An outbox item as the table's stream carries it (DynamoDB JSON) -> its message."""
    return _outbox_message(OutboxItem.from_raw_data(new_image))


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)


def _is_botocore(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith("botocore")
