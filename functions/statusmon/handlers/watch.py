"""Scheduled Lambda: the hot watch, every minute (EventBridge rule).

Describes only what is in flight (the table's watch list) and records what changed; an idle run is
one read, no client and no log line. The full sweeps keep their own schedule.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from statusmon.logic.run import run_watch
from statusmon.logic.watch import MAX_DENIALS
from statusmon.observability import logger, tracer
from statusmon.settings import get_settings

# Stop describing and writing this long before the Lambda timeout (one minute); the next run resumes.
SAFETY_MARGIN_MS = 10_000


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run_watch(
        get_settings(),
        out_of_time=lambda: context.get_remaining_time_in_millis() < SAFETY_MARGIN_MS,
    )
    summary = report.summary()
    if report.excluded:
        logger.info(
            "taken off the watch: excluded by project_names / personalize_filter_arns",
            resources=report.excluded,
        )
    if report.malformed:
        logger.warning(
            "taken off the watch: not a resource ARN statusmon can describe", resources=report.malformed
        )
    if report.denied:
        logger.warning(
            f"taken off the watch after {MAX_DENIALS} denied Describe calls; the full sweep still tracks it",
            resources=report.denied,
        )
    if not report.watched:
        logger.debug("nothing in flight", **summary)
    elif report.succeeded:
        logger.info("watch run finished", **summary)
    else:
        logger.warning("watch run finished with problems; the next run catches up", **summary)
    return summary
