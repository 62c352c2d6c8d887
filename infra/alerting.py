"""Alerting: the encrypted alert topic, the ops topic, and the two deliverers of the outbox.

The sweeps write each alert and state-change event into the table's outbox (pk ``OUTBOX``). The
notifier delivers a new outbox item as the stream brings it; the redrive delivers, on the schedule,
whatever is still pending. Both may touch outbox items only, publish to the topic, and put events on
the configured bus.

The topic's key: by default the AWS-managed ``aws/sns`` (no monthly fee; every publisher of the
account may use it, CloudWatch alarms may not); with ``customer_managed_key``, a key of this stack
that CloudWatch may use for this account's alarms. A stream batch the notifier still fails after its
retries goes to the ops topic as Lambda's failure record or, when the stack has alarms, to an SQS
queue that an alarm watches; its alert stays in the outbox either way, for the redrive.
"""

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

from infra import leading_keys
from infra.config import setting_variable
from infra.function import AccountArn, StatusmonFunction
from infra.nag import acknowledge
from infra.scheduled import ScheduledFunction
from infra.storage import allow_partitions
from infra.topics import PublishTarget
from statusmon.adapters.table_schema import STREAM_FILTER_PATTERN

NOTIFY_HANDLER = "statusmon.handlers.notify.handler"
REDRIVE_HANDLER = "statusmon.handlers.redrive.handler"
# The state-change events (outbox channel "events"), on one bus.
EVENT_ACTIONS = ("events:PutEvents",)
AWS_MANAGED_SNS_KEY = "alias/aws/sns"
# A stream record that still fails after this many tries or this long goes to the failure destination
# instead of blocking the shard behind it; its alert stays in the outbox for the redrive.
STREAM_RETRY_ATTEMPTS = 10
STREAM_MAX_RECORD_AGE = cdk.Duration.hours(6)
# Confused-deputy guard on the topic and key policies: CloudWatch acts for this account's alarms only.
ALARMS_OF_THIS_ACCOUNT: dict[str, Mapping[str, object]] = {
    "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
    "ArnLike": {"aws:SourceArn": AccountArn("cloudwatch", "alarm:*").arn},
}


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
        schedule_rate: str,
        period: cdk.Duration,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
        customer_managed_key: bool,
        ops_topic_arn: str | None,
        stream_failures_to_queue: bool,
        event_bus: str,
        chat_topic: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        # The state-change events' bus: a name of this account and region, or an ARN as given.
        self.event_bus_arn = (
            event_bus if event_bus.startswith("arn:") else AccountArn("events", f"event-bus/{event_bus}").arn
        )
        self.key = self._customer_managed_key(removal_policy) if customer_managed_key else None
        topic_key = self.key or kms.Alias.from_alias_name(self, "AwsManagedKey", AWS_MANAGED_SNS_KEY)
        self.topic = sns.Topic(
            self, "Topic", display_name="statusmon alerts", master_key=topic_key, enforce_ssl=True
        )
        if self.key is not None:
            # enforce_ssl gives the topic a policy (its TLS Deny), and that policy replaces the SNS
            # default one: without this Allow, no alarm could publish here.
            self.topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudWatchAlarmsToPublish",
                    principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                    actions=["sns:Publish"],
                    resources=[self.topic.topic_arn],
                    conditions=ALARMS_OF_THIS_ACCOUNT,
                )
            )
        for email in alert_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self.alerts = PublishTarget(self.topic, self.key)
        # The chat topic: alerts as Amazon Q Developer custom notifications (statusmon.logic.chat), for
        # a Slack or Teams channel configuration to subscribe. Only the deliverers publish to it.
        self.chat_topic = (
            sns.Topic(
                self,
                "ChatTopic",
                display_name="statusmon chat notifications",
                master_key=self.key
                or kms.Alias.from_alias_name(self, "ChatAwsManagedKey", AWS_MANAGED_SNS_KEY),
                enforce_ssl=True,
            )
            if chat_topic
            else None
        )
        self.chat = PublishTarget(self.chat_topic, self.key) if self.chat_topic is not None else None
        if self.chat_topic is not None:
            environment = {**environment, setting_variable("chat_topic_arn"): self.chat_topic.topic_arn}
        # What every function of the stack is given (with the chat topic, when there is one).
        self.environment: Mapping[str, str] = environment
        # Where statusmon's own failures go: its alarms, or Lambda's records of failed runs.
        self.ops = (
            PublishTarget(sns.Topic.from_topic_arn(self, "OpsTopic", ops_topic_arn))
            if ops_topic_arn
            else self.alerts
        )

        delivery_environment = {**self.environment, setting_variable("topic_arn"): self.topic.topic_arn}
        self.fn = StatusmonFunction(
            self,
            "Notify",
            code=code,
            handler=NOTIFY_HANDLER,
            description="Publishes each new outbox item of the status table as an alert",
            environment=delivery_environment,
            timeout=cdk.Duration.seconds(60),
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        self.function = self.fn.function
        self._allow_delivery(self.fn, table)
        self.dlq = self._dead_letter_queue() if stream_failures_to_queue else None
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
                on_failure=sources.SqsDlq(self.dlq) if self.dlq else self.ops.stream_failures_of(self.fn),
            )
        )
        # The event source's grant_stream_read: DescribeStream, GetRecords and GetShardIterator on
        # the table's stream, and ListStreams, which IAM grants on "*" only.
        self.fn.acknowledge_unscoped(["dynamodb:ListStreams"], "the DynamoDB event source finds the stream")

        # What the notifier could not deliver (SNS down, a stream record past its retries) stays in
        # the outbox; this delivers it on the polling schedule.
        self.redrive = ScheduledFunction(
            self,
            "Redrive",
            code=code,
            handler=REDRIVE_HANDLER,
            description="Publishes the outbox items still pending as alerts",
            schedule_rate=schedule_rate,
            period=period,
            environment=delivery_environment,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        self._allow_delivery(self.redrive.fn, table)

    def _customer_managed_key(self, removal_policy: cdk.RemovalPolicy) -> kms.Key:
        key = kms.Key(
            self,
            "TopicKey",
            description="statusmon: encrypts the alert topic",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        # CloudWatch alarms publish to this topic (unless an ops topic is configured): an encrypted
        # topic only accepts them if the key lets CloudWatch use it, for this account's alarms only.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=ALARMS_OF_THIS_ACCOUNT,
            )
        )
        return key

    def _dead_letter_queue(self) -> sqs.Queue:
        dlq = sqs.Queue(
            self,
            "NotifyDlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        acknowledge(
            dlq,
            "SQS3",
            "This queue is the dead-letter queue: the on-failure destination of the notifier's stream",
        )
        return dlq

    def _allow_delivery(self, fn: StatusmonFunction, table: dynamodb.ITable) -> None:
        """Outbox items (partition key OUTBOX) and nothing else of the table; publish to the topic; put
        events on the configured bus."""
        # List pending (Query), claim and release (UpdateItem), confirm (DeleteItem): outbox items only.
        allow_partitions(fn, table, leading_keys.deliverer())
        self.alerts.allow_publish(fn)
        if self.chat is not None:
            self.chat.allow_publish(fn)
        fn.allow(EVENT_ACTIONS, [self.event_bus_arn])
