from dataclasses import replace
from datetime import timedelta

from statusmon.domain.vocabulary import DELETED
from statusmon.logic.changes import absent, detect_changes, is_change, needs_detail
from tests.unit.factories import NOW, dataset, job, state

OTHER_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/shoes/dataset/test/1690476084999"


def test_first_sight_is_a_transition_from_nothing() -> None:
    # Given an empty table
    # When a sweep sees a dataset
    [change] = detect_changes([dataset("CREATE_IN_PROGRESS")], {}, now=NOW, complete_listing=True)
    # Then it is recorded as new, at version 1
    assert change.previous_status is None
    assert change.previous_version == 0
    assert change.new.version == 1
    assert change.new.status == "CREATE_IN_PROGRESS"
    assert change.detected_at == NOW
    assert not change.baseline


def test_new_status_is_a_transition_with_the_previous_status() -> None:
    known = {dataset("CREATE_IN_PROGRESS").resource_arn: state(dataset("CREATE_IN_PROGRESS"), version=4)}
    [change] = detect_changes(
        [dataset("CREATE_FAILED", reason="manifest not found")], known, now=NOW, complete_listing=True
    )
    assert change.previous_status == "CREATE_IN_PROGRESS"
    assert change.previous_version == 4
    assert change.new.version == 5
    assert change.new.reason == "manifest not found"


def test_unchanged_resources_produce_nothing() -> None:
    # Given complete, in-flight and failed resources already recorded
    complete = dataset("UPDATE_COMPLETE")
    in_flight = job("CREATE IN_PROGRESS")
    failed = dataset("CREATE_FAILED", arn=OTHER_ARN, reason="bad", updated_at=NOW)
    known = {o.resource_arn: state(o) for o in (complete, in_flight, failed)}
    # When the sweep sees them exactly as recorded
    changes = detect_changes([complete, in_flight, failed], known, now=NOW, complete_listing=True)
    # Then nothing is written
    assert changes == []


def test_same_failed_status_with_a_new_message_is_a_new_failure() -> None:
    before = dataset("UPDATE_FAILED", reason="bad line 3")
    known = {before.resource_arn: state(before)}
    after = dataset("UPDATE_FAILED", reason="bad line 9")
    [change] = detect_changes([after], known, now=NOW, complete_listing=True)
    assert change.previous_status == "UPDATE_FAILED"
    assert change.previous_reason == "bad line 3"
    assert change.new.reason == "bad line 9"


def test_same_failed_status_with_a_new_timestamp_is_a_new_failure() -> None:
    # Given an update that failed, was retried and failed again with the same message
    before = dataset("UPDATE_FAILED", reason="bad", updated_at=NOW - timedelta(hours=1))
    after = dataset("UPDATE_FAILED", reason="bad", updated_at=NOW)
    # Then the second failure is a transition of its own
    assert is_change(after, state(before))
    assert (
        len(detect_changes([after], {after.resource_arn: state(before)}, now=NOW, complete_listing=True)) == 1
    )


def test_personalize_same_failure_refailure_uses_its_spelling() -> None:
    before = job("CREATE FAILED", reason="Input CSV is missing the following columns: [TIMESTAMP]")
    after = job("CREATE FAILED", reason="Access denied reading s3://bucket/x.csv")
    assert is_change(after, state(before))
    assert not is_change(before, state(before))


def test_a_failed_observation_without_reason_or_timestamp_is_not_a_change() -> None:
    # Given a listing that does not carry reason or timestamp
    before = dataset("CREATE_FAILED", reason="bad", updated_at=NOW)
    bare = dataset("CREATE_FAILED")
    # Then absence of information is not a change
    assert not is_change(bare, state(before))


def test_a_complete_dataset_with_a_later_timestamp_went_through_an_operation_between_two_looks() -> None:
    # Given a dataset recorded UPDATE_COMPLETE, then updated quickly (nobody saw UPDATE_IN_PROGRESS)
    before = dataset(
        "UPDATE_COMPLETE", updated_at=NOW - timedelta(days=1), details={"stats": {"ErrorEntries": 0}}
    )
    after = dataset("UPDATE_COMPLETE", updated_at=NOW, details={"stats": {"ErrorEntries": 40}})
    # Then its Describe is a change: the same status, a new completion
    assert is_change(after, state(before))
    [change] = detect_changes(
        [after], {after.resource_arn: state(before, version=3)}, now=NOW, complete_listing=False
    )
    assert (change.previous_status, change.new.status, change.new.updated_at) == (
        "UPDATE_COMPLETE",
        "UPDATE_COMPLETE",
        NOW,
    )
    assert (change.previous_version, change.new.version, change.previous_error_entries) == (3, 4, 0)
    # But the same timestamp, or an older one (an answer older than the record), is not
    assert not is_change(before, state(before))
    assert not is_change(before, state(after))


