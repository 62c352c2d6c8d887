"""EventBridge: putting state-change events on the bus. The only module that talks to EventBridge."""

from __future__ import annotations

import functools
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from statusmon.adapters.aws import create_client
from statusmon.adapters.errors import AwsError, ThrottledError, translate
from statusmon.domain.model import OutboxMessage

# Bounded, so that a put ends well within the outbox lease (statusmon.logic.deliver).
CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "max_attempts": 3})
# PutEvents answers 200 with a failed entry for these: the entry may be put again later.
_RETRYABLE_ENTRY_ERRORS = {"ThrottlingException", "InternalFailure", "InternalException"}


def put_event(message: OutboxMessage, bus: str, *, client: Any = None) -> str:
    """Put one rendered state-change event (``subject``: its detail-type, ``body``: its detail,
    ``attributes``: its source and resource); returns the event's id."""
    events = client or _client()
    entry = {
        "Source": message.attributes["source"],
        "DetailType": message.subject,
        "Detail": message.body,
        "Resources": [message.attributes["resource"]],
        "Time": message.detected_at,
        "EventBusName": bus,
    }
    try:
        response = events.put_events(Entries=[entry])
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, f"putting an event on bus {bus!r}") from exc
    [result] = response["Entries"]
    if response.get("FailedEntryCount") or "EventId" not in result:
        code = result.get("ErrorCode", "unknown")
        text = f"putting an event on bus {bus!r}: {code}: {result.get('ErrorMessage', '')}".rstrip(": ")
        raise ThrottledError(text) if code in _RETRYABLE_ENTRY_ERRORS else AwsError(text)
    return str(result["EventId"])


@functools.cache
def _client() -> Any:
    # One client per process, reused across warm invocations.
    return create_client("events", config=CONFIG)
