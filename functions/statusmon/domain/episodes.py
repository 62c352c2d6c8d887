"""statusmon's own failures as the failure summariser keeps them (rules in :mod:`statusmon.logic.ops`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# At most one message per function in this long (logic.ops).
SUMMARY_INTERVAL = timedelta(hours=1)
# The last error as kept and sent: room for a long message, not for a whole stack trace.
_ERROR_CHARS = 2000


@dataclass(frozen=True)
class FailureRecord:
    """What Lambda says of one failed asynchronous invocation (its "invocation record")."""

    function_arn: str  # unqualified
    function_name: str
    region: str
    at: datetime
    condition: str  # RetriesExhausted, EventAgeExceeded
    request_id: str
    attempts: int
    error_type: str | None = None
    error_message: str | None = None

    @property
    def error(self) -> str:
        """The error in one line: type and message, or why Lambda gave up without one."""
        if self.error_type and self.error_message:
            text = f"{self.error_type}: {self.error_message}"
        else:
            text = self.error_message or self.error_type or _CONDITIONS.get(self.condition, self.condition)
        text = " ".join(text.split())
        return text if len(text) <= _ERROR_CHARS else text[: _ERROR_CHARS - 3] + "..."


_CONDITIONS = {
    "RetriesExhausted": "the run failed after its retries (no error message recorded)",
    "EventAgeExceeded": "the event waited past its maximum age and was dropped without a run",
}


@dataclass(frozen=True)
class Episode:
    """One function's failures since it last worked (``OPS`` / ``<function>`` in the table)."""

    function: str
    function_arn: str
    region: str
    first_at: datetime
    last_at: datetime
    failures: int
    last_error: str
    last_request_id: str
    # The last message about this function, of any kind, and the failure count it reported.
    told_at: datetime | None = None
    told_failures: int = 0
    # False once its recovery was told; kept a while so that a failure soon after waits its hour.
    open: bool = True
    # Optimistic concurrency: the version read (0: not stored yet).
    version: int = 0

    @property
    def untold(self) -> int:
        return self.failures - self.told_failures
