"""The hints catalogue: every entry matched by a realistic message, and nothing matched by accident."""

from __future__ import annotations

import re
from typing import Any

import pytest

from statusmon.domain import hints
from statusmon.domain.vocabulary import Service
from statusmon.logic.sweep import SweepReport
from statusmon_emulator import manifest
from statusmon_emulator import personalize as emulated_personalize
from tests.unit.factories import dataset, job, transition

REK, PZ = Service.REKOGNITION, Service.PERSONALIZE
S3_JOB = "s3://retail-data/interactions/2026-11-24.csv"

# (entry key, service, status, reason, details): a message as the service (or the emulator, where the
# service publishes none) words it. Every entry of the catalogue has at least one.
EXAMPLES: list[tuple[str, Service, str, str | None, dict[str, Any]]] = [
    (
        "rekognition.manifest-inaccessible",
        REK,
        "CREATE_FAILED",
        "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT: The manifest file extension or contents are "
        "invalid.",
        {"status_message_code": "CLIENT_ERROR"},
    ),
    # the guide's message alone, without the code
    (
        "rekognition.manifest-inaccessible",
        REK,
        "UPDATE_FAILED",
        "The manifest file extension or contents are invalid.",
        {},
    ),
    (
        "rekognition.manifest-permissions",
        REK,
        "CREATE_FAILED",
        "The S3 bucket permissions are incorrect.",
        {"status_message_code": "CLIENT_ERROR"},
    ),
    (
        "rekognition.manifest-permissions",
        REK,
        "CREATE_FAILED",
        "ERROR_INVALID_PERMISSIONS_MANIFEST_S3_BUCKET: The permissions for the manifest S3 bucket are "
        "invalid.",
        {},
    ),
    (
        "rekognition.manifest-too-large",
        REK,
        "CREATE_FAILED",
        "ERROR_MANIFEST_SIZE_TOO_LARGE: The manifest file size exceeds the maximum supported size.",
        {},
    ),
    ("rekognition.manifest-too-many-rows", REK, "CREATE_FAILED", "The manifest file has too many rows.", {}),
    (
        "rekognition.too-many-records-in-error",
        REK,
        "UPDATE_FAILED",
        "ERROR_TOO_MANY_RECORDS_IN_ERROR: The manifest file has too many records in error.",
        {},
    ),
    (
        "rekognition.too-many-records-in-error",
        REK,
        "UPDATE_FAILED",
        "The manifest file has too many terminal errors.",
        {},
    ),
    ("rekognition.too-many-labels", REK, "CREATE_FAILED", "The manifest file has too many labels.", {}),
    (
        "rekognition.too-few-images-to-distribute",
        REK,
        "UPDATE_FAILED",
        "The manifest file doesn't have enough labeled images to distribute the dataset.",
        {},
    ),
    (
        "rekognition.too-few-images-to-distribute",
        REK,
        "UPDATE_FAILED",
        "ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_DISTRIBUTE: The dataset has insufficient images per label "
        "to distribute.",
        {},
    ),
    (
        "rekognition.images-in-several-buckets",
        REK,
        "UPDATE_FAILED",
        "The manifest file contains images from multiple S3 buckets.",
        {},
    ),
    (
        "rekognition.entry-source-ref",
        REK,
        "UPDATE_COMPLETE",
        "The dataset was successfully updated.",
        {
            "stats": {"ErrorEntries": 2},
            "error_entries": [
                {
                    "source-ref": "https://example.com/not-in-s3.jpg",
                    "errors": [
                        {
                            "code": "ERROR_INVALID_SOURCE_REF_FORMAT",
                            "message": "The format of the source-ref value is invalid.",
                        }
                    ],
                }
            ],
        },
    ),
    (
        "rekognition.entry-label-attributes",
        REK,
        "CREATE_COMPLETE",
        "The dataset was successfully created.",
        {
            "error_entries": [
                {"source-ref": "s3://b/1.jpg", "errors": [{"code": "ERROR_NO_LABEL_ATTRIBUTES"}]}
            ]
        },
    ),
    (
        "rekognition.entry-class-map",
        REK,
        "UPDATE_COMPLETE",
        "The dataset was successfully updated.",
        # nested where the guide puts annotation errors: inside the label attribute's metadata
        {
            "error_entries": [
                {
                    "source-ref": "s3://b/2.jpg",
                    "bounding-box-metadata": {
                        "errors": [
                            {"code": "ERROR_MISSING_CLASS_MAP_ID", "message": "The class id 3 is missing"}
                        ]
                    },
                }
            ]
        },
    ),
    (
        "rekognition.entry-box-confidence",
        REK,
        "UPDATE_COMPLETE",
        None,
        {"error_entries": [{"errors": [{"code": "ERROR_MISSING_BOUNDING_BOX_CONFIDENCE"}]}]},
    ),
    (
        "rekognition.entry-bounding-box",
        REK,
        "UPDATE_COMPLETE",
        None,
        {"error_entries": [{"errors": [{"code": "ERROR_INVALID_BOUNDING_BOX"}]}]},
    ),
    (
        "rekognition.entry-image",
        REK,
        "UPDATE_COMPLETE",
        None,
        {
            "error_entries": [
                {"errors": [{"code": "ERROR_INVALID_IMAGE", "message": "The image is invalid."}]}
            ]
        },
    ),
    (
        "rekognition.entry-json",
        REK,
        "CREATE_COMPLETE",
        None,
        {"error_entries": [{"errors": [{"code": "ERROR_INVALID_JSON_LINE"}]}]},
    ),
    (
        "rekognition.service-error",
        REK,
        "CREATE_FAILED",
        "An internal service error occurred while reading the manifest file. Try again later.",
        {"status_message_code": "SERVICE_ERROR"},
    ),
    # an unrecognised message, but the StatusMessageCode says the service failed
    (
        "rekognition.service-error",
        REK,
        "UPDATE_FAILED",
        "Something went wrong.",
        {"status_message_code": "SERVICE_ERROR"},
    ),
    (
        "personalize.kms-access",
        PZ,
        "CREATE FAILED",
        f"Access denied for {S3_JOB}: the AWS KMS key of the object does not allow kms:Decrypt to "
        "Amazon Personalize.",
        {},
    ),
    (
        "personalize.s3-access-denied",
        PZ,
        "CREATE FAILED",
        emulated_personalize.REASON_DENIED,
        {},
    ),
    (
        "personalize.csv-missing-columns",
        PZ,
        "CREATE FAILED",
        "Input CSV is missing the following columns: [TIMESTAMP]",
        {"data_location": S3_JOB},
    ),
    (
        "personalize.csv-value-type",
        PZ,
        "CREATE FAILED",
        "Row 7: the value '2026-11-24T10:00:00Z' of column TIMESTAMP is not a valid long.",
        {},
    ),
    (
        "personalize.csv-row-width",
        PZ,
        "CREATE FAILED",
        "Row 12 of the input CSV has 4 columns; the header has 3.",
        {},
    ),
    ("personalize.csv-encoding", PZ, "CREATE FAILED", "Input CSV is not UTF-8 encoded text.", {}),
    ("personalize.data-location", PZ, "CREATE FAILED", f"Input path {S3_JOB} does not exist.", {}),
    (
        "personalize.data-location",
        PZ,
        "CREATE FAILED",
        "No CSV files were found at s3://retail-data/empty/.",
        {},
    ),
    (
        "personalize.internal-error",
        PZ,
        "CREATE FAILED",
        emulated_personalize.REASON_UNAVAILABLE,
        {},
    ),
]


