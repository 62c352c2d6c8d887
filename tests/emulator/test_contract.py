"""Every implemented operation's raw response checked against botocore's output shape.

boto3 silently drops keys it does not know, so the raw JSON is captured before parsing and
walked against the model: every key a member, types and enums right, required members present.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

from statusmon_emulator import Emulator
from statusmon_emulator.core import service_model
from statusmon_emulator.validation import compile_pattern
from tests.emulator.conftest import NO_RETRIES
from tests.emulator.helpers import classification, detection, jsonl

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float),
    "blob": (str,),
}


def shape_problems(shape: Shape, value: Any, path: str = "$") -> list[str]:
    problems: list[str] = []
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        problems += [f"{path}.{k}: not a member of {shape.name}" for k in value if k not in shape.members]
        problems += [f"{path}.{k}: required member missing" for k in shape.required_members if k not in value]
        for key, item in value.items():
            if key in shape.members:
                problems += shape_problems(shape.members[key], item, f"{path}.{key}")
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        for index, item in enumerate(value):
            problems += shape_problems(shape.member, item, f"{path}[{index}]")
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            return [f"{path}: expected a map"]
        for key, item in value.items():
            problems += shape_problems(shape.key, key, f"{path}<key>") + shape_problems(
                shape.value, item, f"{path}.{key}"
            )
    else:
        expected = _JSON_TYPES[shape.type_name]
        if not isinstance(value, expected) or (shape.type_name != "boolean" and isinstance(value, bool)):
            return [f"{path}: expected {shape.type_name}, got {type(value).__name__}"]
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            problems.append(f"{path}: {value!r} not in enum {enum}")
        pattern = shape.metadata.get("pattern")
        if pattern and isinstance(value, str) and not compile_pattern(pattern).fullmatch(value):
            problems.append(f"{path}: {value!r} does not match {pattern}")
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        size = len(value) if isinstance(value, str) else value
        if (low is not None and size < low) or (high is not None and size > high):
            problems.append(f"{path}: {value!r} outside [{low}, {high}]")
    return problems


# The model types DatasetImportJob.roleArn as a Personalize ARN, yet it holds the IAM role ARN the
# caller passed (an IAM ARN cannot match that pattern); the real service returns it as given.
KNOWN_MODEL_QUIRKS = {"$.datasetImportJob.roleArn"}


class Recorder:
    def __init__(self) -> None:
        self.bodies: dict[str, list[Any]] = {}

    def __call__(self, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        if response_dict["status_code"] == 200:
            self.bodies.setdefault(operation_model.name, []).append(
                json.loads(response_dict["body"] or b"{}")
            )


@pytest.fixture
def recorded(emu: Emulator, s3: Any, bucket: str) -> dict[str, dict[str, list[Any]]]:
    recorders = {"rekognition": Recorder(), "personalize": Recorder()}
    rek = boto3.client("rekognition", endpoint_url=emu.url, region_name="us-east-1", config=NO_RETRIES)
    per = boto3.client("personalize", endpoint_url=emu.url, region_name="us-east-1", config=NO_RETRIES)
    rek.meta.events.register("before-parse.rekognition.*", recorders["rekognition"])
    per.meta.events.register("before-parse.personalize.*", recorders["personalize"])

    # A scenario that makes every implemented operation answer, in every state it can be in.
    lines = [classification(f"s3://{bucket}/{i}.jpg", "cat" if i % 2 else "dog") for i in range(10)]
    lines.append(
        detection(
            f"s3://{bucket}/box.jpg",
            [{"class_id": 0, "top": 0, "left": 0, "width": 1, "height": 1}],
            {"0": "dog"},
        )
    )
    lines.append({"source-ref": f"s3://{bucket}/bad.jpg", "x": 1})
    s3.put_object(Bucket=bucket, Key="train.manifest", Body=jsonl(*lines))
    project = rek.create_project(ProjectName="contract")["ProjectArn"]
    rek.create_project(ProjectName="moderation", Feature="CONTENT_MODERATION")
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Name": "train.manifest"}}}
    train = rek.create_dataset(ProjectArn=project, DatasetType="TRAIN", DatasetSource=source)["DatasetArn"]
    rek.describe_projects(Features=["CUSTOM_LABELS", "CONTENT_MODERATION"])
    rek.describe_dataset(DatasetArn=train)
    emu.advance(5)
    test = rek.create_dataset(ProjectArn=project, DatasetType="TEST")["DatasetArn"]
    emu.advance(5)
    rek.update_dataset_entries(
        DatasetArn=train, Changes={"GroundTruth": jsonl(classification(f"s3://{bucket}/new.jpg", "cat"))}
    )
    emu.advance(5)
    rek.distribute_dataset_entries(Datasets=[{"Arn": train}, {"Arn": test}])
    rek.describe_projects(MaxResults=1)
    emu.advance(5)
    rek.update_dataset_entries(DatasetArn=test, Changes={"GroundTruth": b"{broken"})
    emu.advance(5)
    rek.describe_projects()
    for arn in (train, test):
        rek.describe_dataset(DatasetArn=arn)
    rek.list_dataset_entries(DatasetArn=train, MaxResults=2)
    rek.list_dataset_entries(DatasetArn=train, HasErrors=True)
    rek.list_dataset_labels(DatasetArn=train, MaxResults=1)
    rek.delete_dataset(DatasetArn=test)
    rek.delete_dataset(DatasetArn=train)
    rek.delete_project(ProjectArn=project)

    s3.put_object(Bucket=bucket, Key="ok.csv", Body=b"USER_ID,ITEM_ID,TIMESTAMP\nu,i,1\n")
    group = per.create_dataset_group(name="contract", domain="ECOMMERCE")["datasetGroupArn"]
    per.create_dataset_group(name="plain")
    schema = per.create_schema(
        name="contract",
        schema=json.dumps(
            {
                "type": "record",
                "fields": [
                    {"name": "USER_ID", "type": "string"},
                    {"name": "ITEM_ID", "type": "string"},
                    {"name": "TIMESTAMP", "type": "long"},
                ],
            }
        ),
    )["schemaArn"]
    dataset = per.create_dataset(
        name="contract", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    ok = per.create_dataset_import_job(
        jobName="ok",
        datasetArn=dataset,
        dataSource={"dataLocation": f"s3://{bucket}/ok.csv"},
        roleArn="arn:aws:iam::123456789012:role/r",
    )["datasetImportJobArn"]
    bad = per.create_dataset_import_job(
        jobName="bad", datasetArn=dataset, dataSource={"dataLocation": f"s3://{bucket}/none.csv"}
    )["datasetImportJobArn"]
    per.list_dataset_groups(maxResults=1)
    per.list_datasets(datasetGroupArn=group)
    per.list_dataset_import_jobs(maxResults=1)
    per.describe_dataset_import_job(datasetImportJobArn=ok)
    emu.advance(30)
    per.list_dataset_groups()
    per.list_datasets()
    per.list_dataset_import_jobs(datasetArn=dataset)
    for arn in (ok, bad):
        per.describe_dataset_import_job(datasetImportJobArn=arn)
    return {name: recorder.bodies for name, recorder in recorders.items()}


def test_every_operation_matches_its_output_shape(
    recorded: dict[str, dict[str, list[Any]]], emu: Emulator
) -> None:
    # Given the raw responses of a scenario touching every implemented operation
    for service, bodies in recorded.items():
        model = service_model(service)
        implemented = set(emu.core._handlers[service])

        # When each body is walked against the operation's output shape
        problems = [
            f"{operation}: {problem}"
            for operation, docs in bodies.items()
            for doc in docs
            for problem in shape_problems(model.operation_model(operation).output_shape, doc)
            if problem.split(":", 1)[0] not in KNOWN_MODEL_QUIRKS
        ]

        # Then every operation answered, and nothing drifts from the model
        assert set(bodies) == implemented
        assert problems == []


def test_the_checker_catches_drift() -> None:
    # Given the DescribeProjects output shape
    shape = service_model("rekognition").operation_model("DescribeProjects").output_shape

    # When documents with an unknown key, a bad enum, a wrong type and a bad ARN are checked
    bad = {
        "Extra": 1,
        "ProjectDescriptions": [
            {"Status": "READY", "CreationTimestamp": "yesterday", "ProjectArn": "arn:nope", "Datasets": {}}
        ],
    }

    # Then each problem is reported
    problems = shape_problems(shape, bad)
    assert len(problems) == 6  # the bad ARN breaks both its pattern and its min length
    assert shape_problems(shape, []) == ["$: expected an object"]
    assert shape_problems(shape, {"ProjectDescriptions": {}}) == ["$.ProjectDescriptions: expected a list"]
    tags = service_model("rekognition").operation_model("ListTagsForResource").output_shape
    assert shape_problems(tags, {"Tags": []}) == ["$.Tags: expected a map"]
    assert shape_problems(tags, {"Tags": {"k": "v"}}) == []
