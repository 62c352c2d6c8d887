"""The status vocabulary of both services: the one place that interprets status strings.

Statuses are stored exactly as the service returns them (Personalize spells them with spaces,
``CREATE FAILED``); everything else asks this module what a status means.
"""

from __future__ import annotations

from enum import StrEnum


class Service(StrEnum):
    REKOGNITION = "rekognition"
    PERSONALIZE = "personalize"


class ResourceType(StrEnum):
    DATASET = "dataset"
    DATASET_IMPORT_JOB = "dataset_import_job"


class Phase(StrEnum):
    IN_FLIGHT = "in_flight"
    COMPLETE = "complete"
    FAILED = "failed"
    DELETED = "deleted"
    UNKNOWN = "unknown"


# Our own marker for a resource that vanished from a complete listing; neither service uses it.
DELETED = "DELETED"

_PHASES: dict[Service, dict[str, Phase]] = {
    # Rekognition DescribeDataset / DescribeProjects DatasetMetadata.Status
    Service.REKOGNITION: {
        "CREATE_IN_PROGRESS": Phase.IN_FLIGHT,
        "CREATE_COMPLETE": Phase.COMPLETE,
        "CREATE_FAILED": Phase.FAILED,
        "UPDATE_IN_PROGRESS": Phase.IN_FLIGHT,
        "UPDATE_COMPLETE": Phase.COMPLETE,
        "UPDATE_FAILED": Phase.FAILED,
        "DELETE_IN_PROGRESS": Phase.IN_FLIGHT,
        DELETED: Phase.DELETED,
    },
    # Personalize DatasetImportJob.status, spaces included
    Service.PERSONALIZE: {
        "CREATE PENDING": Phase.IN_FLIGHT,
        "CREATE IN_PROGRESS": Phase.IN_FLIGHT,
        "ACTIVE": Phase.COMPLETE,
        "CREATE FAILED": Phase.FAILED,
        "DELETE PENDING": Phase.IN_FLIGHT,
        "DELETE IN_PROGRESS": Phase.IN_FLIGHT,
        DELETED: Phase.DELETED,
    },
}


def phase(service: Service, status: str | None) -> Phase:
    """What ``status`` means for ``service``; an unknown status is :attr:`Phase.UNKNOWN`."""
    if status is None:
        return Phase.UNKNOWN
    return _PHASES[service].get(status, Phase.UNKNOWN)


def is_failed(service: Service, status: str | None) -> bool:
    return phase(service, status) is Phase.FAILED