@pytest.mark.parametrize(("key", "service", "status", "reason", "details"), EXAMPLES)
def test_each_entry_is_matched_by_its_realistic_message(
    key: str, service: Service, status: str, reason: str | None, details: dict[str, Any]
) -> None:
    found = hints.find(service, status, reason, details)
    assert found is not None, reason
    assert found.key == key


def test_every_entry_has_an_example() -> None:
    assert {entry.key for entry in hints.CATALOGUE} == {key for key, *_ in EXAMPLES}


def test_entries_are_one_line_with_a_docs_page_and_a_source() -> None:
    keys = [entry.key for entry in hints.CATALOGUE]
    assert len(keys) == len(set(keys))
    for entry in hints.CATALOGUE:
        assert entry.codes or entry.pattern, entry.key
        assert "\n" not in entry.hint
        assert entry.hint.endswith(".")
        assert len(entry.hint) <= 200, entry.key
        assert re.match(r"^https://docs\.aws\.amazon\.com/(rekognition|personalize)/", entry.docs_url)
        assert entry.key.startswith(entry.service.value + ".")
        assert entry.source in {hints.DOCUMENTED, hints.EMULATOR, hints.ILLUSTRATED}


@pytest.mark.parametrize("code", sorted(manifest.TERMINAL_MESSAGES))
def test_every_terminal_failure_the_emulator_gives_has_an_entry_naming_its_code(code: str) -> None:
    found = hints.find(REK, "UPDATE_FAILED", manifest.terminal_message(code), {})
    assert found is not None
    assert code in found.codes


