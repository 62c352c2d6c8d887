"""Fault injection as boto3 sees it: throttling and 5xx retried, latency, reproducibility."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from statusmon_emulator import Emulator
from statusmon_emulator.faults import FaultInjector, FaultSpec
from tests.emulator.helpers import error_code

RETRYING = Config(retries={"mode": "standard", "max_attempts": 10})


@pytest.mark.usefixtures("no_backoff")
def test_retrying_client_succeeds_despite_30_percent_throttling(emu: Emulator) -> None:
    # Given 30% throttling on DescribeProjects and a client with standard retries
    emu.seed(rekognition={"projects": [{"name": f"p{i}"} for i in range(5)]})
    emu.set_faults(operation="DescribeProjects", throttle_rate=0.3)
    client = boto3.client("rekognition", endpoint_url=emu.url, region_name="us-east-1", config=RETRYING)

    # When 40 calls are made
    results = [client.describe_projects() for _ in range(40)]

    # Then every call succeeded, and the call counts show the retries
    assert all(len(r["ProjectDescriptions"]) == 5 for r in results)
    retries = sum(r["ResponseMetadata"]["RetryAttempts"] for r in results)
    assert retries > 0
    assert emu.call_counts()["rekognition:DescribeProjects"] == 40 + retries


@pytest.mark.usefixtures("no_backoff")
def test_server_errors_are_5xx_and_retried(emu: Emulator, per: Any) -> None:
    # Given 50% server errors on every operation
    emu.set_faults(error_rate=0.5)
    client = boto3.client("personalize", endpoint_url=emu.url, region_name="us-east-1", config=RETRYING)

    # When a retrying client and a non-retrying client list import jobs
    for _ in range(10):
        client.list_dataset_import_jobs()
    failures = []
    for _ in range(10):
        try:
            per.list_dataset_import_jobs()
        except ClientError as exc:
            failures.append(exc.response)

    # Then the retrying client always got through, the other saw 500 InternalFailure
    assert failures
    assert {f["ResponseMetadata"]["HTTPStatusCode"] for f in failures} == {500}
    assert {f["Error"]["Code"] for f in failures} == {"InternalFailure"}


def test_throttling_is_http_400_with_the_throttling_code(emu: Emulator, rek: Any) -> None:
    # Given every Rekognition DescribeProjects call throttled
    emu.set_faults(operation="rekognition:DescribeProjects", throttle_rate=1.0)

    # When a non-retrying client calls it
    with pytest.raises(ClientError) as excinfo:
        rek.describe_projects()

    # Then boto3 sees ThrottlingException over HTTP 400, with the error type header
    response = excinfo.value.response
    assert error_code(excinfo) == "ThrottlingException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ThrottlingException"


def test_specific_fault_wins_and_clear_faults_removes_all(emu: Emulator, rek: Any, per: Any) -> None:
    # Given a global throttle and a fault-free override for one operation
    emu.set_faults(throttle_rate=1.0)
    emu.set_faults(operation="ListDatasetImportJobs", throttle_rate=0.0)

    # When both services are called, then faults are cleared
    per.list_dataset_import_jobs()
    with pytest.raises(ClientError):
        rek.describe_projects()
    emu.clear_faults()
    rek.describe_projects()

    # Then only the overridden operation passed while the faults were set
    assert emu.call_counts() == {"personalize:ListDatasetImportJobs": 1, "rekognition:DescribeProjects": 2}


def test_latency_is_added(emu: Emulator, rek: Any) -> None:
    # Given 30 ms of latency on DescribeProjects
    emu.set_faults(operation="DescribeProjects", latency_ms=30)

    # When it is called
    started = time.perf_counter()
    rek.describe_projects()
    elapsed = time.perf_counter() - started

    # Then the answer took at least that long
    assert elapsed >= 0.03


def test_the_same_seed_gives_the_same_faults() -> None:
    # Given two injectors with the same seed and one with another
    def draws(seed: int) -> list[str | None]:
        injector = FaultInjector(seed)
        injector.set(None, FaultSpec(throttle_rate=0.3, error_rate=0.2))
        return [injector.decide("rekognition", "DescribeProjects").outcome for _ in range(50)]

    # When each decides 50 calls
    # Then equal seeds agree and a different seed differs
    assert draws(1) == draws(1)
    assert draws(1) != draws(2)
    assert {"throttle", "error", None} == set(draws(1))


def test_fault_specs_are_validated() -> None:
    # Given / When / Then rates outside 0..1 and negative latency are refused
    with pytest.raises(ValueError, match="throttle_rate"):
        FaultSpec(throttle_rate=1.5)
    with pytest.raises(ValueError, match="latency_ms"):
        FaultSpec(latency_ms=-1)
