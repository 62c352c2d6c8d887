"""CloudTrail discovery: an "AWS API Call via CloudTrail" event -> the resources it started work on.

A call that starts work (a dataset created or changed, an import job created) puts the resources it
names on the hot watch at once, so the one-minute watch tracks them before the next full sweep has
listed them. Which calls, and what each names:

=========================  =======================================  ==============================
call (event source)        the resource(s)                          parent
=========================  =======================================  ==============================
CreateDataset              responseElements ``DatasetArn``          request ``ProjectArn``
(rekognition)
UpdateDatasetEntries       request ``DatasetArn``                   (the recorded state's)
(rekognition)
DistributeDatasetEntries   request ``Datasets[].Arn``: the train    (the recorded state's); each
(rekognition)              and the test dataset                     points at the other
CreateDatasetImportJob     responseElements ``datasetImportJobArn``  request ``datasetArn``
(personalize)
=========================  =======================================  ==============================

Member names are matched in either spelling CloudTrail uses: the API's (``DatasetArn``) or with a
lower-case first letter (``datasetArn``, as Rekognition's own CloudTrail records spell request
parameters). A call that failed (``errorCode``) started nothing; an event without what it needs
(no response, a malformed ARN) yields no entry. Either way :func:`discover` says why in one line and
never raises: the resource is still found by the next full sweep.

The filters (:mod:`statusmon.domain.filters`) apply here as in the sweep: a resource they exclude is
dropped and counted (``excluded``), never put on the watch. An import job is placed by the
``datasetArn`` of its call; one whose dataset the event does not give goes on the watch, which
places it by its Describe before recording anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from statusmon.domain.arns import MalformedArnError, parse_resource_arn, project_name_of
from statusmon.domain.filters import Filters
from statusmon.domain.model import WATCHED_BY_CLOUDTRAIL, WatchEntry
from statusmon.domain.vocabulary import Service
from statusmon.logic.operations import (
    CREATE_DATASET,
    CREATE_DATASET_IMPORT_JOB,
    DISTRIBUTE_DATASET_ENTRIES,
    UPDATE_DATASET_ENTRIES,
)

DETAIL_TYPE = "AWS API Call via CloudTrail"


@dataclass(frozen=True)
class Calls:
    """The calls of one service that start work, as EventBridge names their events."""

    source: str  # the event's ``source``
    event_source: str  # ``detail.eventSource``
    operations: tuple[str, ...]  # ``detail.eventName``


# What the stack's rule matches (infra/discovery.py builds its pattern from this, per configured service).
CALLS: dict[Service, Calls] = {
    Service.REKOGNITION: Calls(
        "aws.rekognition",
        "rekognition.amazonaws.com",
        (CREATE_DATASET, UPDATE_DATASET_ENTRIES, DISTRIBUTE_DATASET_ENTRIES),
    ),
    Service.PERSONALIZE: Calls("aws.personalize", "personalize.amazonaws.com", (CREATE_DATASET_IMPORT_JOB,)),
}


@dataclass(frozen=True)
class Discovery:
    """What one event puts on the watch, or why it puts nothing (``skipped``)."""

    operation: str | None
    entries: list[WatchEntry] = field(default_factory=list)
    skipped: str | None = None
    # True when the call itself failed: expected news, not a malformed event.
    failed_call: bool = False
    # Resources the call named that the filters exclude (dropped, not watched).
    excluded: list[str] = field(default_factory=list)


class _Unusable(ValueError):
    """The event lacks what the operation needs; ``str()`` is the one-line reason."""


def discover(event: Mapping[str, Any], filters: Filters = Filters()) -> Discovery:  # noqa: B008 (frozen)
    """The watch entries of one EventBridge "AWS API Call via CloudTrail" event (never raises)."""
    detail = event.get("detail") if isinstance(event, Mapping) else None
    if not isinstance(detail, Mapping):
        return Discovery(None, skipped="not a CloudTrail API call event: no detail object")
    operation = detail.get("eventName")
    service = _service_of(detail)
    if service is None or operation not in CALLS[service].operations:
        return Discovery(
            operation if isinstance(operation, str) else None,
            skipped=f"not a call statusmon watches: {detail.get('eventSource')!r} {operation!r}",
        )
    if detail.get("errorCode"):
        message = f": {detail['errorMessage']}" if detail.get("errorMessage") else ""
        return Discovery(
            operation,
            skipped=f"{operation} failed ({detail['errorCode']}{message}); it started nothing",
            failed_call=True,
        )
    try:
        since = _event_time(detail.get("eventTime"))
        entries = _ENTRIES[operation](detail, since)
    except _Unusable as exc:
        return Discovery(operation, skipped=f"{operation} event unusable: {exc}")
    # Unknown (None) stays: the watch places the resource by its Describe before recording it.
    excluded = [
        e.resource_arn for e in entries if filters.verdict(e.service, e.resource_arn, e.parent_arn) is False
    ]
    kept = [e for e in entries if e.resource_arn not in excluded]
    return Discovery(operation, entries=kept, excluded=excluded)


def _service_of(detail: Mapping[str, Any]) -> Service | None:
    for service, calls in CALLS.items():
        if detail.get("eventSource") == calls.event_source:
            return service
    return None


def _event_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise _Unusable("no eventTime")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Unusable(f"eventTime {value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _member(container: object, name: str, where: str) -> Any:
    """``container[name]`` in the API's spelling or with a lower-case first letter; None if absent."""
    if container is None:
        return None
    if not isinstance(container, Mapping):
        raise _Unusable(f"{where} is not an object")
    for key in (name, name[0].lower() + name[1:]):
        if key in container:
            return container[key]
    return None


