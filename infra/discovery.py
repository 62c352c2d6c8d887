"""CloudTrail discovery: an EventBridge rule on the default bus for the calls that start work on a
watched resource, and the function that puts what they name on the hot watch.

AWS service events reach the account's default bus only, whatever bus statusmon's own events go to;
"AWS API Call via CloudTrail" events reach it only when a trail logs the account's management events
(docs/how-it-works.md, "Hot watch and CloudTrail discovery"). Without one the rule never fires and
costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import leading_keys
from infra.config import ServiceName
from infra.function import StatusmonFunction
from infra.storage import allow_partitions
from infra.topics import AsyncFailureDestination
from statusmon.domain.vocabulary import Service
from statusmon.logic.discover import CALLS, DETAIL_TYPE

DISCOVER_HANDLER = "statusmon.handlers.discover.handler"
# Lambda's own defaults, said out loud: a throttled write is worth another try; a lost discovery only
# delays tracking until the next full sweep.
DISCOVER_RETRIES = 2
DISCOVER_MAX_EVENT_AGE = cdk.Duration.hours(6)


def event_pattern(services: Sequence[ServiceName]) -> dict[str, Any]:
    """The configured services' calls that start work, as CloudTrail reports them to EventBridge."""
    calls = [CALLS[Service(service.value)] for service in services]
    return {
        "source": [c.source for c in calls],
        "detail-type": [DETAIL_TYPE],
        "detail": {
            "eventSource": [c.event_source for c in calls],
            "eventName": [operation for c in calls for operation in c.operations],
        },
    }


class Discovery(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        services: Sequence[ServiceName],
        table: dynamodb.ITable,
        code: lambda_.Code,
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.fn = StatusmonFunction(
            self,
            "Discover",
            code=code,
            handler=DISCOVER_HANDLER,
            description="Puts the resources a CloudTrail-recorded call started work on on the hot watch",
            environment=environment,
            timeout=cdk.Duration.seconds(30),
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        self.function = self.fn.function
        allow_partitions(self.fn, table, leading_keys.discoverer())
        self.function.configure_async_invoke(
            retry_attempts=DISCOVER_RETRIES, max_event_age=DISCOVER_MAX_EVENT_AGE
        )
        self.rule = events.Rule(
            self,
            "CloudTrailCalls",
            description="statusmon: calls that start work on a watched resource (needs a CloudTrail trail)",
            event_pattern=events.EventPattern(**_pattern_kwargs(event_pattern(services))),
            targets=[targets.LambdaFunction(self.function)],
        )

    def error_alarm(self) -> cloudwatch.Alarm:
        return self.fn.error_alarm()

    def report_failures_to(self, target: AsyncFailureDestination) -> None:
        """Lambda sends a record of each event it still failed after its retries to ``target``."""
        target.async_failures_of(self.fn)


def _pattern_kwargs(pattern: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source": pattern["source"],
        "detail_type": pattern["detail-type"],
        "detail": pattern["detail"],
    }
