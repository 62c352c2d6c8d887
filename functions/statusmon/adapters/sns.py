"""SNS: publishing rendered alerts. The only module that talks to SNS."""

from __future__ import annotations

import functools
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from statusmon.adapters.aws import create_client
from statusmon.adapters.errors import translate
from statusmon.domain.model import OutboxMessage

# Bounded, so that a publish ends well within the outbox lease (statusmon.logic.deliver).
CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "max_attempts": 3})


def publish(message: OutboxMessage, topic_arn: str, *, client: Any = None) -> str:
    """Publish one rendered alert (per-protocol bodies, filterable attributes); returns the MessageId."""
    sns = client or _client()
    try:
        response = sns.publish(
            TopicArn=topic_arn,
            Message=message.body,
            MessageStructure="json",
            Subject=message.subject,
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in message.attributes.items()
            },
        )
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, f"publishing to {topic_arn}") from exc
    return str(response["MessageId"])


@functools.cache
def _client() -> Any:
    # One client per process, reused across warm invocations.
    return create_client("sns", config=CONFIG)


def ensure_topic(name: str, *, client: Any = None) -> str:
    """Create the topic if missing (CreateTopic is idempotent); returns its ARN."""
    sns = client or _client()
    try:
        return str(sns.create_topic(Name=name)["TopicArn"])
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, f"creating topic {name}") from exc
