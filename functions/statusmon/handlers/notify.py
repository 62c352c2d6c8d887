"""Notify Lambda: new history items from the table's stream -> SNS alerts (partial batch responses)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from statusmon.logic.notify import notify_record
from statusmon.metric_names import ALERTS_SENT, ALERTS_SUPPRESSED
from statusmon.observability import logger, metrics, tracer
from statusmon.settings import get_settings

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord, lambda_context: LambdaContext | None = None) -> str | None:
    delivery = notify_record(record.raw_event, get_settings(), context=lambda_context)
    if delivery.severity is None:
        metrics.add_metric(name=ALERTS_SUPPRESSED, unit="Count", value=1)
    elif not delivery.duplicate:
        metrics.add_metric(name=ALERTS_SENT, unit="Count", value=1)
        logger.info(
            "alert published",
            transition_id=delivery.transition_id,
            severity=delivery.severity,
            message_id=delivery.message_id,
        )
    return delivery.message_id


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # An entirely failed batch raises (a function error the ESM retries, bisecting); a partly failed
    # one reports its failed records so only those are retried.
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
