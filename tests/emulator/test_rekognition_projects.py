"""Custom Labels projects through a real boto3 Rekognition client."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from statusmon_emulator import Emulator
from tests.emulator.helpers import error_code

ARN_PREFIX = "arn:aws:rekognition:us-east-1:123456789012:project/"


def test_create_project_then_describe_lists_it_with_its_datasets(rek: Any) -> None:
    # Given a project with a TRAIN dataset
    arn = rek.create_project(ProjectName="birds")["ProjectArn"]
    dataset_arn = rek.create_dataset(ProjectArn=arn, DatasetType="TRAIN")["DatasetArn"]

    # When the projects are described
    projects = rek.describe_projects()["ProjectDescriptions"]

    # Then the project and its dataset summary are there, with AWS-shaped ARNs
    assert arn.startswith(ARN_PREFIX + "birds/")
    assert arn.rsplit("/", 1)[1].isdigit()
    assert dataset_arn.startswith(ARN_PREFIX + "birds/dataset/train/")
    (project,) = projects
    assert project["ProjectArn"] == arn
    assert project["Status"] == "CREATED"
    assert project["Feature"] == "CUSTOM_LABELS"
    (summary,) = project["Datasets"]
    assert summary["DatasetType"] == "TRAIN"
    assert summary["DatasetArn"] == dataset_arn
    assert summary["Status"] == "CREATE_IN_PROGRESS"
    assert summary["StatusMessageCode"] == "SUCCESS"


def test_duplicate_project_name_is_resource_in_use(rek: Any) -> None:
    # Given an existing project
    rek.create_project(ProjectName="dup")

    # When another project takes the same name
    with pytest.raises(ClientError) as excinfo:
        rek.create_project(ProjectName="dup")

    # Then the service refuses it
    assert error_code(excinfo) == "ResourceInUseException"


def test_describe_projects_paginates_in_creation_order(rek: Any, emu: Emulator) -> None:
    # Given 250 seeded projects
    emu.seed(rekognition={"projects": [{"name": f"p{i:03d}"} for i in range(250)]})

    # When paging with MaxResults=100 through boto3's paginator
    pages = list(rek.get_paginator("describe_projects").paginate(PaginationConfig={"PageSize": 100}))

    # Then three pages hold every project once, oldest first
    names = [p["ProjectArn"].split("/")[1] for page in pages for p in page["ProjectDescriptions"]]
    assert [len(page["ProjectDescriptions"]) for page in pages] == [100, 100, 50]
    assert names == [f"p{i:03d}" for i in range(250)]
    assert "NextToken" not in pages[-1]


def test_describe_projects_filters_by_names_and_features(rek: Any) -> None:
    # Given two Custom Labels projects and one content moderation project
    rek.create_project(ProjectName="a")
    rek.create_project(ProjectName="b")
    rek.create_project(ProjectName="mod", Feature="CONTENT_MODERATION", AutoUpdate="ENABLED")

    # When filtering by name, by default feature and by both features
    by_name = rek.describe_projects(ProjectNames=["b", "missing", "mod"])["ProjectDescriptions"]
    default = rek.describe_projects()["ProjectDescriptions"]
    both = rek.describe_projects(Features=["CUSTOM_LABELS", "CONTENT_MODERATION"])["ProjectDescriptions"]
    moderation = rek.describe_projects(Features=["CONTENT_MODERATION"])["ProjectDescriptions"]

    # Then names match only Custom Labels projects by default, and Features selects the rest
    assert [p["ProjectArn"].split("/")[1] for p in by_name] == ["b"]
    assert [p["ProjectArn"].split("/")[1] for p in default] == ["a", "b"]
    assert [p["ProjectArn"].split("/")[1] for p in both] == ["a", "b", "mod"]
    assert moderation[0]["AutoUpdate"] == "ENABLED"
    assert "Datasets" not in moderation[0]


def test_auto_update_is_refused_for_custom_labels(rek: Any) -> None:
    # Given / When a Custom Labels project asks for AutoUpdate
    with pytest.raises(ClientError) as excinfo:
        rek.create_project(ProjectName="x", AutoUpdate="ENABLED")

    # Then it is an invalid parameter
    assert error_code(excinfo) == "InvalidParameterException"


def test_content_moderation_projects_default_auto_update_and_take_no_datasets(rek: Any) -> None:
    # Given a content moderation project
    arn = rek.create_project(ProjectName="mod", Feature="CONTENT_MODERATION")["ProjectArn"]

    # When a dataset is created in it
    with pytest.raises(ClientError) as excinfo:
        rek.create_dataset(ProjectArn=arn, DatasetType="TRAIN")

    # Then it is refused and the project reports AutoUpdate DISABLED
    assert error_code(excinfo) == "InvalidParameterException"
    (project,) = rek.describe_projects(Features=["CONTENT_MODERATION"])["ProjectDescriptions"]
    assert project["AutoUpdate"] == "DISABLED"


def test_bad_pagination_token_is_rejected(rek: Any) -> None:
    # Given / When a token the emulator never issued is sent
    with pytest.raises(ClientError) as excinfo:
        rek.describe_projects(NextToken="not-a-token")
    # Then the documented pagination error comes back
    assert error_code(excinfo) == "InvalidPaginationTokenException"


def test_token_of_another_shape_is_rejected(rek: Any, emu: Emulator) -> None:
    # Given a ListDatasetEntries-style token re-used for DescribeProjects
    from statusmon_emulator.paging import encode_token

    for token in (encode_token("ListDatasetEntries", 3), encode_token("DescribeProjects", "x")):
        # When it is sent
        with pytest.raises(ClientError) as excinfo:
            rek.describe_projects(NextToken=token)
        # Then it is refused
        assert error_code(excinfo) == "InvalidPaginationTokenException"


def test_delete_project_removes_it_and_its_datasets(rek: Any, emu: Emulator) -> None:
    # Given a project with a completed dataset
    arn = rek.create_project(ProjectName="gone")["ProjectArn"]
    dataset = rek.create_dataset(ProjectArn=arn, DatasetType="TEST")["DatasetArn"]
    emu.advance(60)

    # When it is deleted
    status = rek.delete_project(ProjectArn=arn)["Status"]

    # Then it reports DELETING and neither it nor its dataset can be found any more
    assert status == "DELETING"
    assert rek.describe_projects()["ProjectDescriptions"] == []
    with pytest.raises(ClientError) as excinfo:
        rek.describe_dataset(DatasetArn=dataset)
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        rek.delete_project(ProjectArn=arn)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_delete_project_with_a_busy_dataset_is_refused(rek: Any) -> None:
    # Given a project whose dataset is still being created
    arn = rek.create_project(ProjectName="busy")["ProjectArn"]
    rek.create_dataset(ProjectArn=arn, DatasetType="TRAIN")

    # When the project is deleted
    with pytest.raises(ClientError) as excinfo:
        rek.delete_project(ProjectArn=arn)

    # Then the dataset is in use
    assert error_code(excinfo) == "ResourceInUseException"


def test_validation_errors_name_every_broken_constraint(rek: Any) -> None:
    # Given / When a request breaks the model: page size too large, too many names, a bad pattern
    with pytest.raises(ClientError) as excinfo:
        rek.describe_projects(MaxResults=101, ProjectNames=[f"n{i}" for i in range(11)])
    with pytest.raises(ClientError) as pattern_info:
        rek.create_project(ProjectName="has space")

    # Then the service's validation error lists each violation
    assert error_code(excinfo) == "InvalidParameterException"
    message = excinfo.value.response["Error"]["Message"]
    assert message.startswith("2 validation errors detected:")
    assert "'maxResults'" in message
    assert "'projectNames'" in message
    assert "regular expression pattern" in pattern_info.value.response["Error"]["Message"]
