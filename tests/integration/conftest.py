"""Integration fixtures: real boto3/PynamoDB clients over HTTP to the session's moto server."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from statusmon.adapters import sns
from statusmon.adapters.store import StatusStore
from statusmon.settings import get_settings


@pytest.fixture(autouse=True)
def aws_endpoint(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    sns._client.cache_clear()
    get_settings.cache_clear()
    yield moto_url
    sns._client.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def store(aws_endpoint: str) -> Iterator[StatusStore]:
    """A fresh status table, built from the table spec, for each test."""
    status_store = StatusStore(f"status-{uuid.uuid4().hex[:10]}")
    status_store.ensure_table()
    yield status_store
    # moto copies every table a transaction touches: keep the server's tables few and small.
    boto3.client("dynamodb").delete_table(TableName=status_store.table_name)


@dataclass
class Subscriber:
    topic_arn: str
    queue_url: str
    sqs: Any

    def receive_all(self) -> list[dict[str, Any]]:
        """Drain the queue; each message as {"body": parsed JSON, "attributes": {...}}."""
        messages: list[dict[str, Any]] = []
        while True:
            page = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            batch = page.get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
                messages.append({"body": json.loads(message["Body"]), "attributes": attributes})
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def subscribe_queue(topic_arn: str) -> Subscriber:
    """An SQS queue subscribed to the topic with raw delivery, as a user would set it up."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns").subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    return Subscriber(topic_arn, queue_url, sqs)


@pytest.fixture
def subscriber(aws_endpoint: str) -> Subscriber:
    topic_arn = boto3.client("sns").create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    return subscribe_queue(topic_arn)


@dataclass
class FakeLambdaContext:
    function_name: str = "statusmon-notify"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:statusmon-notify"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()
