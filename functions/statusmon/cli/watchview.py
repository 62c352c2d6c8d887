"""``statusmon watch``: what is in flight and what failed recently, from the status table, refreshed.

Each refresh reads the table only, never the services: one Query of the hot watch's partition (what
is in flight, each with the start of its episode, ``since``) and one Query a service of the sparse
``failed`` index (what is failed now). That is a read unit or two while little is in flight or
failed, however many resources the table tracks; ``statusmon status`` reads the whole table.

"Failed recently" is failed now, with the failure's time (the service's ``updated_at``, else when
statusmon recorded it) within ``--failed-within`` hours; older failures are counted, not listed.

The output follows the terminal: on one, a frame redrawn in place (``rich.live``) until Ctrl-C,
which ends the watch with exit 0, as quitting ``top`` does. When stdout is not a terminal (a pipe,
a file, CI's log), every refresh appends one frame as plain text, without escape sequences, as
``top -b`` does; ``--once`` prints one frame and exits. ``NO_COLOR`` (set and not empty) turns colours off
(https://no-color.org). ``--output json`` prints each frame as one JSON line, ``--output text`` each
row as tab-separated fields (``in_flight``/``failed`` first).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from statusmon.adapters.errors import AwsError
from statusmon.cli import timefmt
from statusmon.cli.ids import short_id
from statusmon.cli.render import Output, clean
from statusmon.cli.render import text as text_rows
from statusmon.domain import hints
from statusmon.domain.model import ResourceState, WatchEntry, iso, utcnow
from statusmon.domain.vocabulary import Phase, phase
from statusmon.logic.stuck import duration

DEFAULT_INTERVAL = 5.0
MIN_INTERVAL = 1.0
MAX_INTERVAL = 86400.0  # a day: a view refreshed less often is a --once run
# Ten years: past any history a table keeps, and a span a timedelta can hold.
MAX_FAILED_WITHIN_HOURS = 87600.0
DEFAULT_FAILED_WITHIN_HOURS = 24.0
# Rows a section lists before it counts the rest (`statusmon status` lists everything).
MAX_ROWS = 20
IN_FLIGHT, FAILED = "in_flight", "failed"


class Reader(Protocol):
    """What a refresh reads (:class:`statusmon.adapters.store.StatusStore` is one)."""

    def watched(self) -> list[WatchEntry]: ...

    def states(self, service: Any = None, *, failed_only: bool = False) -> list[ResourceState]: ...


@dataclass(frozen=True)
class InFlight:
    id: str
    service: str
    status: str | None  # None: discovered from CloudTrail, not described yet
    since: datetime
    reason: str | None
    operation: str | None
    stuck_at: datetime | None
    resource_arn: str


@dataclass(frozen=True)
class Failure:
    id: str
    service: str
    status: str
    at: datetime | None
    reason: str | None
    hint: str | None
    resource_arn: str


@dataclass(frozen=True)
class Frame:
    now: datetime
    in_flight: list[InFlight]
    failed: list[Failure]
    # Failed now, but longer ago than the window.
    older_failures: int
    failed_within: timedelta
    # The last refresh's error, shown over the previous frame (the watch goes on).
    problem: str | None = None


def build_frame(
    watched: Sequence[WatchEntry],
    failed: Sequence[ResourceState],
    *,
    now: datetime,
    failed_within: timedelta = timedelta(hours=DEFAULT_FAILED_WITHIN_HOURS),
) -> Frame:
    """The frame of one refresh: in flight longest first, failures newest first."""
    in_flight = [
        InFlight(
            id=short_id(entry),
            service=entry.service.value,
            status=entry.status,
            since=entry.since,
            reason=entry.reason,
            operation=entry.operation,
            stuck_at=entry.stuck_at,
            resource_arn=entry.resource_arn,
        )
        for entry in watched
        # An entry stays until the hot watch sees its resource settle; one that already mirrors a
        # settled state is not in flight.
        if phase(entry.service, entry.status) in (Phase.IN_FLIGHT, Phase.UNKNOWN)
    ]
    in_flight.sort(key=lambda row: (row.since, row.id))
    failures: list[Failure] = []
    older = 0
    for state in failed:
        if state.phase is not Phase.FAILED:
            continue
        at = state.updated_at or state.observed_at
        if at is not None and now - at > failed_within:
            older += 1
            continue
        known = hints.find(state.service, state.status, state.reason, state.details)
        failures.append(
            Failure(
                id=short_id(state),
                service=state.service.value,
                status=state.status,
                at=at,
                reason=state.reason,
                hint=known.hint if known else None,
                resource_arn=state.resource_arn,
            )
        )
    failures.sort(key=lambda row: (row.at is None, -(row.at.timestamp() if row.at else 0), row.id))
    return Frame(now, in_flight, failures, older, failed_within)


def read_frame(table: Reader, *, now: datetime | None = None, failed_within: timedelta) -> Frame:
    watched = table.watched()
    failed = table.states(failed_only=True)
    return build_frame(watched, failed, now=now or utcnow(), failed_within=failed_within)


def age(span: timedelta) -> str:
    """A span to the second under two minutes, to the minute under two days ("1 h 35 min"), as
    ``wait`` says its durations: a view refreshed every few seconds shows it move (alerts round to
    the hour: logic.stuck.duration, used here past two days)."""
    seconds = max(int(span.total_seconds()), 0)
    return timefmt.duration(seconds) if seconds < 2 * timefmt.DAY else duration(span)


def _ago(now: datetime, moment: datetime | None) -> str:
    return "?" if moment is None else age(now - moment)


def _in_flight_note(row: InFlight) -> str:
    notes = []
    if row.stuck_at is not None:
        notes.append("stuck: warned")
    if row.status is None:
        notes.append(f"{row.operation or 'started'}; not described yet")
    if row.reason:
        notes.append(clean(row.reason))
    return "; ".join(notes)


def _window(frame: Frame) -> str:
    return duration(frame.failed_within)


def _heading(frame: Frame, table_name: str) -> str:
    return f"statusmon watch: {table_name} at {frame.now:%Y-%m-%d %H:%M:%S} UTC"


def _more(shown: int, total: int) -> Text | None:
    if total <= shown:
        return None
    return Text(f"… and {total - shown} more (statusmon status lists everything)", style="dim")


def _table(*headers: str, note: str | None = None) -> Table:
    # Columns as `statusmon status` prints them: no borders, two spaces apart. Only the note wraps:
    # an id is what people copy.
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    for header in headers:
        table.add_column(header, no_wrap=True)
    if note:
        table.add_column(note, overflow="fold")
    return table


def renderable(frame: Frame, table_name: str, footer: str | None = None) -> RenderableType:
    """The frame for people: two tables under a heading. Styles only; the console decides whether
    they become colours (a terminal without ``NO_COLOR``) or nothing."""
    parts: list[RenderableType] = [Text(_heading(frame, table_name), style="bold")]
    if frame.problem:
        parts.append(
            Text(f"last refresh failed (showing the one before): {clean(frame.problem)}", style="red")
        )

    flying = _table("ID", "SERVICE", "STATUS", "FOR", note="NOTE")
    for row in frame.in_flight[:MAX_ROWS]:
        stuck = row.stuck_at is not None
        flying.add_row(
            clean(row.id),
            row.service,
            Text(clean(row.status or "-"), style="yellow"),
            Text(_ago(frame.now, row.since), style="bold red" if stuck else ""),
            _in_flight_note(row),
        )
    parts.append(Text(f"\nIn flight ({len(frame.in_flight)})", style="bold underline"))
    parts.append(flying if frame.in_flight else Text("Nothing in flight.", style="dim"))
    parts += [more] if (more := _more(MAX_ROWS, len(frame.in_flight))) else []

    # A reason and its hint are too long for a column on an 80-column terminal: they go under the
    # table, one failure each, as `statusmon history` puts its hints.
    failed = _table("ID", "SERVICE", "STATUS", "AGO")
    reasons: list[RenderableType] = []
    for failure in frame.failed[:MAX_ROWS]:
        failed.add_row(
            clean(failure.id),
            failure.service,
            Text(clean(failure.status), style="red"),
            _ago(frame.now, failure.at),
        )
        reasons.append(
            Text.assemble((clean(failure.id), "bold"), ": ", clean(failure.reason or "no reason given"))
        )
        if failure.hint:
            reasons.append(Padding(Text(f"→ {failure.hint}", style="cyan"), (0, 0, 0, 2)))
    parts.append(Text(f"\nFailed in the last {_window(frame)} ({len(frame.failed)})", style="bold underline"))
    if frame.failed:
        parts += [failed, Text(), *reasons]
    else:
        parts.append(Text(f"No failures in the last {_window(frame)}.", style="dim"))
    parts += [more] if (more := _more(MAX_ROWS, len(frame.failed))) else []
    if frame.older_failures:
        parts.append(
            Text(
                f"{frame.older_failures} older failure{'s' if frame.older_failures != 1 else ''} "
                "(statusmon status --failed)",
                style="dim",
            )
        )
    if footer:
        parts.append(Text(footer, style="dim"))
    return Group(*parts)


def frame_record(frame: Frame) -> dict[str, Any]:
    """The ``json`` form of a frame: every row, unclipped, with ARNs and times."""
    return {
        "at": iso(frame.now),
        "in_flight": [
            {
                "id": row.id,
                "resource_arn": row.resource_arn,
                "service": row.service,
                "status": row.status,
                "since": iso(row.since),
                "seconds": int((frame.now - row.since).total_seconds()),
                "reason": row.reason,
                "operation": row.operation,
                "stuck_warned_at": iso(row.stuck_at),
            }
            for row in frame.in_flight
        ],
        "failed": [
            {
                "id": row.id,
                "resource_arn": row.resource_arn,
                "service": row.service,
                "status": row.status,
                "failed_at": iso(row.at),
                "reason": row.reason,
                "hint": row.hint,
            }
            for row in frame.failed
        ],
        "older_failures": frame.older_failures,
        "problem": frame.problem,
    }


def frame_text(frame: Frame) -> str:
    """The ``text`` form: a row per resource, ``in_flight ID SERVICE STATUS SINCE ARN REASON`` or
    ``failed ID SERVICE STATUS FAILED_AT ARN REASON``, tab-separated."""
    rows: list[list[str | None]] = [
        [IN_FLIGHT, row.id, row.service, row.status, iso(row.since), row.resource_arn, row.reason]
        for row in frame.in_flight
    ]
    rows += [
        [FAILED, row.id, row.service, row.status, iso(row.at), row.resource_arn, row.reason]
        for row in frame.failed
    ]
    return text_rows(rows)


def frames(
    read: Callable[[], Frame], *, interval: float, sleep: Callable[[float], None] = time.sleep
) -> Generator[Frame, None, None]:
    """A frame each ``interval`` seconds, forever. The first read's error is raised (nothing to show
    yet: the table or the credentials are wrong); a later one is shown over the last good frame."""
    last = read()
    yield last
    while True:
        sleep(interval)
        try:
            last = read()
        except AwsError as exc:
            last = Frame(
                last.now, last.in_flight, last.failed, last.older_failures, last.failed_within, str(exc)
            )
        yield last


def console(file: Any = None) -> Console:
    """A console for stdout (or ``file``): rich itself turns styles off when it is not a terminal and
    honours ``NO_COLOR``; ``highlight`` off so that ids and numbers are not coloured by guesswork."""
    return Console(file=file, highlight=False, soft_wrap=False)


def show(
    read: Callable[[], Frame],
    *,
    table_name: str,
    output: Output,
    interval: float,
    once: bool,
    out: Console | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Print the frames as the output form and the terminal ask; returns at Ctrl-C (or after one)."""
    screen = out or console()
    stream = frames(read, interval=interval, sleep=sleep)
    try:
        if output is not Output.TABLE or once or not screen.is_terminal:
            _append(stream, screen, table_name, output, once=once)
        else:
            _live(stream, screen, table_name, interval)
    except KeyboardInterrupt:
        if once:
            raise
    finally:
        stream.close()


def _append(stream: Iterator[Frame], screen: Console, table_name: str, output: Output, *, once: bool) -> None:
    for number, frame in enumerate(stream):
        if output is Output.JSON:
            screen.file.write(json.dumps(frame_record(frame)) + "\n")
        elif output is Output.TEXT:
            rows = frame_text(frame)
            screen.file.write(rows + "\n" if rows else "")
        else:
            with screen.capture() as captured:
                screen.print(renderable(frame, table_name))
            # rich pads every cell to its column's width: a log needs no trailing spaces.
            lines = [line.rstrip() for line in captured.get().splitlines()]
            screen.file.write(("\n" if number else "") + "\n".join(lines) + "\n")
        screen.file.flush()
        if once:
            return


def _live(stream: Iterator[Frame], screen: Console, table_name: str, interval: float) -> None:
    footer = f"every {interval:g} s; Ctrl-C to quit"
    first = next(stream)
    with Live(renderable(first, table_name, footer), console=screen, auto_refresh=False) as live:
        for frame in stream:
            live.update(renderable(frame, table_name, footer), refresh=True)
