"""The admin API over HTTP, and unknown or malformed AWS requests."""

from __future__ import annotations

from typing import Any

import pytest

from statusmon_emulator import Emulator
from statusmon_emulator.malformed import MALFORMED_KINDS
from tests.emulator.helpers import admin_call


def test_clock_advance_and_read(emu: Emulator) -> None:
    # Given the current emulator time
    status, before = admin_call(emu, "GET", "/_emulator/clock")

    # When the clock is advanced by an hour
    _, advanced = admin_call(emu, "POST", "/_emulator/clock/advance", {"seconds": 3600})

    # Then the frozen clock moved by exactly that
    assert status == 200
    assert before["frozen"] is True
    assert advanced["now"] == pytest.approx(before["now"] + 3600)
    assert admin_call(emu, "POST", "/_emulator/clock/advance", {"seconds": -1})[0] == 400
    assert admin_call(emu, "POST", "/_emulator/clock/advance", {})[0] == 400


def test_seed_then_calls_then_reset(emu: Emulator, rek: Any, per: Any) -> None:
    # Given seeded resources in given states, including a scheduled transition
    status, seeded = admin_call(
        emu,
        "POST",
        "/_emulator/seed",
        {
            "rekognition": {
                "projects": [
                    {
                        "name": "seeded",
                        "datasets": [
                            {
                                "type": "TRAIN",
                                "status": "UPDATE_IN_PROGRESS",
                                "entries": ['{"source-ref": "s3://b/1.jpg"}', {"source-ref": "bad"}],
                                "next": {"after": 10, "status": "UPDATE_FAILED", "status_message": "boom"},
                            },
                            {
                                "type": "TEST",
                                "status": "CREATE_FAILED",
                                "status_message_code": "SERVICE_ERROR",
                            },
                        ],
                    }
                ]
            },
            "personalize": {
                "dataset_groups": [
                    {
                        "name": "g",
                        "datasets": [
                            {
                                "type": "Interactions",
                                "import_jobs": [
                                    {
                                        "name": "run",
                                        "status": "CREATE IN_PROGRESS",
                                        "next": {
                                            "after": 5,
                                            "status": "CREATE FAILED",
                                            "failure_reason": "nope",
                                        },
                                    },
                                    {"name": "wait", "status": "CREATE PENDING"},
                                ],
                            }
                        ],
                    }
                ]
            },
        },
    )
    train = seeded["rekognition"][0]["datasets"]["TRAIN"]
    job = seeded["personalize"][0]["datasets"]["Interactions"]["import_jobs"][0]

    # When the clock passes the scheduled transitions and calls are read and reset
    before = rek.describe_dataset(DatasetArn=train)["DatasetDescription"]
    admin_call(emu, "POST", "/_emulator/clock/advance", {"seconds": 10})
    after = rek.describe_dataset(DatasetArn=train)["DatasetDescription"]
    failed_job = per.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]
    _, calls = admin_call(emu, "GET", "/_emulator/calls")
    admin_call(emu, "POST", "/_emulator/calls/reset")
    _, calls_after_reset = admin_call(emu, "GET", "/_emulator/calls")
    _, health = admin_call(emu, "GET", "/_emulator/health")
    admin_call(emu, "POST", "/_emulator/reset")
    _, health_after_reset = admin_call(emu, "GET", "/_emulator/health")

    # Then the seeded states and transitions show through boto3, and the counters behave
    assert status == 200
    assert before["Status"] == "UPDATE_IN_PROGRESS"
    assert before["DatasetStats"]["ErrorEntries"] == 1
    assert (after["Status"], after["StatusMessage"], after["StatusMessageCode"]) == (
        "UPDATE_FAILED",
        "boom",
        "CLIENT_ERROR",
    )
    assert (failed_job["status"], failed_job["failureReason"]) == ("CREATE FAILED", "nope")
    assert calls == {"rekognition:DescribeDataset": 2, "personalize:DescribeDatasetImportJob": 1}
    assert calls_after_reset == {}
    assert health["projects"] == 1
    assert health["import_jobs"] == 2
    assert health_after_reset["projects"] == 0
    assert health_after_reset["import_jobs"] == 0


