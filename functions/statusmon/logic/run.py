"""Wiring a sweep from settings: the same for the poll Lambdas and ``statusmon sweep``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from statusmon.adapters.errors import AwsError
from statusmon.adapters.personalize import PersonalizeSource
from statusmon.adapters.rekognition import RekognitionSource
from statusmon.adapters.store import StatusStore
from statusmon.adapters.stream import StreamCursor
from statusmon.domain.vocabulary import Service
from statusmon.logic.notify import Delivery, notify_record
from statusmon.logic.sweep import Source, Store, SweepReport, never, sweep
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
        out_of_time=out_of_time or deadline(settings.sweep_deadline_seconds),
    )


@dataclass
class SweepOutcome:
    reports: list[SweepReport]
    deliveries: list[Delivery] = field(default_factory=list)
    undelivered: list[str] = field(default_factory=list)

    @property
    def alerts_sent(self) -> int:
        return sum(1 for d in self.deliveries if d.severity and not d.duplicate)


def sweep_and_deliver(settings: Settings, services: Sequence[Service] = tuple(Service)) -> SweepOutcome:
    """One sweep of each service, then the alerts it caused, before returning.

    Outside Lambda there is no event source mapping: the table's stream is read directly and every
    history item it holds goes through the notifier's own code. Its per-transition idempotency
    (shared with the notify Lambda, where both run) publishes each alert once; one that could not
    be published before is published now.
    """
    cursor = StreamCursor(settings.require_table())
    settings.require_topic()
    outcome = SweepOutcome([run_sweep(service, settings) for service in services])
    for record in cursor.retained():
        try:
            outcome.deliveries.append(notify_record(record, settings))
        except AwsError as exc:
            outcome.undelivered.append(str(exc))
    return outcome
