"""Shared fixtures: fake credentials for every test, and one moto server per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from statusmon_local.services import moto_server

# Every test runs with fake credentials and a region, never a real account.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "statusmon",
        "POWERTOOLS_SERVICE_NAME": "statusmon",
        "POWERTOOLS_DEV": "0",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    }
)
for _name in list(os.environ):
    if _name.startswith(("AWS_ENDPOINT_URL", "AWS_PROFILE", "STATUSMON_")):
        del os.environ[_name]


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto server (DynamoDB + streams, SNS, SQS, S3, CloudFormation) on a free loopback port."""
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def emulator(moto_url: str) -> Iterator[Any]:
    """The Rekognition/Personalize emulator, its S3 reads going to moto, on a frozen clock."""
    from statusmon_emulator import Emulator

    with Emulator(s3_endpoint_url=moto_url, frozen_clock=True) as emu:
        yield emu
