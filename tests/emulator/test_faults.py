"""Fault injection as boto3 sees it: throttling and 5xx retried, latency, malformed 200 answers,
reproducibility."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, PaginationError

from statusmon_emulator import Emulator
from statusmon_emulator.faults import FaultInjector, FaultSpec
from statusmon_emulator.malformed import MALFORMED_KINDS, corrupt
from tests.emulator.helpers import admin_call, classification, error_code

RETRYING = Config(retries={"mode": "standard", "max_attempts": 10})


@pytest.mark.usefixtures("no_backoff")
def test_retrying_client_succeeds_despite_30_percent_throttling(emu: Emulator) -> None:
    # Given 30% throttling on DescribeProjects and a client with standard retries
    emu.seed(rekognition={"projects": [{"name": f"p{i}"} for i in range(5)]})
    emu.set_faults(operation="DescribeProjects", throttle_rate=0.3)
    client = boto3.client("rekognition", endpoint_url=emu.url, region_name="us-east-1", config=RETRYING)

    # When 40 calls are made
    results = [client.describe_projects() for _ in range(40)]

    # Then every call succeeded, and the call counts show the retries
    assert all(len(r["ProjectDescriptions"]) == 5 for r in results)
    retries = sum(r["ResponseMetadata"]["RetryAttempts"] for r in results)
    assert retries > 0
    assert emu.call_counts()["rekognition:DescribeProjects"] == 40 + retries


@pytest.mark.usefixtures("no_backoff")
def test_server_errors_are_5xx_and_retried(emu: Emulator, per: Any) -> None:
    # Given 50% server errors on every operation
    emu.set_faults(error_rate=0.5)
    client = boto3.client("personalize", endpoint_url=emu.url, region_name="us-east-1", config=RETRYING)

    # When a retrying client and a non-retrying client list import jobs
    for _ in range(10):
        client.list_dataset_import_jobs()
    failures = []
    for _ in range(10):
        try:
            per.list_dataset_import_jobs()
        except ClientError as exc:
            failures.append(exc.response)

    # Then the retrying client always got through, the other saw 500 InternalFailure
    assert failures
    assert {f["ResponseMetadata"]["HTTPStatusCode"] for f in failures} == {500}
    assert {f["Error"]["Code"] for f in failures} == {"InternalFailure"}


def test_throttling_is_http_400_with_the_throttling_code(emu: Emulator, rek: Any) -> None:
    # Given every Rekognition DescribeProjects call throttled
    emu.set_faults(operation="rekognition:DescribeProjects", throttle_rate=1.0)

    # When a non-retrying client calls it
    with pytest.raises(ClientError) as excinfo:
        rek.describe_projects()

    # Then boto3 sees ThrottlingException over HTTP 400, with the error type header
    response = excinfo.value.response
    assert error_code(excinfo) == "ThrottlingException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ThrottlingException"


def test_specific_fault_wins_and_clear_faults_removes_all(emu: Emulator, rek: Any, per: Any) -> None:
    # Given a global throttle and a fault-free override for one operation
    emu.set_faults(throttle_rate=1.0)
    emu.set_faults(operation="ListDatasetImportJobs", throttle_rate=0.0)

    # When both services are called, then faults are cleared
    per.list_dataset_import_jobs()
    with pytest.raises(ClientError):
        rek.describe_projects()
    emu.clear_faults()
    rek.describe_projects()

    # Then only the overridden operation passed while the faults were set
    assert emu.call_counts() == {"personalize:ListDatasetImportJobs": 1, "rekognition:DescribeProjects": 2}


def test_latency_is_added(emu: Emulator, rek: Any) -> None:
    # Given 30 ms of latency on DescribeProjects
    emu.set_faults(operation="DescribeProjects", latency_ms=30)

    # When it is called
    started = time.perf_counter()
    rek.describe_projects()
    elapsed = time.perf_counter() - started

    # Then the answer took at least that long
    assert elapsed >= 0.03


def test_the_same_seed_gives_the_same_faults() -> None:
    # Given two injectors with the same seed and one with another
    def draws(seed: int) -> list[str | None]:
        injector = FaultInjector(seed)
        injector.set(None, FaultSpec(throttle_rate=0.3, error_rate=0.2))
        return [injector.decide("rekognition", "DescribeProjects").outcome for _ in range(50)]

    # When each decides 50 calls
    # Then equal seeds agree and a different seed differs
    assert draws(1) == draws(1)
    assert draws(1) != draws(2)
    assert {"throttle", "error", None} == set(draws(1))


def test_fault_specs_are_validated() -> None:
    # Given / When / Then rates outside 0..1 and negative latency are refused
    with pytest.raises(ValueError, match="throttle_rate"):
        FaultSpec(throttle_rate=1.5)
    with pytest.raises(ValueError, match="latency_ms"):
        FaultSpec(latency_ms=-1)


# ---- malformed 200 answers -------------------------------------------------------------------

FAULT_HEADER = "x-statusmon-emulator-fault"


def _fault(response: dict[str, Any]) -> str | None:
    """The kind the emulator applied, from its diagnostic header."""
    return response["ResponseMetadata"]["HTTPHeaders"].get(FAULT_HEADER)


def _body(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def _seed_world(emu: Emulator) -> dict[str, Any]:
    return emu.seed(
        rekognition={
            "projects": [
                {
                    "name": f"p{i}",
                    "datasets": [
                        {
                            "type": "TRAIN",
                            "entries": [
                                classification("s3://b/1.jpg", "cat"),
                                classification("s3://b/2.jpg", "dog"),
                            ],
                        }
                    ],
                }
                for i in range(3)
            ]
        },
        personalize={
            "dataset_groups": [
                {"name": "shop", "datasets": [{"type": "Interactions", "import_jobs": _jobs(3)}]}
            ]
        },
    )


def _jobs(count: int) -> list[dict[str, Any]]:
    return [{"name": f"daily-{i}"} for i in range(count)]


def _dataset_arn(seeded: dict[str, Any]) -> str:
    return str(seeded["rekognition"][0]["datasets"]["TRAIN"])


def _job_arn(seeded: dict[str, Any]) -> str:
    return str(seeded["personalize"][0]["datasets"]["Interactions"]["import_jobs"][0])


@pytest.mark.parametrize("kind", ["empty", "empty-object", "html", "truncated"])
def test_unparseable_or_empty_bodies_reach_the_client_as_an_empty_answer(
    emu: Emulator, rek: Any, kind: str
) -> None:
    # Given three projects and every DescribeProjects answer corrupted with one body kind
    _seed_world(emu)
    emu.set_faults(operation="DescribeProjects", malformed_rate=1.0, malformed=[kind])

    # When a real client calls it
    response = rek.describe_projects()

    # Then botocore raises nothing and returns no members at all, over a 200
    assert _body(response) == {}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert _fault(response) == f"malformed:{kind}"
    content_type = response["ResponseMetadata"]["HTTPHeaders"]["content-type"]
    assert content_type.startswith("text/html" if kind == "html" else "application/x-amz-json-1.1")


def test_null_list_drops_the_list_but_keeps_the_token(emu: Emulator, rek: Any, per: Any) -> None:
    # Given more projects and jobs than one page, and null-list answers
    _seed_world(emu)
    emu.set_faults(malformed_rate=1.0, malformed=["null-list"])

    # When both services list one item per page
    projects = rek.describe_projects(MaxResults=1)
    jobs = per.list_dataset_import_jobs(maxResults=1)

    # Then the list key is simply absent, while the next token is still there
    assert "ProjectDescriptions" not in projects
    assert projects["NextToken"]
    assert "datasetImportJobs" not in jobs
    assert jobs["nextToken"]


def test_wrong_type_breaks_botocore_parsing_of_structures(emu: Emulator, rek: Any, per: Any) -> None:
    # Given wrong-type answers everywhere
    seeded = _seed_world(emu)
    emu.set_faults(malformed_rate=1.0, malformed=["wrong-type"])
    dataset_arn = _dataset_arn(seeded)

    # When a list of structures, a top-level structure and a list of strings are read
    # Then the first two raise while botocore parses, the third parses into characters
    with pytest.raises(AttributeError):
        rek.describe_projects()
    with pytest.raises(AttributeError):
        per.describe_dataset_import_job(datasetImportJobArn=_job_arn(seeded))
    entries = rek.list_dataset_entries(DatasetArn=dataset_arn)
    assert entries["DatasetEntries"] == list("wrong-type")
    assert _fault(entries) == "malformed:wrong-type"


def test_item_missing_key_removes_the_arn_else_the_status(emu: Emulator, rek: Any, per: Any) -> None:
    # Given item-missing-key answers everywhere
    seeded = _seed_world(emu)
    emu.set_faults(malformed_rate=1.0, malformed=["item-missing-key"])
    job_arn = _job_arn(seeded)

    # When a list, a single resource and an answer without ARN or status are read
    projects = rek.describe_projects()["ProjectDescriptions"]
    job = per.describe_dataset_import_job(datasetImportJobArn=job_arn)["datasetImportJob"]
    labels = rek.list_dataset_labels(DatasetArn=_dataset_arn(seeded))

    # Then only the first item lost its ARN; the job lost its ARN; the labels fell back to {}
    assert "ProjectArn" not in projects[0]
    assert projects[0]["Status"] == "CREATED"
    assert all("ProjectArn" in project for project in projects[1:])
    assert "datasetImportJobArn" not in job
    assert job["status"] == "ACTIVE"
    assert _body(labels) == {}
    assert _fault(labels) == "malformed:empty-object"


def test_item_missing_key_takes_the_status_when_there_is_no_arn() -> None:
    # Given an answer whose items carry a status but no ARN
    doc = {"Items": [{"Name": "a", "Status": "READY"}, {"Name": "b", "Status": "READY"}]}

    # When it is corrupted
    corrupted = corrupt("item-missing-key", doc)

    # Then the first item lost its status, and the original reply is untouched
    assert json.loads(corrupted.body) == {"Items": [{"Name": "a"}, {"Name": "b", "Status": "READY"}]}
    assert doc["Items"][0]["Status"] == "READY"


def test_bad_timestamp_raises_a_value_error_in_botocore(emu: Emulator, rek: Any, per: Any) -> None:
    # Given bad-timestamp answers everywhere
    seeded = _seed_world(emu)
    emu.set_faults(malformed_rate=1.0, malformed=["bad-timestamp"])

    # When a Rekognition list and a Personalize resource are read
    # Then botocore fails to parse "not-a-date" as a timestamp
    with pytest.raises(ValueError, match="not-a-date"):
        rek.describe_projects()
    with pytest.raises(ValueError, match="not-a-date"):
        per.describe_dataset_import_job(datasetImportJobArn=_job_arn(seeded))


def test_repeat_token_on_a_first_page_loops_on_the_first_page(emu: Emulator, per: Any) -> None:
    # Given three jobs and repeat-token answers on ListDatasetImportJobs
    _seed_world(emu)
    emu.set_faults(operation="ListDatasetImportJobs", malformed_rate=1.0, malformed=["repeat-token"])

    # When a client follows the token three times
    pages = [per.list_dataset_import_jobs(maxResults=1)]
    for _ in range(2):
        pages.append(per.list_dataset_import_jobs(maxResults=1, nextToken=pages[-1]["nextToken"]))

    # Then it sees the same first page and the same token every time, and every call is counted
    assert len({page["nextToken"] for page in pages}) == 1
    assert {page["datasetImportJobs"][0]["jobName"] for page in pages} == {"daily-2"}
    assert emu.call_counts() == {"personalize:ListDatasetImportJobs": 3}

    # And once the fault is cleared, the same token still answers the first page, then paging goes on
    emu.clear_faults()
    first = per.list_dataset_import_jobs(maxResults=1, nextToken=pages[-1]["nextToken"])
    second = per.list_dataset_import_jobs(maxResults=1, nextToken=first["nextToken"])
    assert first["datasetImportJobs"][0]["jobName"] == "daily-2"
    assert second["datasetImportJobs"][0]["jobName"] == "daily-1"


def test_repeat_token_on_a_later_page_answers_the_token_it_was_sent(emu: Emulator, rek: Any) -> None:
    # Given a real token to the second page of projects, then repeat-token answers
    _seed_world(emu)
    token = rek.describe_projects(MaxResults=1)["NextToken"]
    emu.set_faults(operation="DescribeProjects", malformed_rate=1.0, malformed=["repeat-token"])

    # When the second page is asked twice with the token each answer gives
    once = rek.describe_projects(MaxResults=1, NextToken=token)
    twice = rek.describe_projects(MaxResults=1, NextToken=once["NextToken"])

    # Then both answers are the second page, carrying the very token that was sent
    assert once["NextToken"] == twice["NextToken"] == token
    assert once["ProjectDescriptions"] == twice["ProjectDescriptions"]
    assert once["ProjectDescriptions"][0]["ProjectArn"].split("/")[1] == "p1"


def test_repeat_token_is_caught_by_the_botocore_paginator(emu: Emulator, rek: Any) -> None:
    # Given repeat-token answers on DescribeProjects
    _seed_world(emu)
    emu.set_faults(operation="DescribeProjects", malformed_rate=1.0, malformed=["repeat-token"])

    # When a paginator walks the projects / Then it refuses the same token twice
    with pytest.raises(PaginationError, match="same next token"):
        list(rek.get_paginator("describe_projects").paginate(PaginationConfig={"PageSize": 1}))


def test_endless_token_gives_a_new_token_and_the_same_items_forever(emu: Emulator, per: Any) -> None:
    # Given three jobs and endless-token answers on ListDatasetImportJobs
    _seed_world(emu)
    emu.set_faults(operation="ListDatasetImportJobs", malformed_rate=1.0, malformed=["endless-token"])

    # When a client follows the token through 20 pages
    pages = [per.list_dataset_import_jobs(maxResults=2)]
    for _ in range(19):
        pages.append(per.list_dataset_import_jobs(maxResults=2, nextToken=pages[-1]["nextToken"]))

    # Then it saw 20 distinct tokens and the same two jobs on every page
    assert len({page["nextToken"] for page in pages}) == 20
    names = {tuple(job["jobName"] for job in page["datasetImportJobs"]) for page in pages}
    assert names == {("daily-2", "daily-1")}

    # And once the fault is cleared, the last token still answers those items, then the listing ends
    emu.clear_faults()
    again = per.list_dataset_import_jobs(maxResults=2, nextToken=pages[-1]["nextToken"])
    last = per.list_dataset_import_jobs(maxResults=2, nextToken=again["nextToken"])
    assert [job["jobName"] for job in again["datasetImportJobs"]] == ["daily-2", "daily-1"]
    assert [job["jobName"] for job in last["datasetImportJobs"]] == ["daily-0"]
    assert "nextToken" not in last


def test_endless_token_from_a_later_page_repeats_that_page(emu: Emulator, rek: Any) -> None:
    # Given a real token to the second page of projects, then endless-token answers
    _seed_world(emu)
    token = rek.describe_projects(MaxResults=1)["NextToken"]
    emu.set_faults(operation="DescribeProjects", malformed_rate=1.0, malformed=["endless-token"])

    # When the client follows the tokens five times from there
    pages = [rek.describe_projects(MaxResults=1, NextToken=token)]
    for _ in range(4):
        pages.append(rek.describe_projects(MaxResults=1, NextToken=pages[-1]["NextToken"]))

    # Then every answer is the second page, each with a token never seen before
    assert len({token, *(page["NextToken"] for page in pages)}) == 6
    assert {page["ProjectDescriptions"][0]["ProjectArn"].split("/")[1] for page in pages} == {"p1"}


def test_endless_token_runs_a_paginator_until_its_cap(emu: Emulator, rek: Any) -> None:
    # Given endless-token answers on DescribeProjects
    _seed_world(emu)
    emu.set_faults(operation="DescribeProjects", malformed_rate=1.0, malformed=["endless-token"])

    # When a paginator walks the projects, capped at 10 items
    paginator = rek.get_paginator("describe_projects")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 1, "MaxItems": 10}))

    # Then no token repeated, so only the cap stopped it, after the first page ten times over
    assert len(pages) == 10
    assert {page["ProjectDescriptions"][0]["ProjectArn"].split("/")[1] for page in pages} == {"p0"}


@pytest.mark.parametrize(
    "kind", ["null-list", "wrong-type", "item-missing-key", "bad-timestamp", "repeat-token", "endless-token"]
)
def test_kinds_that_do_not_apply_fall_back_to_an_empty_object(emu: Emulator, rek: Any, kind: str) -> None:
    # Given a kind that finds nothing to corrupt in a DeleteProject answer ({"Status": ...}: no
    # list, no object, no ARN, no time, no paging)
    emu.set_faults(operation="DeleteProject", malformed_rate=1.0, malformed=[kind])
    arn = rek.create_project(ProjectName="gone")["ProjectArn"]

    # When the project is deleted
    response = rek.delete_project(ProjectArn=arn)

    # Then the answer is {} (the Status is gone) and says empty-object
    assert _body(response) == {}
    assert _fault(response) == "malformed:empty-object"


def test_malformed_answers_come_after_the_operation_ran_and_never_hide_errors(
    emu: Emulator, rek: Any
) -> None:
    # Given every call answered with an empty body
    emu.set_faults(malformed_rate=1.0, malformed=["empty"])

    # When a project is created, and a missing dataset is described
    created = rek.create_project(ProjectName="made")
    with pytest.raises(ClientError) as excinfo:
        rek.describe_dataset(
            DatasetArn="arn:aws:rekognition:us-east-1:123456789012:project/x/dataset/train/1"
        )

    # Then the client got nothing back, yet the project exists; the error came through intact
    assert _body(created) == {}
    emu.clear_faults()
    assert [p["ProjectArn"].split("/")[1] for p in rek.describe_projects()["ProjectDescriptions"]] == ["made"]
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_malformed_kinds_draw_deterministically_from_the_seeded_stream(emu: Emulator, rek: Any) -> None:
    # Given half the DescribeProjects calls malformed, with kinds that botocore still parses
    _seed_world(emu)
    kinds = ["empty", "html", "null-list", "item-missing-key"]

    def run() -> list[str | None]:
        emu.clear_faults()  # restarts the stream from the emulator's seed
        emu.set_faults(operation="DescribeProjects", throttle_rate=0.1, malformed_rate=0.5, malformed=kinds)
        outcomes = []
        for _ in range(40):
            try:
                outcomes.append(_fault(rek.describe_projects()))
            except ClientError:
                outcomes.append("throttle")
        return outcomes

    # When the same 40 calls are made twice
    first, second = run(), run()

    # Then both runs met the same faults, and every kind and plain answers occurred
    assert first == second
    assert set(first) == {None, "throttle", *(f"malformed:{kind}" for kind in kinds)}


def test_the_same_seed_gives_the_same_malformed_kinds() -> None:
    # Given injectors drawing every kind
    def draws(seed: int) -> list[str | None]:
        injector = FaultInjector(seed)
        injector.set(None, FaultSpec(error_rate=0.2, malformed_rate=0.6))
        return [injector.decide("personalize", "ListDatasets").malformed for _ in range(200)]

    # When each decides 200 calls
    # Then equal seeds agree, another seed differs, and every kind is drawn
    assert draws(1) == draws(1)
    assert draws(1) != draws(2)
    assert set(draws(1)) == {None, *MALFORMED_KINDS}


def test_a_spec_without_malformed_answers_draws_as_before() -> None:
    # Given the same seed with and without an explicit malformed_rate of 0
    def outcomes(spec: FaultSpec) -> list[str | None]:
        injector = FaultInjector(5)
        injector.set(None, spec)
        return [injector.decide("rekognition", "DescribeProjects").outcome for _ in range(50)]

    # When / Then one draw per call, so existing seeds meet the same throttles and errors
    assert outcomes(FaultSpec(0.3, 0.2)) == outcomes(FaultSpec(0.3, 0.2, 0, 0.0, ("html",)))


def test_malformed_kinds_are_validated_by_name() -> None:
    # Given / When / Then unknown names, an empty choice and bad rates are refused; lists and
    # comma-separated strings are accepted
    with pytest.raises(ValueError, match=r"unknown malformed kind 'nope'; expected one of: empty, "):
        FaultSpec(malformed_rate=0.5, malformed=("html", "nope"))
    with pytest.raises(ValueError, match="at least one kind"):
        FaultSpec(malformed=())
    with pytest.raises(ValueError, match="malformed_rate"):
        FaultSpec(malformed_rate=-0.1)
    assert FaultSpec().malformed == MALFORMED_KINDS
    assert FaultSpec(malformed=["html"]).malformed == ("html",)  # type: ignore[arg-type]
    assert FaultSpec(malformed="html, empty").malformed == ("html", "empty")  # type: ignore[arg-type]


def test_malformed_faults_through_the_admin_api(emu: Emulator, rek: Any) -> None:
    # Given / When malformed faults are set over HTTP, read back and used
    status, set_result = admin_call(
        emu,
        "POST",
        "/_emulator/faults",
        {"operation": "DescribeProjects", "malformed_rate": 1, "malformed": ["html", "truncated"]},
    )
    _, read = admin_call(emu, "GET", "/_emulator/faults")
    answer = rek.describe_projects()
    bad_kind = admin_call(emu, "POST", "/_emulator/faults", {"malformed_rate": 1, "malformed": ["nope"]})
    bad_rate = admin_call(emu, "POST", "/_emulator/faults", {"malformed_rate": 2})
    _, all_kinds = admin_call(emu, "POST", "/_emulator/faults", {"operation": "X", "malformed_rate": 0.5})

    # Then the settings round-trip, apply, and bad input answers 400 with the reason
    expected = {
        "throttle_rate": 0.0,
        "error_rate": 0.0,
        "latency_ms": 0,
        "malformed_rate": 1.0,
        "malformed": ["html", "truncated"],
    }
    assert status == 200
    assert set_result["faults"] == read["faults"] == {"DescribeProjects": expected}
    assert _fault(answer) in {"malformed:html", "malformed:truncated"}
    assert bad_kind[0] == 400
    assert "unknown malformed kind 'nope'" in bad_kind[1]["error"]
    assert bad_rate[0] == 400
    assert all_kinds["faults"]["X"]["malformed"] == list(MALFORMED_KINDS)
    assert emu.call_counts() == {"rekognition:DescribeProjects": 1}


def test_emulator_tokens_that_are_not_well_formed_are_refused_by_the_backend(per: Any) -> None:
    # Given a token that looks like an endless token but is not one
    # When it is sent / Then the backend sees it unchanged and refuses it
    with pytest.raises(ClientError) as excinfo:
        per.list_dataset_import_jobs(nextToken="statusmon-emulator:endless:x:abc")
    assert error_code(excinfo) == "InvalidNextTokenException"
