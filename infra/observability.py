"""Alarms (function errors, DLQ depth, stale sweeps) to the ops topic, and the statusmon dashboard."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from statusmon import metric_names as names

STALE_PERIODS = 3


def _metric(
    name: str, *, source: str | None, statistic: str, period: cdk.Duration, labelled: bool = True
) -> cloudwatch.Metric:
    # Powertools adds service=statusmon to every metric; poll functions add source=<service>.
    dimensions = {"service": names.SERVICE_NAME}
    if source is not None:
        dimensions[names.SOURCE_DIMENSION] = source
    return cloudwatch.Metric(
        namespace=names.NAMESPACE,
        metric_name=name,
        dimensions_map=dimensions,
        statistic=statistic,
        period=period,
        # A label turns an alarm's metric into a metric-math query: graphs only.
        label=(f"{name} {source}" if source else name) if labelled else None,
    )


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        ops_topic: sns.ITopic,
        sources: Sequence[str],
        schedule_period: cdk.Duration,
        functions: Mapping[str, lambda_.IFunction],
        alarms: Sequence[cloudwatch.Alarm],
        dlq: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dlq_alarm = cloudwatch.Alarm(
            self,
            "DlqNotEmpty",
            alarm_description=(
                "statusmon: a stream record failed the notifier past its retries and waits in its DLQ "
                "(its alert stays in the outbox for the redrive)"
            ),
            metric=dlq.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(5), statistic="Maximum"
            ),
            threshold=0,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.stale_alarms: dict[str, cloudwatch.Alarm] = {}
        for source in sources:
            # No SweepSucceeded for three periods in a row: the sweep fails, times out or no longer
            # runs. No data at all is the same news, hence BREACHING.
            self.stale_alarms[source] = cloudwatch.Alarm(
                self,
                f"Stale{source.capitalize()}",
                alarm_description=(
                    f"statusmon: no successful {source} sweep in {STALE_PERIODS} schedule periods"
                ),
                metric=_metric(
                    names.SWEEP_SUCCEEDED,
                    source=source,
                    statistic="Sum",
                    period=schedule_period,
                    labelled=False,
                ),
                threshold=1,
                evaluation_periods=STALE_PERIODS,
                datapoints_to_alarm=STALE_PERIODS,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )
        action = actions.SnsAction(ops_topic)
        for alarm in [*alarms, self.dlq_alarm, *self.stale_alarms.values()]:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)

        self.dashboard = self._dashboard(sources, functions, dlq)

    def _dashboard(
        self,
        sources: Sequence[str],
        functions: Mapping[str, lambda_.IFunction],
        dlq: sqs.IQueue,
    ) -> cloudwatch.Dashboard:
        five = cdk.Duration.minutes(5)

        def per_source(name: str, statistic: str = "Sum") -> list[cloudwatch.IMetric]:
            return [_metric(name, source=s, statistic=statistic, period=five) for s in sources]

        def graph(title: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=list(metrics), width=8, height=6)

        dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=cdk.Duration.days(1))
        dashboard.add_widgets(
            graph("Successful sweeps", per_source(names.SWEEP_SUCCEEDED)),
            graph("Transitions", per_source(names.TRANSITIONS)),
            graph(
                "Alerts",
                [
                    _metric(names.ALERTS_SENT, source=None, statistic="Sum", period=five),
                ],
            ),
        )
        dashboard.add_widgets(
            graph("AWS calls", per_source(names.AWS_CALLS)),
            graph(
                "Throttles and read failures", per_source(names.THROTTLES) + per_source(names.READ_FAILURES)
            ),
            graph("Sweep duration (ms, max)", per_source(names.SWEEP_DURATION, "Maximum")),
        )
        dashboard.add_widgets(
            graph(
                "Function duration (p95)",
                [
                    fn.metric_duration(statistic="p95", period=five, label=label)
                    for label, fn in functions.items()
                ],
            ),
            graph(
                "Function errors and throttles",
                [fn.metric_errors(period=five, label=f"{label} errors") for label, fn in functions.items()]
                + [
                    fn.metric_throttles(period=five, label=f"{label} throttles")
                    for label, fn in functions.items()
                ],
            ),
            graph("Notifier DLQ depth", [dlq.metric_approximate_number_of_messages_visible(period=five)]),
        )
        # No alarm-status widget: it references alarms by ARN (Fn::GetAtt), which moto's CloudFormation
        # cannot resolve, and the deploy test runs there. The alarms list is one click away.
        return dashboard
