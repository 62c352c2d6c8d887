"""A statusmon Lambda function with its own log group, role and (on demand) error alarm.

Every function of the stack is one of these, so runtime, architecture, logging, tracing and the
Powertools environment are decided once. Callers add permissions through ``allow*``, which keep
each cdk-nag acknowledgement next to the statement that needs it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.nag import acknowledge
from statusmon.metric_names import NAMESPACE, SERVICE_NAME

# 3.13, not the latest (3.14): the asset ships bytecode, which only the Python minor version that
# compiled it reads, and the build has a CPython 3.13 to compile with (pyenv's here, or python3.13 on
# PATH) but no 3.14 (no PyPI, npm or Debian bookworm package provides one). Precompiled, a cold start
# skips compiling every module. Move to 3.14 with a 3.14 interpreter for the build (infra/bundling.py).
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64

POWERTOOLS_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
    "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
}
# An untraced function's Tracer records nothing (it would still patch botocore and build segments).
UNTRACED_ENVIRONMENT = {"POWERTOOLS_TRACE_DISABLED": "true"}
# Active tracing: Lambda adds these on "*" (X-Ray has no resource type for them).
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


@dataclass(frozen=True)
class AccountArn:
    """An ARN pattern in this stack's partition, region and account.

    Built from the pseudo-parameter tokens (never the synth environment), so the cdk-nag finding it
    causes reads the same whatever account the app is synthesized for.
    """

    service: str
    resource: str

    @property
    def arn(self) -> str:
        return f"arn:{cdk.Aws.PARTITION}:{self.service}:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:{self.resource}"

    @property
    def nag_finding(self) -> str:
        """How cdk-nag's IAM5 names this resource in a finding."""
        return f"arn:<AWS::Partition>:{self.service}:<AWS::Region>:<AWS::AccountId>:{self.resource}"


class StatusmonFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        description: str,
        environment: Mapping[str, str],
        timeout: cdk.Duration,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
        memory_size: int = 512,
        reserved_concurrency: int | None = None,
        traced: bool = True,
    ) -> None:
        """``traced`` False: no X-Ray (no active tracing, and Powertools told not to trace), for a function
        invoked so often that its traces would cost more than it does (X-Ray bills each trace)."""
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, removal_policy=removal_policy)
        # Our own role rather than the AWSLambdaBasicExecutionRole managed policy: it may write to
        # this log group only.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"statusmon {construct_id}: {description}",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            code=code,
            handler=handler,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            description=description,
            environment={**environment, **POWERTOOLS_ENVIRONMENT, **({} if traced else UNTRACED_ENVIRONMENT)},
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrency,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE if traced else lambda_.Tracing.DISABLED,
        )
        acknowledge(
            self.function,
            "L1",
            f"{RUNTIME.name}, one release behind the latest, on purpose: the asset ships bytecode compiled "
            f"for {RUNTIME.name} by the build's CPython of that version (.pyc files load only in the minor "
            "version that wrote them), and no CPython 3.14 is installable for the build from PyPI, npm or "
            "Debian bookworm; precompiled, a cold start compiles nothing. Still supported by Lambda.",
        )
        self.unscoped_actions: dict[str, str] = {}
        if traced:
            self.acknowledge_unscoped(XRAY_ACTIONS, "active tracing")
        self._error_alarm: cloudwatch.Alarm | None = None

    def error_alarm(self) -> cloudwatch.Alarm:
        """The alarm on this function's errors, created on first use: each alarm is billed monthly, and
        without the ``alarms`` option failures reach people another way (see infra/topics.py)."""
        if self._error_alarm is None:
            self._error_alarm = cloudwatch.Alarm(
                self,
                "Errors",
                alarm_description=f"statusmon {self.node.id} raised an error (see its log group)",
                metric=self.function.metric_errors(period=cdk.Duration.minutes(5), statistic="Sum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        return self._error_alarm

    def allow(
        self,
        actions: Sequence[str],
        resources: Sequence[str],
        *,
        conditions: Mapping[str, Mapping[str, object]] | None = None,
    ) -> iam.PolicyStatement:
        """Allow ``actions`` on exact resources: a wildcard goes through ``allow_pattern``/``allow_unscoped``,
        which acknowledge its cdk-nag finding."""
        if any("*" in resource for resource in resources):
            raise ValueError(f"wildcard resource in {list(resources)}: use allow_pattern or allow_unscoped")
        return self._add(actions, resources, conditions)

    def allow_pattern(self, actions: Sequence[str], pattern: AccountArn, *, why: str) -> iam.PolicyStatement:
        """Allow ``actions`` on every resource matching ``pattern``; its own IAM5 finding says why."""
        statement = self._add(actions, [pattern.arn])
        acknowledge(self.role, f"IAM5[Resource::{pattern.nag_finding}]", f"{', '.join(actions)}: {why}")
        return statement

    def allow_unscoped(self, actions: Sequence[str], *, why: str) -> iam.PolicyStatement:
        """Allow actions that IAM grants on "*" only (their Service Authorization Reference row has no
        resource type), and name them in the role's Resource::* acknowledgement."""
        statement = self._add(actions, ["*"])
        self.acknowledge_unscoped(actions, why)
        return statement

    def acknowledge_unscoped(self, actions: Sequence[str], why: str) -> None:
        """Name actions on "*" (ours, or a CDK grant's) in the role's one Resource::* acknowledgement.

        cdk-nag reports every "*" of a role as the same finding, so its reason names each action allowed
        on "*", and tests/infra/test_guard_rails.py checks that no unnamed action is.
        """
        for action in actions:
            self.unscoped_actions[action] = why
        named = "; ".join(f"{action} ({reason})" for action, reason in self.unscoped_actions.items())
        acknowledge(
            self.role,
            "IAM5[Resource::*]",
            f"Resource * only for actions IAM grants on no narrower resource: {named}",
        )

    def _add(
        self,
        actions: Sequence[str],
        resources: Sequence[str],
        conditions: Mapping[str, Mapping[str, object]] | None = None,
    ) -> iam.PolicyStatement:
        statement = iam.PolicyStatement(
            actions=list(actions), resources=list(resources), conditions=dict(conditions or {}) or None
        )
        self.role.add_to_policy(statement)
        return statement
