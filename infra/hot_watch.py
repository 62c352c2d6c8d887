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

from infra.config import ServiceName
from infra.polling import POLL_TARGETS, bookkeeping_key, partitions
from infra.scheduled import ScheduledFunction
from statusmon.adapters.table_schema import WATCH_PK

WATCH_HANDLER = "statusmon.handlers.watch.handler"
WATCH_RATE = "1 minute"
WATCH_PERIOD = cdk.Duration.minutes(1)
# What logic.watch does on the table: GetItem (a changed resource's recorded state), PutItem and
# UpdateItem (state, history, outbox items, the bucket's generation and the watch entry, in one
# TransactWriteItems; the entry mirroring a state), DeleteItem (an entry that settled or vanished).
WATCH_TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# Query on the table: the watch list, and, rarely, a service's bookkeeping (is its baseline over?).
WATCH_QUERY_ACTIONS = ("dynamodb:Query",)


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
        self.fn.allow(WATCH_TABLE_ACTIONS, [table.table_arn])
        self.fn.allow(
            WATCH_QUERY_ACTIONS,
            [table.table_arn],
            conditions=partitions(WATCH_PK, *(bookkeeping_key(service) for service in services)),
        )
