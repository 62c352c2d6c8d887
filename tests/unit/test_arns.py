import pytest

from statusmon.domain.arns import MalformedArnError, console_url, parse_resource_arn, project_name_of
from statusmon.domain.vocabulary import ResourceType, Service
from tests.unit.factories import DATASET_ARN, JOB_ARN


def test_parses_a_custom_labels_dataset_arn() -> None:
    parsed = parse_resource_arn(f"  {DATASET_ARN}\n")
    assert parsed.service is Service.REKOGNITION
    assert parsed.resource_type is ResourceType.DATASET
    assert (parsed.region, parsed.account, parsed.project, parsed.name) == (
        "us-east-1",
        "123456789012",
        "shoes",
        "shoes/train",
    )


def test_parses_a_personalize_import_job_arn() -> None:
    parsed = parse_resource_arn(JOB_ARN)
    assert parsed.service is Service.PERSONALIZE
    assert parsed.name == "interactions-2026-11-24"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not-an-arn",
        "arn:aws:rekognition:us-east-1:123:project/shoes/dataset/train/1",  # short account
        "arn:aws:rekognition:us-east-1:123456789012:project/shoes/dataset/validation/1",
        "arn:aws:personalize:us-east-1:123456789012:dataset/group/INTERACTIONS",
    ],
)
def test_malformed_arns_are_one_line_errors(text: str) -> None:
    with pytest.raises(MalformedArnError) as raised:
        parse_resource_arn(text)
    message = str(raised.value)
    assert "\n" not in message
    assert "expected" in message


def test_project_name_of_a_project_arn() -> None:
    assert (
        project_name_of("arn:aws:rekognition:us-east-1:123456789012:project/shoes/1690474772815") == "shoes"
    )
    with pytest.raises(MalformedArnError):
        project_name_of(DATASET_ARN)


def test_console_urls_follow_the_partition() -> None:
    assert console_url(DATASET_ARN).startswith("https://us-east-1.console.aws.amazon.com/")
    china = DATASET_ARN.replace("arn:aws:", "arn:aws-cn:").replace("us-east-1", "cn-north-1")
    assert console_url(china).startswith("https://cn-north-1.console.amazonaws.cn/")
    assert console_url("garbage") == ""
