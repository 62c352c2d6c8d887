"""The poll functions: one scheduled sweep per watched service, with exactly the access a sweep needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import leading_keys
from infra.config import ServiceName
from infra.function import AccountArn
from infra.scheduled import ScheduledFunction
from infra.storage import allow_partitions, index_arn
from statusmon.adapters.table_schema import BY_SERVICE_INDEX

# Query on the by_service index (a service's current states, or one bucket's). Items of the table
# itself, by partition key: infra.leading_keys.poller.
INDEX_ACTIONS = ("dynamodb:Query",)


@dataclass(frozen=True)
class PollTarget:
    service: ServiceName
    handler: str
    description: str
    # Listing calls: the Service Authorization Reference gives them no resource type, so "*".
    list_actions: tuple[str, ...]
    # Per-resource calls, on the ARN pattern of their resource type in this account and region: the
    # sweep finds the resources by listing, so it cannot name them at deploy time.
    describe_actions: tuple[str, ...]
    describe_resource: AccountArn
    describe_reason: str


POLL_TARGETS: dict[ServiceName, PollTarget] = {
    ServiceName.REKOGNITION: PollTarget(
        service=ServiceName.REKOGNITION,
        handler="statusmon.handlers.poll_rekognition.handler",
        description="Sweeps Rekognition Custom Labels datasets into the status table",
        list_actions=("rekognition:DescribeProjects",),
        describe_actions=("rekognition:DescribeDataset", "rekognition:ListDatasetEntries"),
        # The dataset resource type: project/${ProjectName}/dataset/${DatasetType}/${CreationTimestamp}
        describe_resource=AccountArn("rekognition", "project/*/dataset/*/*"),
        describe_reason="any Custom Labels dataset of this account and region (found by DescribeProjects)",
    ),
    ServiceName.PERSONALIZE: PollTarget(
        service=ServiceName.PERSONALIZE,
        handler="statusmon.handlers.poll_personalize.handler",
        description="Sweeps Personalize dataset import jobs into the status table",
        list_actions=("personalize:ListDatasets", "personalize:ListDatasetImportJobs"),
        describe_actions=("personalize:DescribeDatasetImportJob",),
        # The datasetImportJob resource type: dataset-import-job/${ResourceId}
        describe_resource=AccountArn("personalize", "dataset-import-job/*"),
        describe_reason="any import job of this account and region (found by ListDatasetImportJobs)",
    ),
}


class PollFunction(ScheduledFunction):
    """One service's sweep on the schedule: its Describe/List calls, its own partitions of the table."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        target: PollTarget,
        table: dynamodb.ITable,
        code: lambda_.Code,
        schedule_rate: str,
        period: cdk.Duration,
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            code=code,
            handler=target.handler,
            description=target.description,
            schedule_rate=schedule_rate,
            period=period,
            environment=environment,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        self.fn.allow_unscoped(target.list_actions, why="lists the whole account")
        self.fn.allow_pattern(target.describe_actions, target.describe_resource, why=target.describe_reason)
        allow_partitions(self.fn, table, leading_keys.poller(target.service.value))
        self.fn.allow(INDEX_ACTIONS, [index_arn(table, BY_SERVICE_INDEX)])