@pytest.mark.parametrize(
    "reason",
    [
        "The dataset was successfully created.",
        "The dataset is being updated.",
        None,
    ],
)
def test_success_and_progress_messages_have_no_hint(reason: str | None) -> None:
    assert hints.find(REK, "CREATE_COMPLETE", reason, {}) is None
    assert hints.find(REK, "UPDATE_IN_PROGRESS", reason, {"status_message_code": "SUCCESS"}) is None


def test_a_reason_is_only_matched_for_its_own_service() -> None:
    assert hints.find(PZ, "CREATE FAILED", "The manifest file has too many labels.", {}) is None
    assert (
        hints.find(REK, "CREATE_FAILED", "Input CSV is missing the following columns: [USER_ID]", {}) is None
    )


def test_an_in_flight_dataset_with_old_error_entries_has_no_hint() -> None:
    details = {"error_entries": [{"errors": [{"code": "ERROR_INVALID_BOUNDING_BOX"}]}]}
    assert hints.find(REK, "UPDATE_IN_PROGRESS", None, details) is None


def test_a_kms_denial_on_s3_data_gets_the_kms_hint_not_the_bucket_one() -> None:
    reason = (
        f"Access denied reading {S3_JOB} from S3: KMS key "
        "arn:aws:kms:eu-west-1:123456789012:key/1 is not usable"
    )
    found = hints.find(PZ, "CREATE FAILED", reason, {})
    assert found is not None
    assert found.key == "personalize.kms-access"


def test_failures_without_an_entry_are_counted_by_reason() -> None:
    # Given two failures with the same unknown reason, one with a known reason, and a completion
    odd = "ERROR_SOMETHING_NEW: A failure statusmon has never seen."
    transitions = [
        transition(dataset("CREATE_FAILED", reason=odd)),
        transition(dataset("UPDATE_FAILED", reason=odd + "  ")),
        transition(job("CREATE FAILED", reason="Input CSV is missing the following columns: [ITEM_ID]")),
        transition(job("CREATE FAILED")),
        transition(dataset("CREATE_COMPLETE", reason="The dataset was successfully created.")),
    ]
    # When they are counted
    counted = hints.unmatched_reasons(transitions)
    # Then only the failures without an entry are, by service and reason, the most frequent first
    assert counted == {f"rekognition: {odd}": 2, "personalize: (no reason given)": 1}


def test_a_long_unmatched_reason_is_cut() -> None:
    counted = hints.unmatched_reasons([transition(job("CREATE FAILED", reason="x" * 5000))])
    (reason,) = counted
    assert len(reason) == len("personalize: ") + hints.REASON_CHARS


def test_a_sweeps_summary_counts_the_failures_without_a_hint() -> None:
    # Given a sweep that recorded a failure with a known reason and one with a new reason
    report = SweepReport(service=PZ)
    report.recorded += [
        transition(job("CREATE FAILED", reason="Input CSV is missing the following columns: [TIMESTAMP]")),
        transition(job("CREATE FAILED", reason="A reason from a future Personalize.")),
    ]
    # Then its summary (the poll function's log line) lists only the new one
    assert report.summary()["unmatched_reasons"] == {"personalize: A reason from a future Personalize.": 1}
