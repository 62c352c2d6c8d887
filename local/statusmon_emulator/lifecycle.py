"""Lazily evaluated status timelines.

A resource holds its current state and a queue of scheduled steps. Nothing runs in the
background: whoever reads the resource first calls ``settle(now)``, which applies every step
that is due, in order, at the step's own time. Moving the clock is therefore instant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Step:
    at: float
    state: dict[str, Any]
    apply: Callable[[], None] | None = None


class Lifecycle:
    def __init__(self, at: float, state: dict[str, Any]) -> None:
        self.state: dict[str, Any] = dict(state)
        self.updated = at
        self._steps: deque[Step] = deque()

    @property
    def busy(self) -> bool:
        return bool(self._steps)

    def set(self, at: float, state: dict[str, Any]) -> None:
        self.state.update(state)
        self.updated = at

    def schedule(self, at: float, state: dict[str, Any], apply: Callable[[], None] | None = None) -> None:
        last = self._steps[-1].at if self._steps else self.updated
        self._steps.append(Step(max(at, last), state, apply))

    def settle(self, now: float) -> dict[str, Any]:
        while self._steps and self._steps[0].at <= now:
            step = self._steps.popleft()
            if step.apply is not None:
                step.apply()
            self.set(step.at, step.state)
        return self.state