def test_a_complete_resource_without_two_timestamps_is_compared_by_its_stats() -> None:
    recorded = state(dataset("CREATE_COMPLETE", details={"stats": {"TotalEntries": 10}}))
    # A listing (no timestamp, no stats) says nothing new
    assert not is_change(dataset("CREATE_COMPLETE"), recorded)
    # Described stats equal to the recorded ones are no change; other stats are one
    assert not is_change(dataset("CREATE_COMPLETE", details={"stats": {"TotalEntries": 10}}), recorded)
    assert is_change(dataset("CREATE_COMPLETE", details={"stats": {"TotalEntries": 12}}), recorded)
    # And with two timestamps, the timestamps decide (stats alone do not make a stale answer news)
    dated = state(dataset("CREATE_COMPLETE", updated_at=NOW, details={"stats": {"TotalEntries": 10}}))
    older = dataset("CREATE_COMPLETE", updated_at=NOW, details={"stats": {"TotalEntries": 9}})
    assert not is_change(older, dated)


def test_vanished_resource_is_deleted_when_a_second_complete_listing_misses_it() -> None:
    gone = dataset("CREATE_COMPLETE", arn=OTHER_ARN)
    known = {gone.resource_arn: state(gone, version=3)}
    assert detect_changes([], known, now=NOW, complete_listing=True) == []
    [change] = detect_changes([], known, now=NOW, complete_listing=True, missing_before={OTHER_ARN})
    assert change.new.status == DELETED
    assert change.previous_status == "CREATE_COMPLETE"
    assert change.new.version == 4
    assert change.previous_version == 3


def test_partial_listing_never_deletes() -> None:
    gone = dataset("CREATE_COMPLETE", arn=OTHER_ARN)
    known = {gone.resource_arn: state(gone)}
    assert detect_changes([], known, now=NOW, complete_listing=False, missing_before={OTHER_ARN}) == []


def test_deleted_resources_stay_deleted_quietly_and_come_back_when_listed() -> None:
    back = dataset("CREATE_COMPLETE")
    deleted = state(back).deleted(observed_at=NOW)
    known = {back.resource_arn: deleted}
    # A deleted resource that is still absent is not deleted again
    assert detect_changes([], known, now=NOW, complete_listing=True) == []
    # A deleted resource listed again is a transition from DELETED
    [change] = detect_changes([back], known, now=NOW, complete_listing=True)
    assert change.previous_status == DELETED


def test_baseline_marks_every_transition() -> None:
    changes = detect_changes(
        [dataset("CREATE_FAILED"), job("CREATE FAILED")], {}, now=NOW, complete_listing=True, baseline=True
    )
    assert len(changes) == 2
    assert all(c.baseline for c in changes)


def test_describe_only_what_changed_or_is_failed() -> None:
    complete = dataset("CREATE_COMPLETE")
    assert not needs_detail(complete, state(complete), redescribe_failed=True)
    assert needs_detail(complete, None, redescribe_failed=False)
    in_flight = dataset("UPDATE_IN_PROGRESS")
    assert not needs_detail(in_flight, state(in_flight), redescribe_failed=True)
    failed = dataset("UPDATE_FAILED", reason="bad")
    assert needs_detail(failed, state(failed), redescribe_failed=True)
    assert not needs_detail(job("CREATE FAILED"), state(job("CREATE FAILED")), redescribe_failed=False)


def test_silence_preexisting_only_first_sightings_dated_before_the_baseline() -> None:
    from statusmon.logic.changes import silence_preexisting

    baseline_at = NOW
    old = detect_changes(
        [job("CREATE FAILED", updated_at=NOW - timedelta(hours=1))], {}, now=NOW, complete_listing=False
    )
    new = detect_changes(
        [dataset("CREATE_FAILED", updated_at=NOW + timedelta(hours=1))], {}, now=NOW, complete_listing=False
    )
    undated = detect_changes([dataset("CREATE_FAILED", arn=OTHER_ARN)], {}, now=NOW, complete_listing=False)
    known = dataset("CREATE_IN_PROGRESS")
    changed = detect_changes(
        [dataset("CREATE_FAILED", updated_at=NOW - timedelta(hours=1))],
        {known.resource_arn: state(known)},
        now=NOW,
        complete_listing=False,
    )
    silenced = silence_preexisting(old + new + undated + changed, baseline_at)
    assert [t.baseline for t in silenced] == [True, False, False, False]


# -- the staleness rule: an observation older than the recorded state never replaces it -------------


