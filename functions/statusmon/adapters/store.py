"""The status table, through PynamoDB: the only module that talks to DynamoDB.

The key design and its reasons are in :mod:`statusmon.adapters.table_schema`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)
from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from statusmon.adapters import table_schema as schema
from statusmon.adapters.errors import AwsError, TableMissingError, error_code, translate
from statusmon.domain.model import ResourceState, Transition
from statusmon.domain.vocabulary import ResourceType, Service, is_failed


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
    """Per-service bookkeeping: when the silent baseline sweep completed."""

    class Meta:
        table_name = "statusmon-unbound"

    pk = UnicodeAttribute(hash_key=True, attr_name=schema.PARTITION_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=schema.SORT_KEY)
    baseline_at = UTCDateTimeAttribute()


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


def transition_from_stream_image(new_image: dict[str, Any]) -> Transition:
    """A history item as the table's stream carries it (DynamoDB JSON) -> its transition."""
    return _transition_from_history(HistoryItem.from_raw_data(new_image))


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


class StatusStore:
    """Current state and history of every tracked resource, in one table."""

    def __init__(self, table_name: str, *, region: str | None = None) -> None:
        self.table_name = table_name
        self.region = region
        for model in (StateItem, HistoryItem, ServiceItem):
            # PynamoDB binds a model to its table through Meta; rebinding drops the cached connection.
            if model.Meta.table_name != table_name or getattr(model.Meta, "region", None) != region:
                model.Meta.table_name = table_name
                setattr(model.Meta, "region", region)  # noqa: B010 (PynamoDB adds it at class creation)
                model._connection = None

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

    def load_service(self, service: Service) -> dict[str, ResourceState]:
        """Every current state of one service, by ARN: Query pages of the sparse by_service index."""
        with self._errors(f"reading {service.value} states"):
            return {
                item.resource_arn: _state_from_item(item, int(item.version or 0))
                for item in StateItem.by_service.query(f"{schema.SERVICE_PK_PREFIX}{service.value}")
            }

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

    def baseline_at(self, service: Service) -> datetime | None:
        """When the first complete sweep of ``service`` started (None: not yet; that sweep is silent)."""
        with self._errors("reading service bookkeeping"):
            try:
                item = ServiceItem.get(f"{schema.SERVICE_PK_PREFIX}{service.value}", schema.SERVICE_SK)
            except ServiceItem.DoesNotExist:
                return None
        return item.baseline_at

    # -- writes -----------------------------------------------------------------------------------

    def mark_baseline_done(self, service: Service, at: datetime) -> None:
        item = ServiceItem(f"{schema.SERVICE_PK_PREFIX}{service.value}", schema.SERVICE_SK, baseline_at=at)
        with self._errors("writing service bookkeeping"):
            item.save()

    def record(self, transition: Transition, *, retention_days: int) -> bool:
        """Write the new current state and its history item in one transaction.

        The state write is conditional on the version the transition was computed from, and the
        history key is unique per version, so of two sweeps racing to record the same change exactly
        one succeeds. Returns False when another writer got there first (nothing is written).
        """
        state = transition.new
        item = StateItem(resource_pk(state.resource_arn), schema.STATE_SK)
        _fill(item, state)
        item.gsi1pk = f"{schema.SERVICE_PK_PREFIX}{state.service.value}"
        item.gsi1sk = state.resource_arn
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
            except TransactWriteError as exc:
                reasons = [r.code for r in exc.cancellation_reasons if r is not None]
                if "ConditionalCheckFailed" in reasons:
                    return False
                raise
        return True


def _is_botocore(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith("botocore")


ALERT_KEY_PREFIX = "statusmon.alert"
ALERT_DEDUP_SECONDS = 3 * 24 * 3600  # longer than a stream record can be retried (24 h retention)


@functools.cache
def _dedup_layer(table_name: str, region: str | None) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr=schema.PARTITION_KEY,
        sort_key_attr=schema.SORT_KEY,
        static_pk_value=schema.ALERT_DEDUP_PK,
        expiry_attr=schema.TTL_ATTRIBUTE,
        boto3_session=boto3.session.Session(region_name=region),
    )


class RemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class Deadline:
    """Stands in for the Lambda context outside Lambda: how long an attempt may stay in progress."""

    seconds: int = 60

    def get_remaining_time_in_millis(self) -> int:
        return self.seconds * 1000


def once_per_transition(
    table_name: str,
    transition_id: str,
    action: Callable[[], str],
    *,
    context: RemainingTime | None = None,
    region: str | None = None,
) -> tuple[str, bool]:
    """Run ``action`` at most once per transition id; returns (its result, whether it ran now).

    Powertools idempotency records live in the status table (pk ``ALERT``), so a stream record
    that is delivered again after a partial failure does not publish its alert twice. A failing
    ``action`` leaves no record, so the retry runs it again; an attempt cut off by a timeout blocks
    retries only until the invocation's (``context``'s) remaining time has passed.
    """
    ran: list[bool] = []

    def _run(transition: dict[str, str]) -> dict[str, str]:
        ran.append(True)
        return {"result": action()}

    persistence = _dedup_layer(table_name, region)
    config = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=ALERT_DEDUP_SECONDS)
    config.register_lambda_context(context or Deadline())  # type: ignore[arg-type]
    # A fixed key prefix: the notify Lambda and `statusmon sweep` must find each other's records
    # (Powertools' default prefix contains the Lambda function's name).
    guarded = idempotent_function(
        data_keyword_argument="transition",
        persistence_store=persistence,
        config=config,
        key_prefix=ALERT_KEY_PREFIX,
    )(_run)
    try:
        outcome = guarded(transition={"id": transition_id})
    except IdempotencyAlreadyInProgressError as exc:
        raise AwsError(f"alert for {transition_id} is being sent by another invocation") from exc
    except IdempotencyPersistenceLayerError as exc:
        raise translate(exc, f"recording alert delivery (table {table_name!r})") from exc
    return str(outcome["result"]), bool(ran)
