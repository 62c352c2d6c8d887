"""Bucket marks: a quiet sweep reads no state, a change reads its bucket only, and no doubt hides a change."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from statusmon.domain.digest import BUCKETS, EMPTY, bucket_of, buckets_to_read, digests, fingerprint
from statusmon.domain.model import BucketMark, Observation, ResourceState, ServiceMeta
from statusmon.domain.vocabulary import DELETED, Service
from statusmon.logic.sweep import DESCRIBE_WORKERS
from tests.unit.factories import NOW, dataset, job
from tests.unit.test_sweep import FakeSource, FakeStore, _run

PREFIX = "arn:aws:personalize:eu-west-1:123456789012:dataset-import-job/"


def _jobs(count: int, status: str = "ACTIVE") -> list[Observation]:
    return [job(status, arn=f"{PREFIX}job-{n:05d}") for n in range(count)]


def _swept(listed: list[Observation], service: Service = Service.PERSONALIZE) -> tuple[FakeSource, FakeStore]:
    """A service already baselined and reconciled with ``listed``."""
    source = FakeSource(service, service is Service.REKOGNITION, list(listed))
    store = FakeStore()
    _run(source, store)
    store.loads.clear()
    source.described.clear()
    return source, store


# -- the digest ----------------------------------------------------------------------------------------


def test_fingerprint_covers_what_the_diff_compares_and_nothing_else() -> None:
    # In flight: a reason or timestamp that changes causes no write, so it must cause no read either
    assert fingerprint(job("CREATE IN_PROGRESS", reason="10%")) == fingerprint(job("CREATE IN_PROGRESS"))
    # Failed: a new reason or a new failure time is a new failure
    assert fingerprint(job("CREATE FAILED", reason="a")) != fingerprint(job("CREATE FAILED", reason="b"))
    assert fingerprint(dataset("UPDATE_FAILED", updated_at=NOW)) != fingerprint(
        dataset("UPDATE_FAILED", updated_at=NOW + timedelta(seconds=1))
    )
    assert fingerprint(job("ACTIVE")) != fingerprint(job("CREATE IN_PROGRESS"))
    # Complete: a later timestamp, or other stats, is an operation between two looks
    assert fingerprint(job("ACTIVE", updated_at=NOW)) != fingerprint(
        job("ACTIVE", updated_at=NOW + timedelta(seconds=1))
    )
    assert fingerprint(dataset("UPDATE_COMPLETE", details={"stats": {"ErrorEntries": 1}})) != fingerprint(
        dataset("UPDATE_COMPLETE", details={"stats": {"ErrorEntries": 2}})
    )
    # (a dataset's listing carries neither: its fingerprint is the same as before they were compared)
    assert fingerprint(dataset("UPDATE_COMPLETE")) == fingerprint(dataset("UPDATE_COMPLETE", reason="done"))


def test_buckets_are_two_hex_digits_and_spread_the_resources() -> None:
    buckets = {bucket_of(o.resource_arn) for o in _jobs(5000)}
    assert all(len(b) == 2 and int(b, 16) < BUCKETS for b in buckets)
    assert len(buckets) > BUCKETS * 0.9


def test_buckets_to_read_are_those_not_matching_their_mark() -> None:
    listed = digests(_jobs(3))
    [a, b, c] = sorted(listed)
    marks = {
        a: BucketMark(generation=4, digest=listed[a], digest_generation=4),  # matches
        b: BucketMark(generation=5, digest=listed[b], digest_generation=4),  # written since: void
        c: BucketMark(generation=2, digest="0" * 16, digest_generation=2),  # listing differs
        "zz": BucketMark(generation=1, digest=EMPTY, digest_generation=1),  # emptied and reconciled
        "yy": BucketMark(generation=3, digest=listed[a], digest_generation=3),  # its resources are gone
    }
    assert buckets_to_read(listed, marks) == {b, c, "yy"}
    assert buckets_to_read(listed, marks, also=[a]) == {a, b, c, "yy"}
    assert buckets_to_read(listed, {}) == {a, b, c}


# -- the sweep -----------------------------------------------------------------------------------------


def test_a_quiet_sweep_reads_no_state_whatever_the_number_of_resources() -> None:
    # Given 3,000 import jobs, baselined and reconciled
    source, store = _swept(_jobs(3000))
    # When nothing changed
    report = _run(source, store)
    # Then no bucket and no state is read, nothing described or written
    assert store.loads == [set()]
    assert (report.buckets_read, report.states_read, report.described, report.recorded) == (0, 0, 0, [])
    assert report.succeeded


def test_one_change_among_thousands_reads_its_bucket_and_is_recorded_exactly() -> None:
    # Given 3,000 reconciled jobs
    listed = _jobs(3000)
    source, store = _swept(listed)
    # When one of them fails
    changed = replace(listed[1234], status="CREATE FAILED", reason="Input CSV is missing column USER_ID")
    source.listed[1234] = changed
    report = _run(source, store)
    # Then only its bucket is read, and exactly its transition recorded (with an alert)
    bucket = bucket_of(changed.resource_arn)
    assert store.loads == [{bucket}]
    assert report.states_read == sum(1 for o in listed if bucket_of(o.resource_arn) == bucket)
    [transition] = report.recorded
    assert (transition.new.resource_arn, transition.previous_status) == (changed.resource_arn, "ACTIVE")
    assert len(store.alerts) == len(store.events) == 1
    # And the bucket is marked again: the next sweep is quiet
    assert report.marks_stored == 1
    store.loads.clear()
    assert _run(source, store).states_read == 0
    assert store.loads == [set()]


def test_a_write_by_another_sweep_voids_the_mark_so_a_change_back_is_still_seen() -> None:
    # Given reconciled jobs, and another sweep (the CLI) that records a failure but dies before it
    # stores its mark: the bucket's generation moved, its digest did not
    listed = _jobs(50, "CREATE IN_PROGRESS")
    source, store = _swept(listed)
    target = listed[7]
    failed = replace(target, status="CREATE FAILED", reason="boom")
    other = FakeSource(Service.PERSONALIZE, False, [failed if o is target else o for o in listed])
    save_marks, store.save_marks = store.save_marks, lambda service, marks: 0  # type: ignore[method-assign]
    assert len(_run(other, store).recorded) == 1
    store.save_marks = save_marks  # type: ignore[method-assign]
    # When the listing is back to exactly what the mark was computed from (the job was restarted)
    store.loads.clear()
    report = _run(source, store)
    # Then the bucket is read anyway, and the change from the recorded failure is found
    assert store.loads == [{bucket_of(target.resource_arn)}]
    [back] = report.recorded
    assert (back.previous_status, back.new.status) == ("CREATE FAILED", "CREATE IN_PROGRESS")


def test_failed_datasets_are_described_every_sweep_and_a_repeated_failure_is_found() -> None:
    # Given a failed dataset among complete ones, reconciled (its Describe gave its failure time)
    arn = "arn:aws:rekognition:us-east-1:123456789012:project/p{n}/dataset/train/1690476084535"
    listed = [dataset("CREATE_COMPLETE", arn=arn.format(n=n)) for n in range(40)]
    failed_arn = arn.format(n=99)
    listed.append(dataset("UPDATE_FAILED", arn=failed_arn, reason="bad manifest"))
    source = FakeSource(Service.REKOGNITION, True, listed, detail={failed_arn: {"updated_at": NOW}})
    store = FakeStore()
    _run(source, store)
    # When the listing is the same but the update was retried and failed again (a later timestamp)
    source.detail[failed_arn] = {"updated_at": NOW + timedelta(hours=1)}
    source.described.clear()
    store.loads.clear()
    report = _run(source, store)
    # Then the failed dataset alone is described, its bucket read, and the new failure recorded
    assert source.described == [failed_arn]
    assert store.loads == [{bucket_of(failed_arn)}]
    [again] = report.recorded
    assert again.new.updated_at == NOW + timedelta(hours=1)
    # And with nothing new, it is described again but nothing is read
    source.described.clear()
    store.loads.clear()
    assert _run(source, store).recorded == []
    assert (source.described, store.loads) == ([failed_arn], [set()])


def test_a_vanished_resource_is_deleted_after_two_complete_listings_even_in_a_quiet_service() -> None:
    listed = _jobs(200)
    source, store = _swept(listed)
    gone = source.listed.pop(42)
    # The first listing without it reads its bucket and puts it on notice
    first = _run(source, store)
    assert first.recorded == []
    assert store.service_meta(Service.PERSONALIZE).missing == {gone.resource_arn}
    # The second reads that bucket again (it is on notice) and deletes it
    store.loads.clear()
    [deleted] = _run(source, store).recorded
    assert store.loads == [{bucket_of(gone.resource_arn)}]
    assert (deleted.new.resource_arn, deleted.new.status) == (gone.resource_arn, DELETED)
    # Then all is quiet again
    store.loads.clear()
    assert _run(source, store).recorded == []
    assert store.loads == [set()]


def test_an_incomplete_listing_stores_no_mark() -> None:
    listed = _jobs(30)
    source, store = _swept(listed)
    source.listed[3] = replace(listed[3], status="CREATE FAILED", reason="x")
    source.complete = False
    report = _run(source, store)
    assert len(report.recorded) == 1
    assert report.marks_stored == 0
    # The bucket stays void until a complete listing reconciles it
    source.complete = True
    store.loads.clear()
    assert _run(source, store).recorded == []
    assert store.loads == [{bucket_of(listed[3].resource_arn)}]


def test_an_older_key_layout_is_read_in_full_once_then_by_bucket() -> None:
    # Given a table written before buckets (no marks, layout 0)
    listed = _jobs(100)
    store = FakeStore(
        {o.resource_arn: ResourceState.from_observation(o, observed_at=NOW, version=1) for o in listed}
    )
    store.metas[Service.PERSONALIZE] = ServiceMeta(baseline_at=NOW - timedelta(days=1))
    source = FakeSource(Service.PERSONALIZE, False, listed)
    # When the first sweep runs: it reads everything, upgrades the keys and records the layout
    _run(source, store)
    assert store.loads == [None]
    assert store.service_meta(Service.PERSONALIZE).layout == 2
    # Then the next sweep reads nothing
    store.loads.clear()
    assert _run(source, store).recorded == []
    assert store.loads == [set()]


def test_describe_calls_run_side_by_side_bounded_and_stop_at_the_deadline() -> None:
    # Given 40 new failed datasets, whose Describe takes a moment
    arn = "arn:aws:rekognition:us-east-1:123456789012:project/p{n}/dataset/train/1690476084535"
    listed = [dataset("CREATE_FAILED", arn=arn.format(n=n), reason="bad") for n in range(40)]
    lock = threading.Lock()
    in_flight = [0, 0]  # now, most

    class SlowSource(FakeSource):
        def describe(self, observation: Observation) -> Observation:
            with lock:
                in_flight[0] += 1
                in_flight[1] = max(in_flight)
            time.sleep(0.01)
            with lock:
                in_flight[0] -= 1
            return super().describe(observation)

    source = SlowSource(Service.REKOGNITION, True, listed)
    report = _run(source, FakeStore())
    # Then they overlap, never more than the bound, and every one is recorded in listing order
    assert 1 < in_flight[1] <= DESCRIBE_WORKERS
    assert [t.new.resource_arn for t in report.recorded] == [o.resource_arn for o in listed]
    # And past the deadline no Describe starts: the rest are skipped, not deleted
    calls = len(source.described)
    source.described.clear()
    late = _run(source, FakeStore(), out_of_time=lambda: len(source.described) >= 5)
    assert late.stopped_early
    assert calls == 40
    assert 5 <= len(source.described) < 5 + DESCRIBE_WORKERS


def test_a_deadline_during_the_marks_writes_no_more_and_the_next_sweep_reads_what_is_unmarked() -> None:
    # Given reconciled jobs in many buckets, all of which then fail
    listed = _jobs(60, "CREATE IN_PROGRESS")
    source, store = _swept(listed)
    source.listed = [replace(o, status="CREATE FAILED", reason="boom") for o in listed]
    touched = {bucket_of(o.resource_arn) for o in listed}
    writes: list[str] = []
    save_marks = store.save_marks

    def counted(service: Service, marks: Mapping[str, BucketMark]) -> int:
        writes.extend(marks)
        return save_marks(service, marks)

    store.save_marks = counted  # type: ignore[method-assign]
    # When the deadline comes after three mark writes
    report = _run(source, store, out_of_time=lambda: len(writes) >= 3)
    # Then every change is recorded, and no mark is written past the deadline
    assert len(report.recorded) == 60
    assert len(writes) == report.marks_stored == 3
    assert report.stopped_early
    assert not report.succeeded
    marked = set(writes)
    # And the table is consistent: the next sweep reads exactly the unmarked buckets, finds nothing
    # left to record, and marks them; the one after reads nothing
    store.loads.clear()
    again = _run(source, store)
    assert store.loads == [touched - marked]
    assert again.recorded == []
    assert again.succeeded
    assert again.marks_stored == len(touched) - 3
    store.loads.clear()
    assert _run(source, store).states_read == 0
    assert store.loads == [set()]
    assert len(store.alerts) == 60


def test_a_deadline_before_the_bookkeeping_leaves_the_previous_one_and_no_mark() -> None:
    # Given a job absent from a complete listing (its absence is bookkeeping to write)
    listed = _jobs(5)
    source, store = _swept(listed)
    source.listed = listed[1:]
    before = store.service_meta(Service.PERSONALIZE)
    store.loads.clear()
    # When the deadline comes once the states are read
    report = _run(source, store, out_of_time=lambda: bool(store.loads))
    # Then neither the bookkeeping nor any mark is written
    assert report.stopped_early
    assert store.service_meta(Service.PERSONALIZE) == before
    assert report.marks_stored == 0
    # And the next sweep, in time, counts the job missing as this one would have
    assert _run(source, store).succeeded
    assert store.service_meta(Service.PERSONALIZE).missing == {listed[0].resource_arn}
