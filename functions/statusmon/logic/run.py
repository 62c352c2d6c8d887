"""Wiring a sweep from settings: the same for the poll Lambdas and ``statusmon sweep``."""

from __future__ import annotations

import time
from collections.abc import Callable

from statusmon.adapters.personalize import PersonalizeSource
from statusmon.adapters.rekognition import RekognitionSource
from statusmon.adapters.store import StatusStore
from statusmon.domain.vocabulary import Service
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
