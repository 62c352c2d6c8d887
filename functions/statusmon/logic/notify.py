"""The notifier's logic: one new history item -> at most one alert, published at most once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statusmon.adapters import sns, store
from statusmon.domain.model import Alert, Transition
from statusmon.logic.policy import AlertPolicy, decide


@dataclass(frozen=True)
class Delivery:
    transition_id: str
    severity: str | None  # None: the policy decided no alert
    message_id: str | None = None
    duplicate: bool = False  # already published by an earlier delivery of the same record


Publisher = Callable[[Alert, str], str]
Dedup = Callable[[str, Callable[[], str]], tuple[str, bool]]


def notify_transition(
    transition: Transition,
    *,
    policy: AlertPolicy,
    topic_arn: str,
    table_name: str,
    publisher: Publisher | None = None,
    dedup: Dedup | None = None,
    context: store.RemainingTime | None = None,
) -> Delivery:
    """Apply the alert policy and publish; raises (so the record is retried) if SNS fails."""
    alert = decide(transition, policy)
    if alert is None:
        return Delivery(transition.transition_id, None)
    publish: Publisher = publisher or sns.publish
    once = dedup or (lambda key, action: store.once_per_transition(table_name, key, action, context=context))
    message_id, ran = once(transition.transition_id, lambda: publish(alert, topic_arn))
    return Delivery(transition.transition_id, alert.severity, message_id, duplicate=not ran)


def transition_of_stream_record(record: dict[str, Any]) -> Transition:
    """The transition carried by a DynamoDB stream record (Lambda event or GetRecords shape)."""
    return store.transition_from_stream_image(record["dynamodb"]["NewImage"])
