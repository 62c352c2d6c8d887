"""A progress line for steps that take a while (a sweep): at a terminal only, after a second.

It goes to stderr, is rewritten in place (``\\r``) every half second with the time so far, and is
erased when the step ends, so what the command prints afterwards starts on a clean line. Piped or
redirected (a CI log, ``2>file``), nothing is written: a log has no use for a ticking line.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import IO

AFTER_SECONDS = 1.0
EVERY_SECONDS = 0.5


class Progress:
    def __init__(
        self,
        label: str,
        stream: IO[str] | None = None,
        *,
        after: float = AFTER_SECONDS,
        every: float = EVERY_SECONDS,
    ) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.after, self.every = after, every
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._width = 0

    def __enter__(self) -> Progress:
        if self.stream.isatty():
            self._thread = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            if self._width:
                self._write("\r" + " " * self._width + "\r")

    def _tick(self) -> None:
        started = time.monotonic()
        if self._done.wait(self.after):
            return
        while not self._done.is_set():
            line = f"{self.label}… {time.monotonic() - started:.0f} s"
            self._write("\r" + line.ljust(self._width))
            self._width = max(self._width, len(line))
            self._done.wait(self.every)

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
