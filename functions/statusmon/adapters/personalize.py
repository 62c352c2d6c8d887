"""Personalize: dataset import jobs of the region, or of chosen dataset groups / datasets.

The only Personalize module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from statusmon.adapters import aws
from statusmon.adapters.errors import translate
from statusmon.adapters.sources import Listing
from statusmon.domain.model import Observation
from statusmon.domain.vocabulary import ResourceType, Service

PAGE_SIZE = 100  # ListDatasetImportJobs' and ListDatasets' maximum


class PersonalizeSource:
    service = Service.PERSONALIZE
    # A job never changes after ACTIVE or CREATE FAILED, and the listing already carries status,
    # failureReason and lastUpdatedDateTime: only new or changed jobs are described.
    redescribe_failed = False

    def __init__(
        self,
        *,
        client: Any = None,
        counter: aws.CallCounter | None = None,
        filter_arns: Sequence[str] = (),
    ) -> None:
        self.counter = counter or aws.CallCounter()
        self._client = client or aws.client("personalize", self.counter)
        self.filter_arns = list(filter_arns)

    def read_listing(self) -> Listing:
        listing = Listing()
        try:
            for dataset_arn in self._dataset_scopes():
                for job in self._pages(
                    "list_dataset_import_jobs",
                    "datasetImportJobs",
                    **({"datasetArn": dataset_arn} if dataset_arn else {}),
                ):
                    listing.observations.append(_observation(job, dataset_arn))
        except (ClientError, BotoCoreError) as exc:
            listing.complete = False
            listing.problems.append(str(translate(exc, "ListDatasetImportJobs")))
        return listing

    def _dataset_scopes(self) -> Iterator[str | None]:
        """None: the whole region in one listing; else each configured dataset (groups expanded)."""
        if not self.filter_arns:
            yield None
            return
        for arn in self.filter_arns:
            if ":dataset-group/" in arn:
                for dataset in self._pages("list_datasets", "datasets", datasetGroupArn=arn):
                    yield dataset["datasetArn"]
            else:
                yield arn

    def _pages(self, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        call = getattr(self._client, operation)
        kwargs["maxResults"] = PAGE_SIZE
        while True:
            page = call(**kwargs)
            yield from page.get(key, [])
            if not page.get("nextToken"):
                return
            kwargs["nextToken"] = page["nextToken"]

    def describe(self, observation: Observation) -> Observation:
        try:
            job = self._client.describe_dataset_import_job(datasetImportJobArn=observation.resource_arn)[
                "datasetImportJob"
            ]
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"DescribeDatasetImportJob {observation.resource_arn}") from exc
        details = dict(observation.details)
        if job.get("importMode"):
            details["import_mode"] = job["importMode"]
        location = (job.get("dataSource") or {}).get("dataLocation")
        if location:
            details["data_location"] = location
        return replace(
            observation,
            status=job.get("status", observation.status),
            reason=job.get("failureReason", observation.reason),
            updated_at=job.get("lastUpdatedDateTime", observation.updated_at),
            parent_arn=job.get("datasetArn", observation.parent_arn),
            details=details,
        )

    def wants_error_samples(self, observation: Observation) -> bool:
        return False

    def error_samples(self, observation: Observation) -> list[dict[str, Any]]:
        return []


def _observation(job: dict[str, Any], dataset_arn: str | None) -> Observation:
    details: dict[str, Any] = {}
    if job.get("importMode"):
        details["import_mode"] = job["importMode"]
    return Observation(
        service=Service.PERSONALIZE,
        resource_type=ResourceType.DATASET_IMPORT_JOB,
        resource_arn=job["datasetImportJobArn"],
        name=job.get("jobName", job["datasetImportJobArn"].rsplit("/", 1)[-1]),
        status=job.get("status", ""),
        parent_arn=dataset_arn,
        reason=job.get("failureReason"),
        updated_at=job.get("lastUpdatedDateTime"),
        details=details,
    )
