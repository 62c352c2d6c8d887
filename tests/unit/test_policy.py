from dataclasses import replace

import pytest

from statusmon.domain.vocabulary import DELETED
from statusmon.logic.policy import AlertPolicy, decide
from tests.unit.factories import dataset, job, transition

DEFAULT = AlertPolicy()


@pytest.mark.parametrize(
    "observation",
    [dataset("CREATE_FAILED"), dataset("UPDATE_FAILED"), job("CREATE FAILED")],
)
def test_failures_are_errors(observation) -> None:
    alert = decide(transition(observation, previous_status="CREATE_IN_PROGRESS"), DEFAULT)
    assert alert is not None
    assert alert.severity == "error"


def test_first_seen_already_failed_is_an_error_after_the_baseline() -> None:
    alert = decide(transition(job("CREATE FAILED"), previous_status=None), DEFAULT)
    assert alert is not None
    assert alert.severity == "error"


def test_baseline_is_silent() -> None:
    assert decide(transition(dataset("CREATE_FAILED"), baseline=True), DEFAULT) is None


def test_complete_with_error_entries_is_a_warning_unless_turned_off() -> None:
    done = dataset("UPDATE_COMPLETE", details={"stats": {"ErrorEntries": 2, "TotalEntries": 10}})
    alert = decide(transition(done, previous_status="UPDATE_IN_PROGRESS"), DEFAULT)
    assert alert is not None
    assert alert.severity == "warning"
    assert decide(transition(done, previous_status="UPDATE_IN_PROGRESS"), AlertPolicy(warnings=False)) is None


def test_clean_completion_and_in_flight_are_silent() -> None:
    clean = dataset("UPDATE_COMPLETE", details={"stats": {"ErrorEntries": 0}})
    assert decide(transition(clean, previous_status="UPDATE_IN_PROGRESS"), DEFAULT) is None
    assert decide(transition(job("CREATE PENDING")), DEFAULT) is None
    assert decide(transition(job("ACTIVE"), previous_status="CREATE IN_PROGRESS"), DEFAULT) is None


def test_recoveries_are_opt_in() -> None:
    recovered = transition(dataset("UPDATE_COMPLETE"), previous_status="UPDATE_FAILED")
    assert decide(recovered, DEFAULT) is None
    alert = decide(recovered, AlertPolicy(recoveries=True))
    assert alert is not None
    assert alert.severity == "info"


def test_deletion_alerts_nothing() -> None:
    assert decide(transition(dataset(DELETED), previous_status="CREATE_FAILED"), DEFAULT) is None


def test_unreadable_stats_count_as_no_errors() -> None:
    assert (
        transition(dataset("UPDATE_COMPLETE", details={"stats": {"ErrorEntries": "x"}})).new.error_entries()
        == 0
    )
    assert transition(dataset("UPDATE_COMPLETE")).new.error_entries() == 0


def test_a_clean_update_of_a_dataset_that_still_holds_old_errors_is_silent() -> None:
    from statusmon.logic.changes import detect_changes
    from tests.unit.factories import NOW, state

    # Given a dataset that completed an update with 2 error entries
    before = dataset("UPDATE_COMPLETE", details={"stats": {"ErrorEntries": 2}})
    known = {before.resource_arn: state(before)}
    # When a later update completes with the same 2 (old) error entries, then with 3
    same = detect_changes([dataset("UPDATE_IN_PROGRESS")], known, now=NOW, complete_listing=True)[0].new
    after_same = detect_changes(
        [dataset("UPDATE_COMPLETE", details={"stats": {"ErrorEntries": 2}})],
        {same.resource_arn: replace(same, details={"stats": {"ErrorEntries": 2}})},
        now=NOW,
        complete_listing=True,
    )[0]
    more = replace(after_same, new=replace(after_same.new, details={"stats": {"ErrorEntries": 3}}))
    # Then only the update that added errors warns
    assert decide(after_same, DEFAULT) is None
    assert decide(more, DEFAULT).severity == "warning"


def test_a_recovery_through_in_progress_is_an_info_alert_when_opted_in() -> None:
    from statusmon.logic.changes import detect_changes
    from tests.unit.factories import NOW, state

    failed = dataset("UPDATE_FAILED", reason="bad")
    known = {failed.resource_arn: state(failed)}
    [retrying] = detect_changes([dataset("UPDATE_IN_PROGRESS")], known, now=NOW, complete_listing=True)
    assert retrying.new.settled_status == "UPDATE_FAILED"
    [done] = detect_changes(
        [dataset("UPDATE_COMPLETE")], {failed.resource_arn: retrying.new}, now=NOW, complete_listing=True
    )
    assert done.previous_status == "UPDATE_IN_PROGRESS"
    assert done.previous_settled_status == "UPDATE_FAILED"
    assert decide(done, DEFAULT) is None
    assert decide(done, AlertPolicy(recoveries=True)).severity == "info"
