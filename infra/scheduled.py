"""A Python function on an EventBridge schedule: the pollers (one per service), the outbox redrive and
the hot watch."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.function import StatusmonFunction
from infra.topics import AsyncFailureDestination


class ScheduledFunction(Construct):
    """A function invoked at a fixed rate, one invocation at a time, with its log group and role.

    Reserved concurrency 1: two runs never overlap. A missed or failed run is not retried: the next
    scheduled one catches up; the stack either alarms on its errors or has Lambda report each failed
    run (``report_failures_to``). Callers add permissions through ``.fn`` (:class:`StatusmonFunction`).
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
        traced: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        # A run must end before the next one is due, and Lambda stops at 15 minutes.
        timeout = cdk.Duration.seconds(min(period.to_seconds(), 900))
        self.fn = StatusmonFunction(
            self,
            # "Sweep" for every scheduled function: renaming it would replace the deployed pollers'
            # functions and roles and orphan their retained log groups.
            "Sweep",
            code=code,
            handler=handler,
            description=description,
            environment=environment,
            timeout=timeout,
            log_retention=log_retention,
            removal_policy=removal_policy,
            reserved_concurrency=1,
            traced=traced,
        )
        self.function = self.fn.function
        self.function.configure_async_invoke(
            retry_attempts=0, max_event_age=cdk.Duration.seconds(max(60, min(period.to_seconds(), 21600)))
        )
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"statusmon: {description} every {schedule_rate}",
            schedule=events.Schedule.expression(f"rate({schedule_rate})"),
            targets=[targets.LambdaFunction(self.function)],
        )

    def error_alarm(self) -> cloudwatch.Alarm:
        return self.fn.error_alarm()

    def report_failures_to(self, target: AsyncFailureDestination) -> None:
        """Lambda sends a record of each run that failed (an error, a timeout, or an invocation dropped
        because the previous run still held the one slot past ``max_event_age``) to ``target``, with this
        function's role."""
        target.async_failures_of(self.fn)
