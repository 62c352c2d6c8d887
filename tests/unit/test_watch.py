"""The hot watch's decisions with in-memory fakes: what it describes, records and leaves to the sweep."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from statusmon.domain.filters import Filters
from statusmon.domain.model import WATCHED_BY_CLOUDTRAIL, Observation, ServiceMeta, WatchEntry
from statusmon.domain.vocabulary import ResourceType, Service
from statusmon.logic.operations import DISTRIBUTE_DATASET_ENTRIES, UPDATE_DATASET_ENTRIES
from statusmon.logic.sweep import sweep
from statusmon.logic.watch import MAX_DENIALS, NOT_FOUND_GRACE, NOT_STARTED_GRACE, WatchReport, watch
from tests.unit.factories import DATASET_ARN, JOB_ARN, NOW, dataset, job
from tests.unit.fakes import ARN2, JOB2, FakeSource, FakeStore

LATER = NOW + timedelta(minutes=1)
PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/shoes/1690476084000"


def _baselined(*listed: Observation) -> tuple[FakeStore, FakeSource]:
    """A store whose service had its silent baseline (empty), then a sweep that found ``listed``."""
    service = listed[0].service
    store = FakeStore(metas={service: ServiceMeta(baseline_at=NOW - timedelta(days=1))})
    source = FakeSource(service, service is Service.REKOGNITION, list(listed))
    sweep(source, store, retention_days=30, now=NOW)
    source.described.clear()
    store.outbox.clear()  # what that sweep sent is not what the tests look at
    return store, source


def _watch(
    store: FakeStore, *sources: FakeSource, now: Any = LATER, **kwargs: Any
) -> tuple[WatchReport, list[Service]]:
    made: list[Service] = []
    by_service = {source.service: source for source in sources}

    def source_for(service: Service) -> FakeSource:
        made.append(service)
        return by_service[service]

    report = watch(source_for, store, retention_days=30, now=now, describe_workers=1, **kwargs)
    return report, made


def _events(store: FakeStore) -> list[dict[str, Any]]:
    return [json.loads(m.body) for m in store.events]


def test_an_idle_run_is_one_read_and_no_client() -> None:
    store = FakeStore()
    report, made = _watch(store)
    assert store.watch_reads == 1
    assert made == []
    assert (report.watched, report.described, report.recorded) == (0, 0, [])
    assert report.succeeded


def test_a_sweep_puts_what_is_in_flight_on_the_watch_and_the_watch_records_its_failure() -> None:
    # Given a sweep that found one dataset in flight and another complete
    store, source = _baselined(
        dataset("UPDATE_IN_PROGRESS", parent_arn=PROJECT), dataset("CREATE_COMPLETE", arn=ARN2)
    )
    assert list(store.watch) == [DATASET_ARN]
    # When the dataset fails and only the watch runs
    source.detail[DATASET_ARN] = {"status": "UPDATE_FAILED", "reason": "The manifest file is not valid"}
    report, _ = _watch(store, source)
    # Then it described the watched dataset only, recorded the failure with its alert, and let it go
    assert source.described == [DATASET_ARN]
    [failure] = report.recorded
    assert (failure.previous_status, failure.new.status) == ("UPDATE_IN_PROGRESS", "UPDATE_FAILED")
    assert failure.new.parent_arn == PROJECT
    assert [m.severity for m in store.alerts] == ["error"]
    assert store.states[DATASET_ARN].status == "UPDATE_FAILED"
    assert store.watch == {}


def test_an_unchanged_resource_in_flight_costs_one_describe_and_nothing_else() -> None:
    store, source = _baselined(job("CREATE IN_PROGRESS", parent_arn="arn:aws:personalize:x"))
    history, gets = len(store.history), store.gets
    report, _ = _watch(store, source)
    assert source.described == [JOB_ARN]
    assert (store.gets, len(store.history), report.recorded) == (gets, history, [])
    assert list(store.watch) == [JOB_ARN]


def test_a_change_the_sweep_recorded_first_is_not_recorded_again() -> None:
    # Given a job in flight that completed, and a sweep that recorded it before the watch ran
    store, source = _baselined(job("CREATE IN_PROGRESS"))
    entry = store.watch[JOB_ARN]
    source.listed = [job("ACTIVE")]
    sweep(source, store, retention_days=30, now=LATER)
    history = len(store.history)
    assert store.watch == {}
    # When a watch run that read the list before that sweep describes it
    store.watch[JOB_ARN] = entry
    source.detail[JOB_ARN] = {"status": "ACTIVE"}
    report, _ = _watch(store, source)
    # Then it finds the table already has it: nothing recorded twice, the entry leaves the watch
    assert report.recorded == []
    assert len(store.history) == history
    assert store.watch == {}


def test_a_discovered_job_is_recorded_with_its_event_and_then_mirrored() -> None:
    # Given a job discovered through CloudTrail, never swept, in a baselined service
    store = FakeStore(metas={Service.PERSONALIZE: ServiceMeta(baseline_at=NOW - timedelta(days=1))})
    store.watch[JOB_ARN] = _discovered(JOB_ARN, ResourceType.DATASET_IMPORT_JOB, "interactions-2026-11-24")
    source = FakeSource(Service.PERSONALIZE, False, [])
    source.detail[JOB_ARN] = {"status": "CREATE IN_PROGRESS", "parent_arn": "arn:aws:personalize:ds"}
    # When the watch runs
    report, _ = _watch(store, source)
    # Then the job is recorded as new (not silent), with its state-change event
    [new] = report.recorded
    assert (new.previous_status, new.new.status, new.baseline) == (None, "CREATE IN_PROGRESS", False)
    assert [e["operation"] for e in _events(store)] == ["CreateDatasetImportJob"]
    # And its entry now mirrors the recorded state: the next unchanged run reads nothing more
    assert store.watch[JOB_ARN].version == 1
    gets = store.gets
    _watch(store, source)
    assert store.gets == gets
    assert len(store.history) == 1


def test_a_discovered_resource_waits_for_the_baseline_and_a_named_project() -> None:
    # Given discovered resources in a service whose silent baseline has not ended
    store = FakeStore()
    store.watch[JOB_ARN] = _discovered(JOB_ARN, ResourceType.DATASET_IMPORT_JOB, "j")
    source = FakeSource(Service.PERSONALIZE, False, [])
    source.detail[JOB_ARN] = {"status": "CREATE FAILED", "parent_arn": "arn:aws:personalize:ds"}
    report, _ = _watch(store, source)
    # Then the watch records nothing (it would be part of the baseline) and keeps watching
    assert (report.recorded, report.left_to_sweep) == ([], 1)
    assert list(store.watch) == [JOB_ARN]
    # And a discovered dataset whose project nobody named is left to the sweep too
    store = FakeStore(metas={Service.REKOGNITION: ServiceMeta(baseline_at=NOW - timedelta(days=1))})
    store.watch[DATASET_ARN] = _discovered(DATASET_ARN, ResourceType.DATASET, "shoes/train")
    rekognition = FakeSource(Service.REKOGNITION, True, [])
    rekognition.detail[DATASET_ARN] = {"status": "UPDATE_IN_PROGRESS"}
    report, _ = _watch(store, rekognition)
    assert (report.recorded, report.left_to_sweep) == ([], 1)


def test_while_the_baseline_is_not_over_changes_are_left_to_the_sweep() -> None:
    # Given a first sweep whose listing failed part way: in flight recorded silently, baseline not over
    store = FakeStore()
    source = FakeSource(Service.REKOGNITION, True, [dataset("CREATE_IN_PROGRESS", parent_arn=PROJECT)])
    source.complete = False
    sweep(source, store, retention_days=30, now=NOW)
    assert list(store.watch) == [DATASET_ARN]
    # When the dataset fails and the watch runs
    source.detail[DATASET_ARN] = {"status": "CREATE_FAILED", "reason": "bad"}
    report, _ = _watch(store, source)
    # Then it is not alerted or recorded by the watch (the baseline is silent, and the sweep's)
    assert (report.recorded, report.left_to_sweep, store.alerts) == ([], 1, [])
    assert list(store.watch) == [DATASET_ARN]


def test_gone_discoveries_leave_the_watch_after_a_grace_and_recorded_ones_wait_for_the_sweep() -> None:
    store, source = _baselined(job("CREATE IN_PROGRESS"))
    young = "arn:aws:personalize:eu-west-1:123456789012:dataset-import-job/young"
    old = "arn:aws:personalize:eu-west-1:123456789012:dataset-import-job/old"
    store.watch[young] = _discovered(young, ResourceType.DATASET_IMPORT_JOB, "young", since=LATER)
    store.watch[old] = _discovered(
        old, ResourceType.DATASET_IMPORT_JOB, "old", since=LATER - NOT_FOUND_GRACE * 2
    )
    source.missing = {JOB_ARN, young, old}
    report, _ = _watch(store, source)
    # An old discovery leaves; a fresh one may just not be visible yet
    assert sorted(store.watch) == sorted([JOB_ARN, young])
    assert (report.unwatched, report.problems) == (1, [])
    # A recorded resource stays in flight and watched: deleting is the full sweep's (two complete
    # listings), and its deletion takes it off the watch
    assert store.states[JOB_ARN].status == "CREATE IN_PROGRESS"
    source.listed = []
    for minute in (2, 3):
        sweep(source, store, retention_days=30, now=NOW + timedelta(minutes=minute))
    assert store.states[JOB_ARN].status == "DELETED"
    assert JOB_ARN not in store.watch


def test_an_unknown_status_and_a_failing_describe_are_left_for_later() -> None:
    store, source = _baselined(dataset("UPDATE_IN_PROGRESS"), dataset("CREATE_IN_PROGRESS", arn=ARN2))
    source.detail[DATASET_ARN] = {"status": "UPDATE_PAUSED"}
    source.broken = {ARN2}
    report, _ = _watch(store, source)
    assert report.recorded == []
    assert report.left_to_sweep == 1
    assert len(report.problems) == 1
    assert sorted(store.watch) == sorted([DATASET_ARN, ARN2])


def test_the_deadline_stops_describing() -> None:
    store, source = _baselined(dataset("UPDATE_IN_PROGRESS"))
    report, _ = _watch(store, source, out_of_time=lambda: True)
    assert source.described == []
    assert report.stopped_early


def test_a_discovered_update_names_its_operation_through_the_episode() -> None:
    # Given a complete dataset, and CloudTrail reporting UpdateDatasetEntries on it
    store, source = _baselined(dataset("CREATE_COMPLETE", parent_arn=PROJECT))
    store.watch[DATASET_ARN] = _discovered(
        DATASET_ARN, ResourceType.DATASET, "shoes/train", operation=UPDATE_DATASET_ENTRIES
    )
    # When the watch sees it in flight, then failed
    source.detail[DATASET_ARN] = {"status": "UPDATE_IN_PROGRESS"}
    _watch(store, source)
    source.detail[DATASET_ARN] = {"status": "UPDATE_FAILED", "reason": "bad manifest"}
    _watch(store, source, now=LATER + timedelta(minutes=1))
    # Then both transitions carry the operation, in the event and in the alert
    assert [(e["status"], e["operation"]) for e in _events(store)] == [
        ("UPDATE_IN_PROGRESS", UPDATE_DATASET_ENTRIES),
        ("UPDATE_FAILED", UPDATE_DATASET_ENTRIES),
    ]
    [alert] = store.alerts
    assert json.loads(json.loads(alert.body)["default"])["operation"] == UPDATE_DATASET_ENTRIES
    assert store.watch == {}


def test_a_sweep_that_records_first_also_names_the_discovered_operation() -> None:
    # Given a distribution CloudTrail reported for a project's two datasets
    store, source = _baselined(
        dataset("CREATE_COMPLETE", parent_arn=PROJECT),
        dataset("CREATE_COMPLETE", arn=ARN2, parent_arn=PROJECT),
    )
    for arn, other in ((DATASET_ARN, ARN2), (ARN2, DATASET_ARN)):
        store.watch[arn] = _discovered(
            arn, ResourceType.DATASET, "shoes", operation=DISTRIBUTE_DATASET_ENTRIES, distributed_with=other
        )
    # When the full sweep, not the watch, sees both updated
    source.listed = [
        dataset("UPDATE_COMPLETE", parent_arn=PROJECT),
        dataset("UPDATE_COMPLETE", arn=ARN2, parent_arn=PROJECT),
    ]
    sweep(source, store, retention_days=30, now=LATER)
    # Then each event names the operation and the other dataset, and the watch is done with them
    events = {e["resource_arn"]: e for e in _events(store)}
    assert events[DATASET_ARN]["operation"] == DISTRIBUTE_DATASET_ENTRIES
    assert events[DATASET_ARN]["distributed_with"] == ARN2
    assert events[ARN2]["distributed_with"] == DATASET_ARN
    assert store.watch == {}


def test_without_cloudtrail_a_dataset_update_names_no_operation_and_a_create_does() -> None:
    store, source = _baselined(dataset("CREATE_COMPLETE", parent_arn=PROJECT))
    source.listed = [
        dataset("UPDATE_IN_PROGRESS", parent_arn=PROJECT),
        dataset("CREATE_IN_PROGRESS", arn=ARN2),
    ]
    sweep(source, store, retention_days=30, now=LATER)
    operations = {e["resource_arn"]: e["operation"] for e in _events(store)}
    assert operations == {DATASET_ARN: None, ARN2: "CreateDataset"}


def test_an_unreadable_watch_list_does_not_stop_a_sweep_recording() -> None:
    store, source = _baselined(job("CREATE IN_PROGRESS"))
    store.watch_unreadable = True
    source.listed = [job("ACTIVE")]
    report = sweep(source, store, retention_days=30, now=LATER)
    assert [t.new.status for t in report.recorded] == ["ACTIVE"]
    assert "watch list" in report.problems[0]


def _discovered(arn: str, kind: ResourceType, name: str, since: Any = NOW, **kwargs: Any) -> WatchEntry:
    service = Service.REKOGNITION if kind is ResourceType.DATASET else Service.PERSONALIZE
    return WatchEntry(service, arn, since, kind, name, origin=WATCHED_BY_CLOUDTRAIL, **kwargs)


def test_a_job_stuck_past_its_threshold_warns_once_then_its_failure_alerts_once() -> None:
    # Given a job a sweep found in flight, with a 6-hour threshold for import jobs
    store, source = _baselined(job("CREATE IN_PROGRESS", parent_arn="arn:aws:personalize:ds"))
    thresholds = {"CreateDatasetImportJob": 360}
    # When the watch runs before the threshold, nothing is said
    _watch(store, source, now=NOW + timedelta(hours=5), stuck_after=thresholds)
    assert store.outbox == []
    # When it runs past it, one warning alert and one "Stuck" event
    report, _ = _watch(store, source, now=NOW + timedelta(hours=7), stuck_after=thresholds)
    assert report.stuck_warnings == 1
    [alert] = store.alerts
    assert alert.severity == "warning"
    # (the name is cut to fit SNS's 100 characters; the status never is)
    assert alert.subject == (
        "[statusmon] WARNING: Personalize dataset import job interactions-... is stuck in CREATE IN_PROGRESS"
    )
    document = json.loads(json.loads(alert.body)["default"])
    assert document["hint"].startswith("in CREATE IN_PROGRESS for 7 h (statusmon warns after 6 h)")
    assert document["stuck_since"] == "2026-11-24T12:00:00Z"
    [event] = store.events
    assert event.subject == "Personalize Dataset Import Job Stuck"
    assert json.loads(event.body)["stuck_since"] == "2026-11-24T12:00:00Z"
    # And later runs of the same episode say nothing more, even after another in-flight status
    _watch(store, source, now=NOW + timedelta(hours=8), stuck_after=thresholds)
    source.detail[JOB_ARN] = {"status": "CREATE PENDING"}
    _watch(store, source, now=NOW + timedelta(hours=9), stuck_after=thresholds)
    source.detail[JOB_ARN] = {"status": "CREATE PENDING"}
    _watch(store, source, now=NOW + timedelta(hours=12), stuck_after=thresholds)
    assert len(store.alerts) == 1
    # When it finally fails, that alerts as usual, once
    source.detail[JOB_ARN] = {"status": "CREATE FAILED", "reason": "timed out"}
    _watch(store, source, now=NOW + timedelta(hours=13), stuck_after=thresholds)
    assert [m.severity for m in store.alerts] == ["warning", "error"]
    assert store.watch == {}


def test_no_stuck_warning_for_a_disabled_operation_a_deletion_or_an_unmirrored_entry() -> None:
    store, source = _baselined(
        dataset("UPDATE_IN_PROGRESS", parent_arn=PROJECT), dataset("DELETE_IN_PROGRESS", arn=ARN2)
    )
    report, _ = _watch(
        store,
        source,
        now=NOW + timedelta(days=3),
        stuck_after={"UpdateDatasetEntries": 0, "CreateDataset": 1},
    )
    assert (report.stuck_warnings, store.outbox) == (0, [])
    # A discovered entry not yet recorded has no state to warn about
    store = FakeStore(metas={Service.PERSONALIZE: ServiceMeta()})
    store.watch[JOB_ARN] = _discovered(JOB_ARN, ResourceType.DATASET_IMPORT_JOB, "j")
    personalize = FakeSource(Service.PERSONALIZE, False, [])
    personalize.detail[JOB_ARN] = {"status": "CREATE IN_PROGRESS", "parent_arn": "arn:aws:personalize:ds"}
    report, _ = _watch(
        store, personalize, now=NOW + timedelta(days=3), stuck_after={"CreateDatasetImportJob": 1}
    )
    assert report.stuck_warnings == 0


def test_in_flight_since_is_the_earlier_of_first_seen_and_the_services_timestamp() -> None:
    # Given a dataset the service says has been updating since long before the sweep first saw it
    started = NOW - timedelta(hours=3)
    store, source = _baselined(dataset("UPDATE_IN_PROGRESS", parent_arn=PROJECT, updated_at=started))
    # Then it is stuck as soon as the watch looks, by the service's clock
    report, _ = _watch(
        store, source, now=NOW + timedelta(minutes=1), stuck_after={"UpdateDatasetEntries": 120}
    )
    assert report.stuck_warnings == 1
    assert json.loads(store.events[0].body)["stuck_since"] == "2026-11-24T09:00:00Z"


SHOP = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"
SHOP_ITEMS = "arn:aws:personalize:eu-west-1:123456789012:dataset/shop/ITEMS"
OTHER_ITEMS = "arn:aws:personalize:eu-west-1:123456789012:dataset/other/ITEMS"


def test_an_entry_the_filters_exclude_is_taken_off_undescribed_and_never_recorded() -> None:
    # Given a dataset in flight that a sweep put on the watch, then project_names narrowed to hats
    store, source = _baselined(dataset("UPDATE_IN_PROGRESS", parent_arn=PROJECT))
    history = len(store.history)
    source.detail[DATASET_ARN] = {"status": "UPDATE_FAILED", "reason": "The manifest file is not valid"}
    # When the watch runs with the new filters
    report, _ = _watch(store, source, filters=Filters.of(project_names=["hats"]))
    # Then the entry is off the watch, named in the report, without a Describe, a record or an alert
    assert store.watch == {}
    assert report.excluded == [DATASET_ARN]
    assert source.described == []
    assert (report.recorded, len(store.history), store.outbox) == ([], history, [])
    assert report.summary()["excluded"] == 1


def test_a_discovered_job_is_placed_by_the_dataset_its_describe_names() -> None:
    # Given two jobs discovered without their dataset, in a baselined service filtered to the shop group
    store = FakeStore(metas={Service.PERSONALIZE: ServiceMeta(baseline_at=NOW - timedelta(days=1))})
    store.watch[JOB_ARN] = _discovered(JOB_ARN, ResourceType.DATASET_IMPORT_JOB, "j1")
    store.watch[JOB2] = _discovered(JOB2, ResourceType.DATASET_IMPORT_JOB, "j2")
    source = FakeSource(Service.PERSONALIZE, False, [])
    source.detail[JOB_ARN] = {"status": "CREATE FAILED", "parent_arn": SHOP_ITEMS}
    source.detail[JOB2] = {"status": "CREATE FAILED", "parent_arn": OTHER_ITEMS}
    # When the watch describes them
    report, _ = _watch(store, source, filters=Filters.of(personalize_arns=[SHOP]))
    # Then the shop job's failure is recorded with its alert; the other group's job leaves the watch
    # unrecorded and without an alert
    assert [t.new.resource_arn for t in report.recorded] == [JOB_ARN]
    assert [m.transition_id for m in store.alerts] == [report.recorded[0].transition_id]
    assert report.excluded == [JOB2]
    assert JOB2 not in store.watch
    assert JOB2 not in store.states


def test_a_job_that_cannot_be_placed_while_filters_are_set_is_not_recorded() -> None:
    # Given a discovered job whose Describe names no dataset either
    store = FakeStore(metas={Service.PERSONALIZE: ServiceMeta(baseline_at=NOW - timedelta(days=1))})
    store.watch[JOB_ARN] = _discovered(JOB_ARN, ResourceType.DATASET_IMPORT_JOB, "j1")
    source = FakeSource(Service.PERSONALIZE, False, [])
    source.detail[JOB_ARN] = {"status": "CREATE FAILED"}
    # When the watch runs with a Personalize filter
    report, _ = _watch(store, source, filters=Filters.of(personalize_arns=[SHOP]))
    # Then it records nothing and takes the entry off (the filtered sweep finds it if included)
    assert (report.recorded, store.alerts, store.watch) == ([], [], {})
    assert report.excluded == [JOB_ARN]


def test_an_entry_with_a_malformed_arn_is_taken_off() -> None:
    # Given an entry whose ARN no Describe can take
    store = FakeStore()
    bad = "arn:aws:rekognition:us-east-1:123456789012:project/shoes"
    store.watch[bad] = _discovered(bad, ResourceType.DATASET, "shoes")
    source = FakeSource(Service.REKOGNITION, True, [])
    # When the watch runs
    report, _ = _watch(store, source)
    # Then it is off the list and named in the report, without a Describe
    assert store.watch == {}
    assert report.malformed == [bad]
    assert source.described == []


def test_an_entry_whose_describe_is_denied_ends_after_max_denials() -> None:
    # Given a watched dataset that the watch's credentials may not describe
    store, source = _baselined(dataset("UPDATE_IN_PROGRESS", parent_arn=PROJECT))
    source.denied.add(DATASET_ARN)
    # When the watch runs MAX_DENIALS - 1 times
    for minute in range(1, MAX_DENIALS):
        report, _ = _watch(store, source, now=NOW + timedelta(minutes=minute))
        # Then each run reports the denial and counts it on the entry, which stays
        assert report.problems
        assert "access denied" in report.problems[0]
        assert store.watch[DATASET_ARN].denials == minute
        assert report.denied == []
    # And the next denial takes it off, named in the report; no further run describes it
    report, _ = _watch(store, source, now=NOW + timedelta(minutes=MAX_DENIALS))
    assert report.denied == [DATASET_ARN]
    assert store.watch == {}
    described = len(source.described)
    _watch(store, source, now=NOW + timedelta(minutes=MAX_DENIALS + 1))
    assert len(source.described) == described
    assert MAX_DENIALS == 10


# -- what happened between two looks ------------------------------------------------------------------


def _quick_update_store() -> tuple[FakeStore, FakeSource]:
    """A dataset recorded UPDATE_COMPLETE (dated NOW - 1 h, no error entries), and CloudTrail reporting
    an UpdateDatasetEntries on it at NOW."""
    store, source = _baselined(
        dataset(
            "UPDATE_COMPLETE",
            parent_arn=PROJECT,
            updated_at=NOW - timedelta(hours=1),
            details={"stats": {"ErrorEntries": 0}},
        )
    )
    store.watch[DATASET_ARN] = _discovered(
        DATASET_ARN, ResourceType.DATASET, "shoes/train", since=NOW, operation=UPDATE_DATASET_ENTRIES
    )
    return store, source


def test_an_update_that_finished_before_the_first_look_is_recorded_evented_and_warned_once() -> None:
    # Given a quick update reported by CloudTrail that finished with 40 error entries before the watch ran
    store, source = _quick_update_store()
    source.samples = [{"source-ref": "s3://shoes/1.jpg", "errors": ["bad label"]}]
    source.detail[DATASET_ARN] = {
        "status": "UPDATE_COMPLETE",
        "updated_at": NOW + timedelta(seconds=20),
        "details": {"stats": {"ErrorEntries": 40}},
    }
    # When the watch runs
    report, _ = _watch(store, source)
    # Then the completion is recorded as if the update had been seen in flight: same status, new date
    [done] = report.recorded
    assert (done.previous_status, done.new.status) == ("UPDATE_COMPLETE", "UPDATE_COMPLETE")
    assert (done.new.updated_at, done.new.version, done.new.error_entries()) == (
        NOW + timedelta(seconds=20),
        2,
        40,
    )
    # With its event naming the operation, and one warning alert with the error samples
    assert [(e["previous_status"], e["status"], e["operation"]) for e in _events(store)] == [
        ("UPDATE_COMPLETE", "UPDATE_COMPLETE", UPDATE_DATASET_ENTRIES)
    ]
    [warning] = store.alerts
    body = json.loads(json.loads(warning.body)["default"])
    assert (warning.severity, body["operation"]) == ("warning", UPDATE_DATASET_ENTRIES)
    assert body["details"]["error_entries"] == source.samples
    # And the dataset leaves the watch; the next run and a sweep record nothing more
    assert store.watch == {}
    assert _watch(store, source, now=LATER + timedelta(minutes=1))[0].recorded == []
    assert sweep(source, store, retention_days=30, now=LATER + timedelta(minutes=2)).recorded == []
    assert len(store.alerts) == 1


def test_a_settled_answer_dated_before_the_call_is_no_completion_and_waits_a_bounded_time() -> None:
    # Given CloudTrail reported an update, but the Describe still shows the state from before the call
    store, source = _quick_update_store()
    source.detail[DATASET_ARN] = {"status": "UPDATE_COMPLETE", "updated_at": NOW - timedelta(hours=1)}
    # When the watch runs within the grace period
    report, _ = _watch(store, source)
    # Then nothing is recorded and the entry stays, waiting for the update to show
    assert (report.recorded, report.not_started, store.outbox) == ([], 1, [])
    assert list(store.watch) == [DATASET_ARN]
    # When the update then runs and completes, the next look records it
    source.detail[DATASET_ARN] = {"status": "UPDATE_COMPLETE", "updated_at": NOW + timedelta(minutes=2)}
    [done] = _watch(store, source, now=NOW + timedelta(minutes=3))[0].recorded
    assert done.new.updated_at == NOW + timedelta(minutes=2)
    assert store.watch == {}


def test_a_call_that_never_shows_leaves_the_watch_after_the_grace_without_a_record() -> None:
    # Given CloudTrail reported an update whose effect never shows (the call failed without saying so)
    store, source = _quick_update_store()
    source.detail[DATASET_ARN] = {"status": "UPDATE_COMPLETE", "updated_at": NOW - timedelta(hours=1)}
    # When the watch looks within the grace, then after it
    _watch(store, source, now=NOW + NOT_STARTED_GRACE)
    assert list(store.watch) == [DATASET_ARN]
    report, _ = _watch(store, source, now=NOW + NOT_STARTED_GRACE + timedelta(minutes=1))
    # Then it is dropped, having recorded nothing
    assert (report.recorded, report.unwatched, store.watch, store.outbox) == ([], 1, {}, [])


def test_a_settled_failure_dated_before_the_call_is_not_recorded_either() -> None:
    # Given a failed dataset, a new update of it reported by CloudTrail, and a Describe that still
    # shows the old failure (with a reason the listing had shortened)
    store, source = _baselined(
        dataset("UPDATE_FAILED", parent_arn=PROJECT, reason="bad", updated_at=NOW - timedelta(hours=1))
    )
    store.watch[DATASET_ARN] = _discovered(
        DATASET_ARN, ResourceType.DATASET, "shoes/train", since=NOW, operation=UPDATE_DATASET_ENTRIES
    )
    source.detail[DATASET_ARN] = {
        "status": "UPDATE_FAILED",
        "reason": "bad, in full",
        "updated_at": NOW - timedelta(hours=1),
    }
    report, _ = _watch(store, source)
    # Then the watch records nothing for this call yet (the old failure is the sweep's to compare)
    assert (report.recorded, report.not_started) == ([], 1)
    # And when the retried update fails again after the call, that failure is recorded and alerted
    source.detail[DATASET_ARN] = {
        "status": "UPDATE_FAILED",
        "reason": "bad",
        "updated_at": NOW + timedelta(minutes=1),
    }
    [again] = _watch(store, source, now=NOW + timedelta(minutes=2))[0].recorded
    assert (again.previous_status, again.new.status) == ("UPDATE_FAILED", "UPDATE_FAILED")
    assert [m.severity for m in store.alerts] == ["error"]


def test_an_import_job_created_and_finished_before_the_first_look_is_recorded_as_new() -> None:
    # Given two import jobs CloudTrail reported, which finished (one failed) before the watch's first look
    store = FakeStore(metas={Service.PERSONALIZE: ServiceMeta(baseline_at=NOW - timedelta(days=1))})
    failed = "arn:aws:personalize:eu-west-1:123456789012:dataset-import-job/broken"
    for arn in (JOB_ARN, failed):
        store.watch[arn] = _discovered(arn, ResourceType.DATASET_IMPORT_JOB, arn.rsplit("/", 1)[1], since=NOW)
    source = FakeSource(Service.PERSONALIZE, False, [])
    dataset_arn = "arn:aws:personalize:eu-west-1:123456789012:dataset/shop/INTERACTIONS"
    source.detail[JOB_ARN] = {
        "status": "ACTIVE",
        "updated_at": NOW + timedelta(seconds=40),
        "parent_arn": dataset_arn,
    }
    source.detail[failed] = {
        "status": "CREATE FAILED",
        "reason": "Input CSV is missing column USER_ID",
        "updated_at": NOW + timedelta(seconds=20),
        "parent_arn": dataset_arn,
    }
    # When the watch runs
    report, _ = _watch(store, source)
    # Then each is recorded as new with its outcome and event, the failure alerted, and both leave the watch
    assert sorted((t.previous_status, t.new.status) for t in report.recorded) == [
        (None, "ACTIVE"),
        (None, "CREATE FAILED"),
    ]
    assert sorted(e["operation"] for e in _events(store)) == ["CreateDatasetImportJob"] * 2
    assert [m.severity for m in store.alerts] == ["error"]
    assert store.watch == {}


def test_a_describe_answer_older_than_the_recorded_state_changes_nothing_and_the_next_run_settles_it() -> (
    None
):
    # Given a job a sweep recorded failed (the service dates the failure LATER), and a CloudTrail
    # discovery of it that arrived after that record
    failed_at = LATER
    store, source = _baselined(job("CREATE FAILED", reason="bad", updated_at=failed_at, read_at=failed_at))
    store.watch[JOB_ARN] = _discovered(JOB_ARN, ResourceType.DATASET_IMPORT_JOB, "interactions-2026-11-24")
    history = list(store.history)
    # When the watch's Describe answer, delivered late, still shows it in flight (dated before the failure)
    source.detail[JOB_ARN] = {"status": "CREATE IN_PROGRESS", "updated_at": NOW}
    report, _ = _watch(store, source)
    # Then nothing is recorded, and the entry is left as discovered (it mirrors no state)
    assert report.recorded == []
    assert store.history == history
    assert store.watch[JOB_ARN].version is None
    # And the next run, which reads the failure as recorded, takes it off the watch
    source.detail[JOB_ARN] = {"status": "CREATE FAILED", "reason": "bad", "updated_at": failed_at}
    again, _ = _watch(store, source)
    assert again.recorded == []
    assert store.watch == {}
    assert store.alerts == []
