"""Powertools Logger, Tracer and Metrics: created once, here, and imported everywhere else."""

from aws_lambda_powertools import Logger, Metrics, Tracer

from statusmon.metric_names import NAMESPACE, SERVICE_NAME

logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_NAME)
