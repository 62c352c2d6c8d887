"""Tables show times as people read them: local, with the zone and the age; JSON keeps UTC."""

import argparse
from datetime import timedelta

import pytest

from statusmon.cli import render, timefmt, wait
from tests.unit.factories import NOW, dataset, state, transition


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=0), "0 s ago"),
        (timedelta(seconds=59), "59 s ago"),
        (timedelta(minutes=3, seconds=40), "3 min ago"),
        (timedelta(hours=5, minutes=59), "5 h ago"),
        (timedelta(hours=47), "47 h ago"),
        (timedelta(days=9, hours=3), "9 days ago"),
        (timedelta(seconds=-30), "in the future"),
    ],
)
def test_age_is_the_largest_whole_unit(ago: timedelta, text: str) -> None:
    assert timefmt.age(NOW - ago, NOW) == text


@pytest.mark.usefixtures("tokyo")
def test_status_table_shows_local_time_and_age_and_json_keeps_utc() -> None:
    # Given a dataset last updated three minutes before now, in a zone nine hours ahead of UTC
    shoes = state(dataset("CREATE_FAILED", updated_at=NOW - timedelta(minutes=3)))
    # When it is shown as a table and as JSON
    table = render.states_table([shoes], now=NOW)
    record = render.state_record(shoes)
    # Then the table has the local time with its zone and age; JSON the UTC instant with a Z
    assert "2026-11-24 20:57:00 JST (3 min ago)" in table.splitlines()[1]
    assert record["updated_at"] == "2026-11-24T11:57:00Z"


@pytest.mark.usefixtures("tokyo")
def test_history_table_shows_when_each_transition_was_detected_locally() -> None:
    detected = transition(dataset("CREATE_COMPLETE"), previous_status="CREATE_IN_PROGRESS")
    table = render.history_table([detected], now=NOW + timedelta(hours=2))
    assert table.splitlines()[1].startswith("2026-11-24 21:00:00 JST (2 h ago)")
    assert render.history_record(detected)["detected_at"] == "2026-11-24T12:00:00Z"


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("0.2", 0.2)]
)
def test_durations_take_a_unit(text: str, seconds: float) -> None:
    assert timefmt.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "0", "-5m", "nan", "inf", "3d"])
def test_what_is_not_a_duration_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not a duration"):
        wait.seconds(text)
