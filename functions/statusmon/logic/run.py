"""Wiring sweeps and deliveries from settings: the same for the Lambdas and the ``statusmon`` command."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from statusmon.adapters import events, sns
from statusmon.adapters.errors import AwsError, TableMissingError
from statusmon.adapters.personalize import PersonalizeSource
from statusmon.adapters.rekognition import RekognitionSource
from statusmon.adapters.store import StatusStore
from statusmon.domain.model import OutboxMessage, never
from statusmon.domain.vocabulary import Service
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.chat import CHAT_CHANNEL
from statusmon.logic.deliver import (
    SKIPPED,
    Delivery,
    DeliveryReport,
    Outbox,
    Publisher,
    deliver,
    deliver_pending,
    new_owner,
)
from statusmon.logic.discover import Discovery
from statusmon.logic.events import EVENTS_CHANNEL
from statusmon.logic.policy import AlertPolicy
from statusmon.logic.sweep import DeepCheck, Source, Store, SweepReport, sweep
from statusmon.logic.watch import WatchReport, WatchStore, watch
from statusmon.settings import Settings


def make_source(service: Service, settings: Settings) -> Source:
    if service is Service.REKOGNITION:
        return RekognitionSource(project_names=settings.project_names)
    return PersonalizeSource(filter_arns=settings.personalize_filter_arns)


def deadline(seconds: float) -> Callable[[], bool]:
    """A check that turns true ``seconds`` from now (never, for 0)."""
    if seconds <= 0:
        return never
    ends = time.monotonic() + seconds
    return lambda: time.monotonic() >= ends


def policy_of(settings: Settings) -> AlertPolicy:
    return AlertPolicy(
        warnings=settings.alert_warnings,
        recoveries=settings.alert_recoveries,
        chat=bool(settings.chat_topic_arn),
    )


def run_sweep(
    service: Service,
    settings: Settings,
    *,
    out_of_time: Callable[[], bool] | None = None,
    source: Source | None = None,
    store: Store | None = None,
) -> SweepReport:
    return sweep(
        source or make_source(service, settings),
        store or StatusStore(settings.require_table()),
        retention_days=settings.history_retention_days,
        policy=policy_of(settings),
        out_of_time=out_of_time or deadline(settings.sweep_deadline_seconds),
        deep_check=deep_check_of(settings),
    )


def deep_check_of(settings: Settings) -> DeepCheck | None:
    if not settings.deep_check_hours:
        return None
    return DeepCheck(
        period=timedelta(hours=settings.deep_check_hours),
        interval=timedelta(seconds=settings.sweep_interval_seconds),
    )


def run_watch(
    settings: Settings,
    *,
    out_of_time: Callable[[], bool] | None = None,
    source_for: Callable[[Service], Source] | None = None,
    store: WatchStore | None = None,
) -> WatchReport:
    """One run of the hot watch: describe what is in flight, record what changed."""
    return watch(
        source_for or (lambda service: make_source(service, settings)),
        store or StatusStore(settings.require_table()),
        retention_days=settings.history_retention_days,
        policy=policy_of(settings),
        out_of_time=out_of_time or deadline(settings.sweep_deadline_seconds),
        stuck_after=settings.stuck_after_minutes,
    )


def publishers(settings: Settings) -> dict[str, Publisher]:
    """Where each outbox channel goes: alerts to the SNS topic, state-change events to the bus."""
    topic_arn = settings.require_topic()
    bus = settings.event_bus_name
    chat_topic_arn = settings.chat_topic_arn
    channels: dict[str, Publisher] = {
        SNS_CHANNEL: lambda message: sns.publish(message, topic_arn),
        EVENTS_CHANNEL: lambda message: events.put_event(message, bus),
    }
    if chat_topic_arn:
        channels[CHAT_CHANNEL] = lambda message: sns.publish(message, chat_topic_arn)
    return channels


def run_redrive(
    settings: Settings,
    *,
    out_of_time: Callable[[], bool] = never,
    outbox: Outbox | None = None,
    publish: Mapping[str, Publisher] | None = None,
) -> DeliveryReport:
    """Deliver every alert and event still pending in the outbox."""
    return deliver_pending(
        outbox or StatusStore(settings.require_table()),
        publish or publishers(settings),
        out_of_time=out_of_time,
    )


def deliver_one(message: OutboxMessage, settings: Settings, *, outbox: Outbox | None = None) -> Delivery:
    """One outbox message as the stream brought it (the notify Lambda). A message for a channel that
    is not configured now (a chat topic since removed) is skipped: it stays pending, unsent."""
    publish = publishers(settings).get(message.channel)
    if publish is None:
        return Delivery(
            message, SKIPPED, error=f"no {message.channel!r} channel is configured; it stays pending"
        )
    return deliver(
        message,
        outbox or StatusStore(settings.require_table()),
        publish,
        owner=new_owner(),
        now=time.time(),
    )


@dataclass
class SweepOutcome:
    reports: list[SweepReport]
    delivery: DeliveryReport
    # Set when the outbox could not even be read: nothing was delivered this time.
    delivery_error: str | None = None


@dataclass
class WatchOutcome:
    report: WatchReport
    delivery: DeliveryReport
    delivery_error: str | None = None


def watch_and_deliver(settings: Settings) -> WatchOutcome:
    """One run of the hot watch, then every alert and event still pending (``statusmon sweep --hot``)."""
    settings.require_topic()
    store = StatusStore(settings.require_table())
    report = run_watch(settings, store=store)
    try:
        return WatchOutcome(report, run_redrive(settings, outbox=store))
    except AwsError as exc:
        return WatchOutcome(report, DeliveryReport(), delivery_error=str(exc))


def sweep_and_deliver(settings: Settings, services: Sequence[Service] = tuple(Service)) -> SweepOutcome:
    """One sweep of each service, then every alert still pending, before returning.

    Outside Lambda there is no stream trigger: delivery reads the outbox, which holds the alerts
    this sweep recorded and any an earlier run could not publish. Each service's sweep stands on its
    own: one that cannot run is reported, and the others and the delivery still happen.
    """
    table = settings.require_table()
    settings.require_topic()

    store = StatusStore(table)

    def one(service: Service) -> SweepReport:
        try:
            return run_sweep(service, settings, store=store)
        except TableMissingError:
            raise
        except AwsError as exc:
            failed = SweepReport(service=service, complete=False)
            failed.problems.append(str(exc))
            return failed

    # The services side by side, as their two Lambdas run: the sweep takes as long as the slower one.
    with ThreadPoolExecutor(max(1, len(services))) as pool:
        reports = list(pool.map(one, services))
    try:
        delivery = run_redrive(settings, outbox=store)
    except AwsError as exc:
        return SweepOutcome(reports, DeliveryReport(), delivery_error=str(exc))
    return SweepOutcome(reports, delivery)


def run_discover(discovery: Discovery, settings: Settings, *, store: StatusStore | None = None) -> int:
    """Put what a CloudTrail event named on the hot watch; returns how many entries were written."""
    if not discovery.entries:
        return 0
    return (store or StatusStore(settings.require_table())).watch(discovery.entries)
