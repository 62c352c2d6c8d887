"""`statusmon watch`'s frames, built and rendered from states alone (no table, no terminal)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from rich.console import Console

from statusmon.adapters.errors import AwsError
from statusmon.cli import watchview
from statusmon.cli.render import Output
from statusmon.domain.model import WatchEntry
from statusmon.domain.vocabulary import ResourceType, Service
from tests.unit.factories import DATASET_ARN, JOB_ARN, NOW, dataset, job, state

INTERACTIONS = "arn:aws:personalize:eu-west-1:123456789012:dataset/retail/INTERACTIONS"
BOOTS_ARN = DATASET_ARN.replace("project/shoes", "project/boots")
MISSING_COLUMN = "Input CSV is missing the following columns: [TIMESTAMP]"
SGR = re.compile(r"\x1b\[([0-9;]*)m")
# Select Graphic Rendition parameters that set a foreground or background colour.
COLOUR = re.compile(r"^(3[0-9]|4[0-9]|9[0-7]|10[0-7])$")


def _colours(screen: str) -> set[str]:
    return {code for params in SGR.findall(screen) for code in params.split(";") if COLOUR.match(code)}


def _entry(arn: str, name: str, status: str | None, since_minutes: int, **kwargs: object) -> WatchEntry:
    return WatchEntry(
        service=Service.REKOGNITION,
        resource_arn=arn,
        since=NOW - timedelta(minutes=since_minutes),
        resource_type=ResourceType.DATASET,
        name=name,
        status=status,
        version=None if status is None else 3,
        **kwargs,  # type: ignore[arg-type]
    )


def _failed_job(hours_ago: float) -> object:
    return replace(
        state(job("CREATE FAILED", parent_arn=INTERACTIONS, reason=MISSING_COLUMN)),
        updated_at=NOW - timedelta(hours=hours_ago),
    )


def _frame(**kwargs: object) -> watchview.Frame:
    watched = [
        _entry(DATASET_ARN, "shoes/train", "UPDATE_IN_PROGRESS", 12),
        _entry(BOOTS_ARN, "boots/train", "CREATE_IN_PROGRESS", 130, stuck_at=NOW - timedelta(minutes=10)),
    ]
    failed = [_failed_job(hours_ago=2)]
    return watchview.build_frame(watched, failed, now=NOW, **kwargs)  # type: ignore[arg-type]


def _show(read: Callable[[], watchview.Frame], screen: Console, **kwargs: Any) -> str:
    """What ``watch`` prints on ``screen`` (a StringIO console) reading ``read``."""
    options: dict[str, Any] = {"table_name": "t", "output": Output.TABLE, "interval": 5, "once": False}
    watchview.show(read, out=screen, **{**options, **kwargs})
    return screen.file.getvalue()  # type: ignore[attr-defined]


def _plain(frame: watchview.Frame, width: int = 160) -> str:
    screen = Console(file=io.StringIO(), width=width, highlight=False)
    return _show(lambda: frame, screen, table_name="statusmon-status", once=True)


def test_in_flight_longest_first_with_short_ids_and_durations() -> None:
    # Given two resources on the watch, one in flight for 2 h 10 min with its stuck warning sent
    frame = _frame()
    # Then the longest in flight comes first, by short id, with how long
    assert [(row.id, row.status) for row in frame.in_flight] == [
        ("boots/train", "CREATE_IN_PROGRESS"),
        ("shoes/train", "UPDATE_IN_PROGRESS"),
    ]
    text = _plain(frame)
    boots = next(line for line in text.splitlines() if line.strip().startswith("boots/train"))
    assert boots.split()[1:3] == ["rekognition", "CREATE_IN_PROGRESS"]
    assert "2 h 10 min" in boots
    assert "stuck: warned" in boots
    shoes = next(line for line in text.splitlines() if line.strip().startswith("shoes/train"))
    assert "12 min" in shoes


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (timedelta(seconds=-3), "0 s"),
        (timedelta(seconds=59), "59 s"),
        (timedelta(seconds=119), "119 s"),
        (timedelta(minutes=2), "2 min"),
        (timedelta(minutes=7, seconds=59), "7 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=1, minutes=35), "1 h 35 min"),
        (timedelta(hours=47, minutes=59), "47 h 59 min"),
        (timedelta(days=3, hours=2, minutes=5), "3 d 2 h"),
    ],
)
def test_ages_to_the_second_then_the_minute_then_the_hour(span: timedelta, said: str) -> None:
    assert watchview.age(span) == said


def test_failures_show_the_job_id_age_reason_and_hint() -> None:
    # Given an import job failed two hours ago, with a reason the hints catalogue knows
    frame = _frame()
    (failure,) = frame.failed
    assert failure.id == "retail/interactions-2026-11-24"
    assert failure.hint is not None
    assert failure.hint.startswith("Add the missing columns")
    # When it is rendered; Then its row has the id, status, age and reason, and the hint below
    text = _plain(frame, width=300)
    row, reason = [line for line in text.splitlines() if "retail/interactions-2026-11-24" in line]
    assert row.split()[1:5] == ["personalize", "CREATE", "FAILED", "2"]
    assert row.endswith("2 h")
    assert reason == f"retail/interactions-2026-11-24: {MISSING_COLUMN}"
    assert f"  → {failure.hint}" in text
    assert "Failed in the last 24 h (1)" in text


def test_failures_older_than_the_window_are_counted_not_listed() -> None:
    # Given failures 2 h and 30 h ago, and a recovered resource the index would not hold
    old, recent = _failed_job(hours_ago=30), _failed_job(hours_ago=2)
    recovered = state(dataset("CREATE_COMPLETE"))
    frame = watchview.build_frame([], [old, recent, recovered], now=NOW)
    # Then only the recent one is listed, the old one counted
    assert [f.at for f in frame.failed] == [NOW - timedelta(hours=2)]
    assert frame.older_failures == 1
    text = _plain(frame)
    assert "1 older failure (statusmon status --failed)" in text
    assert "Nothing in flight." in text
    # And a wider window lists both, newest first
    wide = watchview.build_frame([], [old, recent], now=NOW, failed_within=timedelta(hours=48))
    assert [f.at for f in wide.failed] == [NOW - timedelta(hours=2), NOW - timedelta(hours=30)]


def test_a_discovered_resource_shows_its_operation_until_described() -> None:
    entry = _entry(DATASET_ARN, "shoes/train", None, 1, operation="UpdateDatasetEntries")
    frame = watchview.build_frame([entry], [], now=NOW)
    text = _plain(frame)
    row = next(line for line in text.splitlines() if "shoes/train" in line)
    assert "UpdateDatasetEntries; not described yet" in row
    assert "No failures in the last 24 h." in text


def test_an_entry_mirroring_a_settled_state_is_not_in_flight() -> None:
    # Given the watch still holding a resource recorded complete (the hot watch removes it next run)
    done = _entry(DATASET_ARN, "shoes/train", "UPDATE_COMPLETE", 5)
    flying = _entry(BOOTS_ARN, "boots/train", "CREATE_IN_PROGRESS", 5)
    # Then only the one in flight is shown
    frame = watchview.build_frame([done, flying], [], now=NOW)
    assert [row.id for row in frame.in_flight] == ["boots/train"]


def test_escape_sequences_in_a_reason_are_not_replayed() -> None:
    # Given a reason carrying a terminal escape sequence
    failed = replace(_failed_job(hours_ago=1), reason="bad \x1b[31mred\x1b[0m CSV")  # type: ignore[type-var]
    text = _plain(watchview.build_frame([], [failed], now=NOW))
    # Then the plain frame has no escape sequence at all
    assert "\x1b" not in text
    assert "bad [31mred[0m CSV" in text


def test_long_sections_are_cut_with_a_count() -> None:
    entries = [
        _entry(DATASET_ARN.replace("shoes", f"p{i:02}"), f"p{i:02}/train", "CREATE_IN_PROGRESS", i)
        for i in range(watchview.MAX_ROWS + 3)
    ]
    text = _plain(watchview.build_frame(entries, [], now=NOW))
    assert sum(1 for line in text.splitlines() if "/train" in line) == watchview.MAX_ROWS
    assert "… and 3 more (statusmon status lists everything)" in text


def test_a_terminal_gets_colours_and_no_color_takes_them_away(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a console that is a terminal
    frame = _frame()

    def render(environ: dict[str, str]) -> str:
        out = io.StringIO()
        Console(file=out, force_terminal=True, width=160, _environ=environ).print(
            watchview.renderable(frame, "t")
        )
        return out.getvalue()

    # Then statuses are coloured; with NO_COLOR no colour is left (bold and underline may stay)
    assert {"31", "33"} <= _colours(render({}))
    assert _colours(render({"NO_COLOR": "1"})) == set()


def test_json_and_text_forms_carry_every_row_with_arns() -> None:
    frame = _frame()
    record = watchview.frame_record(frame)
    json.dumps(record)
    assert [row["resource_arn"] for row in record["in_flight"]] == [BOOTS_ARN, DATASET_ARN]
    assert record["in_flight"][0]["seconds"] == 130 * 60
    assert record["failed"][0]["resource_arn"] == JOB_ARN
    assert record["failed"][0]["hint"].startswith("Add the missing columns")
    lines = [line.split("\t") for line in watchview.frame_text(frame).splitlines()]
    assert [(f[0], f[1]) for f in lines] == [
        ("in_flight", "boots/train"),
        ("in_flight", "shoes/train"),
        ("failed", "retail/interactions-2026-11-24"),
    ]
    assert lines[2][5:] == [JOB_ARN, MISSING_COLUMN]


def test_a_refresh_that_fails_keeps_the_last_frame_and_says_why() -> None:
    # Given a table that answers once, then fails
    answers: list[object] = [_frame(), AwsError("throttled: try again")]

    def read() -> watchview.Frame:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    stream = watchview.frames(read, interval=5, sleep=lambda _: None)
    first, second = next(stream), next(stream)
    # Then the second frame is the first one's rows with the error
    assert second.in_flight == first.in_flight
    assert second.problem == "throttled: try again"
    assert "last refresh failed (showing the one before): throttled: try again" in _plain(second)


def test_the_first_read_error_is_raised() -> None:
    def read() -> watchview.Frame:
        raise AwsError("no table")

    with pytest.raises(AwsError, match="no table"):
        next(watchview.frames(read, interval=5))


def test_without_a_terminal_each_refresh_appends_a_frame_until_ctrl_c() -> None:
    # Given a pipe as stdout and a user who presses Ctrl-C during the third wait
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise KeyboardInterrupt

    printed = _show(_frame, Console(file=io.StringIO(), width=160), interval=2, sleep=sleep)
    # Then three frames were printed, one each interval, and the watch returned (exit 0)
    assert printed.count("statusmon watch: t at 2026-11-24 12:00:00 UTC") == 3
    assert waits == [2, 2, 2]
    assert "\x1b" not in printed


def test_on_a_terminal_the_frame_is_redrawn_in_place() -> None:
    # Given a terminal and two refreshes before Ctrl-C
    calls = iter([_frame(), _frame(failed_within=timedelta(hours=1)), KeyboardInterrupt()])

    def read() -> watchview.Frame:
        answer = next(calls)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    terminal = Console(file=io.StringIO(), force_terminal=True, width=160)
    screen = _show(read, terminal, sleep=lambda _: None)
    # Then the live display moved the cursor up to redraw, and ended with the last frame
    assert "\x1b[2K" in screen  # erase line: the redraw in place
    assert "Failed in the last 1 h (0)" in SGR.sub("", screen)
    assert "every 5 s; Ctrl-C to quit" in SGR.sub("", screen)
