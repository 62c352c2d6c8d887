"""statusmon's own failure episodes in the status table (``OPS`` / ``<function>``; see
:mod:`statusmon.adapters.table_schema` and :mod:`statusmon.logic.ops`).

Apart from :mod:`statusmon.adapters.store` because only the failure summariser and the redrive's
recovery check touch these items; they share its one connection to the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError, PynamoDBException
from pynamodb.models import Model

from statusmon.adapters import table_schema as schema
from statusmon.adapters.errors import AwsError, TableMissingError, error_code, translate
from statusmon.adapters.store import StateItem, StatusStore
from statusmon.domain.episodes import SUMMARY_INTERVAL, Episode

# A closed episode is kept until its hour is up (a failure soon after waits for it), then expires.
CLOSED_TTL = SUMMARY_INTERVAL + timedelta(hours=1)


class EpisodeItem(Model):
    class Meta:
        table_name = "statusmon-unbound"

    pk = UnicodeAttribute(hash_key=True, attr_name=schema.PARTITION_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=schema.SORT_KEY)
    function_arn = UnicodeAttribute()
    region = UnicodeAttribute()
    first_at = UTCDateTimeAttribute()
    last_at = UTCDateTimeAttribute()
    failures = NumberAttribute()
    last_error = UnicodeAttribute()
    last_request_id = UnicodeAttribute(null=True)
    told_at = UTCDateTimeAttribute(null=True)
    told_failures = NumberAttribute(default=0)
    open = BooleanAttribute(default=True)
    # The summariser and the redrive may write the same episode at once: the one that read an older
    # version must not overwrite the other's.
    version = VersionAttribute()
    expires_at = TTLAttribute(null=True, attr_name=schema.TTL_ATTRIBUTE)


class EpisodeStore:
    def __init__(self, table_name: str, *, region: str | None = None) -> None:
        self.table_name = table_name
        StatusStore(table_name, region=region)
        EpisodeItem.Meta.table_name = table_name
        setattr(EpisodeItem.Meta, "region", region)  # noqa: B010 (PynamoDB adds it at class creation)
        EpisodeItem._connection = StateItem._connection

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except AwsError:
            raise
        except Exception as exc:
            if not isinstance(exc, PynamoDBException) and not type(exc).__module__.startswith("botocore"):
                raise
            if error_code(exc) == "ResourceNotFoundException":
                raise TableMissingError(self.table_name) from None
            raise translate(exc, f"{what} (table {self.table_name!r})") from None

    def episode(self, function: str) -> Episode | None:
        with self._errors("reading a failure episode"):
            try:
                item = EpisodeItem.get(schema.OPS_PK, function, consistent_read=True)
            except EpisodeItem.DoesNotExist:
                return None
        return _episode(item)

    def open_episodes(self) -> list[Episode]:
        """Every function failing now (one Query; closed episodes waiting to expire are skipped)."""
        with self._errors("reading the failure episodes"):
            episodes = [_episode(item) for item in EpisodeItem.query(schema.OPS_PK, consistent_read=True)]
        return [episode for episode in episodes if episode.open]

    def save(self, episode: Episode) -> bool:
        """Write ``episode`` if it is still at the version it was read at; False if another writer got
        there first (nothing is written)."""
        item = EpisodeItem(
            schema.OPS_PK,
            episode.function,
            function_arn=episode.function_arn,
            region=episode.region,
            first_at=episode.first_at,
            last_at=episode.last_at,
            failures=episode.failures,
            last_error=episode.last_error,
            last_request_id=episode.last_request_id or None,
            told_at=episode.told_at,
            told_failures=episode.told_failures,
            open=episode.open,
            expires_at=None if episode.open or episode.told_at is None else episode.told_at + CLOSED_TTL,
        )
        if episode.version:
            item.version = episode.version
        with self._errors("writing a failure episode"):
            try:
                item.save()
            except PutError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True


def _episode(item: EpisodeItem) -> Episode:
    return Episode(
        function=item.sk,
        function_arn=item.function_arn,
        region=item.region,
        first_at=item.first_at,
        last_at=item.last_at,
        failures=int(item.failures),
        last_error=item.last_error,
        last_request_id=item.last_request_id or "",
        told_at=item.told_at,
        told_failures=int(item.told_failures or 0),
        open=bool(item.open),
        version=int(item.version or 0),
    )
