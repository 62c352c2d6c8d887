"""A controllable clock: wall time plus an offset, optionally frozen."""

from __future__ import annotations

import threading
import time


class Clock:
    """Epoch seconds that tests move forward instantly.

    A flowing clock follows real time plus the advanced offset (handy for interactive use);
    a frozen clock only moves when advanced, so tests are deterministic.
    """

    def __init__(self, frozen: bool = False, start: float | None = None) -> None:
        self._frozen = frozen
        self._start = time.time() if start is None else start
        self._mono0 = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def frozen(self) -> bool:
        return self._frozen

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        elapsed = 0.0 if self._frozen else time.monotonic() - self._mono0
        return self._start + elapsed + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()
