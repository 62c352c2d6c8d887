"""The table's stream as the notify Lambda's event source mapping would hand it over (tests only)."""

from __future__ import annotations

from typing import Any

import boto3

from statusmon.adapters import table_schema as schema


def _matches(record: dict[str, Any]) -> bool:
    """The event source mapping's filter (table_schema.STREAM_FILTER_PATTERN): new outbox items."""
    keys = record["dynamodb"].get("Keys", {})
    pattern = schema.STREAM_FILTER_PATTERN
    return (
        record["eventName"] in pattern["eventName"]
        and keys.get(schema.PARTITION_KEY, {}).get("S")
        in pattern["dynamodb"]["Keys"][schema.PARTITION_KEY]["S"]
    )


def stream_event(table_name: str, *, after: int = 0) -> dict[str, Any]:
    """A Lambda DynamoDB stream event of the filtered records, skipping the first ``after`` of them."""
    streams = boto3.client("dynamodbstreams")
    stream_arn = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        position = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        # Empty pages can come before later records (DynamoDB Streams): read a few past the last.
        empty = 0
        while position and empty < 3:
            page = streams.get_records(ShardIterator=position, Limit=1000)
            empty = 0 if page["Records"] else empty + 1
            records += page["Records"]
            position = page.get("NextShardIterator")
    lambda_records = [
        {
            "eventID": r["eventID"],
            "eventName": r["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": r.get("awsRegion", "us-east-1"),
            "dynamodb": {**r["dynamodb"], "ApproximateCreationDateTime": 0},
            "eventSourceARN": stream_arn,
        }
        for r in records
        if _matches(r)
    ]
    return {"Records": lambda_records[after:]}
