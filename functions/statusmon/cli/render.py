"""The statusmon command's three output forms (``--output``), as the AWS CLI has them.

``table``: aligned columns under a header, long text clipped, times local with their age, for
people (the default). ``json``: every field, unclipped, times in UTC, for scripts. ``text``: one
record a line, fields separated by tabs, no header, ``-`` for an empty field, times in UTC, for
``cut``/``awk``/``while read``.

Everything shown as table or text goes through :func:`clean`: reasons, names and messages come from
the services and could carry terminal escape sequences (or tabs and line breaks that would forge a
field or a record). JSON output is safe as it is (``json.dumps`` escapes control characters).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from statusmon.cli import timefmt
from statusmon.cli.ids import short_id
from statusmon.domain import hints
from statusmon.domain.model import ResourceState, Transition, iso

T = TypeVar("T")


class Output(StrEnum):
    TABLE = "table"
    JSON = "json"
    TEXT = "text"


def state_record(state: ResourceState) -> dict[str, Any]:
    return {
        "id": short_id(state),
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


def text(rows: Sequence[Sequence[str | None]]) -> str:
    """The ``text`` form: tab-separated fields, one record a line."""
    return "\n".join("\t".join(clean(field or "") or "-" for field in row) for row in rows)


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)


def view(
    items: Sequence[T],
    output: Output,
    record: Callable[[T], dict[str, Any]],
    fields: Callable[[T], list[str | None]],
    table_of: Callable[[Sequence[T]], str],
) -> str:
    """``items`` in one output form: each item's JSON ``record``, its text ``fields``, or the table."""
    if output is Output.JSON:
        return as_json([record(item) for item in items])
    if output is Output.TEXT:
        return text([fields(item) for item in items])
    return table_of(items)


def states_view(states: Sequence[ResourceState], output: Output) -> str:
    return view(states, output, state_record, _state_fields, states_table)


def _state_fields(s: ResourceState) -> list[str | None]:
    # The ARN too, for scripts that go on to call AWS; the reason last, as the freest field.
    updated = iso(s.updated_at or s.observed_at)
    return [short_id(s), s.service.value, s.status, updated, s.resource_arn, s.reason]


def history_view(transitions: Sequence[Transition], output: Output) -> str:
    return view(transitions, output, history_record, _history_fields, history_table)


def _history_fields(t: Transition) -> list[str | None]:
    baseline = "baseline" if t.baseline else None
    return [iso(t.detected_at), t.previous_status, t.new.status, baseline, t.new.reason]


def states_table(states: Sequence[ResourceState], *, now: datetime | None = None) -> str:
    rows = [
        [
            clean(short_id(s)),  # whole: it is what people copy
            s.service.value,
            _clip(s.status, 30),
            timefmt.local_with_age(s.updated_at or s.observed_at, now),
            _clip(s.reason, 60),
        ]
        for s in states
    ]
    return table(rows, ["ID", "SERVICE", "STATUS", "UPDATED", "REASON"])


def history_table(transitions: Sequence[Transition], *, now: datetime | None = None) -> str:
    rows = [
        [
            timefmt.local_with_age(t.detected_at, now),
            _clip(t.previous_status, 30) or "-",
            _clip(t.new.status, 30),
            _clip(t.new.reason, 70) + (" (baseline)" if t.baseline else ""),
        ]
        for t in transitions
    ]
    # What to do about each failure the hints catalogue knows goes under the table: a hint is too
    # long for a column.
    advice = [
        f"  {timefmt.local(t.detected_at)} {clean(t.new.status)}: {known.hint}\n    {known.docs_url}"
        for t in transitions
        if (known := _hint(t)) is not None
    ]
    lines = [table(rows, ["DETECTED", "FROM", "TO", "REASON"])]
    if advice:
        lines += ["", "What to do:", *advice]
    return "\n".join(lines)
