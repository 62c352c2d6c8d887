"""Integration fixtures: real boto3/PynamoDB clients over HTTP to the session's moto server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from statusmon.adapters import sns
from statusmon.adapters.store import StatusStore
from statusmon.settings import get_settings
from statusmon_local.pipeline import drain_queue, subscribe_queue


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

    def receive_all(self) -> list[dict[str, Any]]:
        return drain_queue(self.queue_url)


def subscribe(topic_arn: str, *, raw: bool = True) -> Subscriber:
    return Subscriber(topic_arn, subscribe_queue(topic_arn, raw=raw))


@pytest.fixture
def subscriber(aws_endpoint: str) -> Subscriber:
    topic_arn = boto3.client("sns").create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    return subscribe(topic_arn)


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


@pytest.fixture
def fresh_emulator(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The session's emulator emptied, without faults, and every client of the test pointed at it."""
    emulator.reset()
    emulator.clear_faults()
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    return emulator
