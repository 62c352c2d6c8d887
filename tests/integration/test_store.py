import threading
import uuid
from dataclasses import replace
from datetime import timedelta

import boto3
import pytest

from statusmon.adapters.errors import AwsError
from statusmon.adapters.store import StatusStore, TableMissingError, outbox_message_from_stream_image
from statusmon.adapters.table_schema import TABLE
from statusmon.domain.digest import bucket_of
from statusmon.domain.model import WATCHED_BY_CLOUDTRAIL, BucketMark, WatchEntry
from statusmon.domain.vocabulary import ResourceType, Service
from statusmon.logic.alerts import outbox_message
from statusmon.logic.changes import detect_changes
from statusmon.logic.policy import AlertPolicy, decide
from tests.integration.streams import stream_event
from tests.unit.factories import DATASET_ARN, JOB_ARN, NOW, dataset, job


def _sweep(store: StatusStore, *observations, baseline: bool = False, now=NOW) -> list:
    """Diff against the table and record every transition, like one sweep of one service."""
    known = store.load_service(observations[0].service)
    changes = detect_changes(observations, known, now=now, complete_listing=False, baseline=baseline)
    for change in changes:
        assert store.record(change, retention_days=30)
    return changes


def test_local_table_has_stream_ttl_and_is_created_once(store: StatusStore) -> None:
    # Given a table made by ensure_table
    description = boto3.client("dynamodb").describe_table(TableName=store.table_name)["Table"]
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=store.table_name)
    # Then it has the stream, the indexes and TTL the design needs
    assert description["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert {i["IndexName"] for i in description["GlobalSecondaryIndexes"]} == {"by_service", "failed"}
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    # And creating it again is a no-op
    assert store.ensure_table() is False


def test_recorded_state_reads_back_by_service_and_by_arn(store: StatusStore) -> None:
    # Given a dataset and an import job recorded
    _sweep(store, dataset("CREATE_IN_PROGRESS", details={"stats": {"TotalEntries": 5}}))
    _sweep(store, job("CREATE PENDING"))
    # When the sweep reads a service's states
    known = store.load_service(Service.REKOGNITION)
    # Then it gets exactly that service's resources, with version and details
    assert list(known) == [DATASET_ARN]
    assert known[DATASET_ARN].version == 1
    assert known[DATASET_ARN].details == {"stats": {"TotalEntries": 5}}
    assert store.get(DATASET_ARN) == known[DATASET_ARN]
    assert store.get(DATASET_ARN.replace("1690476084535", "1")) is None
    assert [s.status for s in store.states()] == ["CREATE PENDING", "CREATE_IN_PROGRESS"]


def test_two_writers_racing_leave_exactly_one_history_item(store: StatusStore) -> None:
    # Given a dataset known in flight, and two sweeps that both read it at version 1
    _sweep(store, dataset("CREATE_IN_PROGRESS"))
    known = store.load_service(Service.REKOGNITION)
    [change] = detect_changes([dataset("CREATE_FAILED", reason="bad")], known, now=NOW, complete_listing=True)
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def writer() -> None:
        barrier.wait()
        results.append(store.record(change, retention_days=30))

    # When both record the same transition at the same moment
    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one write wins, and the history holds the transition once
    assert sorted(results) == [False, True]
    history = store.history(DATASET_ARN)
    assert [t.new.status for t in history] == ["CREATE_IN_PROGRESS", "CREATE_FAILED"]
    assert store.get(DATASET_ARN).version == 2


def test_stale_writer_is_refused(store: StatusStore) -> None:
    # Given a transition computed from version 1, after another sweep moved the resource to version 2
    _sweep(store, dataset("CREATE_IN_PROGRESS"))
    stale = detect_changes(
        [dataset("CREATE_FAILED")], store.load_service(Service.REKOGNITION), now=NOW, complete_listing=True
    )[0]
    _sweep(store, dataset("CREATE_COMPLETE"))
    # Then the stale write changes nothing
    assert store.record(stale, retention_days=30) is False
    assert store.get(DATASET_ARN).status == "CREATE_COMPLETE"
    assert len(store.history(DATASET_ARN)) == 2


def test_failed_index_holds_only_current_failures(store: StatusStore) -> None:
    _sweep(store, dataset("CREATE_FAILED", reason="bad manifest"))
    _sweep(store, job("CREATE FAILED", reason="missing column"))
    assert {s.status for s in store.states(failed_only=True)} == {"CREATE_FAILED", "CREATE FAILED"}
    assert [s.status for s in store.states(Service.PERSONALIZE, failed_only=True)] == ["CREATE FAILED"]
    # When the dataset recovers, it leaves the failed index
    _sweep(store, dataset("UPDATE_COMPLETE"))
    assert [s.service for s in store.states(failed_only=True)] == [Service.PERSONALIZE]


def test_history_is_oldest_first_with_ttl(store: StatusStore) -> None:
    statuses = ["CREATE_IN_PROGRESS", "CREATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_FAILED"]
    for minute, status in enumerate(statuses):
        _sweep(store, dataset(status), now=NOW + timedelta(minutes=minute))
    history = store.history(DATASET_ARN)
    assert [t.new.status for t in history] == statuses
    assert [t.previous_status for t in history] == [None, *statuses[:-1]]
    item = boto3.client("dynamodb").get_item(
        TableName=store.table_name, Key={"pk": {"S": f"RES#{DATASET_ARN}"}, "sk": {"S": "H#0000000001"}}
    )["Item"]
    assert int(item["expires_at"]["N"]) == int((NOW + timedelta(days=30)).timestamp())


def test_stream_carries_each_queued_alert_once_as_an_outbox_insert(store: StatusStore) -> None:
    # Given an empty table's stream
    assert stream_event(store.table_name) == {"Records": []}
    # When an in-flight dataset, then its failure, are recorded with what the policy wants
    messages = []
    for observation in (dataset("CREATE_IN_PROGRESS"), dataset("CREATE_FAILED", reason="bad")):
        known = store.load_service(Service.REKOGNITION)
        [change] = detect_changes([observation], known, now=NOW, complete_listing=False)
        alert = decide(change, AlertPolicy())
        outbox = [outbox_message(alert)] if alert else []
        messages += outbox
        assert store.record(change, retention_days=30, outbox=outbox)
    # Then the filtered stream holds exactly the failure's alert, as it was queued
    records = stream_event(store.table_name)["Records"]
    assert [outbox_message_from_stream_image(r["dynamodb"]["NewImage"]) for r in records] == messages
    assert store.pending("sns") == messages
    assert len(messages) == 1


def test_missing_table_is_a_one_line_error(aws_endpoint: str) -> None:
    missing = StatusStore("no-such-table")
    with pytest.raises(TableMissingError) as raised:
        missing.states()
    assert "no-such-table" in str(raised.value)
    assert "STATUSMON_TABLE_NAME" in str(raised.value)
    with pytest.raises(TableMissingError):
        missing.record(
            detect_changes([dataset("CREATE_FAILED")], {}, now=NOW, complete_listing=True)[0],
            retention_days=1,
        )


def test_equal_transitions_roundtrip_details(store: StatusStore) -> None:
    obs = dataset(
        "UPDATE_COMPLETE", details={"stats": {"ErrorEntries": 2}, "error_entries": [{"a": [1, "x"]}]}
    )
    [change] = _sweep(store, obs)
    assert store.history(DATASET_ARN) == [replace(change)]


def test_local_setup_repairs_a_table_made_without_its_stream(aws_endpoint: str) -> None:
    # Given a table with the right keys made by hand, without stream or TTL
    name = f"bare-{uuid.uuid4().hex[:8]}"
    kwargs = TABLE.create_table_kwargs(name)
    del kwargs["StreamSpecification"]
    client = boto3.client("dynamodb")
    client.create_table(**kwargs)
    try:
        # When local-setup's ensure_table runs
        assert StatusStore(name).ensure_table() is False
        # Then the stream and TTL the notifier and history need are on
        table = client.describe_table(TableName=name)["Table"]
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl["AttributeName"] == "expires_at"
    finally:
        client.delete_table(TableName=name)


def test_local_setup_refuses_a_table_that_is_not_a_statusmon_table(aws_endpoint: str) -> None:
    # Given somebody else's table, without a stream
    name = f"orders-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    try:
        # When local-setup is pointed at it
        with pytest.raises(AwsError, match="is not a statusmon table"):
            StatusStore(name).ensure_table()
        # Then it is left exactly as it was
        table = client.describe_table(TableName=name)["Table"]
        assert not table.get("StreamSpecification", {}).get("StreamEnabled")
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl["TimeToLiveStatus"] == "DISABLED"
    finally:
        client.delete_table(TableName=name)


def test_bookkeeping_read_before_another_sweep_wrote_it_does_not_overwrite_it(store: StatusStore) -> None:
    # Given two overlapping sweeps that read the same (empty) bookkeeping
    first = store.service_meta(Service.PERSONALIZE)
    second = store.service_meta(Service.PERSONALIZE)
    # When the later one writes first, then the older one tries
    assert store.save_service_meta(Service.PERSONALIZE, replace(second, missing=frozenset({"b"})))
    assert not store.save_service_meta(Service.PERSONALIZE, replace(first, missing=frozenset({"a"})))
    # Then what the later one wrote stands, and a fresh read can write again
    current = store.service_meta(Service.PERSONALIZE)
    assert current.missing == {"b"}
    assert store.save_service_meta(Service.PERSONALIZE, replace(current, unknown_statuses=frozenset({"X"})))
    assert store.service_meta(Service.PERSONALIZE).unknown_statuses == {"X"}


def test_bucket_marks_move_with_every_write_and_are_stored_at_their_generation_only(
    store: StatusStore,
) -> None:
    # Given a job recorded twice: its bucket's generation is 2
    _sweep(store, job("CREATE PENDING"))
    _sweep(store, job("CREATE IN_PROGRESS"))
    bucket = bucket_of(job("ACTIVE").resource_arn)
    assert store.service_meta(Service.PERSONALIZE).marks == {bucket: BucketMark(generation=2)}
    # When a sweep that saw generation 1 stores its digest, nothing is stored; at 2, it is
    assert store.save_marks(Service.PERSONALIZE, {bucket: BucketMark(1, "aa", 1)}) == 0
    assert store.save_marks(Service.PERSONALIZE, {bucket: BucketMark(2, "bb", 2)}) == 1
    assert store.service_meta(Service.PERSONALIZE).marks[bucket].still("bb")
    # And the next write voids it
    _sweep(store, job("ACTIVE"))
    assert not store.service_meta(Service.PERSONALIZE).marks[bucket].still("bb")
    # A bucket no write ever touched is marked only if still untouched
    assert store.save_marks(Service.PERSONALIZE, {"zz": BucketMark(0, "cc", 0)}) == 1
    assert store.service_meta(Service.PERSONALIZE).marks["zz"] == BucketMark(0, "cc", 0)


def test_states_are_read_by_bucket_and_old_index_keys_are_upgraded(store: StatusStore) -> None:
    # Given two jobs in different buckets, one written with the old by_service key (the bare ARN)
    arns = [f"{JOB_ARN}-{n}" for n in range(40)]
    first, second = arns[0], next(a for a in arns if bucket_of(a) != bucket_of(arns[0]))
    _sweep(store, job("ACTIVE", arn=first))
    _sweep(store, job("ACTIVE", arn=second))
    boto3.client("dynamodb").update_item(
        TableName=store.table_name,
        Key={"pk": {"S": f"RES#{second}"}, "sk": {"S": "STATE"}},
        UpdateExpression="SET gsi1sk = :arn",
        ExpressionAttributeValues={":arn": {"S": second}},
    )
    # Then a bucket read misses the old key, a full read finds it
    assert list(store.load_service(Service.PERSONALIZE, buckets=[bucket_of(second)])) == []
    assert set(store.load_service(Service.PERSONALIZE)) == {first, second}
    # When the keys are upgraded, each bucket read finds exactly its own
    assert store.upgrade_keys(Service.PERSONALIZE)
    assert list(store.load_service(Service.PERSONALIZE, buckets=[bucket_of(second)])) == [second]
    assert list(store.load_service(Service.PERSONALIZE, buckets=[bucket_of(first)])) == [first]
    # And the upgrade left the version and history alone
    assert store.get(second).version == 1
    assert [t.new.version for t in store.history(second)] == [1]


def test_the_watch_list_moves_with_the_recorded_state(store: StatusStore) -> None:
    # Given CloudTrail discovery noted an update on a dataset nobody has swept yet
    discovered = WatchEntry(
        Service.REKOGNITION,
        DATASET_ARN,
        NOW,
        ResourceType.DATASET,
        "shoes/train",
        operation="UpdateDatasetEntries",
        origin=WATCHED_BY_CLOUDTRAIL,
    )
    assert store.watch([discovered]) == 1
    [entry] = store.watched()
    assert (entry.version, entry.status, entry.operation) == (None, None, "UpdateDatasetEntries")
    # When a sweep records it in flight
    _sweep(store, dataset("UPDATE_IN_PROGRESS", reason="working"), now=NOW + timedelta(minutes=5))
    # Then the entry mirrors the recorded state and keeps what discovery knew
    [entry] = store.watched()
    assert (entry.version, entry.status, entry.reason) == (1, "UPDATE_IN_PROGRESS", "working")
    assert (entry.operation, entry.origin) == ("UpdateDatasetEntries", WATCHED_BY_CLOUDTRAIL)
    assert entry.since == NOW
    raw = boto3.client("dynamodb").get_item(
        TableName=store.table_name, Key={"pk": {"S": "WATCH"}, "sk": {"S": DATASET_ARN}}
    )["Item"]
    assert int(raw["expires_at"]["N"]) > (NOW + timedelta(days=6)).timestamp()
    # And discovery seen again does not undo the mirror
    store.watch([discovered])
    assert store.watched()[0].version == 1
    # When the resource settles, the same transaction takes it off the watch
    known = store.load_service(Service.REKOGNITION)
    [done] = detect_changes([dataset("UPDATE_COMPLETE")], known, now=NOW, complete_listing=False)
    assert store.record(done, retention_days=30, watched=True)
    assert store.watched() == []


def test_unwatch_and_mirror_never_undo_a_newer_write(store: StatusStore) -> None:
    _sweep(store, job("CREATE PENDING"))
    [seen] = store.watched()
    # A newer transition rewrites the entry (version 2) after a watch run read it at version 1
    known = store.load_service(Service.PERSONALIZE)
    [newer] = detect_changes([job("CREATE IN_PROGRESS")], known, now=NOW, complete_listing=False)
    assert store.record(newer, retention_days=30)
    # Then that run can neither take it off nor mirror the older state onto it
    assert store.unwatch(seen) is False
    assert store.mirror(known[JOB_ARN]) is False
    [entry] = store.watched()
    assert (entry.version, entry.status) == (2, "CREATE IN_PROGRESS")
    # And one that read the current entry can
    assert store.unwatch(entry) is True
    assert store.watched() == []
    assert store.mirror(store.get(JOB_ARN)) is False  # no entry: nothing to mirror onto


def test_denials_are_counted_on_the_entry_and_survive_a_newer_mirror(store: StatusStore) -> None:
    # Given a job on the watch
    _sweep(store, job("CREATE PENDING"))
    [entry] = store.watched()
    assert entry.denials == 0
    # When two watch runs find its Describe denied
    assert [store.note_denial(entry), store.note_denial(entry)] == [1, 2]
    # Then the count reads back with the entry, and a newer transition keeps it
    known = store.load_service(Service.PERSONALIZE)
    [newer] = detect_changes([job("CREATE IN_PROGRESS")], known, now=NOW, complete_listing=False)
    assert store.record(newer, retention_days=30)
    [entry] = store.watched()
    assert (entry.denials, entry.version) == (2, 2)
    # And a denial noted after the entry left the watch does not bring it back
    assert store.unwatch(entry)
    assert store.note_denial(entry) == 0
    assert store.watched() == []


def test_a_state_keeps_when_its_answer_was_read_and_one_written_without_it_reads_as_unknown(
    store: StatusStore,
) -> None:
    # Given a failure recorded from an answer read at a known moment
    read_at = NOW + timedelta(seconds=7)
    _sweep(store, dataset("CREATE_FAILED", reason="bad", updated_at=NOW, read_at=read_at))
    # Then the state and its history item carry that read time
    assert store.get(DATASET_ARN).read_at == read_at
    assert store.history(DATASET_ARN)[0].new.read_at == read_at
    # Given a state written by an older statusmon, without the attribute
    boto3.client("dynamodb").update_item(
        TableName=store.table_name,
        Key={"pk": {"S": f"RES#{DATASET_ARN}"}, "sk": {"S": "STATE"}},
        UpdateExpression="REMOVE read_at",
    )
    # When it is read back, it reads, with no read time
    legacy = store.get(DATASET_ARN)
    assert legacy is not None
    assert legacy.read_at is None
    assert store.load_service(Service.REKOGNITION)[DATASET_ARN].read_at is None
    # And an answer the service dates earlier still does not replace it, a later one does
    assert (
        _sweep(store, dataset("CREATE_IN_PROGRESS", updated_at=NOW - timedelta(minutes=1), read_at=read_at))
        == []
    )
    [change] = _sweep(
        store, dataset("UPDATE_IN_PROGRESS", updated_at=NOW + timedelta(minutes=1), read_at=read_at)
    )
    assert (change.previous_status, change.new.status) == ("CREATE_FAILED", "UPDATE_IN_PROGRESS")
