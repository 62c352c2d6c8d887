"""Scheduled Lambda: one sweep of Rekognition (EventBridge rule)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from statusmon.domain.vocabulary import Service
from statusmon.handlers.poll import poll
from statusmon.observability import logger, metrics, tracer


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return poll(Service.REKOGNITION, context)
