"""Personalize: dataset import jobs of the region, or of chosen dataset groups / datasets.

The only Personalize module.
"""

from __future__ import annotations

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
from statusmon.domain.model import Observation
from statusmon.domain.vocabulary import ResourceType, Service

PAGE_SIZE = 100  # ListDatasetImportJobs' and ListDatasets' maximum


class PersonalizeSource:
    service = Service.PERSONALIZE
    # A job never changes after ACTIVE or CREATE FAILED, and the listing already carries status,
    # failureReason and lastUpdatedDateTime: only new or changed jobs are described.
    redescribe_failed = False
    # No deep check: an import is a new job (a new ARN) that runs once, and the listing already carries
    # its status, failureReason and lastUpdatedDateTime, so a job created and finished between two
    # sweeps is listed as a new resource with its outcome.
    deep_check = False

    def __init__(
        self,
        *,
        client: Any = None,
        counter: aws.CallCounter | None = None,
        filter_arns: Sequence[str] = (),
    ) -> None:
        self.counter = counter or aws.CallCounter()
        self._client = (
            aws.prepare(client, self.counter) if client else aws.client("personalize", self.counter)
        )
        self.filter_arns = list(filter_arns)

    def read_listing(self, out_of_time: Callable[[], bool] = never) -> Listing:
        listing = Listing()
        try:
            for dataset_arn in self._dataset_scopes(listing, out_of_time):
                scope = {"datasetArn": dataset_arn} if dataset_arn else {}
                for job in self._items("list_dataset_import_jobs", "datasetImportJobs", out_of_time, **scope):
                    _add_job(listing, job, dataset_arn)
        except OutOfTimeError as exc:
            listing.out_of_time = True
            listing.problem(str(exc))
        except AwsError as exc:
            listing.problem(str(exc))
        return listing

    def _dataset_scopes(self, listing: Listing, out_of_time: Callable[[], bool]) -> Iterator[str | None]:
        """None: the whole region in one listing; else each configured dataset (groups expanded)."""
        if not self.filter_arns:
            yield None
            return
        for arn in self.filter_arns:
            if ":dataset-group/" not in arn:
                yield arn
                continue
            for dataset in self._items("list_datasets", "datasets", out_of_time, datasetGroupArn=arn):
                dataset_arn = required_text(dataset, "datasetArn")
                if dataset_arn is None:
                    listing.problem(f"ListDatasets {arn}: a dataset without its datasetArn")
                    continue
                yield dataset_arn

    def _items(
        self, operation: str, key: str, out_of_time: Callable[[], bool], **kwargs: Any
    ) -> Iterator[Any]:
        what = "".join(part.capitalize() for part in operation.split("_"))
        send = getattr(self._client, operation)

        def request(token: str | None) -> tuple[dict[str, Any], Any]:
            page = call(send, what, maxResults=PAGE_SIZE, **kwargs, **({"nextToken": token} if token else {}))
            return page, page.get("nextToken")

        for page in Pages(what, out_of_time).read(request):
            yield from required_list(page, key, what)

    def describe(self, observation: Observation) -> Observation:
        what = f"DescribeDatasetImportJob {observation.resource_arn}"
        answer = call(
            self._client.describe_dataset_import_job, what, datasetImportJobArn=observation.resource_arn
        )
        job = answer.get("datasetImportJob")
        status = required_text(job, "status")
        if not isinstance(job, dict) or status is None:
            raise MalformedAnswerError(f"{what}: the answer has no datasetImportJob with a status")
        details = dict(observation.details)
        if required_text(job, "importMode"):
            details["import_mode"] = job["importMode"]
        source = job.get("dataSource")
        location = required_text(source, "dataLocation")
        if location:
            details["data_location"] = location
        updated_at = job.get("lastUpdatedDateTime")
        return replace(
            observation,
            status=status,
            reason=required_text(job, "failureReason") or observation.reason,
            updated_at=updated_at if isinstance(updated_at, datetime) else observation.updated_at,
            parent_arn=required_text(job, "datasetArn") or observation.parent_arn,
            details=details,
        )

    def wants_error_samples(self, observation: Observation) -> bool:
        return False

    def error_samples(self, observation: Observation) -> list[dict[str, Any]]:
        return []


def _add_job(listing: Listing, job: Any, dataset_arn: str | None) -> None:
    identified = listing.identify(
        job,
        arn_key="datasetImportJobArn",
        status_key="status",
        kind=ResourceType.DATASET_IMPORT_JOB,
        what="ListDatasetImportJobs",
    )
    if identified is None:
        return
    parsed, status = identified
    details: dict[str, Any] = {}
    if required_text(job, "importMode"):
        details["import_mode"] = job["importMode"]
    updated_at = job.get("lastUpdatedDateTime")
    listing.observations.append(
        Observation(
            service=Service.PERSONALIZE,
            resource_type=ResourceType.DATASET_IMPORT_JOB,
            resource_arn=parsed.arn,
            name=required_text(job, "jobName") or parsed.name,
            status=status,
            parent_arn=dataset_arn,
            reason=required_text(job, "failureReason"),
            updated_at=updated_at if isinstance(updated_at, datetime) else None,
            details=details,
        )
    )
