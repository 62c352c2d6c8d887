"""Wiring sweeps and deliveries from settings: the same for the Lambdas and the ``statusmon`` command."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from statusmon.adapters import events, sns
from statusmon.adapters.episodes import EpisodeStore
from statusmon.adapters.errors import AwsError, TableMissingError
from statusmon.adapters.personalize import PersonalizeSource
from statusmon.adapters.rekognition import RekognitionSource
from statusmon.adapters.store import StatusStore
from statusmon.domain.episodes import FailureRecord
from statusmon.domain.filters import Filters
from statusmon.domain.model import OutboxMessage, never, utcnow
from statusmon.domain.vocabulary import Service
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.chat import CHAT_CHANNEL
from statusmon.logic.deliver import (
    FAILED,
    Delivery,
    DeliveryReport,
    Outbox,
    Publisher,
    deliver,
    deliver_pending,
    drop,
    new_owner,
)
from statusmon.logic.discover import Discovery
from statusmon.logic.events import EVENTS_CHANNEL
from statusmon.logic.ops import FailureLog, OpenEpisodes, OpsReport, check_recoveries, summarise
from statusmon.logic.policy import AlertPolicy
from statusmon.logic.sweep import DeepCheck, Source, Store, SweepReport, sweep
from statusmon.logic.watch import WatchReport, WatchStore, watch
from statusmon.settings import Settings


def make_source(service: Service, settings: Settings) -> Source:
    if service is Service.REKOGNITION:
        return RekognitionSource(project_names=settings.project_names)
    return PersonalizeSource(filter_arns=settings.personalize_filter_arns)


def filters_of(settings: Settings) -> Filters:
    return Filters.of(settings.project_names, settings.personalize_filter_arns)


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
        filters=filters_of(settings),
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
        filters=filters_of(settings),
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


# Every channel an outbox message can be for (chat only with a chat topic).
CHANNELS = (SNS_CHANNEL, EVENTS_CHANNEL, CHAT_CHANNEL)


def run_redrive(
    settings: Settings,
    *,
    out_of_time: Callable[[], bool] = never,
    outbox: Outbox | None = None,
    publish: Mapping[str, Publisher] | None = None,
    deployed: bool = False,
) -> DeliveryReport:
    """Deliver every alert and event still pending in the outbox. ``deployed``: the settings are the
    stack's (a Lambda), so a channel they leave out is switched off and its pending messages are
    dropped (see :mod:`statusmon.logic.deliver`)."""
    channels = publish or publishers(settings)
    return deliver_pending(
        outbox or StatusStore(settings.require_table()),
        channels,
        out_of_time=out_of_time,
        switched_off=[c for c in CHANNELS if c not in channels] if deployed else (),
    )


def deliver_one(message: OutboxMessage, settings: Settings, *, outbox: Outbox | None = None) -> Delivery:
    """One outbox message as the stream brought it (the notify Lambda, with the stack's settings). A
    message for a channel that is switched off now (a chat topic since removed) is dropped: deleted
    unsent, never to be delivered."""
    store = outbox or StatusStore(settings.require_table())
    publish = publishers(settings).get(message.channel)
    if publish is None:
        return drop(message, store)
    try:
        now = store.service_time()
    except AwsError as exc:
        return Delivery(message, FAILED, error=str(exc))
    return deliver(message, store, publish, owner=new_owner(), now=now)


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


def ops_publisher(settings: Settings) -> Publisher:
    """Failure summaries go to the ops topic (the alert topic when none is configured)."""
    topic_arn = settings.require_ops_topic()
    return lambda message: sns.publish(message, topic_arn)


def run_summarise(
    failure: FailureRecord,
    settings: Settings,
    *,
    episodes: FailureLog | None = None,
    publish: Publisher | None = None,
) -> OpsReport:
    """Count one Lambda failure record in its function's episode; publish what the rules say to."""
    return summarise(
        failure,
        episodes or EpisodeStore(settings.require_table()),
        publish or ops_publisher(settings),
        clock=utcnow,
    )


def run_recovery_check(
    settings: Settings,
    *,
    out_of_time: Callable[[], bool] = never,
    episodes: OpenEpisodes | None = None,
    publish: Publisher | None = None,
) -> OpsReport | None:
    """Report the failing functions that have been quiet long enough as recovered (None: the stack has
    no failure summaries, ``ops_recovery_minutes`` is 0)."""
    if not settings.ops_recovery_minutes:
        return None
    return check_recoveries(
        episodes or EpisodeStore(settings.require_table()),
        publish or ops_publisher(settings),
        clock=utcnow,
        quiet=timedelta(minutes=settings.ops_recovery_minutes),
        out_of_time=out_of_time,
    )
