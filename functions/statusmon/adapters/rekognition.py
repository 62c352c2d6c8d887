"""Rekognition Custom Labels: every project's TRAIN and TEST datasets. The only Rekognition module."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from statusmon.adapters import aws
from statusmon.adapters.answers import (
    MalformedAnswerError,
    OutOfTimeError,
    Pages,
    call,
    never,
    required_list,
    required_text,
)
from statusmon.adapters.errors import AwsError
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
    # DescribeProjects gives a dataset's status and message only: an update that started and ended
    # between two sweeps (UPDATE_COMPLETE before and after) shows in DescribeDataset's
    # LastUpdatedTimestamp and DatasetStats alone, which the sweep's deep check reads.
    deep_check = True

    def __init__(
        self,
        *,
        client: Any = None,
        counter: aws.CallCounter | None = None,
        project_names: Sequence[str] = (),
    ) -> None:
        self.counter = counter or aws.CallCounter()
        self._client = (
            aws.prepare(client, self.counter) if client else aws.client("rekognition", self.counter)
        )
        self.project_names = list(project_names)

    def read_listing(self, out_of_time: Callable[[], bool] = never) -> Listing:
        listing = Listing()
        try:
            for project in self._projects(out_of_time):
                _add_datasets(listing, project)
        except OutOfTimeError as exc:
            listing.out_of_time = True
            listing.problem(str(exc))
        except AwsError as exc:
            listing.problem(str(exc))
        return listing

    def _projects(self, out_of_time: Callable[[], bool]) -> Iterator[Any]:
        name_batches: list[list[str] | None] = (
            [
                self.project_names[i : i + NAMES_PER_CALL]
                for i in range(0, len(self.project_names), NAMES_PER_CALL)
            ]
            if self.project_names
            else [None]
        )
        pages = Pages("DescribeProjects", out_of_time)
        for names in name_batches:
            kwargs: dict[str, Any] = {"MaxResults": PAGE_SIZE, "Features": ["CUSTOM_LABELS"]}
            if names:
                kwargs["ProjectNames"] = names

            def request(token: str | None, kwargs: dict[str, Any] = kwargs) -> tuple[dict[str, Any], Any]:
                page = call(
                    self._client.describe_projects,
                    "DescribeProjects",
                    **kwargs,
                    **({"NextToken": token} if token else {}),
                )
                return page, page.get("NextToken")

            for page in pages.read(request):
                yield from required_list(page, "ProjectDescriptions", "DescribeProjects")

    def describe(self, observation: Observation) -> Observation:
        what = f"DescribeDataset {observation.resource_arn}"
        answer = call(self._client.describe_dataset, what, DatasetArn=observation.resource_arn)
        described = answer.get("DatasetDescription")
        status = required_text(described, "Status")
        if not isinstance(described, dict) or status is None:
            raise MalformedAnswerError(f"{what}: the answer has no DatasetDescription with a Status")
        updated_at = described.get("LastUpdatedTimestamp")
        details = dict(observation.details)
        if isinstance(described.get("DatasetStats"), dict):
            details["stats"] = dict(described["DatasetStats"])
        if required_text(described, "StatusMessageCode"):
            details["status_message_code"] = described["StatusMessageCode"]
        return replace(
            observation,
            status=status,
            reason=required_text(described, "StatusMessage") or observation.reason,
            updated_at=updated_at if isinstance(updated_at, datetime) else None,
            details=details,
        )

    def error_samples(self, observation: Observation) -> list[dict[str, Any]]:
        """A few entries with non-terminal errors (ListDatasetEntries HasErrors=True), best effort."""
        what = f"ListDatasetEntries {observation.resource_arn}"
        page = call(
            self._client.list_dataset_entries,
            what,
            DatasetArn=observation.resource_arn,
            HasErrors=True,
            MaxResults=ERROR_SAMPLE_SIZE,
        )
        entries = required_list(page, "DatasetEntries", what)
        return [_summarise_entry(line) for line in entries[:ERROR_SAMPLE_SIZE] if isinstance(line, str)]

    def wants_error_samples(self, observation: Observation) -> bool:
        """Only completed datasets have entries with non-terminal errors to show."""
        return observation.phase is Phase.COMPLETE


def _add_datasets(listing: Listing, project: Any) -> None:
    """The project's datasets, each checked; what cannot be read makes the listing incomplete."""
    project_arn = required_text(project, "ProjectArn")
    if project_arn is None:
        listing.problem("DescribeProjects: a project without its ProjectArn; the listing is incomplete")
        return
    try:
        project_name_of(project_arn)  # a dataset's parent must be a project
    except MalformedArnError:
        listing.problem(f"DescribeProjects: {project_arn!r} is not a project ARN; the listing is incomplete")
        return
    # A project made before Custom Labels had datasets lists none: no key is not a malformed answer.
    for dataset in project.get("Datasets") or []:
        identified = listing.identify(
            dataset,
            arn_key="DatasetArn",
            status_key="Status",
            kind=ResourceType.DATASET,
            what="DescribeProjects",
        )
        if identified is None:
            continue
        parsed, status = identified
        listing.observations.append(
            Observation(
                service=Service.REKOGNITION,
                resource_type=ResourceType.DATASET,
                resource_arn=parsed.arn,
                name=parsed.name,
                status=status,
                parent_arn=project_arn,
                reason=required_text(dataset, "StatusMessage"),
            )
        )


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
