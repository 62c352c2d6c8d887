"""Powertools Logger, Tracer and Metrics: created once, here, and imported everywhere else.

Metrics are CloudWatch custom metrics (embedded metric format in the logs), $0.30 each a month; the
stack turns them off unless its ``custom_metrics`` option is set, with ``POWERTOOLS_METRICS_DISABLED``.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from statusmon.metric_names import NAMESPACE, SERVICE_NAME


class _SilentWhenDisabled(AmazonCloudWatchEMFProvider):
    """Drops the metrics at each flush when they are disabled.

    Powertools (3.37) skips printing them then, but keeps them: in a warm function each invocation adds
    its values to the same set, and at the 100th value of one metric ``add_metric`` prints the whole
    set anyway (the EMF limit), which publishes the custom metrics after all.
    """

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        if is_metrics_disabled():
            self.clear_metrics()
            return
        super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)


logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(provider=_SilentWhenDisabled(namespace=NAMESPACE, service=SERVICE_NAME))
