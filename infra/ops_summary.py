"""The failure summariser: a quiet ops channel when the stack has no alarms (the default profile).

Lambda sends the record of each failed run of every asynchronously invoked function (the pollers, the
redrive, the hot watch, discovery) to this function, which tells the ops topic at most once an hour
per function and once when it recovers (:mod:`statusmon.logic.ops`); the redrive, on the polling
schedule, checks for recoveries (one Query of an empty partition when all is well). Without it a watch
failing every minute would send 1,440 raw records a day to the people subscribed to alerts.

The summariser's own failed records go to the ops topic as Lambda's raw record, never back to itself.
The notifier's failed stream batches still go to the ops topic directly (a stream's on-failure
destination cannot be a function here, and they come after six hours of retries: rare by design).
Costs nothing while nothing fails: it runs only when a failure record arrives.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import leading_keys
from infra.config import setting_variable
from infra.function import StatusmonFunction
from infra.storage import allow_partitions
from infra.topics import PublishTarget, send_async_failures

OPS_HANDLER = "statusmon.handlers.ops.handler"
# A table or topic failure raises, and Lambda tries the record again; a record counted twice counts once.
SUMMARISER_RETRIES = 2
SUMMARISER_MAX_EVENT_AGE = cdk.Duration.hours(6)
INVOKE_ACTIONS = ("lambda:InvokeFunction",)


class FailureSummaries(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        table: dynamodb.ITable,
        ops: PublishTarget,
        environment: Mapping[str, str],
        recovery_minutes: int,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.ops = ops
        self.table = table
        # Two schedule periods without a failure record: a function that fails at every run sends one
        # at least once a period.
        self.recovery_minutes = recovery_minutes
        self.fn = StatusmonFunction(
            self,
            "Summarise",
            code=code,
            handler=OPS_HANDLER,
            description="Summarises the failed runs of statusmon's functions for the ops topic",
            environment={**environment, setting_variable("ops_topic_arn"): ops.topic.topic_arn},
            timeout=cdk.Duration.seconds(30),
            log_retention=log_retention,
            removal_policy=removal_policy,
            # Like the watch it may run every minute (a watch failing at each run): X-Ray's traces
            # would cost more than the function, and its log line says what each record said.
            traced=False,
        )
        self.function = self.fn.function
        allow_partitions(self.fn, table, leading_keys.summariser())
        ops.allow_publish(self.fn)
        self.function.configure_async_invoke(
            retry_attempts=SUMMARISER_RETRIES, max_event_age=SUMMARISER_MAX_EVENT_AGE
        )
        ops.async_failures_of(self.fn)

    def async_failures_of(self, fn: StatusmonFunction) -> None:
        """Lambda invokes the summariser with the record of each failed asynchronous run of ``fn``, with
        ``fn``'s role (which may invoke the summariser and nothing else)."""
        send_async_failures(fn, self.function.function_arn)
        fn.allow(INVOKE_ACTIONS, [self.function.function_arn])

    def check_recoveries_in(self, fn: StatusmonFunction) -> None:
        """``fn`` (the redrive) reports the quiet functions as recovered: it reads and closes episodes
        and publishes to the ops topic."""
        allow_partitions(fn, self.table, leading_keys.ops_reader())
        self.ops.allow_publish(fn)
        fn.function.add_environment(setting_variable("ops_topic_arn"), self.ops.topic.topic_arn)
        fn.function.add_environment(setting_variable("ops_recovery_minutes"), str(self.recovery_minutes))
