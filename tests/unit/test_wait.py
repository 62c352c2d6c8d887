"""`statusmon wait`'s loop, on a fake clock: what ends it, what it shows, what it survives."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from statusmon.adapters.errors import AccessDeniedError, NotFoundError, ThrottledError
from statusmon.cli import wait
from statusmon.cli.ids import Resolved
from statusmon.cli.render import Output
from statusmon.domain.arns import parse_resource_arn
from statusmon.domain.model import Observation, ResourceState, Transition
from tests.unit.factories import DATASET_ARN, NOW, dataset, state, transition

MISSING = (
    "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT: The manifest file extension or contents are invalid."
)


@dataclass
class Clock:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Table:
    """The status table as polls see it: each poll reads the next recorded state (the last one stays)."""

    states: Iterator[ResourceState | None]
    recorded: list[Transition]
    current: ResourceState | None = None

    def get(self, arn: str) -> ResourceState | None:
        self.current = next(self.states, self.current)
        return self.current

    def history(self, arn: str) -> list[Transition]:
        return [t for t in self.recorded if self.current and t.new.version <= self.current.version]


class Service:
    """A Describe that answers (or fails) as scripted, one answer per call; the last one stays."""

    def __init__(self, *answers: Observation | Exception) -> None:
        self.answers = list(answers)

    def describe(self, observation: Observation) -> Observation:
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def _run(follower: Any, *, timeout: float | None = None, new_only: bool = False) -> tuple[Any, str, str]:
    clock, out, said = Clock(), io.StringIO(), []
    stream = wait.Stream(Output.TEXT, said.append, interval=10, timeout=timeout, out=out, now=lambda: NOW)
    outcome, _ = wait.wait(
        follower,
        stream,
        interval=10,
        timeout=timeout,
        new_only=new_only,
        clock=lambda: clock.now,
        sleep=clock.sleep,
    )
    code = stream.finish(outcome, follower.current)
    return code, out.getvalue(), "\n".join(said)


def _records(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


def test_a_failure_faster_than_the_interval_shows_both_transitions_and_exits_1_with_the_hint() -> None:
    # Given a dataset in progress, which the monitor then records started and failed between two polls
    created = transition(dataset("CREATE_IN_PROGRESS"), version=1)
    failed = transition(
        dataset("CREATE_FAILED", reason=MISSING), previous_status="CREATE_IN_PROGRESS", version=3
    )
    updating = transition(dataset("UPDATE_IN_PROGRESS"), previous_status="CREATE_IN_PROGRESS", version=2)
    table = Table(iter([created.new, created.new, failed.new]), [created, updating, failed])
    # When `wait` follows it through the table
    code, out, err = _run(wait.TableFollower(table, Resolved(DATASET_ARN, created.new)))  # type: ignore[arg-type]
    # Then both transitions recorded since the last poll are shown, oldest first, then the outcome
    assert [r[0] for r in _records(out)] == ["state", "transition", "transition", "failed"]
    assert [r[3:5] for r in _records(out)[1:3]] == [
        ["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"],
        ["CREATE_IN_PROGRESS", "CREATE_FAILED"],
    ]
    # And it exits 1 with the reason and what to do about it
    assert code == 1
    assert f"statusmon: failed: shoes/train failed (CREATE_FAILED): {MISSING}" in err
    assert "what to do: Check that the manifest's S3 bucket" in err


def test_the_timeout_ends_the_wait_with_exit_2_and_never_sleeps_past_it() -> None:
    clock, said = Clock(), []
    in_progress = state(dataset("CREATE_IN_PROGRESS"))
    follower = wait.TableFollower(Table(iter([in_progress]), []), Resolved(DATASET_ARN, in_progress))  # type: ignore[arg-type]
    stream = wait.Stream(Output.TABLE, said.append, interval=10, timeout=25, out=io.StringIO())
    outcome, _ = wait.wait(
        follower, stream, interval=10, timeout=25, clock=lambda: clock.now, sleep=clock.sleep
    )
    assert (outcome, outcome.exit_code) == (wait.Outcome.TIMEOUT, 2)
    assert clock.slept == [10, 10, 5]
    stream.finish(outcome, follower.current)
    assert said[-1] == "statusmon: timeout: shoes/train is still CREATE_IN_PROGRESS after 25 s (--timeout)"


def test_a_settled_resource_ends_the_wait_at_once_unless_new_is_asked_for() -> None:
    complete = state(dataset("CREATE_COMPLETE"))
    # Without --new: its state now is the answer
    code, out, _ = _run(wait.TableFollower(Table(iter([complete]), []), Resolved(DATASET_ARN, complete)))  # type: ignore[arg-type]
    assert (code, [r[0] for r in _records(out)]) == (0, ["state", "complete"])
    # With --new: only the update recorded after the start ends it
    updated = transition(dataset("UPDATE_COMPLETE"), previous_status="CREATE_COMPLETE", version=2)
    table = Table(iter([complete, complete, updated.new]), [updated])
    code, out, _ = _run(wait.TableFollower(table, Resolved(DATASET_ARN, complete)), new_only=True)  # type: ignore[arg-type]
    assert (code, _records(out)[-1][4]) == (0, "UPDATE_COMPLETE")


def test_direct_mode_warns_once_about_a_failing_describe_and_keeps_waiting() -> None:
    throttled = ThrottledError("DescribeDataset: throttled by AWS (ThrottlingException)")
    source = Service(dataset("CREATE_IN_PROGRESS"), throttled, throttled, dataset("CREATE_COMPLETE"))
    code, out, err = _run(wait.DirectFollower(source, parse_resource_arn(DATASET_ARN), now=lambda: NOW))
    assert code == 0
    assert _records(out)[1][3:5] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert err.count("warning: DescribeDataset: throttled") == 1


def test_direct_mode_stops_at_access_denied() -> None:
    source = Service(dataset("CREATE_IN_PROGRESS"), AccessDeniedError("DescribeDataset: access denied"))
    with pytest.raises(AccessDeniedError):
        _run(wait.DirectFollower(source, parse_resource_arn(DATASET_ARN), now=lambda: NOW))


def test_direct_mode_a_resource_the_service_stops_finding_was_deleted() -> None:
    source = Service(dataset("UPDATE_IN_PROGRESS"), NotFoundError("DescribeDataset: not found"))
    code, out, err = _run(wait.DirectFollower(source, parse_resource_arn(DATASET_ARN), now=lambda: NOW))
    assert (code, _records(out)[-1][0]) == (1, "deleted")
    assert "shoes/train was deleted (DELETED)" in err


def test_a_status_outside_the_vocabulary_does_not_end_the_wait() -> None:
    source = Service(dataset("CREATE_IN_PROGRESS"), dataset("CREATE_QUEUED"), dataset("CREATE_COMPLETE"))
    code, out, err = _run(wait.DirectFollower(source, parse_resource_arn(DATASET_ARN), now=lambda: NOW))
    assert code == 0
    assert [r[4] for r in _records(out)] == [
        "CREATE_IN_PROGRESS",
        "CREATE_QUEUED",
        "CREATE_COMPLETE",
        "CREATE_COMPLETE",
    ]
    assert "status 'CREATE_QUEUED' is not in statusmon's vocabulary: waiting on" in err
