"""The table's own clock, read from the Date header of its answers (what outbox leases go by)."""

from __future__ import annotations

import pytest

from statusmon.adapters import aws
from statusmon.adapters.aws import ServiceClock

# What botocore hands an after-call handler: the parsed answer with its HTTP headers.
ANSWER = {"ResponseMetadata": {"HTTPHeaders": {"date": "Tue, 24 Nov 2026 12:00:00 GMT"}}}
NOON = 1795521600.0  # 2026-11-24T12:00:00Z


class _Clocks:
    def __init__(self, wall: float, monotonic: float) -> None:
        self.wall, self.monotonic = wall, monotonic


@pytest.fixture
def clocks(monkeypatch: pytest.MonkeyPatch) -> _Clocks:
    # The process's own clocks: its wall clock three minutes ahead of the table's
    clocks = _Clocks(wall=NOON + 180, monotonic=1000.0)
    monkeypatch.setattr(aws.time, "time", lambda: clocks.wall)
    monkeypatch.setattr(aws.time, "monotonic", lambda: clocks.monotonic)
    return clocks


def test_the_time_is_the_answers_date_carried_forward_by_the_monotonic_clock(clocks: _Clocks) -> None:
    clock = ServiceClock()
    # Given no answer yet: no time to go by
    assert clock.now() is None
    # When an answer dated noon arrives, and 20 s pass on this process's clocks
    clock._on_answer(parsed=ANSWER)
    clocks.monotonic += 20
    clocks.wall += 20
    # Then the table's time is noon + 20 s, whatever this process's wall clock says
    assert clock.now() == NOON + 20


def test_an_old_reading_is_not_used(clocks: _Clocks) -> None:
    clock = ServiceClock(max_age=60)
    clock._on_answer(parsed=ANSWER)
    # When more than a minute passes on the monotonic clock, or the wall clock jumps (a paused process)
    clocks.monotonic += 61
    assert clock.now() is None
    clocks.monotonic -= 61
    clocks.wall += 3600
    # Then there is no time until the next answer
    assert clock.now() is None
    clock._on_answer(parsed=ANSWER)
    assert clock.now() == NOON


@pytest.mark.parametrize(
    "parsed",
    [
        None,
        {},
        {"ResponseMetadata": {"HTTPHeaders": {}}},
        {"ResponseMetadata": {"HTTPHeaders": {"date": "soon"}}},
    ],
)
def test_an_answer_without_a_usable_date_changes_nothing(clocks: _Clocks, parsed: object) -> None:
    clock = ServiceClock()
    clock._on_answer(parsed=parsed)
    assert clock.now() is None
