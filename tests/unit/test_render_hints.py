"""`statusmon history` shows what to do about the failures the hints catalogue knows."""

import pytest

from statusmon.cli import render
from tests.unit.factories import dataset, transition

MISSING = (
    "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT: The manifest file extension or contents are invalid."
)


@pytest.mark.usefixtures("tokyo")
def test_history_shows_the_hint_of_a_known_failure_under_the_table() -> None:
    # Given a dataset that was created, then failed with a known reason
    history = [
        transition(dataset("CREATE_IN_PROGRESS"), version=1),
        transition(dataset("CREATE_FAILED", reason=MISSING), previous_status="CREATE_IN_PROGRESS"),
    ]
    # When its history is shown
    text = render.history_table(history)
    records = [render.history_record(t) for t in history]
    # Then the table is followed by what to do about the failure, and its page
    table, advice = text.split("\n\nWhat to do:\n")
    assert table.splitlines()[0].split() == ["DETECTED", "FROM", "TO", "REASON"]
    assert advice.splitlines()[0] == (
        "  2026-11-24 21:00:00 JST CREATE_FAILED: Check that the manifest's S3 bucket and key exist, the "
        "file name has an extension (.manifest) and it holds JSON Lines; then create or update the "
        "dataset again."
    )
    assert (
        advice.splitlines()[1]
        .strip()
        .endswith("#md-error-status-ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT")
    )
    # and the JSON carries the same, null where there is no hint
    assert records[0]["hint"] is None
    assert records[0]["docs_url"] is None
    assert records[1]["hint"].startswith("Check that the manifest's S3 bucket")


def test_history_without_a_known_failure_is_only_the_table() -> None:
    history = [transition(dataset("CREATE_FAILED", reason="Something nobody has seen."))]
    assert "What to do" not in render.history_table(history)
