"""Emulator settings: identity, lifecycle durations and service limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_DURATIONS: dict[str, float] = {
    "rekognition_dataset_create": 3.0,
    "rekognition_dataset_update": 3.0,
    "rekognition_dataset_distribute": 3.0,
    "personalize_dataset_group_create": 1.0,
    "personalize_dataset_create": 1.0,
    "personalize_import_pending": 2.0,
    "personalize_import_in_progress": 5.0,
}


def merge_durations(overrides: Mapping[str, float] | None) -> dict[str, float]:
    durations = dict(DEFAULT_DURATIONS)
    for name, seconds in (overrides or {}).items():
        if name not in durations:
            raise ValueError(f"unknown duration {name!r}; known: {', '.join(sorted(durations))}")
        if seconds < 0:
            raise ValueError(f"duration {name!r} must not be negative")
        durations[name] = float(seconds)
    return durations


@dataclass
class Settings:
    region: str = "us-east-1"
    account_id: str = "123456789012"
    durations: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_DURATIONS))
    # Personalize quota: pending or in-progress dataset import jobs per region.
    max_active_import_jobs: int = 5
    # Custom Labels quotas (images per dataset; manifest file size).
    max_entries_per_dataset: int = 250_000
    max_manifest_bytes: int = 1024 * 1024 * 1024
