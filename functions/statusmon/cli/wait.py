"""``statusmon wait``: block until one resource settles, showing each transition as it happens.

Where the states come from (a *follower*):

* the status table (the default): one GetItem of the resource's state every interval (half a read
  unit); only when its version moved, one Query of its history, so that every transition since the
  last poll is shown, even an ``IN_PROGRESS`` → ``FAILED`` faster than the interval. It sees what
  the monitor recorded: within a minute of the change with the hot watch deployed, within a sweep
  otherwise. A resource given by ARN that the table does not know yet is waited for: the monitor
  records it at its next sweep;
* the status table, swept by the command itself before each read (``--sweep``, the default when
  the table is on a local endpoint: nothing deployed sweeps it there, and a user expects ``wait``
  to end when the job ends, not to time out). One sweep of the resource's service per interval,
  the code `statusmon sweep` runs, alerts delivered; a first sweep of every service before the id
  is resolved, so that a resource created a moment ago has one;
* the service itself (``--direct``): one Describe call every interval, no table needed. A failing
  call is a warning and the next poll tries again, except what asking again cannot mend: access
  denied, credentials, region or endpoint. A resource the service stops finding, after it was
  found, was deleted.

What ends the wait is the resource's phase (:mod:`statusmon.domain.vocabulary`): complete (exit 0),
failed (exit 1, with the reason and the hints catalogue's advice), deleted (exit 1: it will never
complete), or the timeout (exit 2). A status outside the vocabulary does not end it: it may be a new
in-flight status, and the timeout bounds the wait. A resource already settled ends the wait at
once, unless ``--new``: then only a transition after the start does (for an update of a dataset
that was complete).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import IO, Any, Protocol

from statusmon.adapters import aws
from statusmon.adapters.errors import AccessDeniedError, AwsError, EnvironmentProblemError, NotFoundError
from statusmon.adapters.personalize import PersonalizeSource
from statusmon.adapters.rekognition import RekognitionSource
from statusmon.adapters.store import StatusStore
from statusmon.domain import hints
from statusmon.domain.arns import ResourceArn
from statusmon.domain.model import Observation, ResourceState, Transition, iso, utcnow
from statusmon.domain.vocabulary import DELETED, Phase, Service
from statusmon.logic.changes import is_change

from . import render, timefmt
from .ids import Resolved, short_id
from .render import Output

DEFAULT_INTERVAL = 10.0


class Outcome(StrEnum):
    COMPLETE = "complete"
    FAILED = "failed"
    DELETED = "deleted"
    TIMEOUT = "timeout"

    @property
    def exit_code(self) -> int:
        return {Outcome.COMPLETE: 0, Outcome.TIMEOUT: 2}.get(self, 1)


_SETTLED = {Phase.COMPLETE: Outcome.COMPLETE, Phase.FAILED: Outcome.FAILED, Phase.DELETED: Outcome.DELETED}
# Failures that asking again will not mend: they end the wait (exit 1) instead of a warning.
FATAL = (AccessDeniedError, EnvironmentProblemError, NotFoundError)


class Follower(Protocol):
    arn: str
    # Where the states come from, for the first line ("the status table", "DescribeDataset").
    reads: str
    # What becomes of a resource the table does not hold yet (table followers only).
    absent: str

    def start(self) -> ResourceState | None:
        """The state now (None: not known yet)."""
        ...

    def poll(self) -> list[Transition]:
        """The transitions since the last call, oldest first."""
        ...


class TableFollower:
    reads = "the status table"
    absent = "the monitor records it at its next sweep"

    def __init__(self, store: StatusStore, resolved: Resolved) -> None:
        self.store = store
        self.arn = resolved.arn
        self.current = resolved.state

    def start(self) -> ResourceState | None:
        # The id was resolved from a whole-table read (or not read at all, for an ARN): read it again.
        self.current = self.store.get(self.arn)
        return self.current

    def poll(self) -> list[Transition]:
        state = self.store.get(self.arn)
        seen = self.current.version if self.current else 0
        if state is None or state.version <= seen:
            return []
        new = [t for t in self.store.history(self.arn) if t.new.version > seen]
        if not new or new[-1].new.version < state.version:
            # History past its retention, or not readable yet: the state says where it is now.
            before = new[-1].new if new else self.current
            new.append(
                Transition(
                    new=state,
                    previous_status=before.status if before else None,
                    previous_reason=before.reason if before else None,
                    previous_version=before.version if before else 0,
                    detected_at=state.observed_at or utcnow(),
                )
            )
        self.current = state
        return new


class SweepingFollower:
    """The status table, swept by this command before each read: against a local endpoint no
    deployed monitor sweeps it, and a wait would otherwise never see the resource settle. The
    sweep is the one `statusmon sweep` runs (the Lambdas' code), of the resource's service only."""

    reads = "the status table after a sweep (a local endpoint: nothing else sweeps it)"
    absent = "this sweep did not find it; a later one records it once the service lists it"

    def __init__(self, table: TableFollower, sweep: Callable[[], None]) -> None:
        self.table = table
        self.sweep = sweep
        self.arn = table.arn

    def start(self) -> ResourceState | None:
        # The caller swept already, to resolve the id against a table that is up to date.
        return self.table.start()

    def poll(self) -> list[Transition]:
        self.sweep()
        return self.table.poll()


class DirectFollower:
    def __init__(self, source: Any, arn: ResourceArn, now: Callable[[], datetime] = utcnow) -> None:
        self.source = source
        self.arn = arn.arn
        self.reads = f"{_DESCRIBE[arn.service]} (--direct)"
        self.absent = "the service does not know it"
        self.now = now
        self.asked = Observation(
            service=arn.service,
            resource_type=arn.resource_type,
            resource_arn=arn.arn,
            name=arn.name,
            status="",
        )
        self.current: ResourceState | None = None

    @classmethod
    def of(cls, arn: ResourceArn) -> DirectFollower:
        # The resource's own region, whatever the default: that is where the service knows it.
        client = aws.client(arn.service.value, region=arn.region)
        if arn.service is Service.REKOGNITION:
            return cls(RekognitionSource(client=client), arn)
        return cls(PersonalizeSource(client=client), arn)

    def start(self) -> ResourceState | None:
        observed = self.source.describe(self.asked)
        self.current = ResourceState.from_observation(observed, observed_at=self.now(), version=1)
        return self.current

    def poll(self) -> list[Transition]:
        known = self.current
        if known is None:
            return []
        try:
            observed = self.source.describe(self.asked)
        except NotFoundError:
            observed = replace(self.asked, status=DELETED, reason="the service no longer finds it")
        if not is_change(observed, known):
            return []
        now = self.now()
        state = ResourceState.from_observation(observed, observed_at=now, version=known.version + 1)
        self.current = state
        return [Transition(state, known.status, known.reason, known.version, detected_at=now)]


_DESCRIBE = {Service.REKOGNITION: "DescribeDataset", Service.PERSONALIZE: "DescribeDatasetImportJob"}


class Show(Protocol):
    def start(self, follower: Follower, state: ResourceState | None) -> None: ...
    def transition(self, transition: Transition) -> None: ...
    def warning(self, text: str) -> None: ...


def wait(
    follower: Follower,
    show: Show,
    *,
    interval: float = DEFAULT_INTERVAL,
    timeout: float | None = None,
    new_only: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Outcome, ResourceState | None]:
    """Follow the resource until it settles or ``timeout`` seconds pass (None: no limit)."""
    started = clock()
    state = follower.start()
    show.start(follower, state)
    settled = _settled(state, show)
    if settled and not new_only:
        return settled, state
    while True:
        left = None if timeout is None else timeout - (clock() - started)
        if left is not None and left <= 0:
            return Outcome.TIMEOUT, state
        sleep(interval if left is None else min(interval, left))
        try:
            transitions = follower.poll()
        except FATAL:
            raise
        except AwsError as exc:
            show.warning(f"{exc} (trying again in {timefmt.duration(interval)})")
            continue
        for transition in transitions:
            show.transition(transition)
        if transitions:
            state = transitions[-1].new
            if settled := _settled(state, show):
                return settled, state


def _settled(state: ResourceState | None, show: Show) -> Outcome | None:
    if state is None:
        return None
    if state.phase is Phase.UNKNOWN:
        show.warning(
            f"status {state.status!r} is not in statusmon's vocabulary: waiting on (--timeout ends it)"
        )
    return _SETTLED.get(state.phase)


class Stream:
    """What ``wait`` prints, in the chosen output form: the states and transitions on stdout (a
    table's lines, JSON Lines, or tab-separated records), the rest on stderr for people."""

    def __init__(
        self,
        output: Output,
        say: Callable[[str], None],
        *,
        interval: float,
        timeout: float | None,
        out: IO[str] | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.output = output
        self.say = say
        self.interval, self.timeout = interval, timeout
        self.out = out or sys.stdout
        self.now = now
        self.started = now()
        self.name: str | None = None
        self.arn = ""
        self._last_warning: str | None = None

    def start(self, follower: Follower, state: ResourceState | None) -> None:
        self.arn = follower.arn
        self._name(state)
        every = timefmt.duration(self.interval)
        limit = f"for at most {timefmt.duration(self.timeout)}" if self.timeout else "no timeout"
        self.say(f"waiting for {self.label}: reading {follower.reads} every {every}, {limit}")
        if state is None:
            self.say(f"  {self.arn} is not in the status table yet: {follower.absent}")
            return
        at = state.updated_at or state.observed_at
        if self.output is Output.JSON:
            self._line(json.dumps({"event": "state", **render.state_record(state)}))
        elif self.output is Output.TEXT:
            self._line(render.text([["state", iso(at), self.label, None, state.status, state.reason]]))
        else:
            when = timefmt.local_with_age(at, self.now())
            self._line(_row(when, self.label, state.status, state.reason))

    def transition(self, transition: Transition) -> None:
        self._name(transition.new)
        new = transition.new
        if self.output is Output.JSON:
            record = {"event": "transition", "id": self.label, "resource_arn": self.arn}
            self._line(json.dumps(record | render.history_record(transition)))
        elif self.output is Output.TEXT:
            fields = ["transition", iso(transition.detected_at), self.label, transition.previous_status]
            self._line(render.text([[*fields, new.status, new.reason]]))
        else:
            change = f"{transition.previous_status or '-'} → {new.status}"
            self._line(_row(timefmt.local(transition.detected_at), self.label, change, new.reason))

    def warning(self, text: str) -> None:
        if text != self._last_warning:  # one line per new problem, not one per poll
            self.say(f"  warning: {text}")
        self._last_warning = text

    def finish(self, outcome: Outcome, state: ResourceState | None) -> int:
        """The verdict: the outcome record on stdout (JSON and text), a line or three on stderr."""
        known = hints.find(state.service, state.status, state.reason, state.details) if state else None
        status, reason = (state.status, state.reason) if state else (None, None)
        if self.output is Output.JSON:
            record = {
                "event": "outcome",
                "outcome": outcome.value,
                "id": self.label,
                "resource_arn": self.arn,
                "status": status,
                "reason": reason,
                "hint": known.hint if known else None,
                "docs_url": known.docs_url if known else None,
                "waited_seconds": round((self.now() - self.started).total_seconds(), 1),
            }
            self._line(json.dumps(record))
        elif self.output is Output.TEXT:
            self._line(render.text([[outcome.value, iso(self.now()), self.label, None, status, reason]]))
        if outcome is Outcome.COMPLETE:
            self.say(f"done: {self.label} is {status}")
        elif outcome is Outcome.TIMEOUT:
            now = f"is still {status}" if status else "is not in the status table yet"
            waited = timefmt.duration(self.timeout or 0)
            self.say(f"statusmon: timeout: {self.label} {now} after {waited} (--timeout)")
        else:
            gone = "was deleted" if outcome is Outcome.DELETED else "failed"
            why = reason or "no reason given"
            self.say(f"statusmon: {outcome.value}: {self.label} {gone} ({status}): {why}")
            if known:
                self.say(f"  what to do: {known.hint}")
                self.say(f"  {known.docs_url}")
        return outcome.exit_code

    @property
    def label(self) -> str:
        return self.name or self.arn

    def _name(self, state: ResourceState | None) -> None:
        # A Personalize job's id needs its dataset, which a first Describe may be the one to tell.
        if state is not None:
            self.name = render.clean(short_id(state))

    def _line(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def _row(when: str, label: str, status: str, reason: str | None) -> str:
    return "  ".join(part for part in (when, label, render.clean(status), render.clean(reason or "")) if part)


def seconds(text: str) -> float:
    """An argparse type: ``--interval 30``, ``--timeout 2h``."""
    try:
        return timefmt.parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: seconds (90), or with a unit (90s, 15m, 2h), up to 30 days"
        ) from None
