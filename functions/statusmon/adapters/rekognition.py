"""Rekognition Custom Labels: every project's TRAIN and TEST datasets. The only Rekognition module."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from statusmon.adapters import aws
from statusmon.adapters.errors import translate
from statusmon.adapters.sources import Listing
from statusmon.domain.arns import MalformedArnError, project_name_of
from statusmon.domain.model import Observation
from statusmon.domain.vocabulary import Phase, ResourceType, Service

PAGE_SIZE = 100  # DescribeProjects' maximum
NAMES_PER_CALL = 10  # DescribeProjects accepts at most 10 ProjectNames
ERROR_SAMPLE_SIZE = 3


class RekognitionSource:
    service = Service.REKOGNITION
    # An update retried and failed again with the same message shows only in LastUpdatedTimestamp,
    # which only DescribeDataset returns: failed datasets are described on every sweep.
    redescribe_failed = True

    def __init__(
        self,
        *,
        client: Any = None,
        counter: aws.CallCounter | None = None,
        project_names: Sequence[str] = (),
    ) -> None:
        self.counter = counter or aws.CallCounter()
        self._client = client or aws.client("rekognition", self.counter)
        self.project_names = list(project_names)

    def read_listing(self) -> Listing:
        listing = Listing()
        try:
            for project in self._projects():
                listing.observations += _datasets_of(project)
        except (ClientError, BotoCoreError) as exc:
            listing.complete = False
            listing.problems.append(str(translate(exc, "DescribeProjects")))
        return listing

    def _projects(self) -> Iterator[dict[str, Any]]:
        name_batches: list[list[str] | None] = (
            [
                self.project_names[i : i + NAMES_PER_CALL]
                for i in range(0, len(self.project_names), NAMES_PER_CALL)
            ]
            if self.project_names
            else [None]
        )
        for names in name_batches:
            kwargs: dict[str, Any] = {"MaxResults": PAGE_SIZE, "Features": ["CUSTOM_LABELS"]}
            if names:
                kwargs["ProjectNames"] = names
            while True:
                page = self._client.describe_projects(**kwargs)
                yield from page.get("ProjectDescriptions", [])
                if not page.get("NextToken"):
                    break
                kwargs["NextToken"] = page["NextToken"]

    def describe(self, observation: Observation) -> Observation:
        try:
            described = self._client.describe_dataset(DatasetArn=observation.resource_arn)[
                "DatasetDescription"
            ]
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"DescribeDataset {observation.resource_arn}") from exc
        details = dict(observation.details)
        if described.get("DatasetStats"):
            details["stats"] = dict(described["DatasetStats"])
        if described.get("StatusMessageCode"):
            details["status_message_code"] = described["StatusMessageCode"]
        return replace(
            observation,
            status=described.get("Status", observation.status),
            reason=described.get("StatusMessage", observation.reason),
            updated_at=described.get("LastUpdatedTimestamp"),
            details=details,
        )

    def error_samples(self, observation: Observation) -> list[dict[str, Any]]:
        """A few entries with non-terminal errors (ListDatasetEntries HasErrors=True), best effort."""
        try:
            page = self._client.list_dataset_entries(
                DatasetArn=observation.resource_arn, HasErrors=True, MaxResults=ERROR_SAMPLE_SIZE
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"ListDatasetEntries {observation.resource_arn}") from exc
        return [_summarise_entry(line) for line in page.get("DatasetEntries", [])[:ERROR_SAMPLE_SIZE]]

    def wants_error_samples(self, observation: Observation) -> bool:
        """Only completed datasets have entries with non-terminal errors to show."""
        return observation.phase is Phase.COMPLETE


def _datasets_of(project: dict[str, Any]) -> list[Observation]:
    project_arn = project.get("ProjectArn", "")
    try:
        project_name = project_name_of(project_arn)
    except MalformedArnError:
        project_name = project_arn.rsplit("/", 2)[-2] if "/" in project_arn else project_arn
    return [
        Observation(
            service=Service.REKOGNITION,
            resource_type=ResourceType.DATASET,
            resource_arn=dataset["DatasetArn"],
            name=f"{project_name}/{str(dataset.get('DatasetType', '')).lower()}",
            status=dataset.get("Status", ""),
            parent_arn=project_arn or None,
            reason=dataset.get("StatusMessage"),
        )
        for dataset in project.get("Datasets", [])
        if dataset.get("DatasetArn")
    ]


def _summarise_entry(line: str) -> dict[str, Any]:
    """Keep what identifies an entry and its errors, not the whole (possibly large) JSON line."""
    try:
        entry = json.loads(line)
    except ValueError:
        return {"raw": line[:300]}
    if not isinstance(entry, dict):
        return {"raw": line[:300]}
    summary: dict[str, Any] = {"source-ref": entry.get("source-ref")}
    for key, value in entry.items():
        if "error" in key.lower():
            summary[key] = value
    return summary
