"""The poll functions: one scheduled sweep per watched service, with exactly the access a sweep needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import ServiceName
from infra.function import AccountArn
from infra.scheduled import ScheduledFunction
from infra.storage import index_arn
from statusmon.adapters.table_schema import BY_SERVICE_INDEX, SERVICE_PK_PREFIX, WATCH_PK

# What logic.sweep.Store does: GetItem (a resource's state, on a lost race), PutItem (the bookkeeping,
# and state, history and outbox items in one TransactWriteItems, which IAM authorises item by item),
# UpdateItem (the bucket's generation and an in-flight resource's watch entry in that transaction, bucket
# marks, a one-time key upgrade) and DeleteItem (a settled resource's watch entry, in that transaction)
# on the table; Query on the by_service index (a service's current states, or one bucket's).
TABLE_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
INDEX_ACTIONS = ("dynamodb:Query",)
# Query on the table itself reads two partitions only: the service's own bookkeeping (bookkeeping and
# marks) and the hot watch (what is watched, read once by a sweep that records changes).
BOOKKEEPING_ACTIONS = ("dynamodb:Query",)


def partitions(*keys: str) -> dict[str, Mapping[str, object]]:
    """A condition: every item the request touches has one of these partition keys."""
    return {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": list(keys)}}


def bookkeeping_key(service: ServiceName) -> str:
    return f"{SERVICE_PK_PREFIX}{service.value}"


def own_bookkeeping(service: ServiceName) -> dict[str, Mapping[str, object]]:
    return partitions(bookkeeping_key(service), WATCH_PK)


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
    """One service's sweep on the schedule: its Describe/List calls, and the status table's items."""

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
        self.fn.allow(TABLE_ACTIONS, [table.table_arn])
        self.fn.allow(BOOKKEEPING_ACTIONS, [table.table_arn], conditions=own_bookkeeping(target.service))
        self.fn.allow(INDEX_ACTIONS, [index_arn(table, BY_SERVICE_INDEX)])
