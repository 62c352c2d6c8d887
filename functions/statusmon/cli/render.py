"""Text and JSON views of current states and histories for the statusmon command.

Everything shown as text goes through :func:`clean`: reasons, names and messages come from the
services and could carry terminal escape sequences. JSON output is safe as it is (``json.dumps``
escapes control characters).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from statusmon.domain import hints
from statusmon.domain.model import ResourceState, Transition, iso


def state_record(state: ResourceState) -> dict[str, Any]:
    return {
        "resource_arn": state.resource_arn,
        "service": state.service.value,
        "resource_type": state.resource_type.value,
        "name": state.name,
        "parent_arn": state.parent_arn,
        "status": state.status,
        "reason": state.reason,
        # When the service says the resource last changed; when we saw the change if it does not say.
        "updated_at": iso(state.updated_at or state.observed_at),
        "observed_at": iso(state.observed_at),
        "version": state.version,
        "details": state.details,
    }


def _hint(transition: Transition) -> hints.Hint | None:
    state = transition.new
    return hints.find(state.service, state.status, state.reason, state.details)


def history_record(transition: Transition) -> dict[str, Any]:
    known = _hint(transition)
    return {
        "version": transition.new.version,
        "status": transition.new.status,
        "previous_status": transition.previous_status,
        "reason": transition.new.reason,
        "detected_at": iso(transition.detected_at),
        "updated_at": iso(transition.new.updated_at),
        "baseline": transition.baseline,
        "details": transition.new.details,
        "hint": known.hint if known else None,
        "docs_url": known.docs_url if known else None,
    }


def clean(text: str) -> str:
    """``text`` without control and format characters (escape sequences, bidi overrides), one line."""
    spaced = (" " if char in "\t\n\r" else char for char in text)
    kept = "".join(char for char in spaced if unicodedata.category(char) not in {"Cc", "Cf"})
    return " ".join(kept.split())


def _clip(text: str | None, width: int) -> str:
    text = clean(text or "")
    return text if len(text) <= width else text[: width - 1] + "…"


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def states_table(states: Sequence[ResourceState]) -> str:
    rows = [
        [
            s.service.value,
            _clip(s.name, 40),
            _clip(s.status, 30),
            iso(s.updated_at or s.observed_at) or "",
            _clip(s.reason, 60),
        ]
        for s in states
    ]
    return table(rows, ["SERVICE", "NAME", "STATUS", "UPDATED", "REASON"])


def history_table(transitions: Sequence[Transition]) -> str:
    rows = [
        [
            iso(t.detected_at) or "",
            _clip(t.previous_status, 30) or "-",
            _clip(t.new.status, 30),
            _clip(t.new.reason, 70) + (" (baseline)" if t.baseline else ""),
        ]
        for t in transitions
    ]
    # What to do about each failure the hints catalogue knows goes under the table: a hint is too
    # long for a column.
    advice = [
        f"  {iso(t.detected_at)} {clean(t.new.status)}: {known.hint}\n    {known.docs_url}"
        for t in transitions
        if (known := _hint(t)) is not None
    ]
    lines = [table(rows, ["DETECTED", "FROM", "TO", "REASON"])]
    if advice:
        lines += ["", "What to do:", *advice]
    return "\n".join(lines)
