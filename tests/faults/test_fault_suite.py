"""The fault suite's quick profile (part of `make test`); `make soak` runs the long one."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from statusmon.adapters import sns
from tests.faults.machine import StatusmonMachine

QUICK = settings(
    max_examples=12,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,  # the same runs on every machine: CI does not flake on a new random example
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def _local(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    # A fault is a fault: no botocore retries (and their sleeps) on the services' answers.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    sns._client.cache_clear()


def test_alerts_stay_exactly_once_under_random_changes_and_faults() -> None:
    run_state_machine_as_test(StatusmonMachine, settings=QUICK)
