"""The sweep's deep check: every complete dataset described once per period, a bounded slice per sweep,
so that an update that started and ended between two sweeps is found without CloudTrail."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from statusmon.domain import digest
from statusmon.domain.model import ServiceMeta
from statusmon.domain.vocabulary import Service
from statusmon.logic.sweep import DeepCheck, sweep
from tests.unit.factories import NOW, dataset
from tests.unit.fakes import FakeSource, FakeStore

DAY = DeepCheck(period=timedelta(hours=24), interval=timedelta(minutes=5))


def _arn(n: int) -> str:
    return f"arn:aws:rekognition:us-east-1:123456789012:project/p{n}/dataset/train/{1690476084000 + n}"


@pytest.mark.parametrize("late", [timedelta(0), timedelta(seconds=40)])
def test_a_day_of_sweeps_covers_every_bucket_and_each_sweep_a_bounded_slice(late: timedelta) -> None:
    # Given sweeps every five minutes for a day, from an arbitrary moment, some starting late
    start = NOW + timedelta(seconds=137)
    turns: Counter[str] = Counter()
    slices = []
    for n in range(24 * 12):
        moment = start + n * DAY.interval + (late if n % 3 == 1 else timedelta(0))
        share = DAY.buckets(moment)
        slices.append(len(share))
        turns.update(share)
    # Then every bucket had its turn, at most twice (the margin for a late start), and no sweep took
    # more than its share (256 buckets / 288 sweeps, rounded up, plus the margin's)
    assert set(turns) == {f"{b:02x}" for b in range(digest.BUCKETS)}
    assert max(turns.values()) <= 2
    assert max(slices) <= 2


def test_a_period_shorter_than_a_sweep_interval_takes_every_bucket_once() -> None:
    hourly = DeepCheck(period=timedelta(minutes=1), interval=timedelta(minutes=5))
    assert hourly.buckets(NOW) == {f"{b:02x}" for b in range(digest.BUCKETS)}


def _account(datasets: int) -> tuple[FakeStore, FakeSource]:
    listed = [
        dataset("UPDATE_COMPLETE", arn=_arn(n), updated_at=NOW - timedelta(days=2)) for n in range(datasets)
    ]
    store = FakeStore(metas={Service.REKOGNITION: ServiceMeta(baseline_at=NOW - timedelta(days=3))})
    source = FakeSource(Service.REKOGNITION, True, listed, deep_check=True)
    for observation in listed:
        source.detail[observation.resource_arn] = {
            "updated_at": NOW - timedelta(days=2),
            "details": {"stats": {"ErrorEntries": 0}},
        }
    # (a first sweep records them: the table's states carry their timestamps and stats)
    sweep(source, store, retention_days=30, now=NOW - timedelta(days=2))
    source.described.clear()
    store.outbox.clear()
    return store, source


def test_without_cloudtrail_a_quick_update_is_found_within_one_period_and_warned_once() -> None:
    # Given 40 complete datasets, one of them updated between two sweeps (40 new error entries)
    store, source = _account(40)
    quick = _arn(7)
    source.detail[quick] = {"updated_at": NOW, "details": {"stats": {"ErrorEntries": 40}}}
    source.samples = [{"source-ref": "s3://p7/1.jpg", "errors": ["bad"]}]
    # When sweeps run every five minutes for one period with the deep check
    recorded, described = [], []
    for n in range(24 * 12):
        source.described.clear()
        report = sweep(
            source, store, retention_days=30, now=NOW + timedelta(minutes=5 * n + 1), deep_check=DAY
        )
        recorded += report.recorded
        described.append(len(source.described))
    # Then the update was recorded once, the same status with its new date and stats, and warned once
    [found] = recorded
    assert (found.new.resource_arn, found.previous_status, found.new.status) == (
        quick,
        "UPDATE_COMPLETE",
        "UPDATE_COMPLETE",
    )
    assert (found.new.updated_at, found.new.error_entries(), found.previous_error_entries) == (NOW, 40, 0)
    assert [m.severity for m in store.alerts] == ["warning"]
    assert [m.subject for m in store.events] == ["Rekognition Custom Labels Dataset State Change"]
    # And every dataset was described in the period, each sweep only its slice
    assert sum(described) >= 40
    assert max(described) <= 3


def test_the_deep_check_reads_and_writes_nothing_outside_its_slice() -> None:
    # Given a quiet account of 200 datasets
    store, source = _account(200)
    store.loads.clear()
    # When one sweep runs without the deep check, and one with it
    sweep(source, store, retention_days=30, now=NOW)
    assert (source.described, [b for b in store.loads if b], store.outbox) == ([], [], [])
    store.loads.clear()
    report = sweep(source, store, retention_days=30, now=NOW, deep_check=DAY)
    # Then it described only the complete datasets of its buckets, read only those buckets, and
    # recorded nothing (nothing changed)
    share = DAY.buckets(NOW)
    assert store.loads == [share]
    assert sorted(source.described) == sorted(
        a for a in (_arn(n) for n in range(200)) if digest.bucket_of(a) in share
    )
    assert report.deep_described == len(source.described)
    assert (report.recorded, store.outbox) == ([], [])


def test_a_source_whose_listing_shows_everything_gets_no_deep_check() -> None:
    # Given import jobs, whose listing carries status and timestamps (PersonalizeSource.deep_check)
    store, source = _account(50)
    source.deep_check = False
    # When a sweep runs with the deep check configured
    report = sweep(source, store, retention_days=30, now=NOW, deep_check=DAY)
    # Then it describes nothing
    assert (source.described, report.deep_buckets) == ([], 0)


def test_a_bucket_with_nothing_listed_is_neither_read_nor_marked_on_its_turn() -> None:
    # Given one complete dataset (one bucket of 256 holds it), swept and marked
    store, source = _account(1)
    # When sweeps run for a whole period, each taking its turn of the buckets
    reports = [
        sweep(source, store, retention_days=30, now=NOW + timedelta(minutes=5 * n + 1), deep_check=DAY)
        for n in range(24 * 12)
    ]
    # Then only the turn of the bucket that holds a dataset reads states; the 255 empty ones cost no
    # read and no write (a mark for an empty bucket would be a write a quiet sweep never makes)
    assert sum(report.marks_stored for report in reports) == 0
    assert {report.buckets_read for report in reports} == {0, 1}
    assert sum(report.buckets_read for report in reports) == sum(report.deep_buckets for report in reports)
    assert 1 <= sum(report.deep_buckets for report in reports) <= 2
