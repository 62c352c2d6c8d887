"""The paid observability, each part optional: alarms to the ops topic, and the statusmon dashboard.

Alarms (``alarms``): the errors of each function, the notifier's DLQ depth and, with
``custom_metrics``, per service no successful sweep in three periods. Each is $0.10 a month, and
CloudWatch can publish them only to a topic whose key lets it (``customer_managed_key``, or an
``ops_topic_arn``). Without them, Lambda itself reports failed runs to the ops topic (infra/topics.py).
The dashboard (``dashboard``, $3 a month) graphs the functions' own metrics, and statusmon's sweep
metrics when there are any.
"""

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
        alarm_topic: sns.ITopic | None,
        error_alarms: Sequence[cloudwatch.Alarm],
        custom_metrics: bool,
        dashboard: bool,
        sources: Sequence[str],
        schedule_period: cdk.Duration,
        functions: Mapping[str, lambda_.IFunction],
        dlq: sqs.IQueue | None,
    ) -> None:
        """``alarm_topic`` None: no alarm at all (``error_alarms`` must then be empty)."""
        super().__init__(scope, construct_id)
        if alarm_topic is None and error_alarms:
            raise ValueError("error alarms without a topic to notify")
        self.dlq_alarm: cloudwatch.Alarm | None = None
        self.stale_alarms: dict[str, cloudwatch.Alarm] = {}
        if alarm_topic is not None:
            if dlq is not None:
                self.dlq_alarm = self._dlq_alarm(dlq)
            if custom_metrics:
                self.stale_alarms = {source: self._stale_alarm(source, schedule_period) for source in sources}
            action = actions.SnsAction(alarm_topic)
            optional = [self.dlq_alarm] if self.dlq_alarm else []
            for alarm in [*error_alarms, *optional, *self.stale_alarms.values()]:
                alarm.add_alarm_action(action)
                alarm.add_ok_action(action)

        self.dashboard = self._dashboard(sources, functions, dlq, custom_metrics) if dashboard else None

    def _dlq_alarm(self, dlq: sqs.IQueue) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(
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

    def _stale_alarm(self, source: str, schedule_period: cdk.Duration) -> cloudwatch.Alarm:
        # No SweepSucceeded for three periods in a row: the sweep fails, times out or no longer
        # runs. No data at all is the same news, hence BREACHING.
        return cloudwatch.Alarm(
            self,
            f"Stale{source.capitalize()}",
            alarm_description=f"statusmon: no successful {source} sweep in {STALE_PERIODS} schedule periods",
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

    def _dashboard(
        self,
        sources: Sequence[str],
        functions: Mapping[str, lambda_.IFunction],
        dlq: sqs.IQueue | None,
        custom_metrics: bool,
    ) -> cloudwatch.Dashboard:
        five = cdk.Duration.minutes(5)

        def per_source(name: str, statistic: str = "Sum") -> list[cloudwatch.IMetric]:
            return [_metric(name, source=s, statistic=statistic, period=five) for s in sources]

        def graph(title: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(title=title, left=list(metrics), width=8, height=6)

        dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=cdk.Duration.days(1))
        if custom_metrics:
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
                    "Throttles and read failures",
                    per_source(names.THROTTLES) + per_source(names.READ_FAILURES),
                ),
                graph("Sweep duration (ms, max)", per_source(names.SWEEP_DURATION, "Maximum")),
            )
        else:
            # Lambda's own metrics are all there is: invocations show the sweeps and deliveries ran.
            dashboard.add_widgets(
                graph(
                    "Function invocations",
                    [fn.metric_invocations(period=five, label=label) for label, fn in functions.items()],
                )
            )
        last_row: list[cloudwatch.IWidget] = [
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
        ]
        if dlq is not None:
            last_row.append(
                graph("Notifier DLQ depth", [dlq.metric_approximate_number_of_messages_visible(period=five)])
            )
        dashboard.add_widgets(*last_row)
        # No alarm-status widget: it references alarms by ARN (Fn::GetAtt), which moto's CloudFormation
        # cannot resolve, and the deploy test runs there. The alarms list is one click away.
        return dashboard
