"""The hot watch: every minute, describe what is in flight (the table's WATCH partition) and record
what changed, with exactly the access that needs.

Invoked 43,200 times a month, nearly always to find nothing in flight: one Query, no log line. It is
not traced (X-Ray's $5 per million traces would be about $0.22 a month, more than the function costs)
and logs only runs that did something.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import leading_keys
from infra.config import ServiceName
from infra.polling import POLL_TARGETS
from infra.scheduled import ScheduledFunction
from infra.storage import allow_partitions

WATCH_HANDLER = "statusmon.handlers.watch.handler"
WATCH_RATE = "1 minute"
WATCH_PERIOD = cdk.Duration.minutes(1)


class WatchFunction(ScheduledFunction):
    """The one-minute watch: the configured services' Describe calls (no List), the table's items."""

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
        super().__init__(
            scope,
            construct_id,
            code=code,
            handler=WATCH_HANDLER,
            description="Describes the resources in flight every minute and records what changed",
            schedule_rate=WATCH_RATE,
            period=WATCH_PERIOD,
            environment=environment,
            log_retention=log_retention,
            removal_policy=removal_policy,
            traced=False,
        )
        for service in services:
            target = POLL_TARGETS[service]
            self.fn.allow_pattern(
                target.describe_actions,
                target.describe_resource,
                why=f"{target.describe_reason.split(' (')[0]} that is on the watch list",
            )
        # What logic.watch records (states, history, outbox items, marks, the watch list), for the
        # configured services' partitions only.
        allow_partitions(self.fn, table, leading_keys.watcher(service.value for service in services))