def test_an_answer_the_service_dates_before_the_recorded_state_is_no_change() -> None:
    # Given a failure the watch recorded from a Describe (the service dates it NOW)
    failed = dataset("UPDATE_FAILED", reason="bad", updated_at=NOW, read_at=NOW + timedelta(seconds=5))
    known = {failed.resource_arn: state(failed, version=3)}
    # When a sweep's answer, dated earlier by the service, arrives after it (even one stamped later)
    late = dataset(
        "UPDATE_IN_PROGRESS", updated_at=NOW - timedelta(minutes=1), read_at=NOW + timedelta(minutes=1)
    )
    # Then it is no change: nothing to describe, nothing to write
    assert not is_change(late, known[failed.resource_arn])
    assert not needs_detail(late, known[failed.resource_arn], redescribe_failed=False)
    assert detect_changes([late], known, now=NOW, complete_listing=True) == []
    # And a failure the service dates earlier than the recorded one is no new failure either
    older_failure = dataset("UPDATE_FAILED", reason="bad", updated_at=NOW - timedelta(hours=1))
    assert detect_changes([older_failure], known, now=NOW, complete_listing=True) == []


def test_without_timestamps_the_answer_read_first_is_the_older_one() -> None:
    # Given a failure recorded from an answer read at NOW
    failed = dataset("CREATE_FAILED", reason="bad", updated_at=NOW, read_at=NOW)
    known = {failed.resource_arn: state(failed, version=2)}
    # When a listing (no timestamp) that began before that read shows the dataset in flight
    stale = dataset("CREATE_IN_PROGRESS", read_at=NOW - timedelta(seconds=1))
    # Then it does not replace the failure
    assert detect_changes([stale], known, now=NOW, complete_listing=True) == []
    # But a listing that began after it does: the dataset moved on
    [change] = detect_changes(
        [dataset("UPDATE_IN_PROGRESS", read_at=NOW + timedelta(seconds=1))],
        known,
        now=NOW,
        complete_listing=True,
    )
    assert (change.previous_status, change.new.status) == ("CREATE_FAILED", "UPDATE_IN_PROGRESS")


def test_the_services_timestamps_win_over_the_readers_clocks() -> None:
    # Given a state read at NOW, which the service dated NOW
    known = state(job("CREATE IN_PROGRESS", updated_at=NOW, read_at=NOW))
    # When an answer stamped earlier (a reader whose clock is behind) shows a later change
    later = job(
        "CREATE FAILED",
        reason="bad",
        updated_at=NOW + timedelta(minutes=2),
        read_at=NOW - timedelta(minutes=1),
    )
    # Then the service's own order decides: it is a change
    assert is_change(later, known)
    # And with the same service timestamp, the read times decide
    same_time = job("CREATE PENDING", updated_at=NOW, read_at=NOW - timedelta(seconds=1))
    assert not is_change(same_time, known)


def test_a_state_stored_before_read_times_were_kept_is_still_ordered_by_the_services_timestamps() -> None:
    # Given a state written by an older statusmon: no read time
    legacy = replace(state(dataset("UPDATE_FAILED", reason="bad", updated_at=NOW), version=7), read_at=None)
    assert legacy.read_at is None
    # When a listing without a timestamp shows another status
    listed = dataset("UPDATE_IN_PROGRESS", read_at=NOW - timedelta(days=1))
    # Then it is a change as before (nothing tells it is older), to be confirmed by a Describe
    assert is_change(listed, legacy)
    # And a Describe dated before the recorded failure still cannot replace it
    described = dataset("UPDATE_IN_PROGRESS", updated_at=NOW - timedelta(minutes=3), read_at=NOW)
    assert detect_changes([described], {legacy.resource_arn: legacy}, now=NOW, complete_listing=True) == []
    # And a complete listing may count it absent and delete it, as before
    [gone] = detect_changes(
        [],
        {legacy.resource_arn: legacy},
        now=NOW,
        complete_listing=True,
        missing_before={legacy.resource_arn},
        listed_at=NOW,
    )
    assert gone.new.status == DELETED


def test_a_listing_that_began_before_a_state_was_read_neither_deletes_it_nor_counts_it_missing() -> None:
    # Given a dataset the watch recorded from a Describe read at NOW (absent from the last listing)
    recorded = state(dataset("CREATE_FAILED", reason="bad", updated_at=NOW, read_at=NOW), version=4)
    known = {recorded.resource_arn: recorded}
    # When a complete listing that began a second earlier does not show it
    before = NOW - timedelta(seconds=1)
    changes = detect_changes(
        [], known, now=NOW, complete_listing=True, missing_before={recorded.resource_arn}, listed_at=before
    )
    # Then it is neither deleted nor put on notice
    assert changes == []
    assert absent(known, [], before) == set()
    # And a listing that began after the read, still without it, deletes it (stamped with its start)
    after = NOW + timedelta(seconds=1)
    [deleted] = detect_changes(
        [], known, now=NOW, complete_listing=True, missing_before={recorded.resource_arn}, listed_at=after
    )
    assert (deleted.new.status, deleted.new.read_at) == (DELETED, after)
    # And a stale answer from before the deletion does not bring it back
    stale = dataset("CREATE_FAILED", reason="bad", updated_at=NOW, read_at=NOW)
    assert not is_change(stale, deleted.new)
