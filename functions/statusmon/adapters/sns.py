"""SNS: publishing rendered alerts. The only module that talks to SNS."""

from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from statusmon.adapters.errors import translate
from statusmon.domain.model import Alert
from statusmon.logic.alerts import message_attributes, sns_message, subject


def publish(alert: Alert, topic_arn: str, *, client: Any = None) -> str:
    """Publish one alert (per-protocol bodies, filterable attributes); returns the MessageId."""
    sns = client or _client()
    try:
        response = sns.publish(
            TopicArn=topic_arn,
            Message=sns_message(alert),
            MessageStructure="json",
            Subject=subject(alert),
            MessageAttributes=message_attributes(alert),
        )
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, f"publishing to {topic_arn}") from exc
    return str(response["MessageId"])


@functools.cache
def _client() -> Any:
    # One client per process, reused across warm invocations.
    return boto3.client("sns")


def ensure_topic(name: str, *, client: Any = None) -> str:
    """Create the topic if missing (CreateTopic is idempotent); returns its ARN."""
    sns = client or _client()
    try:
        return str(sns.create_topic(Name=name)["TopicArn"])
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, f"creating topic {name}") from exc
