"""ARN parsing for the resources statusmon tracks; a malformed ARN is a one-line error."""

from __future__ import annotations

import re
from dataclasses import dataclass

from statusmon.domain.vocabulary import ResourceType, Service

_REKOGNITION_DATASET = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):rekognition:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"project/(?P<project>[a-zA-Z0-9_.-]{1,255})/dataset/(?P<type>train|test)/(?P<id>\d+)$"
)
_REKOGNITION_PROJECT = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):rekognition:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"project/(?P<project>[a-zA-Z0-9_.-]{1,255})/(?P<id>\d+)$"
)
_PERSONALIZE_JOB = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):personalize:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"dataset-import-job/(?P<name>[a-zA-Z0-9][a-zA-Z0-9_-]{0,62})$"
)
_PERSONALIZE_DATASET = re.compile(
    r"^arn:aws[a-z-]*:personalize:[a-z0-9-]+:\d{12}:dataset/(?P<group>[a-zA-Z0-9][a-zA-Z0-9_-]*)/[A-Z_]+$"
)


class MalformedArnError(ValueError):
    """The text is not the ARN of a Custom Labels dataset or a Personalize dataset import job."""


@dataclass(frozen=True)
class ResourceArn:
    arn: str
    service: Service
    resource_type: ResourceType
    partition: str
    region: str
    account: str
    name: str
    project: str | None = None


def parse_resource_arn(text: str) -> ResourceArn:
    text = text.strip()
    if match := _REKOGNITION_DATASET.match(text):
        return ResourceArn(
            arn=text,
            service=Service.REKOGNITION,
            resource_type=ResourceType.DATASET,
            partition=match["partition"],
            region=match["region"],
            account=match["account"],
            name=f"{match['project']}/{match['type']}",
            project=match["project"],
        )
    if match := _PERSONALIZE_JOB.match(text):
        return ResourceArn(
            arn=text,
            service=Service.PERSONALIZE,
            resource_type=ResourceType.DATASET_IMPORT_JOB,
            partition=match["partition"],
            region=match["region"],
            account=match["account"],
            name=match["name"],
        )
    raise MalformedArnError(
        f"malformed ARN {text!r}: expected a Custom Labels dataset "
        "(arn:aws:rekognition:REGION:ACCOUNT:project/NAME/dataset/train|test/ID) or a Personalize "
        "import job (arn:aws:personalize:REGION:ACCOUNT:dataset-import-job/NAME)"
    )


def project_name_of(project_arn: str) -> str:
    if match := _REKOGNITION_PROJECT.match(project_arn):
        return match["project"]
    raise MalformedArnError(
        f"malformed project ARN {project_arn!r}: expected arn:aws:rekognition:REGION:ACCOUNT:project/NAME/ID"
    )


def dataset_group_of(dataset_arn: str | None) -> str | None:
    """The dataset group named in a Personalize dataset ARN (``dataset/GROUP/TYPE``), or None."""
    match = _PERSONALIZE_DATASET.match(dataset_arn or "")
    return match["group"] if match else None


_CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


def console_host(partition: str) -> str:
    """The AWS console's host name in ``partition`` (the commercial one for a partition it does not know)."""
    return _CONSOLE_HOSTS.get(partition, _CONSOLE_HOSTS["aws"])


def console_url(arn: str, parent_arn: str | None = None) -> str:
    """The console page where a person would look at the resource (best effort, never raises)."""
    try:
        parsed = parse_resource_arn(arn)
    except MalformedArnError:
        return ""
    host = _CONSOLE_HOSTS.get(parsed.partition, _CONSOLE_HOSTS["aws"])
    base = f"https://{parsed.region}.{host}"
    if parsed.service is Service.REKOGNITION:
        return f"{base}/rekognition/custom-labels?region={parsed.region}#/projects/{parsed.project}"
    return f"{base}/personalize/home?region={parsed.region}#datasetImportJobs/{parsed.name}"
