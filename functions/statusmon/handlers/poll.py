"""What both poll Lambdas do: one sweep of their service, then its metrics and a summary."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from statusmon import metric_names as m
from statusmon.domain.vocabulary import Service
from statusmon.logic.run import run_sweep
from statusmon.observability import logger, metrics
from statusmon.settings import get_settings

# Stop describing and writing this long before the Lambda timeout; the next sweep resumes.
SAFETY_MARGIN_MS = 20_000


def poll(service: Service, context: LambdaContext) -> dict[str, Any]:
    report = run_sweep(
        service,
        get_settings(),
        out_of_time=lambda: context.get_remaining_time_in_millis() < SAFETY_MARGIN_MS,
    )
    metrics.add_dimension(name=m.SOURCE_DIMENSION, value=service.value)
    metrics.add_metric(name=m.RESOURCES_SEEN, unit=MetricUnit.Count, value=report.seen)
    metrics.add_metric(name=m.TRANSITIONS, unit=MetricUnit.Count, value=len(report.recorded))
    metrics.add_metric(name=m.AWS_CALLS, unit=MetricUnit.Count, value=report.aws_calls)
    metrics.add_metric(name=m.THROTTLES, unit=MetricUnit.Count, value=report.throttles)
    metrics.add_metric(name=m.READ_FAILURES, unit=MetricUnit.Count, value=len(report.problems))
    if report.unknown_statuses:
        # Only when it happens: a status outside the vocabulary is rare news, not a steady series.
        metrics.add_metric(name=m.UNKNOWN_STATUSES, unit=MetricUnit.Count, value=len(report.unknown_statuses))
    metrics.add_metric(name=m.SWEEP_DURATION, unit=MetricUnit.Milliseconds, value=report.duration_ms)
    if report.succeeded:
        metrics.add_metric(name=m.SWEEP_SUCCEEDED, unit=MetricUnit.Count, value=1)
        logger.info("sweep finished", **report.summary())
    else:
        logger.warning("sweep finished with problems; the next sweep catches up", **report.summary())
    return report.summary()