def test_faults_through_the_admin_api(emu: Emulator) -> None:
    # Given / When faults are set, read, cleared with a new seed, and deleted
    _, set_result = admin_call(
        emu,
        "POST",
        "/_emulator/faults",
        {"operation": "DescribeProjects", "throttle_rate": 0.5, "latency_ms": 5},
    )
    _, read = admin_call(emu, "GET", "/_emulator/faults")
    _, cleared = admin_call(emu, "POST", "/_emulator/faults", {"clear": True, "seed": 3})
    admin_call(emu, "POST", "/_emulator/faults", {"error_rate": 0.1})
    _, deleted = admin_call(emu, "DELETE", "/_emulator/faults")

    # Then each answer shows the current faults
    expected = {
        "DescribeProjects": {
            "throttle_rate": 0.5,
            "error_rate": 0.0,
            "latency_ms": 5,
            "malformed_rate": 0.0,
            "malformed": list(MALFORMED_KINDS),
        }
    }
    assert set_result["faults"] == read["faults"] == expected
    assert cleared["faults"] == {}
    assert deleted["faults"] == {}
    assert admin_call(emu, "POST", "/_emulator/faults", {"throttle_rate": 2})[0] == 400


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/_emulator/nothing", None, 404),
        ("POST", "/_emulator/seed", b"[1]", 400),
        ("POST", "/_emulator/seed", b"{broken", 400),
        ("POST", "/_emulator/seed", {"rekognition": {"projects": [{"datasets": []}]}}, 400),
        (
            "POST",
            "/_emulator/seed",
            {"rekognition": {"projects": [{"name": "x", "datasets": [{"status": "NOPE"}]}]}},
            400,
        ),
        (
            "POST",
            "/_emulator/seed",
            {"personalize": {"dataset_groups": [{"name": "g", "datasets": [{"type": "Nope"}]}]}},
            400,
        ),
        (
            "POST",
            "/_emulator/seed",
            {
                "personalize": {
                    "dataset_groups": [
                        {"name": "g", "datasets": [{"import_jobs": [{"name": "j", "status": "DONE"}]}]}
                    ]
                }
            },
            400,
        ),
    ],
)
def test_bad_admin_requests(emu: Emulator, method: str, path: str, body: Any, status: int) -> None:
    # Given / When a malformed admin request is sent / Then it is refused with a JSON error
    code, doc = admin_call(emu, method, path, body)
    assert code == status
    assert "error" in doc


def test_duplicate_seed_is_a_400(emu: Emulator) -> None:
    # Given a seeded project
    emu.seed(rekognition={"projects": [{"name": "once"}]})
    # When it is seeded again / Then the conflict is reported
    code, doc = admin_call(emu, "POST", "/_emulator/seed", {"rekognition": {"projects": [{"name": "once"}]}})
    assert code == 400
    assert "already exists" in doc["error"]


@pytest.mark.parametrize(
    ("target", "body", "status", "code"),
    [
        ("Nope.DescribeProjects", b"{}", 400, "UnknownOperationException"),
        ("", b"{}", 400, "UnknownOperationException"),
        ("RekognitionService.DetectLabels", b"{}", 400, "UnknownOperationException"),
        ("RekognitionService.DescribeProjects", b"{nope", 400, "SerializationException"),
        ("RekognitionService.DescribeProjects", b'{"MaxResults": "ten"}', 400, "InvalidParameterException"),
        ("AmazonPersonalize.ListDatasetImportJobs", b'{"maxResults": true}', 400, "InvalidInputException"),
        ("RekognitionService.DescribeProjects", b"[]", 400, "InvalidParameterException"),
    ],
)
def test_raw_requests_get_aws_json_errors(
    emu: Emulator, target: str, body: bytes, status: int, code: str
) -> None:
    # Given / When a raw request boto3 would never send
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    got_status, doc = admin_call(emu, "POST", "/", body, headers)
    # Then the answer is an AWS JSON error document
    assert got_status == status
    assert doc["__type"] == code
