"""The statusmon stack: composes storage, alerting, polling and observability; defines nothing itself."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.alerting import Alerting
from infra.bundling import function_code
from infra.config import LOG_RETENTION, StatusmonConfig
from infra.function import ARCHITECTURE, RUNTIME
from infra.observability import Observability
from infra.polling import POLL_TARGETS, PollFunction
from infra.storage import StatusStorage

# Output ids: `statusmon status --stack NAME` reads TableName and TopicArn from DescribeStacks.
OUTPUT_TABLE_NAME = "TableName"
OUTPUT_TOPIC_ARN = "TopicArn"
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

        table = StatusStorage(self, "Storage", removal_policy=removal).table
        environment = config.function_environment(table_name=table.table_name)
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
        )

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

        ops_topic = (
            sns.Topic.from_topic_arn(self, "OpsTopic", config.ops_topic_arn)
            if config.ops_topic_arn
            else alerting.topic
        )
        observability = Observability(
            self,
            "Observability",
            ops_topic=ops_topic,
            sources=list(pollers),
            schedule_period=period,
            functions={"notify": alerting.function, "redrive": alerting.redrive.function}
            | {f"poll {s}": p.function for s, p in pollers.items()},
            alarms=[
                alerting.fn.error_alarm,
                alerting.redrive.error_alarm,
                *(p.error_alarm for p in pollers.values()),
            ],
            dlq=alerting.dlq,
        )

        cdk.CfnOutput(self, OUTPUT_TABLE_NAME, value=table.table_name, description="The status table")
        cdk.CfnOutput(self, OUTPUT_TOPIC_ARN, value=alerting.topic.topic_arn, description="The alert topic")
        cdk.CfnOutput(self, OUTPUT_DLQ_URL, value=alerting.dlq.queue_url, description="Undeliverable alerts")
        cdk.CfnOutput(
            self,
            OUTPUT_DASHBOARD_URL,
            value=(
                f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}"
                f"#dashboards:name={observability.dashboard.dashboard_name}"
            ),
            description="The statusmon CloudWatch dashboard",
        )
