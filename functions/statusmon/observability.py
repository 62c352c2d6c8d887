"""Powertools Logger, Tracer and Metrics: created once, here, and imported everywhere else."""

from aws_lambda_powertools import Logger, Metrics, Tracer

from statusmon.metric_names import NAMESPACE, SERVICE_NAME

logger = Logger(service=SERVICE_NAME)
# Every AWS call statusmon makes, PynamoDB's included, goes through a botocore client: patching
# botocore alone traces each once. The X-Ray SDK's patch_all would also import and patch sqlite3,
# http.client, requests and database drivers at cold start, and trace PynamoDB's calls a second time.
tracer = Tracer(service=SERVICE_NAME, patch_modules=("botocore",))
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_NAME)
