"""Custom Labels dataset lifecycles through real boto3 clients (S3 on moto server)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from statusmon_emulator import Emulator
from tests.emulator.helpers import classification, detection, error_code, jsonl


def _project(rek: Any, name: str = "proj") -> str:
    return str(rek.create_project(ProjectName=name)["ProjectArn"])


def _ready_dataset(
    rek: Any, emu: Emulator, project: str, kind: str = "TRAIN", lines: bytes | None = None
) -> str:
    arn = str(rek.create_dataset(ProjectArn=project, DatasetType=kind)["DatasetArn"])
    emu.advance(5)
    if lines is not None:
        rek.update_dataset_entries(DatasetArn=arn, Changes={"GroundTruth": lines})
        emu.advance(5)
    return arn


def _describe(rek: Any, arn: str) -> dict[str, Any]:
    return dict(rek.describe_dataset(DatasetArn=arn)["DatasetDescription"])


def test_empty_dataset_goes_from_create_in_progress_to_complete_on_the_clock(rek: Any, emu: Emulator) -> None:
    # Given a new empty dataset
    arn = rek.create_dataset(ProjectArn=_project(rek), DatasetType="TRAIN")["DatasetArn"]
    before = _describe(rek, arn)

    # When the clock moves past the create duration
    emu.advance(3)
    after = _describe(rek, arn)

    # Then it was in progress, and is now complete with zero stats
    assert before["Status"] == "CREATE_IN_PROGRESS"
    assert after["Status"] == "CREATE_COMPLETE"
    assert after["StatusMessageCode"] == "SUCCESS"
    assert after["DatasetStats"] == {
        "LabeledEntries": 0,
        "TotalEntries": 0,
        "TotalLabels": 0,
        "ErrorEntries": 0,
    }
    assert after["LastUpdatedTimestamp"] > after["CreationTimestamp"]


def test_dataset_from_manifest_in_s3_counts_entries_and_labels(
    rek: Any, emu: Emulator, s3: Any, bucket: str
) -> None:
    # Given a manifest in S3 with two labels and an unlabeled image
    body = jsonl(
        classification(f"s3://{bucket}/1.jpg", "cat"),
        classification(f"s3://{bucket}/2.jpg", "dog"),
        {"source-ref": f"s3://{bucket}/3.jpg"},
    )
    s3.put_object(Bucket=bucket, Key="train.manifest", Body=body)

    # When a dataset is created from it and the clock moves on
    arn = rek.create_dataset(
        ProjectArn=_project(rek),
        DatasetType="TRAIN",
        DatasetSource={"GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Name": "train.manifest"}}},
    )["DatasetArn"]
    emu.advance(3)

    # Then the stats come from the manifest's entries
    description = _describe(rek, arn)
    assert description["Status"] == "CREATE_COMPLETE"
    assert description["DatasetStats"] == {
        "LabeledEntries": 2,
        "TotalEntries": 3,
        "TotalLabels": 2,
        "ErrorEntries": 0,
    }


@pytest.mark.parametrize(
    ("key", "put", "expected"),
    [
        ("missing.manifest", False, "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT"),
        ("no-extension", True, "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT"),
        ("binary.manifest", True, "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT"),
    ],
)
def test_unreadable_manifest_fails_the_dataset(
    rek: Any, emu: Emulator, s3: Any, bucket: str, key: str, put: bool, expected: str
) -> None:
    # Given a manifest that is missing, has no extension, or is not text
    if put:
        s3.put_object(Bucket=bucket, Key=key, Body=b"\xff\xfe\x00binary")

    # When a dataset is created from it
    arn = rek.create_dataset(
        ProjectArn=_project(rek),
        DatasetType="TRAIN",
        DatasetSource={"GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Name": key}}},
    )["DatasetArn"]
    emu.advance(3)

    # Then creation fails with a client error naming the file problem
    description = _describe(rek, arn)
    assert description["Status"] == "CREATE_FAILED"
    assert description["StatusMessageCode"] == "CLIENT_ERROR"
    assert description["StatusMessage"].startswith(expected)


def test_dataset_copied_from_another_dataset(rek: Any, emu: Emulator) -> None:
    # Given a completed TRAIN dataset with two entries
    project = _project(rek)
    train = _ready_dataset(
        rek,
        emu,
        project,
        lines=jsonl(classification("s3://b/1.jpg", "a"), classification("s3://b/2.jpg", "b")),
    )

    # When a TEST dataset copies it
    test = rek.create_dataset(ProjectArn=project, DatasetType="TEST", DatasetSource={"DatasetArn": train})[
        "DatasetArn"
    ]
    emu.advance(3)

    # Then the copy holds the same entries
    assert _describe(rek, test)["DatasetStats"]["TotalEntries"] == 2


def test_create_dataset_errors(rek: Any, emu: Emulator, bucket: str) -> None:
    # Given a project with a TRAIN dataset still being created
    project = _project(rek)
    train = rek.create_dataset(ProjectArn=project, DatasetType="TRAIN")["DatasetArn"]
    missing_project = project.rsplit("/", 1)[0] + "/1"
    s3_source = {"GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Name": "x.manifest"}}}

    cases = [
        # a second TRAIN dataset
        ({"ProjectArn": project, "DatasetType": "TRAIN"}, "ResourceAlreadyExistsException"),
        # an unknown project
        ({"ProjectArn": missing_project, "DatasetType": "TEST"}, "ResourceNotFoundException"),
        # both sources at once
        (
            {
                "ProjectArn": project,
                "DatasetType": "TEST",
                "DatasetSource": {**s3_source, "DatasetArn": train},
            },
            "InvalidParameterException",
        ),
        # copying a dataset that is not complete
        (
            {"ProjectArn": project, "DatasetType": "TEST", "DatasetSource": {"DatasetArn": train}},
            "InvalidParameterException",
        ),
        # copying an unknown dataset
        (
            {
                "ProjectArn": project,
                "DatasetType": "TEST",
                "DatasetSource": {"DatasetArn": train.rsplit("/", 1)[0] + "/1"},
            },
            "ResourceNotFoundException",
        ),
        # an S3 object without a name
        (
            {
                "ProjectArn": project,
                "DatasetType": "TEST",
                "DatasetSource": {"GroundTruthManifest": {"S3Object": {"Bucket": bucket}}},
            },
            "InvalidParameterException",
        ),
    ]
    for params, expected in cases:
        # When each request is made
        with pytest.raises(ClientError) as excinfo:
            rek.create_dataset(**params)
        # Then the documented error comes back
        assert error_code(excinfo) == expected, params


def test_update_with_non_terminal_errors_completes_and_lists_the_failing_entries(
    rek: Any, emu: Emulator
) -> None:
    # Given a completed empty dataset
    arn = _ready_dataset(rek, emu, _project(rek))
    lines = jsonl(
        classification("s3://b/good.jpg", "cat"),
        classification("https://b/web.jpg", "cat"),  # not an s3:// URI
        {"source-ref": "s3://b/orphan.jpg", "animal": 1},  # label attribute without metadata
        {"source-ref": "s3://b/meta.jpg", "x": 1, "x-metadata": {"type": "groundtruth/unknown"}},
        "{not json",  # rejected: cannot be keyed
        {"no-source-ref": True},  # rejected
    )

    # When the entries are updated and the clock moves on
    rek.update_dataset_entries(DatasetArn=arn, Changes={"GroundTruth": lines})
    in_progress = _describe(rek, arn)
    emu.advance(3)
    done = _describe(rek, arn)

    # Then the dataset completes, the failing entries count and carry their errors
    assert in_progress["Status"] == "UPDATE_IN_PROGRESS"
    assert done["Status"] == "UPDATE_COMPLETE"
    assert done["DatasetStats"] == {
        "LabeledEntries": 2,
        "TotalEntries": 4,
        "TotalLabels": 1,
        "ErrorEntries": 3,
    }
    failing = [
        json.loads(e) for e in rek.list_dataset_entries(DatasetArn=arn, HasErrors=True)["DatasetEntries"]
    ]
    codes = {e["source-ref"]: [err["code"] for err in e["errors"]] for e in failing}
    assert codes == {
        "https://b/web.jpg": ["ERROR_INVALID_SOURCE_REF_FORMAT"],
        "s3://b/orphan.jpg": ["ERROR_NO_LABEL_ATTRIBUTES"],
        "s3://b/meta.jpg": ["ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT"],
    }


def test_update_upserts_by_source_ref(rek: Any, emu: Emulator) -> None:
    # Given a dataset with one cat image
    arn = _ready_dataset(rek, emu, _project(rek), lines=jsonl(classification("s3://b/1.jpg", "cat")))

    # When the same source-ref is relabeled and a new image is added
    rek.update_dataset_entries(
        DatasetArn=arn,
        Changes={
            "GroundTruth": jsonl(classification("s3://b/1.jpg", "dog"), classification("s3://b/2.jpg", "dog"))
        },
    )
    emu.advance(3)

    # Then there are two entries, both dogs
    labels = rek.list_dataset_labels(DatasetArn=arn)["DatasetLabelDescriptions"]
    assert labels == [{"LabelName": "dog", "LabelStats": {"EntryCount": 2, "BoundingBoxCount": 0}}]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (jsonl("{bad", "[1, 2]"), "ERROR_TOO_MANY_RECORDS_IN_ERROR"),
        (jsonl(classification("http://x/1.jpg", "a")), "ERROR_TOO_MANY_RECORDS_IN_ERROR"),
        (b"\n\n", "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT"),
        (
            jsonl(classification("s3://one/1.jpg", "a"), classification("s3://two/2.jpg", "a")),
            "ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS",
        ),
    ],
)
def test_terminal_update_problems_fail_the_update_and_change_nothing(
    rek: Any, emu: Emulator, payload: bytes, code: str
) -> None:
    # Given a completed dataset with one entry
    arn = _ready_dataset(rek, emu, _project(rek), lines=jsonl(classification("s3://one/0.jpg", "a")))

    # When an update with a terminal problem is processed
    rek.update_dataset_entries(DatasetArn=arn, Changes={"GroundTruth": payload})
    emu.advance(3)

    # Then the dataset is UPDATE_FAILED with a client error, and its entries are untouched
    description = _describe(rek, arn)
    assert description["Status"] == "UPDATE_FAILED"
    assert description["StatusMessageCode"] == "CLIENT_ERROR"
    assert description["StatusMessage"].startswith(code)
    assert description["DatasetStats"]["TotalEntries"] == 1


def test_update_is_refused_while_in_progress_or_when_too_large(rek: Any, emu: Emulator) -> None:
    # Given a dataset still being created
    arn = rek.create_dataset(ProjectArn=_project(rek), DatasetType="TRAIN")["DatasetArn"]
    line = jsonl(classification("s3://b/1.jpg", "a"))

    # When it is updated now, and later with more than 5 MB
    with pytest.raises(ClientError) as busy:
        rek.update_dataset_entries(DatasetArn=arn, Changes={"GroundTruth": line})
    emu.advance(3)
    with pytest.raises(ClientError) as too_big:
        rek.update_dataset_entries(DatasetArn=arn, Changes={"GroundTruth": b"x" * (5 * 1024 * 1024 + 1)})
    with pytest.raises(ClientError) as missing:
        rek.update_dataset_entries(DatasetArn=arn.rsplit("/", 1)[0] + "/1", Changes={"GroundTruth": line})

    # Then: in use, a validation error on the size, and not found
    assert error_code(busy) == "ResourceInUseException"
    assert error_code(too_big) == "InvalidParameterException"
    assert "less than or equal to 5242880" in too_big.value.response["Error"]["Message"]
    assert error_code(missing) == "ResourceNotFoundException"


def test_update_beyond_the_images_quota_is_limit_exceeded(rek: Any, emu: Emulator) -> None:
    # Given a dataset and a quota of 2 images per dataset
    arn = _ready_dataset(rek, emu, _project(rek))
    emu.settings.max_entries_per_dataset = 2
    try:
        # When three images are added
        with pytest.raises(ClientError) as excinfo:
            rek.update_dataset_entries(
                DatasetArn=arn,
                Changes={"GroundTruth": jsonl(*(classification(f"s3://b/{i}.jpg", "a") for i in range(3)))},
            )
    finally:
        emu.settings.max_entries_per_dataset = 250_000
    # Then the limit error comes back
    assert error_code(excinfo) == "LimitExceededException"


def test_distribute_moves_a_fifth_of_train_into_the_empty_test_dataset(rek: Any, emu: Emulator) -> None:
    # Given a TRAIN dataset with 10 labeled images and an empty TEST dataset
    project = _project(rek)
    lines = jsonl(*(classification(f"s3://b/{i}.jpg", "cat" if i % 2 else "dog") for i in range(10)))
    train = _ready_dataset(rek, emu, project, lines=lines)
    test = _ready_dataset(rek, emu, project, kind="TEST")

    # When the entries are distributed
    rek.distribute_dataset_entries(Datasets=[{"Arn": train}, {"Arn": test}])
    during = [_describe(rek, a)["Status"] for a in (train, test)]
    emu.advance(3)

    # Then both were UPDATE_IN_PROGRESS and are UPDATE_COMPLETE with 8 and 2 images
    assert during == ["UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"]
    after = [_describe(rek, a) for a in (train, test)]
    assert [d["Status"] for d in after] == ["UPDATE_COMPLETE", "UPDATE_COMPLETE"]
    assert [d["DatasetStats"]["TotalEntries"] for d in after] == [8, 2]


def test_distribute_into_a_non_empty_test_dataset_is_refused(rek: Any, emu: Emulator) -> None:
    # Given TRAIN and TEST datasets that both hold images
    project = _project(rek)
    train = _ready_dataset(rek, emu, project, lines=jsonl(classification("s3://b/1.jpg", "a")))
    test = _ready_dataset(rek, emu, project, kind="TEST", lines=jsonl(classification("s3://b/2.jpg", "a")))

    # When they are distributed
    with pytest.raises(ClientError) as excinfo:
        rek.distribute_dataset_entries(Datasets=[{"Arn": test}, {"Arn": train}])

    # Then the request is refused and nothing changes
    assert error_code(excinfo) == "InvalidParameterException"
    assert "test dataset must be empty" in excinfo.value.response["Error"]["Message"]
    assert _describe(rek, train)["Status"] == "UPDATE_COMPLETE"


def test_distribute_with_too_few_images_per_label_fails_both_datasets(rek: Any, emu: Emulator) -> None:
    # Given a TRAIN dataset where one label has a single image
    project = _project(rek)
    lines = jsonl(
        classification("s3://b/1.jpg", "a"),
        classification("s3://b/2.jpg", "a"),
        classification("s3://b/3.jpg", "b"),
    )
    train = _ready_dataset(rek, emu, project, lines=lines)
    test = _ready_dataset(rek, emu, project, kind="TEST")

    # When the entries are distributed
    rek.distribute_dataset_entries(Datasets=[{"Arn": train}, {"Arn": test}])
    emu.advance(3)

    # Then both datasets end UPDATE_FAILED with the distribute error
    for arn in (train, test):
        description = _describe(rek, arn)
        assert description["Status"] == "UPDATE_FAILED"
        assert description["StatusMessage"].startswith("ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_DISTRIBUTE")


def test_distribute_needs_a_train_and_test_of_one_ready_project(rek: Any, emu: Emulator) -> None:
    # Given two projects, each with datasets, one of them still being created
    first, second = _project(rek, "one"), _project(rek, "two")
    train1 = _ready_dataset(rek, emu, first)
    test2 = _ready_dataset(rek, emu, second, kind="TEST")
    test1 = rek.create_dataset(ProjectArn=first, DatasetType="TEST")["DatasetArn"]

    # When pairs that break the rules are distributed
    cases = [
        ([train1, test2], "InvalidParameterException"),  # different projects
        ([train1, train1], "InvalidParameterException"),  # not a TRAIN and a TEST
        ([train1, test1], "ResourceNotReadyException"),  # TEST still being created
        ([train1, test2.rsplit("/", 1)[0] + "/1"], "ResourceNotFoundException"),
    ]
    for arns, expected in cases:
        with pytest.raises(ClientError) as excinfo:
            rek.distribute_dataset_entries(Datasets=[{"Arn": a} for a in arns])
        # Then each is refused with the documented error
        assert error_code(excinfo) == expected, arns


def test_list_dataset_entries_filters_and_paginates(rek: Any, emu: Emulator) -> None:
    # Given 5 cats, 3 dogs, 2 unlabeled images and one entry with errors
    docs: list[Any] = [classification(f"s3://b/cat{i}.jpg", "cat") for i in range(5)]
    docs += [classification(f"s3://b/dog{i}.jpg", "dog") for i in range(3)]
    docs += [{"source-ref": f"s3://b/plain{i}.jpg"} for i in range(2)]
    docs.append({"source-ref": "s3://b/broken.jpg", "animal-metadata": {}})
    arn = _ready_dataset(rek, emu, _project(rek), lines=jsonl(*docs))

    def refs(**filters: Any) -> list[str]:
        pages = rek.get_paginator("list_dataset_entries").paginate(
            DatasetArn=arn, PaginationConfig={"PageSize": 2}, **filters
        )
        return [json.loads(e)["source-ref"] for page in pages for e in page["DatasetEntries"]]

    # When listing with each filter, two entries a page
    everything = refs()
    cats = refs(ContainsLabels=["cat"])
    unlabeled = refs(Labeled=False)
    dogs_by_name = refs(SourceRefContains="dog")
    clean_labeled = refs(Labeled=True, HasErrors=False)

    # Then every filter selects what it documents
    assert len(everything) == 11
    assert cats == [f"s3://b/cat{i}.jpg" for i in range(5)]
    assert unlabeled == ["s3://b/plain0.jpg", "s3://b/plain1.jpg", "s3://b/broken.jpg"]
    assert dogs_by_name == [f"s3://b/dog{i}.jpg" for i in range(3)]
    assert len(clean_labeled) == 8


def test_listing_entries_of_a_dataset_not_ready_is_refused(rek: Any) -> None:
    # Given a dataset still being created
    arn = rek.create_dataset(ProjectArn=_project(rek), DatasetType="TRAIN")["DatasetArn"]

    # When its entries or labels are listed
    for call in (rek.list_dataset_entries, rek.list_dataset_labels):
        with pytest.raises(ClientError) as excinfo:
            call(DatasetArn=arn)
        # Then it is not ready
        assert error_code(excinfo) == "ResourceNotReadyException"


def test_list_dataset_labels_counts_bounding_boxes_and_paginates(rek: Any, emu: Emulator) -> None:
    # Given object-detection entries, some boxes broken
    class_map = {"0": "car", "1": "bus"}
    boxes = [
        {"class_id": 0, "top": 1, "left": 1, "width": 10, "height": 10},
        {"class_id": 0, "top": 5, "left": 5, "width": 10, "height": 10},
        {"class_id": 1, "top": 0, "left": 0, "width": 3, "height": 3},
    ]
    bad = [
        {"class_id": 7, "top": 0, "left": 0, "width": 1, "height": 1},  # not in the class map
        {"class_id": 0, "top": 0, "left": 0, "width": 0, "height": 1},  # zero width
        "not-a-box",
    ]
    no_confidence = detection("s3://b/3.jpg", boxes[:1], class_map)
    no_confidence["bbox-metadata"]["objects"] = []
    arn = _ready_dataset(
        rek,
        emu,
        _project(rek),
        lines=jsonl(
            detection("s3://b/1.jpg", boxes, class_map),
            detection("s3://b/2.jpg", bad, class_map),
            no_confidence,
        ),
    )

    # When the labels are listed one a page
    pages = list(
        rek.get_paginator("list_dataset_labels").paginate(DatasetArn=arn, PaginationConfig={"PageSize": 1})
    )

    # Then each label counts its images and valid boxes
    labels = {d["LabelName"]: d["LabelStats"] for p in pages for d in p["DatasetLabelDescriptions"]}
    assert len(pages) == 2
    assert labels == {
        "bus": {"EntryCount": 1, "BoundingBoxCount": 1},
        "car": {"EntryCount": 2, "BoundingBoxCount": 3},
    }
    failing = [
        json.loads(e) for e in rek.list_dataset_entries(DatasetArn=arn, HasErrors=True)["DatasetEntries"]
    ]
    codes = sorted(err["code"] for e in failing for err in e["errors"])
    assert codes == [
        "ERROR_INVALID_BOUNDING_BOX",
        "ERROR_INVALID_BOUNDING_BOX",
        "ERROR_MISSING_BOUNDING_BOX_CONFIDENCE",
        "ERROR_MISSING_CLASS_MAP_ID",
    ]


def test_multilabel_and_malformed_label_attributes(rek: Any, emu: Emulator) -> None:
    # Given multi-label lines, one with an unknown class id, and malformed label values
    multi_meta = {
        "type": "groundtruth/image-classification-multilabel",
        "class-map": {"0": "red", "1": "round"},
    }
    lines = jsonl(
        {"source-ref": "s3://b/1.jpg", "tags": [0, 1], "tags-metadata": multi_meta},
        {"source-ref": "s3://b/2.jpg", "tags": [0, 5], "tags-metadata": multi_meta},
        {"source-ref": "s3://b/3.jpg", "tags": "red", "tags-metadata": multi_meta},
        {
            "source-ref": "s3://b/4.jpg",
            "x": "one",
            "x-metadata": {"type": "groundtruth/image-classification"},
        },
        {"source-ref": "s3://b/5.jpg", "x": {}, "x-metadata": {"type": "groundtruth/object-detection"}},
    )

    # When they are added
    arn = _ready_dataset(rek, emu, _project(rek), lines=lines)

    # Then valid labels count and the broken lines report their errors
    stats = _describe(rek, arn)["DatasetStats"]
    assert stats == {"LabeledEntries": 2, "TotalEntries": 5, "TotalLabels": 2, "ErrorEntries": 4}


def test_delete_dataset(rek: Any, emu: Emulator) -> None:
    # Given a completed dataset and one still being created
    project = _project(rek)
    done = _ready_dataset(rek, emu, project)
    busy = rek.create_dataset(ProjectArn=project, DatasetType="TEST")["DatasetArn"]

    # When both are deleted
    rek.delete_dataset(DatasetArn=done)
    with pytest.raises(ClientError) as excinfo:
        rek.delete_dataset(DatasetArn=busy)

    # Then the completed one is gone from the project and the busy one is in use
    assert error_code(excinfo) == "ResourceInUseException"
    (project_doc,) = rek.describe_projects()["ProjectDescriptions"]
    assert [d["DatasetArn"] for d in project_doc["Datasets"]] == [busy]
