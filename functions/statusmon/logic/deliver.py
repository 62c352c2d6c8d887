"""Delivery from the outbox: each pending message published, then confirmed, by one deliverer.

The sweep records an alert in the table's outbox in the same transaction as its transition; a
delivery claims it (a lease in the table, so two deliverers never publish it at once), publishes it,
and deletes it. Whatever fails leaves it pending: a publish that failed is released at once for the
next try; a deliverer that died holding it loses its claim when the lease ends. The notify Lambda
delivers each new message as the stream brings it; the redrive Lambda, ``statusmon sweep`` and
``statusmon redrive`` deliver everything still pending, so no outage, stream failure or crash
loses an alert.

State-change events (:mod:`statusmon.logic.events`) wait in the same outbox on their own channel and
are delivered the same way, to EventBridge.

Leases are taken and judged on the table's own clock (:meth:`Outbox.service_time`: DynamoDB's time
from the ``Date`` header of its answers), never the deliverer's: a ``statusmon redrive`` on a laptop
whose clock runs two minutes ahead would otherwise find a Lambda's lease over and publish what the
Lambda is publishing, and one running behind would write leases that end before they started.

A channel switched off (the chat topic removed from the stack) has nobody to deliver to: the
deployed deliverers (the notify and redrive Lambdas, which run with the stack's configuration) delete
its pending messages unsent and count them (``dropped``), rather than leave them pending for ever.
``statusmon redrive`` and ``statusmon sweep`` never do: a shell without ``STATUSMON_CHAT_TOPIC_ARN``
is not a stack without a chat topic.

The one remaining duplicate: a deliverer stopped after SNS accepted the message and before the
table confirmed it (or a Publish whose answer was lost) leaves it pending, and it goes out again
once the lease has passed. Subscribers can drop it by ``transition_id``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from statusmon.adapters.errors import AwsError
from statusmon.domain.model import OutboxMessage, never
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.events import EVENTS_CHANNEL

# Longer than a publish can take with its retries (SNS client: 5 s connect, 10 s read, 3 attempts).
LEASE_SECONDS = 120.0

SENT = "sent"
SKIPPED = "skipped"  # confirmed already, or another deliverer holds it now
FAILED = "failed"
DROPPED = "dropped"  # its channel is switched off: deleted unsent


class Outbox(Protocol):
    def pending(self, channel: str, *, limit: int | None = None) -> list[OutboxMessage]: ...
    def claim(self, message: OutboxMessage, *, owner: str, now: float, lease_seconds: float) -> bool: ...
    def confirm(self, message: OutboxMessage, *, owner: str) -> bool: ...
    def release(self, message: OutboxMessage, *, owner: str, error: str) -> None: ...
    def service_time(self) -> float: ...
    def discard(self, message: OutboxMessage) -> bool: ...


Publisher = Callable[[OutboxMessage], str]


@dataclass(frozen=True)
class Delivery:
    message: OutboxMessage
    outcome: str  # SENT | SKIPPED | FAILED
    message_id: str | None = None
    error: str | None = None
    # False: published, but the table could not record it, so it may be published again.
    confirmed: bool = True


@dataclass
class DeliveryReport:
    deliveries: list[Delivery] = field(default_factory=list)
    stopped_early: bool = False

    def count(self, outcome: str, channel: str | None = None) -> int:
        """Deliveries with ``outcome`` (on ``channel`` only, if given)."""
        return sum(
            1 for d in self.deliveries if d.outcome == outcome and channel in (None, d.message.channel)
        )

    @property
    def failures(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.outcome == FAILED]

    def summary(self) -> dict[str, Any]:
        return {
            "sent": self.count(SENT),
            "alerts_sent": self.count(SENT, SNS_CHANNEL),
            "events_sent": self.count(SENT, EVENTS_CHANNEL),
            "skipped": self.count(SKIPPED),
            "failed": self.count(FAILED),
            "dropped": self.count(DROPPED),
            "unconfirmed": sum(1 for d in self.deliveries if d.outcome == SENT and not d.confirmed),
            "stopped_early": self.stopped_early,
            "errors": [d.error for d in self.deliveries if d.error][:20],
        }


def new_owner() -> str:
    return uuid.uuid4().hex


def deliver(
    message: OutboxMessage,
    outbox: Outbox,
    publish: Publisher,
    *,
    owner: str,
    now: float,
    lease_seconds: float = LEASE_SECONDS,
) -> Delivery:
    try:
        if not outbox.claim(message, owner=owner, now=now, lease_seconds=lease_seconds):
            return Delivery(message, SKIPPED)
    except AwsError as exc:
        return Delivery(message, FAILED, error=str(exc))
    try:
        message_id = publish(message)
    except AwsError as exc:
        with contextlib.suppress(AwsError):  # if the release fails too, the lease ends on its own
            outbox.release(message, owner=owner, error=str(exc))
        return Delivery(message, FAILED, error=str(exc))
    try:
        confirmed = outbox.confirm(message, owner=owner)
    except AwsError as exc:
        return Delivery(message, SENT, message_id, error=str(exc), confirmed=False)
    return Delivery(message, SENT, message_id, confirmed=confirmed)


def drop(message: OutboxMessage, outbox: Outbox) -> Delivery:
    """Delete a message of a switched-off channel unsent."""
    try:
        outbox.discard(message)
    except AwsError as exc:
        return Delivery(message, FAILED, error=str(exc))
    return Delivery(message, DROPPED)


def deliver_pending(
    outbox: Outbox,
    publishers: Mapping[str, Publisher],
    *,
    clock: Callable[[], float] | None = None,
    lease_seconds: float = LEASE_SECONDS,
    out_of_time: Callable[[], bool] = never,
    switched_off: Collection[str] = (),
) -> DeliveryReport:
    """Everything pending on each channel of ``publishers`` (alerts first), oldest first; then the
    messages of the ``switched_off`` channels, deleted unsent.

    ``clock`` is what leases are measured by: the table's own time unless a test simulates one.
    The channels are independent: one whose publishes fail does not hold up the other. Raises
    :class:`AwsError` only if the outbox cannot be read.
    """
    report = DeliveryReport()
    owner = new_owner()
    now = clock or outbox.service_time
    for channel in sorted(publishers, key=lambda c: c != SNS_CHANNEL):
        for message in outbox.pending(channel):
            if out_of_time():
                report.stopped_early = True
                return report
            try:
                moment = now()
            except AwsError as exc:
                report.deliveries.append(Delivery(message, FAILED, error=str(exc)))
                continue
            report.deliveries.append(
                deliver(
                    message,
                    outbox,
                    publishers[channel],
                    owner=owner,
                    now=moment,
                    lease_seconds=lease_seconds,
                )
            )
    for channel in sorted(set(switched_off) - set(publishers)):
        for message in outbox.pending(channel):
            if out_of_time():
                report.stopped_early = True
                return report
            report.deliveries.append(drop(message, outbox))
    return report
