"""The status table, built from :data:`statusmon.adapters.table_schema.TABLE` (names are never retyped).

Always encrypted at rest. ``TableEncryption.DEFAULT`` is DynamoDB's AWS-owned key (the template says
``SSEEnabled: false``, which means that key, not "unencrypted"): no key fee and no KMS requests.
``AWS_MANAGED`` is ``aws/dynamodb`` in the account: its use shows in CloudTrail, and DynamoDB's
requests to it are billed as KMS requests.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.function import StatusmonFunction
from infra.leading_keys import KeyGrants, condition, statements
from statusmon.adapters.table_schema import TABLE, IndexSpec


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class StatusStorage(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        removal_policy: cdk.RemovalPolicy,
        encryption: dynamodb.TableEncryption,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=_string(TABLE.partition_key),
            sort_key=_string(TABLE.sort_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType[TABLE.stream_view_type],
            time_to_live_attribute=TABLE.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=encryption,
            removal_policy=removal_policy,
        )
        for index in TABLE.indexes:
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_string(index.partition_key),
                sort_key=_string(index.sort_key),
                projection_type=dynamodb.ProjectionType.ALL,
            )


def index_arn(table: dynamodb.ITable, index: IndexSpec) -> str:
    """One index of the table, by name: a grant on it names no other index (no ``index/*``)."""
    return f"{table.table_arn}/index/{index.name}"


def allow_partitions(fn: StatusmonFunction, table: dynamodb.ITable, grants: KeyGrants) -> None:
    """Allow ``fn`` each item action of ``grants`` on the table, on those partition keys only
    (:mod:`infra.leading_keys`): one statement per set of keys."""
    for actions, keys in statements(grants):
        fn.allow(actions, [table.table_arn], conditions=condition(keys))
