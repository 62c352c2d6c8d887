"""The notifier's logic: one new history item -> at most one alert, published at most once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statusmon.adapters import sns, store
from statusmon.domain.model import Alert, Transition
from statusmon.logic.policy import AlertPolicy, decide
from statusmon.settings import Settings


@dataclass(frozen=True)
class Delivery:
    transition_id: str
    severity: str | None  # None: the policy decided no alert
    transition: Transition | None = None
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
        return Delivery(transition.transition_id, None, transition)
    publish: Publisher = publisher or sns.publish
    once = dedup or (lambda key, action: store.once_per_transition(table_name, key, action, context=context))
    message_id, ran = once(transition.transition_id, lambda: publish(alert, topic_arn))
    return Delivery(transition.transition_id, alert.severity, transition, message_id, duplicate=not ran)


def transition_of_stream_record(record: dict[str, Any]) -> Transition:
    """The transition carried by a DynamoDB stream record (Lambda event or GetRecords shape)."""
    return store.transition_from_stream_image(record["dynamodb"]["NewImage"])


def notify_record(
    record: dict[str, Any], settings: Settings, *, context: store.RemainingTime | None = None
) -> Delivery:
    """One stream record through the alert policy to SNS: the notify Lambda and the CLI share it."""
    return notify_transition(
        transition_of_stream_record(record),
        policy=AlertPolicy(warnings=settings.alert_warnings, recoveries=settings.alert_recoveries),
        topic_arn=settings.require_topic(),
        table_name=settings.require_table(),
        context=context,
    )
