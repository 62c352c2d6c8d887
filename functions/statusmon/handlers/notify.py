"""Notify Lambda: new outbox items from the table's stream -> SNS alerts and EventBridge events
(partial batch responses)."""

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

from statusmon.adapters.errors import AwsError
from statusmon.adapters.store import outbox_message_from_stream_image
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.deliver import DROPPED, FAILED, SENT
from statusmon.logic.run import deliver_one
from statusmon.metric_names import ALERTS_SENT
from statusmon.observability import logger, metrics, tracer
from statusmon.settings import get_settings

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> str | None:
    message = outbox_message_from_stream_image(record.raw_event["dynamodb"]["NewImage"])
    delivery = deliver_one(message, get_settings())
    if delivery.outcome == FAILED:
        # The record is retried (bisected, then the DLQ); the message stays pending for the redrive.
        raise AwsError(delivery.error or "publish failed")
    if delivery.outcome == DROPPED:
        logger.warning(
            "switched-off channel: message deleted unsent",
            channel=message.channel,
            transition_id=message.transition_id,
        )
    if delivery.outcome == SENT:
        if message.channel == SNS_CHANNEL:
            metrics.add_metric(name=ALERTS_SENT, unit="Count", value=1)
        logger.info(
            "alert published" if message.channel == SNS_CHANNEL else "state-change event put",
            channel=message.channel,
            transition_id=message.transition_id,
            severity=message.severity,
            message_id=delivery.message_id,
            confirmed=delivery.confirmed,
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
