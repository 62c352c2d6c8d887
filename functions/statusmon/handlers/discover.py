"""EventBridge Lambda: a CloudTrail record of a call that started work -> the hot watch.

An event it cannot use (a failed call, a malformed record) is logged and dropped: the next full sweep
finds the resource anyway, and retrying would not make the event usable. A DynamoDB failure raises,
so Lambda retries the event (asynchronous invocation, twice).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from statusmon.logic.discover import discover
from statusmon.logic.run import filters_of, run_discover
from statusmon.observability import logger, tracer
from statusmon.settings import get_settings


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    discovery = discover(event, filters_of(settings))
    if discovery.skipped:
        log = logger.info if discovery.failed_call else logger.warning
        log("nothing to watch", operation=discovery.operation, reason=discovery.skipped)
        return {"operation": discovery.operation, "watched": 0, "excluded": 0, "skipped": discovery.skipped}
    if discovery.excluded:
        logger.info(
            "not watched: excluded by project_names / personalize_filter_arns",
            operation=discovery.operation,
            resources=discovery.excluded,
        )
    watched = run_discover(discovery, settings)
    if discovery.entries:
        logger.info(
            "watching",
            operation=discovery.operation,
            resources=[entry.resource_arn for entry in discovery.entries],
        )
    return {
        "operation": discovery.operation,
        "watched": watched,
        "excluded": len(discovery.excluded),
        "skipped": None,
    }
