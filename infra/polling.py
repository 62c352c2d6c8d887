"""A Python function on an EventBridge schedule: one construct, used once per watched service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import ServiceName
from infra.function import StatusmonFunction
from infra.nag import acknowledge
from infra.storage import grant_table


@dataclass(frozen=True)
class PollTarget:
    handler: str
    description: str
    # Describe/List only. None of them supports resource-level scoping for every call the sweep
    # makes (DescribeProjects, ListDatasetImportJobs and ListDatasets list the whole account), so
    # the statement's resource is "*" and the actions stay this narrow.
    actions: tuple[str, ...]


POLL_TARGETS: dict[ServiceName, PollTarget] = {
    ServiceName.REKOGNITION: PollTarget(
        handler="statusmon.handlers.poll_rekognition.handler",
        description="Sweeps Rekognition Custom Labels datasets into the status table",
        actions=(
            "rekognition:DescribeProjects",
            "rekognition:DescribeDataset",
            "rekognition:ListDatasetEntries",
        ),
    ),
    ServiceName.PERSONALIZE: PollTarget(
        handler="statusmon.handlers.poll_personalize.handler",
        description="Sweeps Personalize dataset import jobs into the status table",
        actions=(
            "personalize:ListDatasetImportJobs",
            "personalize:DescribeDatasetImportJob",
            "personalize:ListDatasets",
        ),
    ),
}


class ScheduledFunction(Construct):
    """A function invoked at a fixed rate, one invocation at a time, with its log group, role and alarm.

    Reserved concurrency 1: two sweeps of one service never run at once. A missed or failed sweep is
    not retried: the next scheduled one catches up.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        description: str,
        schedule_rate: str,
        period: cdk.Duration,
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
        table: dynamodb.Table,
        actions: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        # A sweep must end before the next one is due, and Lambda stops at 15 minutes.
        timeout = cdk.Duration.seconds(min(period.to_seconds(), 900))
        self.fn = StatusmonFunction(
            self,
            "Sweep",
            code=code,
            handler=handler,
            description=description,
            environment=environment,
            timeout=timeout,
            log_retention=log_retention,
            removal_policy=removal_policy,
            reserved_concurrency=1,
        )
        self.function = self.fn.function
        self.error_alarm = self.fn.error_alarm
        if actions:
            self.fn.role.add_to_policy(iam.PolicyStatement(actions=list(actions), resources=["*"]))
            acknowledge(
                self.fn.role,
                "IAM5[Resource::*]",
                "Describe/List actions only (the sweep lists every project or import job of the account, "
                "which these services do not scope by resource) and X-Ray trace actions (no resource type)",
            )
        self.function.configure_async_invoke(
            retry_attempts=0, max_event_age=cdk.Duration.seconds(max(60, min(period.to_seconds(), 21600)))
        )
        grant_table(table, self.function)
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"statusmon: {description} every {schedule_rate}",
            schedule=events.Schedule.expression(f"rate({schedule_rate})"),
            targets=[targets.LambdaFunction(self.function)],
        )
