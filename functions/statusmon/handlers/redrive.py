"""Scheduled Lambda: deliver every alert and event still pending in the outbox (after an SNS,
EventBridge or stream outage); then report the failing statusmon functions that have recovered
(statusmon.logic.ops), when the stack summarises failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from statusmon import metric_names as m
from statusmon.adapters.errors import AwsError
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.deliver import DROPPED, SENT
from statusmon.logic.run import run_recovery_check, run_redrive
from statusmon.observability import logger, metrics, tracer
from statusmon.settings import get_settings

# Stop claiming new messages this long before the Lambda timeout (a claim outlives a cut-off run).
SAFETY_MARGIN_MS = 20_000


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run_redrive(
        get_settings(),
        out_of_time=lambda: context.get_remaining_time_in_millis() < SAFETY_MARGIN_MS,
        deployed=True,
    )
    sent = report.count(SENT, SNS_CHANNEL)
    if sent:
        metrics.add_metric(name=m.ALERTS_SENT, unit=MetricUnit.Count, value=sent)
    summary = report.summary()
    if summary["dropped"]:
        logger.warning(
            "pending messages of a switched-off channel deleted unsent",
            dropped=summary["dropped"],
            channels=sorted({d.message.channel for d in report.deliveries if d.outcome == DROPPED}),
        )
    summary |= _recoveries(lambda: context.get_remaining_time_in_millis() < SAFETY_MARGIN_MS)
    if report.failures:
        logger.warning("alerts still pending; the next run tries again", **summary)
    else:
        logger.info("outbox delivered", **summary)
    return summary


def _recoveries(out_of_time: Callable[[], bool]) -> dict[str, Any]:
    # After the outbox: alerts first. A failure here is logged, not raised: the deliveries stand.
    try:
        ops = run_recovery_check(get_settings(), out_of_time=out_of_time)
    except AwsError as exc:
        logger.warning("could not check the failing functions; the next run tries again", error=str(exc))
        return {"recoveries": 0, "ops_problems": [str(exc)]}
    if ops is None:
        return {}
    if ops.told:
        logger.info("failing functions recovered", **ops.summary())
    return {"recoveries": ops.recovered, "ops_problems": ops.problems}
