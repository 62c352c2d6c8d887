"""Shared fixtures: fake credentials for every test, and one moto server per test session."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from statusmon_local.services import free_port, moto_server

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


@contextmanager
def moto_process(host: str = "localhost") -> Iterator[str]:
    """A moto server in a process of its own, for a test that deploys a stack into it.

    moto's backends are global to a process: a stack deployed into an in-process server would be
    seen by every other in-process server (its rule on the default bus, with a Lambda target, makes
    moto's PutEvents fail for the tests after it). CloudFormation wants "localhost", not 127.0.0.1
    (moto reads "127" in a template URL as a bucket name).
    """
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server on port {port} did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
