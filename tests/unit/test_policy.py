import pytest

from statusmon.domain.vocabulary import DELETED
from statusmon.logic.policy import AlertPolicy, decide, error_entries
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
        error_entries(transition(dataset("UPDATE_COMPLETE", details={"stats": {"ErrorEntries": "x"}}))) == 0
    )
    assert error_entries(transition(dataset("UPDATE_COMPLETE"))) == 0