def _required(container: object, name: str, where: str) -> str:
    value = _member(container, name, where)
    if not isinstance(value, str) or not value:
        raise _Unusable(f"no {name} in {where}")
    return value


def _entry(
    arn: str,
    service: Service,
    since: datetime,
    operation: str,
    *,
    parent_arn: str | None = None,
    distributed_with: str | None = None,
) -> WatchEntry:
    try:
        parsed = parse_resource_arn(arn)
    except MalformedArnError as exc:
        raise _Unusable(str(exc)) from None
    if parsed.service is not service:
        raise _Unusable(f"{arn!r} is not a {service.value} resource")
    return WatchEntry(
        service=service,
        resource_arn=parsed.arn,
        since=since,
        resource_type=parsed.resource_type,
        name=parsed.name,
        parent_arn=parent_arn,
        operation=operation,
        distributed_with=distributed_with,
        origin=WATCHED_BY_CLOUDTRAIL,
    )


def _create_dataset(detail: Mapping[str, Any], since: datetime) -> list[WatchEntry]:
    arn = _required(detail.get("responseElements"), "DatasetArn", "responseElements")
    project_arn = _member(detail.get("requestParameters"), "ProjectArn", "requestParameters")
    try:
        project_name_of(project_arn if isinstance(project_arn, str) else "")
    except MalformedArnError:
        # The watch leaves a dataset it cannot place in a project to the sweep; the entry still says
        # which operation started it.
        project_arn = None
    return [_entry(arn, Service.REKOGNITION, since, CREATE_DATASET, parent_arn=project_arn)]


def _update_dataset_entries(detail: Mapping[str, Any], since: datetime) -> list[WatchEntry]:
    arn = _required(detail.get("requestParameters"), "DatasetArn", "requestParameters")
    return [_entry(arn, Service.REKOGNITION, since, UPDATE_DATASET_ENTRIES)]


def _distribute_dataset_entries(detail: Mapping[str, Any], since: datetime) -> list[WatchEntry]:
    datasets = _member(detail.get("requestParameters"), "Datasets", "requestParameters")
    if not isinstance(datasets, list) or not datasets:
        raise _Unusable("no Datasets in requestParameters")
    arns = [_required(dataset, "Arn", "requestParameters.Datasets[]") for dataset in datasets]
    if len(set(arns)) != 2:
        raise _Unusable(f"expected the two datasets of a project (train and test), got {len(set(arns))}")
    first, second = arns[0], arns[1]
    return [
        _entry(first, Service.REKOGNITION, since, DISTRIBUTE_DATASET_ENTRIES, distributed_with=second),
        _entry(second, Service.REKOGNITION, since, DISTRIBUTE_DATASET_ENTRIES, distributed_with=first),
    ]


def _create_dataset_import_job(detail: Mapping[str, Any], since: datetime) -> list[WatchEntry]:
    arn = _required(detail.get("responseElements"), "DatasetImportJobArn", "responseElements")
    dataset_arn = _member(detail.get("requestParameters"), "DatasetArn", "requestParameters")
    parent = dataset_arn if isinstance(dataset_arn, str) and ":personalize:" in dataset_arn else None
    return [_entry(arn, Service.PERSONALIZE, since, CREATE_DATASET_IMPORT_JOB, parent_arn=parent)]


_ENTRIES = {
    CREATE_DATASET: _create_dataset,
    UPDATE_DATASET_ENTRIES: _update_dataset_entries,
    DISTRIBUTE_DATASET_ENTRIES: _distribute_dataset_entries,
    CREATE_DATASET_IMPORT_JOB: _create_dataset_import_job,
}
