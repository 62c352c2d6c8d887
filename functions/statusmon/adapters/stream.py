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

    def retained(self) -> list[dict[str, Any]]:
        """Every history record the stream still holds (24 hours), oldest first per shard.

        ``statusmon sweep`` delivers all of them, every time: those already alerted are skipped by
        the notifier's per-transition idempotency, and an alert that failed to publish last time
        is published now, so nothing written is lost.
        """
        try:
            stream_arn = self._stream_arn()
            records: list[dict[str, Any]] = []
            for shard in self._shards(stream_arn):
                records += self._shard_records(stream_arn, shard["ShardId"])
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise TableMissingError(self.table_name) from None
            raise translate(exc, f"reading the stream of table {self.table_name!r}") from exc
        return [record for record in records if matches_filter(record)]

    def _stream_arn(self) -> str:
        table = self._dynamodb.describe_table(TableName=self.table_name)["Table"]
        if not table.get("LatestStreamArn"):
            raise AwsError(
                f"table {self.table_name!r} has no stream: run `statusmon local-setup` to enable it"
            )
        return str(table["LatestStreamArn"])

    def _shards(self, stream_arn: str) -> list[Any]:
        shards: list[Any] = []
        kwargs: dict[str, Any] = {"StreamArn": stream_arn}
        while True:
            description = self._streams.describe_stream(**kwargs)["StreamDescription"]
            shards += description.get("Shards", [])
            if not description.get("LastEvaluatedShardId"):
                return shards
            kwargs["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]

    def _shard_records(self, stream_arn: str, shard_id: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        position = self._streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while position:
            page = self._streams.get_records(ShardIterator=position, Limit=1000)
            if not page["Records"]:
                break
            records += [_as_lambda_record(dict(r), stream_arn) for r in page["Records"]]
            position = page.get("NextShardIterator")
        return records


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
