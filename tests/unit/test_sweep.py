"""The sweep's orchestration with in-memory fakes: what it describes, writes and reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from statusmon.adapters.errors import NotFoundError
from statusmon.adapters.sources import Listing
from statusmon.domain.filters import Filters
from statusmon.domain.model import (
    ResourceState,
    ServiceMeta,
)
from statusmon.domain.vocabulary import DELETED, Service
from statusmon.logic.sweep import never, sweep
from tests.unit.factories import NOW, dataset, job
from tests.unit.fakes import ARN2, JOB2, FakeSource, FakeStore


def _run(source: FakeSource, store: FakeStore, **kwargs: Any):
    return sweep(source, store, retention_days=30, now=NOW, **kwargs)


def test_first_sweep_is_a_silent_baseline_then_changes_are_not() -> None:
    store = FakeStore()
    source = FakeSource(Service.PERSONALIZE, False, [job("CREATE FAILED", reason="old")])
    first = _run(source, store)
    assert first.baseline
    assert [t.baseline for t in store.history] == [True]
    source.listed = [
        job("CREATE FAILED", reason="old"),
        job("CREATE PENDING", arn=source.listed[0].resource_arn + "2"),
    ]
    second = _run(source, store)
    assert not second.baseline
    assert [t.baseline for t in second.recorded] == [False]


def test_a_quiet_sweep_describes_and_writes_nothing_for_unchanged_resources() -> None:
    # Given complete and in-flight datasets already recorded
    listed = [dataset("CREATE_COMPLETE"), dataset("UPDATE_IN_PROGRESS", arn=ARN2)]
    store = FakeStore(
        {o.resource_arn: ResourceState.from_observation(o, observed_at=NOW, version=1) for o in listed}
    )
    source = FakeSource(Service.REKOGNITION, True, listed)
    # When nothing changed
    report = _run(source, store)
    # Then no Describe and no write
    assert source.described == []
    assert report.recorded == []
    assert report.succeeded


def test_failed_datasets_are_described_to_see_a_repeated_failure() -> None:
    failed = dataset("UPDATE_FAILED", reason="bad", updated_at=NOW - timedelta(hours=1))
    store = FakeStore(
        {failed.resource_arn: ResourceState.from_observation(failed, observed_at=NOW, version=3)}
    )
    listed = dataset("UPDATE_FAILED", reason="bad")  # DescribeProjects carries no timestamp
    source = FakeSource(
        Service.REKOGNITION, True, [listed], detail={listed.resource_arn: {"updated_at": NOW}}
    )
    report = _run(source, store)
    assert source.described == [listed.resource_arn]
    [again] = report.recorded
    assert again.previous_status == "UPDATE_FAILED"
    assert again.new.version == 4


def test_completion_with_errors_carries_sample_entries() -> None:
    done = dataset("UPDATE_COMPLETE")
    source = FakeSource(
        Service.REKOGNITION,
        True,
        [done, dataset("CREATE_COMPLETE", arn=ARN2)],
        detail={done.resource_arn: {"details": {"stats": {"ErrorEntries": 2}}}},
        samples=[{"source-ref": "s3://b/1.jpg", "errors": [{"code": "X"}]}],
    )
    store = FakeStore(
        {
            ARN2: ResourceState.from_observation(
                dataset("CREATE_COMPLETE", arn=ARN2), observed_at=NOW, version=1
            )
        }
    )
    [change] = _run(source, store).recorded
    assert change.new.details["error_entries"] == [{"source-ref": "s3://b/1.jpg", "errors": [{"code": "X"}]}]


def test_an_unreadable_resource_is_skipped_not_deleted_and_the_rest_recorded() -> None:
    known = dataset("CREATE_IN_PROGRESS")
    store = FakeStore({known.resource_arn: ResourceState.from_observation(known, observed_at=NOW, version=1)})
    source = FakeSource(
        Service.REKOGNITION,
        True,
        [dataset("CREATE_FAILED"), dataset("CREATE_COMPLETE", arn=ARN2)],
        broken={known.resource_arn},
    )
    report = _run(source, store)
    assert [t.new.resource_arn for t in report.recorded] == [ARN2]
    assert store.states[known.resource_arn].status == "CREATE_IN_PROGRESS"
    assert not report.succeeded
    assert "throttled" in report.problems[0]


def test_incomplete_listing_deletes_nothing_two_complete_listings_do() -> None:
    gone = dataset("CREATE_COMPLETE", arn=ARN2)
    store = FakeStore({ARN2: ResourceState.from_observation(gone, observed_at=NOW, version=1)})
    partial = _run(FakeSource(Service.REKOGNITION, True, [], complete=False), store)
    assert partial.recorded == []
    assert not partial.complete
    first = _run(FakeSource(Service.REKOGNITION, True, []), store)
    assert first.recorded == []
    assert store.service_meta(Service.REKOGNITION).missing == {ARN2}
    # An incomplete listing in between neither deletes nor forgets
    _run(FakeSource(Service.REKOGNITION, True, [], complete=False), store)
    second = _run(FakeSource(Service.REKOGNITION, True, []), store)
    assert [t.new.status for t in second.recorded] == [DELETED]
    assert store.service_meta(Service.REKOGNITION).missing == frozenset()
    assert store.alerts == []  # a deletion alerts nobody
    [event] = store.events  # but it is a state change
    assert json.loads(event.body)["phase"] == "deleted"


def test_a_lost_race_is_diffed_again_against_the_winner() -> None:
    before = dataset("CREATE_IN_PROGRESS")
    store = FakeStore(
        {before.resource_arn: ResourceState.from_observation(before, observed_at=NOW, version=1)}
    )
    # Another sweep records the same failure between our read and our write
    winner = ResourceState.from_observation(
        dataset("CREATE_FAILED", reason="bad"), observed_at=NOW, version=2
    )
    store.sneaky[before.resource_arn] = winner
    source = FakeSource(Service.REKOGNITION, True, [dataset("CREATE_FAILED", reason="bad")])
    report = _run(source, store)
    assert report.lost_races == 1
    assert report.recorded == []  # the winner's write stands; nothing is recorded twice
    assert store.states[before.resource_arn] == winner


def test_out_of_time_stops_cleanly_without_deleting() -> None:
    known = dataset("CREATE_COMPLETE", arn=ARN2)
    store = FakeStore({ARN2: ResourceState.from_observation(known, observed_at=NOW, version=1)})
    report = _run(
        FakeSource(Service.REKOGNITION, True, [dataset("CREATE_FAILED")]), store, out_of_time=lambda: True
    )
    assert report.stopped_early
    assert report.recorded == []
    assert store.states[ARN2].status == "CREATE_COMPLETE"


def test_write_failures_are_reported_and_left_for_the_next_sweep() -> None:
    store = FakeStore(failing=True)
    report = _run(FakeSource(Service.PERSONALIZE, False, [job("ACTIVE")]), store)
    assert report.recorded == []
    assert report.problems == ["recording a transition failed: InternalServerError"]
    assert report.summary()["problems"] == report.problems


def test_an_empty_account_completes_its_baseline_so_the_first_job_ever_alerts() -> None:
    # Given a region with no import jobs yet
    store = FakeStore()
    source = FakeSource(Service.PERSONALIZE, False, [])
    assert _run(source, store).baseline
    # When the first job ever appears, already failed
    source.listed = [job("CREATE FAILED", reason="no such file")]
    [change] = _run(source, store).recorded
    # Then it is not part of the baseline
    assert not change.baseline


def test_an_incomplete_baseline_sweep_leaves_the_baseline_pending() -> None:
    store = FakeStore()
    partial = _run(FakeSource(Service.REKOGNITION, True, [dataset("CREATE_FAILED")], complete=False), store)
    assert partial.baseline
    assert Service.REKOGNITION not in store.baselined
    second = _run(
        FakeSource(Service.REKOGNITION, True, [dataset("CREATE_FAILED"), dataset("UPDATE_FAILED", arn=ARN2)]),
        store,
    )
    assert second.baseline
    assert [t.baseline for t in second.recorded] == [True]
    assert Service.REKOGNITION in store.baselined


def test_a_baseline_with_an_unreadable_resource_still_ends_and_the_straggler_stays_silent() -> None:
    # Given a first sweep whose listing is complete but one Describe is throttled
    store = FakeStore()
    old = job("CREATE FAILED", reason="old", updated_at=NOW - timedelta(days=3))
    source = FakeSource(Service.PERSONALIZE, False, [old], broken={old.resource_arn})
    first = _run(source, store)
    assert first.baseline
    assert first.problems
    assert Service.PERSONALIZE in store.baselined  # the baseline ends with the complete listing
    # When the next sweep reads the straggler, and a job that failed after the baseline appears
    fresh = job(
        "CREATE FAILED", arn=old.resource_arn + "-2", reason="new", updated_at=NOW + timedelta(minutes=5)
    )
    source.broken.clear()
    source.listed = [old, fresh]
    second = sweep(source, store, retention_days=30, now=NOW + timedelta(minutes=10))
    # Then the straggler, dated before the baseline, is silent; the new failure is not
    assert not second.baseline
    assert {t.new.resource_arn: t.baseline for t in second.recorded} == {
        old.resource_arn: True,
        fresh.resource_arn: False,
    }


def test_a_resource_that_vanished_between_listing_and_describe_is_not_a_problem() -> None:
    gone = dataset("CREATE_FAILED")
    source = FakeSource(Service.REKOGNITION, True, [gone])
    source.describe = lambda observation: (_ for _ in ()).throw(NotFoundError("DescribeDataset: not found"))  # type: ignore[method-assign]
    report = _run(source, FakeStore())
    assert report.problems == []
    assert report.recorded == []


def test_a_clean_completion_of_a_dataset_with_old_errors_costs_no_sample_call() -> None:
    # Given a dataset that already holds 2 error entries
    before = dataset("UPDATE_IN_PROGRESS", details={"stats": {"ErrorEntries": 2}})
    store = FakeStore(
        {before.resource_arn: ResourceState.from_observation(before, observed_at=NOW, version=1)}
    )
    store.metas[Service.REKOGNITION] = ServiceMeta(baseline_at=NOW)
    done = dataset("UPDATE_COMPLETE")
    source = FakeSource(
        Service.REKOGNITION,
        True,
        [done],
        detail={done.resource_arn: {"details": {"stats": {"ErrorEntries": 2}}}},
    )
    # When its update completes without adding any
    [change] = _run(source, store).recorded
    # Then no ListDatasetEntries call is made, and no samples are attached
    assert source.sampled == []
    assert "error_entries" not in change.new.details


def test_a_failure_is_recorded_with_its_alert_in_the_outbox_and_a_baseline_without() -> None:
    # Given a baseline with a pre-existing failure
    store = FakeStore()
    source = FakeSource(Service.PERSONALIZE, False, [job("CREATE FAILED", reason="old")])
    _run(source, store)
    assert store.outbox == []
    # When a new job fails after the baseline
    source.listed.append(job("CREATE FAILED", arn=JOB2, reason="missing column"))
    report = _run(source, store)
    # Then its alert and its state-change event are recorded with it, once, and the report counts them
    [message] = store.alerts
    assert message.transition_id == f"{JOB2}#1"
    assert message.severity == "error"
    [event] = store.events
    assert (event.transition_id, event.subject) == (
        f"{JOB2}#1",
        "Personalize Dataset Import Job State Change",
    )
    assert (report.alerts_queued, report.events_queued) == (1, 1)
    assert _run(source, store).recorded == []
    assert len(store.outbox) == 2


def test_the_deadline_reaches_the_listing() -> None:
    seen: list[Callable[[], bool]] = []

    class Recording(FakeSource):
        def read_listing(self, out_of_time: Callable[[], bool] = never) -> Listing:
            seen.append(out_of_time)
            return Listing([], complete=False, out_of_time=True, problems=["DescribeProjects: stopped"])

    deadline = lambda: True  # noqa: E731
    report = _run(Recording(Service.REKOGNITION, True, []), FakeStore(), out_of_time=deadline)
    assert seen == [deadline]
    assert report.stopped_early
    assert not report.complete


def test_a_resource_listed_without_a_status_is_neither_diffed_nor_forgotten() -> None:
    # Given a known dataset that the last complete listing had missed
    known = dataset("CREATE_COMPLETE", arn=ARN2)
    store = FakeStore({ARN2: ResourceState.from_observation(known, observed_at=NOW, version=1)})
    store.metas[Service.REKOGNITION] = ServiceMeta(baseline_at=NOW, missing=frozenset({ARN2}))

    class Unreadable(FakeSource):
        def read_listing(self, out_of_time: Callable[[], bool] = never) -> Listing:
            listing = Listing([])
            listing.problem(f"DescribeProjects: dataset {ARN2} without its Status")
            listing.unreadable.add(ARN2)
            return listing

    # When it is listed again, but without a readable status
    report = _run(Unreadable(Service.REKOGNITION, True, []), store)
    # Then nothing is deleted, and it is no longer counted as missing
    assert report.recorded == []
    assert store.states[ARN2].status == "CREATE_COMPLETE"
    assert store.service_meta(Service.REKOGNITION).missing == frozenset()


def test_a_resource_seen_again_between_two_complete_listings_is_not_deleted() -> None:
    known = dataset("CREATE_COMPLETE", arn=ARN2)
    store = FakeStore({ARN2: ResourceState.from_observation(known, observed_at=NOW, version=1)})
    store.metas[Service.REKOGNITION] = ServiceMeta(baseline_at=NOW)
    _run(FakeSource(Service.REKOGNITION, True, []), store)  # missed once
    _run(FakeSource(Service.REKOGNITION, True, [known]), store)  # back
    report = _run(FakeSource(Service.REKOGNITION, True, []), store)  # missed once again
    assert report.recorded == []
    assert store.states[ARN2].status == "CREATE_COMPLETE"


def test_a_deleted_failure_that_comes_back_as_it_was_is_not_alerted_again() -> None:
    # Given a failure, alerted, then missing from two complete listings (a service glitch)
    failed = job("CREATE FAILED", arn=JOB2, reason="missing column", updated_at=NOW)
    store = FakeStore()
    store.metas[Service.PERSONALIZE] = ServiceMeta(baseline_at=NOW - timedelta(days=1))
    source = FakeSource(Service.PERSONALIZE, False, [failed])
    _run(source, store)
    assert len(store.alerts) == 1
    source.listed = []
    _run(source, store)
    _run(source, store)
    assert store.states[JOB2].status == DELETED
    events = len(store.events)
    # When it is listed again exactly as it was
    source.listed = [failed]
    [back] = _run(source, store).recorded
    # Then the table says so, silently (no alert, no event)
    assert back.previous_status == DELETED
    assert back.new.status == "CREATE FAILED"
    assert back.baseline
    assert (len(store.alerts), len(store.events)) == (1, events)
    # But a deleted failure that comes back failing differently is news
    source.listed = []
    _run(source, store)
    _run(source, store)
    source.listed = [replace(failed, reason="another column", updated_at=NOW + timedelta(hours=1))]
    _run(source, store)
    assert len(store.alerts) == 2


def test_an_unknown_status_is_recorded_as_given_and_alerted_once_per_status() -> None:
    # Given a baselined service
    store = FakeStore()
    store.metas[Service.REKOGNITION] = ServiceMeta(baseline_at=NOW - timedelta(days=1))
    # When two datasets enter a status statusmon does not know, in two sweeps
    source = FakeSource(Service.REKOGNITION, True, [dataset("UPDATE_PAUSED")])
    first = _run(source, store)
    source.listed.append(dataset("UPDATE_PAUSED", arn=ARN2))
    second = _run(source, store)
    # Then both are recorded exactly as given, counted, and alerted once (a warning naming it)
    assert store.states[ARN2].status == "UPDATE_PAUSED"
    assert first.unknown_statuses == second.unknown_statuses == {"UPDATE_PAUSED"}
    [message] = store.alerts
    assert message.severity == "warning"
    assert "does not know status 'UPDATE_PAUSED'" in message.body
    assert [json.loads(e.body)["phase"] for e in store.events] == ["unknown", "unknown"]
    assert store.service_meta(Service.REKOGNITION).unknown_statuses == {"UPDATE_PAUSED"}


def test_an_unknown_status_in_the_baseline_is_reported_not_alerted() -> None:
    store = FakeStore()
    report = _run(FakeSource(Service.PERSONALIZE, False, [job("CREATE QUEUED")]), store)
    assert report.unknown_statuses == {"CREATE QUEUED"}
    assert store.outbox == []
    assert report.summary()["unknown_statuses"] == ["CREATE QUEUED"]


HATS = "arn:aws:rekognition:us-east-1:123456789012:project/hats/dataset/train/1690476084111"
SHOP_ITEMS = "arn:aws:personalize:eu-west-1:123456789012:dataset/shop/ITEMS"


def test_a_filtered_listing_never_deletes_what_the_filters_exclude() -> None:
    # Given a shoes and a hats dataset recorded while every project was watched
    shoes, hats = dataset("CREATE_COMPLETE"), dataset("CREATE_COMPLETE", arn=HATS)
    store = FakeStore()
    _run(FakeSource(Service.REKOGNITION, True, [shoes, hats]), store)
    history = len(store.history)
    # When project_names narrows to shoes: the service lists shoes only, sweep after sweep
    filters = Filters.of(project_names=["shoes"])
    reports = [_run(FakeSource(Service.REKOGNITION, True, [shoes]), store, filters=filters) for _ in range(3)]
    # Then hats is neither deleted nor put on notice: no transition, no event
    assert all(report.recorded == [] for report in reports)
    assert (len(store.history), store.outbox) == (history, [])
    assert store.states[HATS].status == "CREATE_COMPLETE"
    assert store.service_meta(Service.REKOGNITION).missing == frozenset()
    # And the sweeps after it are quiet: no state read for the excluded resource's bucket
    assert [report.states_read for report in reports[1:]] == [0, 0]


def test_a_filtered_listing_still_deletes_an_included_resource_it_misses_twice() -> None:
    # Given a job of the shop group and a job recorded without its dataset
    store = FakeStore()
    included = job("ACTIVE", parent_arn=SHOP_ITEMS)
    unplaced = job("ACTIVE", arn=JOB2)
    _run(FakeSource(Service.PERSONALIZE, False, [included, unplaced]), store)
    # When a listing filtered to the shop group misses both, twice
    filters = Filters.of(personalize_arns=["arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"])
    for _ in range(2):
        report = _run(FakeSource(Service.PERSONALIZE, False, []), store, filters=filters)
    # Then the included job is deleted; the one the filters cannot place is left as it was
    assert [t.new.resource_arn for t in report.recorded] == [included.resource_arn]
    assert store.states[included.resource_arn].status == DELETED
    assert store.states[JOB2].status == "ACTIVE"


def test_a_describe_answer_delivered_after_the_watch_recorded_a_newer_failure_does_not_reverse_it() -> None:
    # Given a complete dataset, being updated
    before = dataset("UPDATE_COMPLETE", updated_at=NOW - timedelta(hours=2), read_at=NOW - timedelta(hours=1))
    store = FakeStore(
        {before.resource_arn: ResourceState.from_observation(before, observed_at=NOW, version=1)}
    )
    ticks = iter(NOW + timedelta(seconds=n) for n in range(100))
    source = FakeSource(Service.REKOGNITION, True, [dataset("UPDATE_IN_PROGRESS")])
    source.detail[before.resource_arn] = {"status": "UPDATE_IN_PROGRESS", "updated_at": NOW}
    # And, while the sweep's Describe answer is on its way, the update fails and the watch records it
    # from its own, later Describe
    failure = dataset(
        "UPDATE_FAILED",
        reason="bad",
        updated_at=NOW + timedelta(seconds=30),
        read_at=NOW + timedelta(seconds=40),
    )
    winner = ResourceState.from_observation(failure, observed_at=NOW, version=2)
    store.sneaky[before.resource_arn] = winner
    # When the sweep records what it read
    report = _run(source, store, clock=lambda: next(ticks))
    # Then it lost the race, and diffed again its answer is older than the failure: nothing recorded
    assert report.lost_races == 1
    assert report.recorded == []
    assert store.states[before.resource_arn] == winner
    assert store.alerts == []
    assert store.events == []


def test_each_answer_carries_when_it_was_read_and_the_state_keeps_it() -> None:
    # Given a new job
    ticks = iter(NOW + timedelta(seconds=n) for n in range(100))
    store = FakeStore(metas={Service.PERSONALIZE: ServiceMeta(baseline_at=NOW - timedelta(days=1))})
    source = FakeSource(Service.PERSONALIZE, False, [job("CREATE PENDING")])
    # When a sweep lists it (read at NOW) and describes it (read a tick later)
    _run(source, store, clock=lambda: next(ticks))
    # Then the state records when the Describe was sent, the answer it was recorded from
    [state] = store.states.values()
    assert state.read_at == NOW + timedelta(seconds=1)
