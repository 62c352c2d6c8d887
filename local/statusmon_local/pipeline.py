"""An ML team's data pipeline, driven through real boto3 calls: what statusmon watches.

Each function is one step a user would take: put a manifest or CSV in S3, create a Custom Labels
project and datasets, update or distribute entries, create Personalize import jobs.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import boto3

IMAGE_BUCKET = "statusmon-demo-images"
DATA_BUCKET = "statusmon-demo-data"
ROLE_ARN = "arn:aws:iam::123456789012:role/PersonalizeS3Access"


def manifest_line(key: str, label: str = "sneaker", class_id: int = 0) -> dict[str, Any]:
    """One Ground Truth image-classification line for ``s3://IMAGE_BUCKET/key``."""
    return {
        "source-ref": f"s3://{IMAGE_BUCKET}/{key}",
        "shoe-type": class_id,
        "shoe-type-metadata": {
            "class-name": label,
            "confidence": 1,
            "type": "groundtruth/image-classification",
            "job-name": "labeling-job/shoes",
            "human-annotated": "yes",
            "creation-date": "2026-11-01T10:00:00.000",
        },
    }


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    return ("\n".join(json.dumps(line) for line in lines) + "\n").encode()


def good_manifest(count: int = 20) -> bytes:
    labels = ["sneaker", "boot", "sandal"]
    return jsonl([manifest_line(f"img/{i:04d}.jpg", labels[i % 3], i % 3) for i in range(count)])


def put_object(bucket: str, key: str, body: bytes) -> str:
    s3 = boto3.client("s3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return f"s3://{bucket}/{key}"


@dataclass
class Project:
    arn: str
    name: str


def create_project(name: str) -> Project:
    arn = boto3.client("rekognition").create_project(ProjectName=name)["ProjectArn"]
    return Project(arn, name)


def create_dataset(project: Project, dataset_type: str, manifest_key: str | None = None) -> str:
    """A TRAIN or TEST dataset, from a manifest already in S3 (or empty without one)."""
    kwargs: dict[str, Any] = {"ProjectArn": project.arn, "DatasetType": dataset_type}
    if manifest_key:
        kwargs["DatasetSource"] = {
            "GroundTruthManifest": {"S3Object": {"Bucket": IMAGE_BUCKET, "Name": manifest_key}}
        }
    return str(boto3.client("rekognition").create_dataset(**kwargs)["DatasetArn"])


def update_entries(dataset_arn: str, body: bytes) -> None:
    boto3.client("rekognition").update_dataset_entries(DatasetArn=dataset_arn, Changes={"GroundTruth": body})


def distribute(train_arn: str, test_arn: str) -> None:
    boto3.client("rekognition").distribute_dataset_entries(Datasets=[{"Arn": train_arn}, {"Arn": test_arn}])


def delete_project(project: Project) -> None:
    client = boto3.client("rekognition")
    for description in client.describe_projects(ProjectNames=[project.name])["ProjectDescriptions"]:
        for dataset in description.get("Datasets", []):
            client.delete_dataset(DatasetArn=dataset["DatasetArn"])
    client.delete_project(ProjectArn=project.arn)


INTERACTIONS_SCHEMA = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
    "version": "1.0",
}


def interactions_csv(rows: int = 50, *, with_timestamp: bool = True) -> bytes:
    header = "USER_ID,ITEM_ID,TIMESTAMP" if with_timestamp else "USER_ID,ITEM_ID"
    lines = [header]
    for i in range(rows):
        row = f"user{i % 7},item{i % 11}"
        lines.append(f"{row},{1_700_000_000 + i}" if with_timestamp else row)
    return ("\n".join(lines) + "\n").encode()


def create_interactions_dataset(group_name: str) -> str:
    """A dataset group with an interactions dataset; returns the dataset ARN."""
    client = boto3.client("personalize")
    group_arn = client.create_dataset_group(name=group_name)["datasetGroupArn"]
    schema_arn = client.create_schema(
        name=f"{group_name}-interactions", schema=json.dumps(INTERACTIONS_SCHEMA)
    )["schemaArn"]
    return str(
        client.create_dataset(
            name=f"{group_name}-interactions",
            schemaArn=schema_arn,
            datasetGroupArn=group_arn,
            datasetType="Interactions",
        )["datasetArn"]
    )


def import_job(name: str, dataset_arn: str, data_location: str) -> str:
    return str(
        boto3.client("personalize").create_dataset_import_job(
            jobName=name,
            datasetArn=dataset_arn,
            dataSource={"dataLocation": data_location},
            roleArn=ROLE_ARN,
            importMode="FULL",
        )["datasetImportJobArn"]
    )


def _new_queue(prefix: str) -> tuple[str, str, str]:
    """A new SQS queue: its name, URL and ARN."""
    sqs = boto3.client("sqs")
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return name, url, str(arn)


def subscribe_queue(topic_arn: str, *, raw: bool = True) -> str:
    """A new SQS queue subscribed to the topic, as a user would set it up; returns its URL.

    With raw delivery the body is the alert itself and its attributes arrive as SQS message
    attributes; without, the body is SNS's envelope.
    """
    _, queue_url, queue_arn = _new_queue("alerts")
    boto3.client("sns").subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true" if raw else "false"},
    )
    return queue_url


def route_events(pattern: dict[str, Any], *, bus: str = "default") -> str:
    """A new SQS queue that an EventBridge rule on ``bus`` sends matching events to, as a user would
    route statusmon's state-change events to a pipeline; returns its URL."""
    name, queue_url, queue_arn = _new_queue("events")
    events = boto3.client("events")
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url


def drain_queue(queue_url: str) -> list[dict[str, Any]]:
    """Receive and delete every waiting message: ``{"body": parsed JSON, "attributes": {...}}``."""
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
            messages.append({"body": json.loads(message["Body"]), "attributes": attributes})
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
