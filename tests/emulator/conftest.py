"""Fixtures: one emulator per session on a frozen clock, reset before every test, and real clients."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from statusmon_emulator import Emulator

REGION = "us-east-1"
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="session")
def _session_emulator(moto_url: str) -> Iterator[Emulator]:
    with Emulator(s3_endpoint_url=moto_url, frozen_clock=True, seed=7) as emu:
        yield emu


@pytest.fixture
def emu(_session_emulator: Emulator) -> Emulator:
    _session_emulator.reset()
    return _session_emulator


@pytest.fixture(scope="session")
def _clients(_session_emulator: Emulator, moto_url: str) -> dict[str, Any]:
    url = _session_emulator.url
    return {
        "rekognition": boto3.client("rekognition", endpoint_url=url, region_name=REGION, config=NO_RETRIES),
        "personalize": boto3.client("personalize", endpoint_url=url, region_name=REGION, config=NO_RETRIES),
        "s3": boto3.client("s3", endpoint_url=moto_url, region_name=REGION),
    }


@pytest.fixture
def rek(emu: Emulator, _clients: dict[str, Any]) -> Any:
    return _clients["rekognition"]


@pytest.fixture
def per(emu: Emulator, _clients: dict[str, Any]) -> Any:
    return _clients["personalize"]


@pytest.fixture
def s3(_clients: dict[str, Any]) -> Any:
    return _clients["s3"]


_BUCKETS = itertools.count(1)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"emulator-test-{next(_BUCKETS)}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep boto3's retry decisions but skip its sleeps, so retry tests stay fast."""
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
