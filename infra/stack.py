"""The statusmon stack: composes storage, alerting, polling, the hot watch, CloudTrail discovery, the
failure summaries and observability; defines nothing itself."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.alerting import Alerting
from infra.bundling import function_code
from infra.config import LOG_RETENTION, StatusmonConfig
from infra.discovery import Discovery
from infra.function import ARCHITECTURE, RUNTIME
from infra.hot_watch import WatchFunction
from infra.observability import Observability
from infra.ops_summary import FailureSummaries
from infra.polling import POLL_TARGETS, PollFunction
from infra.scheduled import ScheduledFunction
from infra.storage import StatusStorage

# Output ids: `statusmon status --stack NAME` reads TableName and TopicArn from DescribeStacks.
OUTPUT_TABLE_NAME = "TableName"
OUTPUT_TOPIC_ARN = "TopicArn"
OUTPUT_CHAT_TOPIC_ARN = "ChatTopicArn"
OUTPUT_DLQ_URL = "DlqUrl"
OUTPUT_DASHBOARD_URL = "DashboardUrl"


class StatusmonStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StatusmonConfig,
        code: lambda_.Code | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        code = code or function_code(RUNTIME, ARCHITECTURE)
        removal = cdk.RemovalPolicy.DESTROY if config.throwaway else cdk.RemovalPolicy.RETAIN
        log_retention = logs.RetentionDays[LOG_RETENTION[config.log_retention_days]]
        period = cdk.Duration.seconds(config.rate_seconds)

        table = StatusStorage(
            self,
            "Storage",
            removal_policy=removal,
            # The AWS-owned key costs nothing; aws/dynamodb shows its use in CloudTrail, for KMS requests.
            encryption=(
                dynamodb.TableEncryption.AWS_MANAGED
                if config.customer_managed_key
                else dynamodb.TableEncryption.DEFAULT
            ),
        ).table
        environment = {
            **config.function_environment(table_name=table.table_name),
            **config.powertools_environment(),
        }
        alerting = Alerting(
            self,
            "Alerting",
            code=code,
            table=table,
            environment=environment,
            alert_emails=config.alert_emails,
            schedule_rate=config.schedule_rate,
            period=period,
            log_retention=log_retention,
            removal_policy=removal,
            customer_managed_key=config.customer_managed_key,
            ops_topic_arn=config.ops_topic_arn,
            stream_failures_to_queue=config.alarms,
            event_bus=config.event_bus,
            chat_topic=config.chat_topic,
        )
        # The sweeps and the watch render chat notifications only when there is a chat topic.
        environment = dict(alerting.environment)

        pollers = {
            service.value: PollFunction(
                self,
                f"Poll{service.value.capitalize()}",
                target=POLL_TARGETS[service],
                table=table,
                code=code,
                schedule_rate=config.schedule_rate,
                period=period,
                environment=environment,
                log_retention=log_retention,
                removal_policy=removal,
            )
            for service in config.services
        }
        watch = (
            WatchFunction(
                self,
                "HotWatch",
                services=config.services,
                table=table,
                code=code,
                environment=environment,
                log_retention=log_retention,
                removal_policy=removal,
            )
            if config.hot_watch
            else None
        )
        discovery = (
            Discovery(
                self,
                "Discovery",
                services=config.services,
                table=table,
                code=code,
                environment=environment,
                log_retention=log_retention,
                removal_policy=removal,
            )
            if config.cloudtrail_discovery
            else None
        )
        # The functions Lambda invokes asynchronously (a schedule, an EventBridge rule).
        scheduled: list[ScheduledFunction | Discovery] = [alerting.redrive, *pollers.values()]
        scheduled += [fn for fn in (watch, discovery) if fn is not None]
        summaries = None
        if not config.alarms:
            # No alarm can reach the topic under aws/sns; Lambda's own record of a failed run can, and
            # the summariser turns those records into at most one message an hour per function.
            summaries = FailureSummaries(
                self,
                "OpsSummaries",
                code=code,
                table=table,
                ops=alerting.ops,
                environment=environment,
                recovery_minutes=2 * config.rate_seconds // 60,
                log_retention=log_retention,
                removal_policy=removal,
            )
            for fn in scheduled:
                fn.report_failures_to(summaries)
            summaries.check_recoveries_in(alerting.redrive.fn)

        observability = Observability(
            self,
            "Observability",
            alarm_topic=alerting.ops.topic if config.alarms else None,
            error_alarms=(
                [alerting.fn.error_alarm(), *(fn.error_alarm() for fn in scheduled)] if config.alarms else []
            ),
            custom_metrics=config.custom_metrics,
            dashboard=config.dashboard,
            sources=list(pollers),
            schedule_period=period,
            functions={"notify": alerting.function, "redrive": alerting.redrive.function}
            | {f"poll {s}": p.function for s, p in pollers.items()}
            | ({"watch": watch.function} if watch else {})
            | ({"discover": discovery.function} if discovery else {})
            | ({"ops summaries": summaries.function} if summaries else {}),
            dlq=alerting.dlq,
        )

        cdk.CfnOutput(self, OUTPUT_TABLE_NAME, value=table.table_name, description="The status table")
        cdk.CfnOutput(self, OUTPUT_TOPIC_ARN, value=alerting.topic.topic_arn, description="The alert topic")
        if alerting.chat_topic is not None:
            cdk.CfnOutput(
                self,
                OUTPUT_CHAT_TOPIC_ARN,
                value=alerting.chat_topic.topic_arn,
                description="The chat topic: map it to a Slack or Teams channel in Amazon Q Developer",
            )
        if alerting.dlq is not None:
            cdk.CfnOutput(
                self, OUTPUT_DLQ_URL, value=alerting.dlq.queue_url, description="Undeliverable alerts"
            )
        if observability.dashboard is not None:
            cdk.CfnOutput(
                self,
                OUTPUT_DASHBOARD_URL,
                value=(
                    f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}"
                    f"#dashboards:name={observability.dashboard.dashboard_name}"
                ),
                description="The statusmon CloudWatch dashboard",
            )
