"""The fault suite's quick-operation rule and its invariant, driven step by step: an update that starts
and ends between two looks, reported by CloudTrail or not, is recorded by the next settle point (its
sweeps' deep check, its watch run), and a machine whose statusmon misses it fails as "lost"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from statusmon.adapters import sns
from statusmon.domain.vocabulary import Phase, Service, phase
from tests.faults.machine import TALLY, StatusmonMachine


@pytest.fixture(autouse=True)
def _local(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    sns._client.cache_clear()


@pytest.fixture
def machine() -> Iterator[StatusmonMachine]:
    # Three complete datasets, baselined at once, each in a bucket of its own
    subject = StatusmonMachine()
    subject.start(seed=1, population=[("rekognition", "complete")] * 3, baseline_first=True, buckets=256)
    yield subject
    subject.teardown()


@pytest.mark.parametrize("reported", [True, False], ids=["reported by CloudTrail", "not reported"])
def test_an_update_between_two_looks_is_recorded_at_the_next_settle_point(
    machine: StatusmonMachine, reported: bool
) -> None:
    checked, lost = TALLY.quick_operations_checked, TALLY.lost
    # Given an update of a complete dataset that settles in the status it had, before any look
    machine.quick_operation(0, "same", reported)
    [(arn, episode)] = machine.quick.items()
    assert phase(Service.REKOGNITION, episode.status) is Phase.COMPLETE
    # When the machine reaches its next settle point (clean sweeps with a deep check, a watch run)
    machine.steps_since_settle = 6
    machine.settle()
    # Then the invariant checked it, and the table's history has the update at its timestamp
    assert (TALLY.quick_operations_checked - checked, TALLY.lost - lost) == (1, 0)
    [last] = machine.store.history(arn)[-1:]
    assert (last.previous_status, last.new.status) == (episode.status, episode.status)
    assert last.new.updated_at is not None
    assert last.new.updated_at.timestamp() == episode.updated_at
