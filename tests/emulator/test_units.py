"""Small pure pieces: clock, lifecycles, pattern translation, settings, S3 error mapping, Emulator handle."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from statusmon_emulator import Emulator
from statusmon_emulator.clock import Clock
from statusmon_emulator.lifecycle import Lifecycle
from statusmon_emulator.s3data import S3Reader, split_s3_uri
from statusmon_emulator.settings import merge_durations
from statusmon_emulator.validation import compile_pattern, validate


def test_flowing_clock_follows_wall_time_plus_advances() -> None:
    # Given a flowing clock and a frozen one
    flowing, frozen = Clock(), Clock(frozen=True, start=100.0)
    # When both advance
    flowing.advance(10)
    frozen.advance(5)
    # Then the flowing one is ahead of wall time and the frozen one exact
    assert frozen.now() == 105.0
    assert frozen.offset == 5.0
    assert flowing.now() >= flowing._start + 10
    with pytest.raises(ValueError, match="forward"):
        frozen.advance(-1)


def test_lifecycle_steps_apply_in_order_at_their_own_time() -> None:
    # Given a lifecycle with two scheduled steps, the second scheduled "earlier"
    applied: list[str] = []
    life = Lifecycle(0.0, {"status": "A"})
    life.schedule(5.0, {"status": "B"}, lambda: applied.append("B"))
    life.schedule(1.0, {"status": "C"})
    # When settled before, between and after
    states = [life.settle(t)["status"] for t in (4.0, 5.0)]
    # Then a later step never runs before an earlier one
    assert states == ["A", "C"]
    assert applied == ["B"]
    assert life.updated == 5.0
    assert not life.busy


def test_java_property_classes_are_translated() -> None:
    # Given the tag pattern with Java property classes
    tag = compile_pattern(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")
    ascii_only = compile_pattern(r"\p{ASCII}{0,5}")
    # Then letters, spaces and digits of any script match and control characters do not
    assert tag.fullmatch("Équipe 42 é")
    assert not tag.fullmatch("bad\x00")
    assert ascii_only.fullmatch("abc")
    assert not ascii_only.fullmatch("é")


def test_validator_covers_maps_lists_blobs_and_types() -> None:
    # Given Rekognition's CreateProject and UpdateDatasetEntries input shapes
    from statusmon_emulator.core import service_model

    model = service_model("rekognition")
    create = model.operation_model("CreateProject").input_shape
    update = model.operation_model("UpdateDatasetEntries").input_shape
    listing = model.operation_model("DescribeProjects").input_shape
    personalize = service_model("personalize").operation_model("CreateDatasetImportJob").input_shape

    # When bad values are validated
    # Then each violation is named
    assert "Member must be a map" in str(validate(create, {"ProjectName": "p", "Tags": []}))
    assert "enum value set" in str(validate(create, {"ProjectName": "p", "Feature": "X"}))
    assert "tags.key" in str(validate(create, {"ProjectName": "p", "Tags": {"aws:x": "v"}}))
    assert "base64" in str(validate(update, {"DatasetArn": "x" * 30, "Changes": {"GroundTruth": "***"}}))
    assert "Member must be a list" in str(validate(listing, {"ProjectNames": "p"}))
    assert "Member must be a string" in str(validate(listing, {"NextToken": 5}))
    assert "Member must be a structure" in str(
        validate(
            personalize, {"jobName": "j", "datasetArn": "arn:aws:personalize:x:y:z", "dataSource": "s3://x"}
        )
    )
    assert validate(None, {}) is None
    assert "timestamp" in str(validate(_timestamp_shape(), {"At": "now"}))


def _timestamp_shape() -> Any:
    from botocore.model import ShapeResolver, StructureShape

    resolver = ShapeResolver({"T": {"type": "timestamp"}})
    return StructureShape("S", {"type": "structure", "members": {"At": {"shape": "T"}}}, resolver)


def test_merge_durations_rejects_unknown_and_negative() -> None:
    # Given / When / Then
    assert merge_durations({"rekognition_dataset_update": 0})["rekognition_dataset_update"] == 0.0
    with pytest.raises(ValueError, match="unknown duration"):
        merge_durations({"nope": 1})
    with pytest.raises(ValueError, match="negative"):
        merge_durations({"rekognition_dataset_update": -1})


def test_s3_errors_are_classified() -> None:
    # Given client errors as S3 returns them
    def error(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": ""}}, "GetObject")

    # When they are translated / Then they map to missing, denied or unavailable
    assert S3Reader._translate(error("NoSuchKey")).kind == "missing"
    assert S3Reader._translate(error("AccessDenied")).kind == "denied"
    assert S3Reader._translate(error("SlowDown")).kind == "unavailable"
    assert split_s3_uri("s3://b/k") == ("b", "k")
    assert split_s3_uri("s3:///k") is None


def test_s3_access_denied_and_large_manifests(emu: Emulator, rek: Any) -> None:
    # Given an S3 reader that answers AccessDenied, then one with a tiny size limit
    from statusmon_emulator.s3data import S3ReadError

    class Denied:
        def read(self, bucket: str, key: str, max_bytes: int | None = None) -> bytes:
            raise S3ReadError("denied", "AccessDenied")

    class TooLarge(Denied):
        def read(self, bucket: str, key: str, max_bytes: int | None = None) -> bytes:
            raise S3ReadError("too_large", "2 GB")

    class Offline(Denied):
        def read(self, bucket: str, key: str, max_bytes: int | None = None) -> bytes:
            raise S3ReadError("unavailable", "down")

    project = rek.create_project(ProjectName="s3")["ProjectArn"]
    original = emu.core.rekognition._s3
    results = {}
    try:
        for kind, reader in (("TRAIN", Denied()), ("TEST", TooLarge())):
            emu.core.rekognition._s3 = reader  # type: ignore[assignment]
            source = {"GroundTruthManifest": {"S3Object": {"Bucket": "bkt", "Name": "m.manifest"}}}
            results[kind] = rek.create_dataset(ProjectArn=project, DatasetType=kind, DatasetSource=source)[
                "DatasetArn"
            ]
        emu.core.rekognition._s3 = Offline()  # type: ignore[assignment]
        other = rek.create_project(ProjectName="s3b")["ProjectArn"]
        source = {"GroundTruthManifest": {"S3Object": {"Bucket": "bkt", "Name": "m.manifest"}}}
        offline = rek.create_dataset(ProjectArn=other, DatasetType="TRAIN", DatasetSource=source)[
            "DatasetArn"
        ]
    finally:
        emu.core.rekognition._s3 = original
    emu.advance(5)

    # Then the datasets fail with the matching messages and codes
    def describe(arn: str) -> dict[str, Any]:
        return dict(rek.describe_dataset(DatasetArn=arn)["DatasetDescription"])

    assert describe(results["TRAIN"])["StatusMessage"].startswith(
        "ERROR_INVALID_PERMISSIONS_MANIFEST_S3_BUCKET"
    )
    assert describe(results["TEST"])["StatusMessage"].startswith("ERROR_MANIFEST_SIZE_TOO_LARGE")
    assert describe(offline)["StatusMessageCode"] == "SERVICE_ERROR"


def test_s3_reader_refuses_objects_over_the_limit(moto_url: str, s3: Any, bucket: str) -> None:
    # Given an object of 10 bytes and a reader with a 5-byte limit
    s3.put_object(Bucket=bucket, Key="big.manifest", Body=b"0123456789")
    reader = S3Reader(moto_url, "us-east-1")
    # When it is read / Then it is too large; a missing bucket listing is "missing"
    from statusmon_emulator.s3data import S3ReadError

    with pytest.raises(S3ReadError) as excinfo:
        reader.read(bucket, "big.manifest", max_bytes=5)
    assert excinfo.value.kind == "too_large"
    with pytest.raises(S3ReadError) as listing:
        reader.list_keys("no-such-bucket-here", "")
    assert listing.value.kind == "missing"
    offline = S3Reader("http://127.0.0.1:9", "us-east-1")
    with pytest.raises(S3ReadError) as down:
        offline.list_keys("b", "")
    assert down.value.kind == "unavailable"


def test_emulator_handle_lifecycle() -> None:
    # Given an emulator not started
    emu = Emulator(durations={"rekognition_dataset_create": 1}, frozen_clock=True)
    with pytest.raises(RuntimeError, match="not started"):
        _ = emu.url
    # When started twice, used as a context manager and stopped twice
    with emu:
        assert emu.start() is emu
        url = emu.url
        before = emu.now()
        assert emu.advance(2) == before + 2
        assert emu.environment() == {"AWS_ENDPOINT_URL_REKOGNITION": url, "AWS_ENDPOINT_URL_PERSONALIZE": url}
        assert emu.region == "us-east-1"
    emu.stop()
    # Then it ends stopped
    with pytest.raises(RuntimeError):
        _ = emu.url


def test_serve_forever_runs_in_the_calling_thread() -> None:
    # Given an emulator served from a worker thread through serve_forever
    import threading
    import urllib.request

    emu = Emulator()
    worker = threading.Thread(target=emu.serve_forever)
    worker.start()
    try:
        while emu._server is None:  # the worker binds first
            threading.Event().wait(0.001)
        # When the health endpoint is read
        with urllib.request.urlopen(emu.url + "/_emulator/health", timeout=5) as response:
            status = response.status
    finally:
        emu.stop()
        worker.join(timeout=5)
    # Then it answered and stopped
    assert status == 200
    assert not worker.is_alive()
