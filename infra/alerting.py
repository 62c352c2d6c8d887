"""Alerting: the encrypted alert topic, the notifier on the table's stream, and its dead-letter queue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import setting_variable
from infra.function import StatusmonFunction
from infra.nag import acknowledge
from infra.storage import grant_table
from statusmon.adapters.table_schema import STREAM_FILTER_PATTERN

NOTIFY_HANDLER = "statusmon.handlers.notify.handler"
# A transition that still cannot be delivered after this many tries or this long goes to the DLQ
# (and its alarm) instead of blocking the shard behind it.
STREAM_RETRY_ATTEMPTS = 10
STREAM_MAX_RECORD_AGE = cdk.Duration.hours(6)


class Alerting(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        table: dynamodb.Table,
        environment: Mapping[str, str],
        alert_emails: Sequence[str],
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "TopicKey",
            description="statusmon: encrypts the alert topic",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        # CloudWatch alarms publish to this topic (unless an ops topic is configured): an encrypted
        # topic only accepts them if the key lets CloudWatch use it.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )
        self.topic = sns.Topic(
            self, "Topic", display_name="statusmon alerts", master_key=self.key, enforce_ssl=True
        )
        for email in alert_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

        self.dlq = sqs.Queue(
            self,
            "NotifyDlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        acknowledge(
            self.dlq,
            "SQS3",
            "This queue is the dead-letter queue: the on-failure destination of the notifier's stream",
        )
        self.fn = StatusmonFunction(
            self,
            "Notify",
            code=code,
            handler=NOTIFY_HANDLER,
            description="Publishes an alert for each new transition in the status table",
            environment={**environment, setting_variable("topic_arn"): self.topic.topic_arn},
            timeout=cdk.Duration.seconds(60),
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        self.function = self.fn.function
        # Read/write: the notifier keeps its idempotency records (pk ALERT) in the same table.
        grant_table(table, self.function)
        # Not grant_publish: its kms:GenerateDataKey* wildcard is wider than publishing needs.
        iam.Grant.add_to_principal(
            grantee=self.function, actions=["sns:Publish"], resource_arns=[self.topic.topic_arn]
        )
        self.key.grant(self.function, "kms:GenerateDataKey", "kms:Decrypt")
        acknowledge(
            self.fn.role,
            "IAM5[Resource::*]",
            "X-Ray trace actions, and dynamodb:ListStreams which the DynamoDB event source needs on *",
        )
        self.function.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=10,
                filters=[lambda_.FilterCriteria.filter(STREAM_FILTER_PATTERN)],
                report_batch_item_failures=True,
                bisect_batch_on_error=True,
                retry_attempts=STREAM_RETRY_ATTEMPTS,
                max_record_age=STREAM_MAX_RECORD_AGE,
                on_failure=sources.SqsDlq(self.dlq),
            )
        )
