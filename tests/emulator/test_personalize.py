"""Personalize dataset import jobs through a real boto3 Personalize client (S3 on moto server)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from statusmon_emulator import Emulator
from tests.emulator.helpers import error_code

INTERACTIONS_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Interactions",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
            {"name": "EVENT_VALUE", "type": ["null", "float"]},
        ],
        "version": "1.0",
    }
)


def _interactions_dataset(per: Any, group: str = "shop") -> str:
    group_arn = per.create_dataset_group(name=group)["datasetGroupArn"]
    schema_arn = per.create_schema(name=f"{group}-schema", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    return str(
        per.create_dataset(
            name=f"{group}-interactions",
            schemaArn=schema_arn,
            datasetGroupArn=group_arn,
            datasetType="Interactions",
        )["datasetArn"]
    )


def _job(per: Any, dataset: str, name: str, location: str, **extra: Any) -> str:
    return str(
        per.create_dataset_import_job(
            jobName=name, datasetArn=dataset, dataSource={"dataLocation": location}, **extra
        )["datasetImportJobArn"]
    )


def _describe(per: Any, arn: str) -> dict[str, Any]:
    return dict(per.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])


def test_groups_schemas_and_datasets_are_created_and_listed(per: Any, emu: Emulator) -> None:
    # Given a dataset group, a schema and an interactions dataset
    dataset = _interactions_dataset(per)

    # When they are listed, before and after the create duration
    groups_before = per.list_dataset_groups()["datasetGroups"]
    emu.advance(2)
    groups = per.list_dataset_groups()["datasetGroups"]
    datasets = per.list_datasets(datasetGroupArn=groups[0]["datasetGroupArn"])["datasets"]

    # Then statuses go CREATE PENDING -> ACTIVE and the ARNs follow the service's format
    assert groups_before[0]["status"] == "CREATE PENDING"
    assert groups[0]["status"] == "ACTIVE"
    assert groups[0]["datasetGroupArn"] == "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"
    assert dataset == "arn:aws:personalize:us-east-1:123456789012:dataset/shop/INTERACTIONS"
    assert datasets[0]["datasetType"] == "Interactions"
    assert datasets[0]["status"] == "ACTIVE"
    assert (
        per.list_datasets(datasetGroupArn="arn:aws:personalize:us-east-1:123456789012:dataset-group/x")[
            "datasets"
        ]
        == []
    )


def test_import_job_lifecycle_ends_active(per: Any, emu: Emulator, s3: Any, bucket: str) -> None:
    # Given a well-formed interactions CSV
    s3.put_object(
        Bucket=bucket,
        Key="i.csv",
        Body=b"USER_ID,ITEM_ID,TIMESTAMP,EVENT_VALUE\nu1,i1,1690000000,\nu2,i2,1690000001,2.5\n",
    )
    dataset = _interactions_dataset(per)

    # When an import job runs and the clock moves through its phases
    arn = _job(
        per,
        dataset,
        "import-1",
        f"s3://{bucket}/i.csv",
        roleArn="arn:aws:iam::123456789012:role/p",
        importMode="INCREMENTAL",
    )
    statuses = [_describe(per, arn)["status"]]
    emu.advance(2)
    statuses.append(_describe(per, arn)["status"])
    emu.advance(5)
    job = _describe(per, arn)
    statuses.append(job["status"])

    # Then it went CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE, keeping what was asked
    assert arn == "arn:aws:personalize:us-east-1:123456789012:dataset-import-job/import-1"
    assert statuses == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]
    assert job["importMode"] == "INCREMENTAL"
    assert job["roleArn"] == "arn:aws:iam::123456789012:role/p"
    assert job["dataSource"] == {"dataLocation": f"s3://{bucket}/i.csv"}
    assert "failureReason" not in job
    assert job["lastUpdatedDateTime"] > job["creationDateTime"]


@pytest.mark.parametrize(
    ("key", "body", "reason"),
    [
        ("no-ts.csv", b"USER_ID,ITEM_ID\nu1,i1\n", "Input CSV is missing the following columns: [TIMESTAMP]"),
        (
            "bad-ts.csv",
            b"USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,yesterday\n",
            "Row 2: the value 'yesterday' of column TIMESTAMP is not a valid long.",
        ),
        (
            "short.csv",
            b"USER_ID,ITEM_ID,TIMESTAMP\n\nu1,i1\n",
            "Row 3 of the input CSV has 2 columns; the header has 3.",
        ),
        ("empty.csv", b"", "Input CSV is empty."),
        (
            "latin1.csv",
            "USER_ID,ITEM_ID,TIMESTAMP\nü,i,1\n".encode("latin-1"),
            "Input CSV is not UTF-8 encoded text.",
        ),
        ("absent.csv", None, "does not exist"),
    ],
)
def test_bad_data_fails_the_import_job_with_a_reason(
    per: Any, emu: Emulator, s3: Any, bucket: str, key: str, body: bytes | None, reason: str
) -> None:
    # Given a CSV that does not fit the schema (or no object at all)
    if body is not None:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    dataset = _interactions_dataset(per)

    # When it is imported and the job finishes
    arn = _job(per, dataset, "bad", f"s3://{bucket}/{key}")
    emu.advance(10)

    # Then the job is CREATE FAILED with the reason, in Describe and in List
    job = _describe(per, arn)
    assert job["status"] == "CREATE FAILED"
    assert reason in job["failureReason"]
    (summary,) = per.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]
    assert summary["failureReason"] == job["failureReason"]


def test_folder_locations_import_every_csv_below(per: Any, emu: Emulator, s3: Any, bucket: str) -> None:
    # Given a folder with a good CSV and a CSV missing a column, and an empty folder
    s3.put_object(Bucket=bucket, Key="data/a.csv", Body=b"USER_ID,ITEM_ID,TIMESTAMP\nu,i,1\n")
    s3.put_object(Bucket=bucket, Key="data/b.csv", Body=b"USER_ID,TIMESTAMP\nu,1\n")
    s3.put_object(Bucket=bucket, Key="data/readme.txt", Body=b"ignored")
    dataset = _interactions_dataset(per)

    # When the folder, an empty folder and a non-S3 location are imported
    folder = _job(per, dataset, "folder", f"s3://{bucket}/data/")
    empty = _job(per, dataset, "empty", f"s3://{bucket}/nothing/")
    web = _job(per, dataset, "web", "https://example.com/data.csv")
    emu.advance(10)

    # Then each fails with its own reason
    assert _describe(per, folder)["failureReason"] == "Input CSV is missing the following columns: [ITEM_ID]"
    assert _describe(per, empty)["failureReason"] == f"No CSV files were found at s3://{bucket}/nothing/."
    assert "use an s3:// path" in _describe(per, web)["failureReason"]


def test_unreachable_s3_fails_with_a_service_reason(emu: Emulator, per: Any) -> None:
    # Given an emulator whose S3 endpoint does not answer
    from statusmon_emulator.s3data import S3Reader

    dataset = _interactions_dataset(per)
    original = emu.core.personalize._s3
    emu.core.personalize._s3 = S3Reader("http://127.0.0.1:9", "us-east-1")
    try:
        # When a job is created
        arn = _job(per, dataset, "offline", "s3://bucket/x.csv")
    finally:
        emu.core.personalize._s3 = original
    emu.advance(10)

    # Then it fails with an internal-error reason
    assert "internal error" in _describe(per, arn)["failureReason"]


def test_import_job_errors(per: Any, emu: Emulator) -> None:
    # Given a dataset with five jobs still pending (the per-region quota)
    dataset = _interactions_dataset(per)
    for i in range(5):
        _job(per, dataset, f"job-{i}", "s3://nowhere/x.csv")
    missing_dataset = dataset.replace("/shop/", "/other/")

    # When a sixth job, a duplicate name, an unknown dataset and an unknown job are requested
    with pytest.raises(ClientError) as limit:
        _job(per, dataset, "job-5", "s3://nowhere/x.csv")
    emu.advance(10)
    with pytest.raises(ClientError) as duplicate:
        _job(per, dataset, "job-0", "s3://nowhere/x.csv")
    with pytest.raises(ClientError) as missing:
        _job(per, missing_dataset, "job-6", "s3://nowhere/x.csv")
    with pytest.raises(ClientError) as unknown:
        _describe(per, dataset.replace(":dataset/shop/INTERACTIONS", ":dataset-import-job/none"))

    # Then each gets the documented error, and the quota frees up once jobs finish
    assert error_code(limit) == "LimitExceededException"
    assert error_code(duplicate) == "ResourceAlreadyExistsException"
    assert error_code(missing) == "ResourceNotFoundException"
    assert error_code(unknown) == "ResourceNotFoundException"
    assert _job(per, dataset, "job-5", "s3://nowhere/x.csv").endswith("/job-5")


def test_setup_errors(per: Any) -> None:
    # Given an existing group, schema and dataset
    _interactions_dataset(per)
    group = "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"
    schema = "arn:aws:personalize:us-east-1:123456789012:schema/shop-schema"
    items_only = per.create_schema(
        name="items", schema=json.dumps({"type": "record", "fields": [{"name": "ITEM_ID", "type": "string"}]})
    )["schemaArn"]

    cases = [
        (lambda: per.create_dataset_group(name="shop"), "ResourceAlreadyExistsException"),
        (
            lambda: per.create_schema(name="shop-schema", schema=INTERACTIONS_SCHEMA),
            "ResourceAlreadyExistsException",
        ),
        (lambda: per.create_schema(name="broken", schema="{not avro"), "InvalidInputException"),
        (lambda: per.create_schema(name="broken", schema='{"type": "enum"}'), "InvalidInputException"),
        (
            lambda: per.create_schema(
                name="broken", schema='{"type": "record", "fields": [{"type": "string"}]}'
            ),
            "InvalidInputException",
        ),
        (
            lambda: per.create_schema(
                name="broken", schema='{"type": "record", "fields": [{"name": "A", "type": {"x": 1}}]}'
            ),
            "InvalidInputException",
        ),
        (
            lambda: per.create_dataset(
                name="d", schemaArn=schema, datasetGroupArn=group, datasetType="INTERACTIONS"
            ),
            "ResourceAlreadyExistsException",
        ),
        (
            lambda: per.create_dataset(
                name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Clicks"
            ),
            "InvalidInputException",
        ),
        (
            lambda: per.create_dataset(
                name="d", schemaArn=items_only, datasetGroupArn=group, datasetType="Users"
            ),
            "InvalidInputException",
        ),
        (
            lambda: per.create_dataset(
                name="d", schemaArn=schema, datasetGroupArn=group + "x", datasetType="Items"
            ),
            "ResourceNotFoundException",
        ),
        (
            lambda: per.create_dataset(
                name="d", schemaArn=schema + "x", datasetGroupArn=group, datasetType="Items"
            ),
            "ResourceNotFoundException",
        ),
        (
            lambda: per.create_dataset_import_job(jobName="j", datasetArn=group, dataSource={}),
            "ResourceNotFoundException",
        ),
        (
            lambda: per.create_dataset_import_job(
                jobName="j",
                datasetArn=group.replace("dataset-group/shop", "dataset/shop/INTERACTIONS"),
                dataSource={},
            ),
            "InvalidInputException",
        ),
        (lambda: per.create_dataset_group(name="-bad"), "InvalidInputException"),
    ]
    for call, expected in cases:
        # When each is attempted
        with pytest.raises(ClientError) as excinfo:
            call()
        # Then the documented error comes back
        assert error_code(excinfo) == expected


def test_domain_dataset_groups_report_their_domain(per: Any) -> None:
    # Given / When a domain dataset group is created
    response = per.create_dataset_group(name="vod", domain="VIDEO_ON_DEMAND")
    # Then the domain is echoed and listed
    assert response["domain"] == "VIDEO_ON_DEMAND"
    assert per.list_dataset_groups()["datasetGroups"][0]["domain"] == "VIDEO_ON_DEMAND"


def test_list_import_jobs_paginates_newest_first_and_filters_by_dataset(per: Any, emu: Emulator) -> None:
    # Given 120 finished jobs on one dataset and 3 on another
    seeded = emu.seed(
        personalize={
            "dataset_groups": [
                {
                    "name": "big",
                    "datasets": [
                        {"type": "Interactions", "import_jobs": [{"name": f"j{i:03d}"} for i in range(120)]}
                    ],
                },
                {
                    "name": "small",
                    "datasets": [
                        {
                            "type": "Items",
                            "import_jobs": [{"name": f"s{i}", "status": "CREATE FAILED"} for i in range(3)],
                        }
                    ],
                },
            ]
        }
    )
    big = seeded["personalize"][0]["datasets"]["Interactions"]["dataset_arn"]

    # When paging through all jobs and through one dataset's jobs
    pages = list(per.get_paginator("list_dataset_import_jobs").paginate(PaginationConfig={"PageSize": 50}))
    mine = [
        j["jobName"]
        for page in per.get_paginator("list_dataset_import_jobs").paginate(
            datasetArn=big, PaginationConfig={"PageSize": 100}
        )
        for j in page["datasetImportJobs"]
    ]

    # Then pages are full, newest first, and the filter keeps only that dataset's jobs
    names = [j["jobName"] for page in pages for j in page["datasetImportJobs"]]
    assert [len(p["datasetImportJobs"]) for p in pages] == [50, 50, 23]
    assert names[:3] == ["s2", "s1", "s0"]
    assert mine == [f"j{i:03d}" for i in reversed(range(120))]
    with pytest.raises(ClientError) as excinfo:
        per.list_dataset_import_jobs(nextToken="bogus")
    assert error_code(excinfo) == "InvalidNextTokenException"


def test_list_datasets_and_groups_paginate(per: Any, emu: Emulator) -> None:
    # Given 3 groups with one dataset each
    emu.seed(
        personalize={"dataset_groups": [{"name": f"g{i}", "datasets": [{"type": "Users"}]} for i in range(3)]}
    )

    # When listing two a page
    groups = list(per.get_paginator("list_dataset_groups").paginate(PaginationConfig={"PageSize": 2}))
    datasets = list(per.get_paginator("list_datasets").paginate(PaginationConfig={"PageSize": 2}))

    # Then both listings span two pages
    assert [len(p["datasetGroups"]) for p in groups] == [2, 1]
    assert [len(p["datasets"]) for p in datasets] == [2, 1]
