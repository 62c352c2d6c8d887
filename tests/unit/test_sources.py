"""Hostile answers, through real botocore clients: what each source makes of them.

No network: a ``before-send`` hook answers each request with canned bytes, so botocore's own
parsing, retries and our answer checks all run as they do against AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from statusmon.adapters import aws
from statusmon.adapters.answers import MAX_PAGES, MalformedAnswerError
from statusmon.adapters.personalize import PersonalizeSource
from statusmon.adapters.rekognition import RekognitionSource
from statusmon.domain.model import Observation
from statusmon.domain.vocabulary import ResourceType, Service

PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/shoes/1690474772815"
TRAIN = "arn:aws:rekognition:us-east-1:123456789012:project/shoes/dataset/train/1690476084535"
TEST = "arn:aws:rekognition:us-east-1:123456789012:project/shoes/dataset/test/1690476084999"
JOB = "arn:aws:personalize:us-east-1:123456789012:dataset-import-job/interactions-1"
JOB2 = "arn:aws:personalize:us-east-1:123456789012:dataset-import-job/interactions-2"

Answer = Callable[[str, dict[str, Any]], tuple[int, bytes]]


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def answering(service: str, answer: Answer) -> Any:
    """A real statusmon source client whose requests ``answer`` serves (operation, params)."""
    client = aws.client(service)

    def send(request: Any, model: Any = None, **_: Any) -> AWSResponse:
        params = json.loads(request.body or b"{}")
        status, body = answer(request.headers["X-Amz-Target"].decode().split(".")[-1], params)
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse(request.url, status, headers, _Body(body))  # type: ignore[arg-type]

    client.meta.events.register(f"before-send.{service}.*", send)
    return client


def dataset(arn: str, status: str = "CREATE_COMPLETE") -> dict[str, Any]:
    return {"DatasetArn": arn, "DatasetType": "TRAIN" if "/train/" in arn else "TEST", "Status": status}


def projects(*datasets: dict[str, Any], token: str | None = None) -> bytes:
    page: dict[str, Any] = {"ProjectDescriptions": [{"ProjectArn": PROJECT, "Datasets": list(datasets)}]}
    if token:
        page["NextToken"] = token
    return json.dumps(page).encode()


def rekognition(body: bytes) -> RekognitionSource:
    return RekognitionSource(client=answering("rekognition", lambda op, params: (200, body)))


GOOD = projects(dataset(TRAIN), dataset(TEST, "CREATE_FAILED"))


def test_a_well_formed_listing_is_complete() -> None:
    listing = rekognition(GOOD).read_listing()
    assert listing.complete
    assert [(o.resource_arn, o.name, o.status) for o in listing.observations] == [
        (TRAIN, "shoes/train", "CREATE_COMPLETE"),
        (TEST, "shoes/test", "CREATE_FAILED"),
    ]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "an empty body"),
        (b"{}", "no ProjectDescriptions list"),
        (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
        (GOOD[: len(GOOD) // 2], "not JSON"),
        (b'{"ProjectDescriptions": null}', "ProjectDescriptions is null"),
        (b'{"ProjectDescriptions": "oops"}', "not a list"),
        (b'{"ProjectDescriptions": [{"ProjectArn": "' + PROJECT.encode() + b'", "Datasets": null}]}', "null"),
        (b'{"ProjectDescriptions": [{"ProjectArn": "' + PROJECT.encode() + b'", "Datasets": "x"}]}', "list"),
        (b'{"ProjectDescriptions": [1, 2]}', "not a structure"),
        (b"[]", "not a structure"),
    ],
)
def test_a_malformed_page_is_an_incomplete_listing_not_an_empty_one(body: bytes, says: str) -> None:
    # When DescribeProjects answers 200 with something that is not a page of projects
    listing = rekognition(body).read_listing()
    # Then the listing is incomplete (nothing will be deleted), and the problem is named
    assert not listing.complete
    assert listing.observations == []
    assert says in listing.problems[0]
    assert listing.problems[0].startswith("DescribeProjects")


def test_an_item_without_its_arn_or_status_is_a_problem_and_the_rest_still_counts() -> None:
    body = projects({"DatasetType": "TRAIN", "Status": "CREATE_FAILED"}, {"DatasetArn": TEST}, dataset(TRAIN))
    listing = rekognition(body).read_listing()
    assert not listing.complete
    assert [o.resource_arn for o in listing.observations] == [TRAIN]
    assert listing.unreadable == {TEST}
    assert len(listing.problems) == 2


def test_an_arn_that_is_not_a_dataset_arn_is_a_problem() -> None:
    listing = rekognition(projects(dataset("arn:aws:s3:::bucket"))).read_listing()
    assert not listing.complete
    assert listing.observations == []
    assert "not a Custom Labels dataset ARN" in listing.problems[0]


def test_an_import_job_arn_where_a_dataset_belongs_is_a_problem() -> None:
    listing = rekognition(projects(dataset(JOB))).read_listing()
    assert not listing.complete
    assert listing.observations == []
    assert "not a Custom Labels dataset ARN" in listing.problems[0]


def test_a_project_made_before_datasets_existed_lists_none_and_is_complete() -> None:
    body = json.dumps({"ProjectDescriptions": [{"ProjectArn": PROJECT, "Status": "CREATED"}]}).encode()
    listing = rekognition(body).read_listing()
    assert listing.complete
    assert listing.observations == []


def test_a_repeated_paging_token_ends_the_listing_as_incomplete() -> None:
    # Given a service that answers every page with the same NextToken
    source = rekognition(projects(dataset(TRAIN), token="same"))
    # When the listing is read
    listing = source.read_listing()
    # Then it stops at the second page, says why, and is incomplete
    assert not listing.complete
    assert "repeated a paging token" in listing.problems[0]
    assert source.counter.calls["DescribeProjects"] == 2


def test_an_endless_listing_stops_at_the_deadline() -> None:
    pages = iter(range(1_000_000))

    def endless(op: str, params: dict[str, Any]) -> tuple[int, bytes]:
        return 200, projects(dataset(TRAIN), token=f"t{next(pages)}")

    source = RekognitionSource(client=answering("rekognition", endless))
    calls = source.counter.calls
    listing = source.read_listing(out_of_time=lambda: calls["DescribeProjects"] >= 5)
    assert listing.out_of_time
    assert not listing.complete
    assert calls["DescribeProjects"] == 5
    assert "deadline" in listing.problems[0]


def test_an_endless_listing_without_a_deadline_stops_at_the_page_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("statusmon.adapters.answers.MAX_PAGES", 3)
    pages = iter(range(MAX_PAGES))
    source = RekognitionSource(
        client=answering("rekognition", lambda op, p: (200, projects(token=f"t{next(pages)}")))
    )
    listing = source.read_listing()
    assert not listing.complete
    assert "more than 3 pages" in listing.problems[0]


def _observation(arn: str = TRAIN) -> Observation:
    return Observation(Service.REKOGNITION, ResourceType.DATASET, arn, "shoes/train", "CREATE_FAILED")


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b'{"DatasetDescription": {"DatasetType": "TRAIN"}}',
        b'{"DatasetDescription": {"Status": "CREATE_FAILED", "LastUpdatedTimestamp": "not-a-date"}}',
        b'{"DatasetDescription": {"Status": "CREATE_FAILED", "DatasetStats": "many"}}',
        b'{"DatasetDescription": {"Status": 7}}',
    ],
)
def test_a_malformed_describe_is_our_error_never_a_crash(body: bytes) -> None:
    with pytest.raises(MalformedAnswerError, match=r"^DescribeDataset"):
        rekognition(body).describe(_observation())


def test_a_good_describe_reads_status_reason_time_and_stats() -> None:
    body = json.dumps(
        {
            "DatasetDescription": {
                "Status": "UPDATE_FAILED",
                "StatusMessage": "bad manifest",
                "StatusMessageCode": "CLIENT_ERROR",
                "LastUpdatedTimestamp": 1764000000.0,
                "DatasetStats": {"ErrorEntries": 2, "TotalEntries": 9},
            }
        }
    ).encode()
    described = rekognition(body).describe(_observation())
    assert described.status == "UPDATE_FAILED"
    assert described.reason == "bad manifest"
    assert described.updated_at is not None
    assert described.details == {
        "stats": {"ErrorEntries": 2, "TotalEntries": 9},
        "status_message_code": "CLIENT_ERROR",
    }


def jobs(*items: dict[str, Any], token: str | None = None) -> bytes:
    page: dict[str, Any] = {"datasetImportJobs": list(items)}
    if token:
        page["nextToken"] = token
    return json.dumps(page).encode()


def personalize(answer: Answer) -> PersonalizeSource:
    return PersonalizeSource(client=answering("personalize", answer))


def test_personalize_listing_checks_its_page_and_items() -> None:
    good = {"datasetImportJobArn": JOB, "jobName": "interactions-1", "status": "ACTIVE"}
    body = jobs(good, {"jobName": "x", "status": "CREATE FAILED"}, {"datasetImportJobArn": JOB2})
    listing = personalize(lambda op, p: (200, body)).read_listing()
    assert not listing.complete
    assert [o.resource_arn for o in listing.observations] == [JOB]
    assert listing.unreadable == {JOB2}
    for hostile in (
        b"{}",
        b"",
        b'{"datasetImportJobs": null}',
        b'{"datasetImportJobs": [{"lastUpdatedDateTime": "x"}]}',
    ):
        broken = personalize(lambda op, p, hostile=hostile: (200, hostile)).read_listing()
        assert not broken.complete
        assert broken.observations == []
        assert broken.problems[0].startswith("ListDatasetImportJobs")


def test_personalize_dataset_group_expansion_checks_its_pages_too() -> None:
    group = "arn:aws:personalize:us-east-1:123456789012:dataset-group/retail"

    def answer(op: str, params: dict[str, Any]) -> tuple[int, bytes]:
        return (200, b"{}") if op == "ListDatasets" else (200, jobs())

    listing = PersonalizeSource(client=answering("personalize", answer), filter_arns=[group]).read_listing()
    assert not listing.complete
    assert "no datasets list" in listing.problems[0]


def test_personalize_repeated_token_is_a_loop() -> None:
    good = {"datasetImportJobArn": JOB, "status": "ACTIVE"}
    source = personalize(lambda op, p: (200, jobs(good, token="again")))
    listing = source.read_listing()
    assert not listing.complete
    assert "repeated a paging token" in listing.problems[0]


def test_personalize_describe_without_its_job_is_our_error() -> None:
    observation = Observation(
        Service.PERSONALIZE, ResourceType.DATASET_IMPORT_JOB, JOB, "interactions-1", "ACTIVE"
    )
    for body in (b"{}", b'{"datasetImportJob": {"jobName": "x"}}', b'{"datasetImportJob": "x"}'):
        with pytest.raises(MalformedAnswerError, match=r"^DescribeDatasetImportJob"):
            personalize(lambda op, p, body=body: (200, body)).describe(observation)


@pytest.mark.parametrize(
    ("status", "code", "says"),
    [
        (400, "ThrottlingException", "throttled by AWS"),
        (500, "InternalServerError", "failed: InternalServerError"),
    ],
)
def test_error_answers_are_still_read_as_errors_not_malformed(
    monkeypatch: pytest.MonkeyPatch, status: int, code: str, says: str
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    error = json.dumps({"__type": code, "Message": "no"}).encode()
    source = RekognitionSource(client=answering("rekognition", lambda op, p: (status, error)))
    listing = source.read_listing()
    assert not listing.complete
    assert says in listing.problems[0]
    assert source.counter.calls["DescribeProjects"] == 1
