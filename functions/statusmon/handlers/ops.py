"""Failure summariser Lambda: the on-failure destination of every asynchronously invoked statusmon
function. Lambda invokes it with the invocation record of each failed run; it counts the failure in
that function's episode and tells the ops topic at most once an hour (statusmon.logic.ops).

A table or topic failure raises, so Lambda retries the record (a record counted twice is counted
once); what still fails goes to the ops topic as Lambda's raw record, never back here.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from statusmon.logic.ops import InvalidRecord, parse_failure_record
from statusmon.logic.run import run_summarise
from statusmon.observability import logger, tracer
from statusmon.settings import get_settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        failure = parse_failure_record(event)
    except InvalidRecord as exc:
        logger.warning("not a failure record; dropped", reason=str(exc))
        return {"counted": 0, "skipped": str(exc)}
    report = run_summarise(failure, get_settings())
    # Every failure is logged in full here: the messages say only the last error of each hour.
    logger.warning(
        "statusmon function failed",
        function=failure.function_name,
        condition=failure.condition,
        failed_request_id=failure.request_id,
        error=failure.error,
        **report.summary(),
    )
    return report.summary()
