"""Small builders for domain objects used across the unit tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from statusmon.domain.model import Observation, ResourceState, Transition
from statusmon.domain.vocabulary import ResourceType, Service

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DATASET_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/shoes/dataset/train/1690476084535"
JOB_ARN = "arn:aws:personalize:eu-west-1:123456789012:dataset-import-job/interactions-2026-11-24"


def dataset(status: str, *, arn: str = DATASET_ARN, **kwargs: Any) -> Observation:
    return Observation(Service.REKOGNITION, ResourceType.DATASET, arn, "shoes/train", status, **kwargs)


def job(status: str, *, arn: str = JOB_ARN, **kwargs: Any) -> Observation:
    return Observation(
        Service.PERSONALIZE, ResourceType.DATASET_IMPORT_JOB, arn, "interactions-2026-11-24", status, **kwargs
    )


def state(observation: Observation, version: int = 1) -> ResourceState:
    return ResourceState.from_observation(observation, observed_at=NOW, version=version)


def transition(
    observation: Observation,
    *,
    previous_status: str | None = None,
    baseline: bool = False,
    version: int = 2,
) -> Transition:
    return Transition(
        new=state(observation, version),
        previous_status=previous_status,
        previous_reason=None,
        previous_version=version - 1,
        detected_at=NOW,
        baseline=baseline,
    )
