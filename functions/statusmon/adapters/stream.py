"""Reading the status table's stream directly, for ``statusmon sweep`` outside Lambda.

In AWS the notify Lambda's event source mapping reads the stream. ``statusmon sweep`` reads it
itself, after writing, and hands the records to the notifier's own code.
Records come back in the shape of a Lambda DynamoDB stream event, filtered like the event source
mapping (:data:`statusmon.adapters.table_schema.STREAM_FILTER_PATTERN`).
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from statusmon.adapters import table_schema as schema
from statusmon.adapters.errors import AwsError, TableMissingError, error_code, translate


def matches_filter(record: dict[str, Any]) -> bool:
    """The event source mapping's filter: INSERTs of history items."""
    keys = record.get("dynamodb", {}).get("Keys", {})
    sort_key = keys.get(schema.SORT_KEY, {}).get("S", "")
    return record.get("eventName") == "INSERT" and sort_key.startswith(schema.HISTORY_SK_PREFIX)


class StreamCursor:
    def __init__(self, table_name: str, *, dynamodb: Any = None, streams: Any = None) -> None:
        self.table_name = table_name
        self._dynamodb = dynamodb or boto3.client("dynamodb")
        self._streams = streams or boto3.client("dynamodbstreams")
        self._iterators: dict[str, str] = {}
        self._stream_arn = ""

    def _shards(self) -> list[dict[str, Any]]:
        table = self._dynamodb.describe_table(TableName=self.table_name)["Table"]
        self._stream_arn = str(table.get("LatestStreamArn") or "")
        if not self._stream_arn:
            raise AwsError(
                f"table {self.table_name!r} has no stream: run `statusmon local-setup` to enable it"
            )
        shards: list[Any] = []
        kwargs: dict[str, Any] = {"StreamArn": self._stream_arn}
        while True:
            description = self._streams.describe_stream(**kwargs)["StreamDescription"]
            shards += description.get("Shards", [])
            if not description.get("LastEvaluatedShardId"):
                return shards
            kwargs["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]

    def retained(self) -> list[dict[str, Any]]:
        """Every history record the stream still holds (24 hours), oldest first per shard.

        ``statusmon sweep`` delivers all of them, every time: those already alerted are skipped by
        the notifier's per-transition idempotency, and an alert that failed to publish last time
        is published now, so nothing written is lost.
        """
        try:
            self._iterators = {
                shard["ShardId"]: self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                for shard in self._shards()
            }
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise TableMissingError(self.table_name) from None
            raise translate(exc, f"reading the stream of table {self.table_name!r}") from exc
        return self.read()

    def mark(self) -> None:
        """Remember the end of every shard: :meth:`read` returns what is written after this."""
        try:
            shards = self._shards()
            self._iterators = {
                shard["ShardId"]: self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
                )["ShardIterator"]
                for shard in shards
            }
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise TableMissingError(self.table_name) from None
            raise translate(exc, f"reading the stream of table {self.table_name!r}") from exc

    def read(self) -> list[dict[str, Any]]:
        """New records since :meth:`mark` (or the previous read), oldest first, filtered."""
        records: list[dict[str, Any]] = []
        try:
            for shard_id, start in list(self._iterators.items()):
                position: str | None = start
                while position:
                    page = self._streams.get_records(ShardIterator=position, Limit=1000)
                    position = page.get("NextShardIterator")
                    if position:
                        self._iterators[shard_id] = position
                    if not page["Records"]:
                        break
                    records += [_as_lambda_record(dict(r), self._stream_arn) for r in page["Records"]]
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"reading the stream of table {self.table_name!r}") from exc
        return [record for record in records if matches_filter(record)]


def _as_lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """GetRecords output -> the record shape Lambda delivers (what the notify handler parses)."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if created is not None and not isinstance(created, int | float):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion"),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
