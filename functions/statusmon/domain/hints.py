"""The hints catalogue: what to do about a failure the services document, and where to read more.

The catalogue is data (:data:`CATALOGUE`), one :class:`Hint` per known failure, in the order they are
tried; the first that matches wins, so the specific come before the generic. An entry matches:

- a failed (or unknown) status's reason that names one of its ``codes`` (``ERROR_...``, as Custom
  Labels puts them in ``StatusMessage``) or that its ``pattern`` finds (a case-insensitive regular
  expression over the service's own wording);
- a failure's ``StatusMessageCode`` (``details.status_message_code``) listed in ``codes``;
- a completed dataset whose sampled error entries carry one of its ``codes`` (the non-terminal
  per-line errors that ``UpdateDatasetEntries`` leaves in the entries).

``source`` says where each pattern's wording comes from: a page of the service's documentation, the
statusmon emulator's text (which follows the documentation where there is one), or an illustration
where the service publishes no text. A failure that matches nothing is counted by the sweep's
summary (``unmatched_reasons``) so the catalogue can grow; ``docs/alerts.md``'s "Alert hints" table is
generated from this data (``python scripts/hints_table.py --write``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statusmon.domain.model import Transition
from statusmon.domain.vocabulary import Phase, Service, phase

_CL = "https://docs.aws.amazon.com/rekognition/latest/customlabels-dg"
_CL_DATASET_ERRORS = f"{_CL}/debugging-datasets-terminal-errors.html"
_CL_LINE_ERRORS = f"{_CL}/tm-debugging-json-line-errors.html"
_PZ = "https://docs.aws.amazon.com/personalize/latest/dg"

# Where a pattern's wording comes from (the `source` of an entry).
DOCUMENTED = "documented"  # the error's name and message are on the docs_url page
EMULATOR = "emulator"  # the statusmon emulator's text; the service publishes no list of its messages
ILLUSTRATED = "illustrated"  # no published text: the pattern is the wording's key words, widened as seen

_CODE = re.compile(r"\b(?:ERROR|WARNING)_[A-Z0-9_]+\b")


@dataclass(frozen=True)
class Hint:
    key: str
    service: Service
    hint: str  # one line: what to do
    docs_url: str
    source: str
    codes: tuple[str, ...] = ()
    pattern: str | None = None
    # Where the pattern's wording was checked, beyond docs_url (a documentation page, an emulator module).
    seen_in: str = ""
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.pattern is not None:
            object.__setattr__(self, "_regex", re.compile(self.pattern, re.IGNORECASE))

    def matches_reason(self, reason: str) -> bool:
        if any(code in _codes_in(reason) for code in self.codes):
            return True
        return self._regex is not None and self._regex.search(reason) is not None


CATALOGUE: tuple[Hint, ...] = (
    # --- Custom Labels: terminal file errors of CreateDataset / UpdateDatasetEntries -------------
    Hint(
        key="rekognition.manifest-inaccessible",
        service=Service.REKOGNITION,
        codes=("ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT",),
        pattern=r"manifest file extension or contents are invalid",
        hint=(
            "Check that the manifest's S3 bucket and key exist, the file name has an extension "
            "(.manifest) and it holds JSON Lines; then create or update the dataset again."
        ),
        docs_url=f"{_CL_DATASET_ERRORS}#md-error-status-ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    Hint(
        key="rekognition.manifest-permissions",
        service=Service.REKOGNITION,
        codes=("ERROR_INVALID_PERMISSIONS_MANIFEST_S3_BUCKET",),
        pattern=r"S3 bucket permissions are incorrect|permissions for the manifest S3 bucket are invalid",
        hint=(
            "Let Custom Labels read the manifest's bucket: allow the rekognition.amazonaws.com service "
            "s3:GetObject on it in the bucket policy (and the bucket's KMS key, if it has one)."
        ),
        docs_url=f"{_CL_DATASET_ERRORS}#md-error-status-ERROR_INVALID_PERMISSIONS_MANIFEST_S3_BUCKET",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    Hint(
        key="rekognition.manifest-too-large",
        service=Service.REKOGNITION,
        codes=("ERROR_MANIFEST_SIZE_TOO_LARGE",),
        pattern=r"manifest file size exceeds the maximum",
        hint="Split the manifest, or remove JSON Lines, until it is within the manifest size quota.",
        docs_url=f"{_CL_DATASET_ERRORS}#md-error-status-ERROR_MANIFEST_SIZE_TOO_LARGE",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    Hint(
        key="rekognition.manifest-too-many-rows",
        service=Service.REKOGNITION,
        codes=("ERROR_MANIFEST_ROWS_EXCEEDS_MAXIMUM",),
        pattern=r"manifest file has too many rows",
        hint="Remove JSON Lines (images) until the manifest is within the image quota of the model type.",
        docs_url=f"{_CL_DATASET_ERRORS}#md-error-status-ERROR_MANIFEST_ROWS_EXCEEDS_MAXIMUM",
        source=DOCUMENTED,
    ),
    Hint(
        key="rekognition.too-many-records-in-error",
        service=Service.REKOGNITION,
        codes=("ERROR_TOO_MANY_RECORDS_IN_ERROR", "ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST"),
        pattern=r"manifest file has too many (?:terminal errors|records in error)|too many invalid rows",
        hint=(
            "Fix or remove the JSON Lines with content errors (invalid JSON, a missing or malformed "
            "source-ref, bad labels), then update the dataset again."
        ),
        docs_url=f"{_CL_DATASET_ERRORS}#md-error-status-ERROR_TOO_MANY_RECORDS_IN_ERROR",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    Hint(
        key="rekognition.too-many-labels",
        service=Service.REKOGNITION,
        codes=("ERROR_MANIFEST_TOO_MANY_LABELS",),
        pattern=r"manifest file has too many labels",
        hint="Remove labels (and their boxes) until the dataset is within the label quota.",
        docs_url=f"{_CL_DATASET_ERRORS}#md-error-status-ERROR_MANIFEST_TOO_MANY_LABELS",
        source=DOCUMENTED,
    ),
    Hint(
        key="rekognition.too-few-images-to-distribute",
        service=Service.REKOGNITION,
        codes=("ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_DISTRIBUTE",),
        pattern=r"(?:does ?n[o']t have enough|insufficient) (?:labeled )?images(?: per label)? to distribute",
        hint="Add labeled images to the training dataset, for every label, before DistributeDatasetEntries.",
        docs_url=f"{_CL_DATASET_ERRORS}#md-error-status-ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_DISTRIBUTE",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    Hint(
        key="rekognition.images-in-several-buckets",
        service=Service.REKOGNITION,
        codes=("ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS",),
        pattern=r"images from multiple S3 buckets",
        hint="Keep every image of the dataset in one S3 bucket: every source-ref must name the same bucket.",
        docs_url=f"{_CL}/tm-debugging-aggregate-errors.html#tm-error-ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    # --- Custom Labels: non-terminal per-line errors (a dataset completes with error entries) ----
    Hint(
        key="rekognition.entry-source-ref",
        service=Service.REKOGNITION,
        codes=("ERROR_INVALID_SOURCE_REF_FORMAT", "ERROR_MISSING_SOURCE_REF"),
        hint="Give each line a source-ref that is the s3://bucket/key of its image, then update the entries.",
        docs_url=f"{_CL_LINE_ERRORS}#tm-error-ERROR_INVALID_SOURCE_REF_FORMAT",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    Hint(
        key="rekognition.entry-label-attributes",
        service=Service.REKOGNITION,
        codes=(
            "ERROR_NO_LABEL_ATTRIBUTES",
            "ERROR_NO_VALID_LABEL_ATTRIBUTES",
            "ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT",
            "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT",
        ),
        hint=(
            "Give each line a label attribute and its matching -metadata key in the Ground Truth "
            "classification or bounding-box format, then update the entries."
        ),
        docs_url=f"{_CL_LINE_ERRORS}#tm-error-ERROR_NO_LABEL_ATTRIBUTES",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    Hint(
        key="rekognition.entry-class-map",
        service=Service.REKOGNITION,
        codes=("ERROR_MISSING_CLASS_MAP_ID",),
        hint="Add every annotation's class_id to the class-map of the label attribute's metadata.",
        docs_url=f"{_CL_LINE_ERRORS}#tm-error-ERROR_MISSING_CLASS_MAP_ID",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    Hint(
        key="rekognition.entry-box-confidence",
        service=Service.REKOGNITION,
        codes=("ERROR_MISSING_BOUNDING_BOX_CONFIDENCE",),
        hint="Give the metadata's objects array one entry with a confidence for every annotation.",
        docs_url=f"{_CL_LINE_ERRORS}#tm-error-ERROR_MISSING_BOUNDING_BOX_CONFIDENCE",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    Hint(
        key="rekognition.entry-bounding-box",
        service=Service.REKOGNITION,
        codes=("ERROR_INVALID_BOUNDING_BOX", "ERROR_BOUNDING_BOX_TOO_SMALL", "ERROR_NO_VALID_ANNOTATIONS"),
        hint="Keep each bounding box inside its image, with non-negative values and a usable size.",
        docs_url=f"{_CL_LINE_ERRORS}#tm-error-ERROR_INVALID_BOUNDING_BOX",
        source=DOCUMENTED,
        seen_in="statusmon_emulator.manifest",
    ),
    Hint(
        key="rekognition.entry-image",
        service=Service.REKOGNITION,
        codes=("ERROR_INVALID_IMAGE", "ERROR_INVALID_IMAGE_DIMENSION"),
        hint=(
            "Check that each source-ref names an existing PNG or JPEG image within the size and "
            "dimension limits."
        ),
        docs_url=f"{_CL_LINE_ERRORS}#tm-error-ERROR_INVALID_IMAGE",
        source=DOCUMENTED,
    ),
    Hint(
        key="rekognition.entry-json",
        service=Service.REKOGNITION,
        codes=("ERROR_INVALID_JSON_LINE",),
        hint="Fix the JSON syntax of the failing lines (one JSON object per line), then update the entries.",
        docs_url=f"{_CL_LINE_ERRORS}#tm-error-ERROR_INVALID_JSON_LINE",
        source=DOCUMENTED,
    ),
    # --- Personalize: dataset import job failureReason ------------------------------------------
    Hint(
        key="personalize.kms-access",
        service=Service.PERSONALIZE,
        pattern=r"\bKMS\b|kms:",
        hint=(
            "Let Personalize use the KMS key of the data: its key policy must allow the "
            "personalize.amazonaws.com service kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey, "
            "kms:CreateGrant and kms:ListGrants."
        ),
        docs_url=f"{_PZ}/granting-personalize-key-access.html",
        source=ILLUSTRATED,
    ),
    Hint(
        key="personalize.s3-access-denied",
        service=Service.PERSONALIZE,
        pattern=(
            r"insufficient privileges for accessing data in S3|access denied.*\bS3\b|\bS3\b.*access denied"
        ),
        hint=(
            "Let Personalize read the data: the bucket policy must allow the personalize.amazonaws.com "
            "service s3:GetObject and s3:ListBucket, and the job's role must allow them too."
        ),
        docs_url=f"{_PZ}/granting-personalize-s3-access.html",
        source=EMULATOR,
        seen_in="statusmon_emulator.personalize (REASON_DENIED); CloudFormation's Personalize errors",
    ),
    Hint(
        key="personalize.csv-missing-columns",
        service=Service.PERSONALIZE,
        pattern=r"missing the following (?:required )?columns|missing (?:required )?columns?\b",
        hint=(
            "Add the missing columns to the CSV's header row, named exactly as the schema's fields "
            "(TIMESTAMP in Unix epoch seconds for interactions), and import again."
        ),
        docs_url=f"{_PZ}/data-prep-importing.html",
        source=EMULATOR,
        seen_in="statusmon_emulator.personalize.check_csv",
    ),
    Hint(
        key="personalize.csv-value-type",
        service=Service.PERSONALIZE,
        pattern=r"is not a valid (?:int|long|float|double|boolean)\b|(?:type|value) mismatch",
        hint=(
            "Make that column's values the type the schema declares (TIMESTAMP is a long in epoch "
            "seconds), or change the schema, and import again."
        ),
        docs_url=f"{_PZ}/how-it-works-dataset-schema.html",
        source=EMULATOR,
        seen_in="statusmon_emulator.personalize.check_csv",
    ),
    Hint(
        key="personalize.csv-row-width",
        service=Service.PERSONALIZE,
        pattern=r"row \d+ of the input CSV has \d+ columns|does not match the schema",
        hint=(
            "Give every row as many fields as the header (quote values that contain commas) and the "
            "header the schema's fields, then import again."
        ),
        docs_url=f"{_PZ}/data-prep-importing.html",
        source=EMULATOR,
        seen_in="statusmon_emulator.personalize.check_csv",
    ),
    Hint(
        key="personalize.csv-encoding",
        service=Service.PERSONALIZE,
        pattern=r"not UTF-8",
        hint="Save the CSV as UTF-8 text and import again.",
        docs_url=f"{_PZ}/data-prep-importing.html",
        source=EMULATOR,
        seen_in="statusmon_emulator.personalize.check_csv",
    ),
    Hint(
        key="personalize.data-location",
        service=Service.PERSONALIZE,
        pattern=(
            r"input path \S+ does not exist|no CSV files were found|input CSV is empty|"
            r"unsupported data location"
        ),
        hint=(
            "Point dataLocation at an s3:// CSV file, or a folder ending in / that holds .csv files, "
            "each with a header row."
        ),
        docs_url=f"{_PZ}/data-prep-importing.html",
        source=EMULATOR,
        seen_in="statusmon_emulator.personalize",
    ),
    # --- Generic: internal errors (tried last) --------------------------------------------------
    Hint(
        key="rekognition.service-error",
        service=Service.REKOGNITION,
        codes=("SERVICE_ERROR",),
        pattern=r"internal (?:service )?error",
        hint=(
            "An error inside the service: run the same dataset call again later, and ask AWS Support "
            "if it persists."
        ),
        docs_url="https://docs.aws.amazon.com/rekognition/latest/APIReference/API_DatasetDescription.html",
        source=DOCUMENTED,
        seen_in="StatusMessageCode SERVICE_ERROR; statusmon_emulator.rekognition",
    ),
    Hint(
        key="personalize.internal-error",
        service=Service.PERSONALIZE,
        pattern=r"internal (?:service )?error",
        hint=(
            "An error inside the service: create the import job again later, and ask AWS Support if "
            "it persists."
        ),
        docs_url=f"{_PZ}/API_DescribeDatasetImportJob.html",
        source=EMULATOR,
        seen_in="statusmon_emulator.personalize (REASON_UNAVAILABLE)",
    ),
)


def _codes_in(text: str) -> set[str]:
    return set(_CODE.findall(text))


def _entry_codes(samples: Any) -> set[str]:
    """The error codes in a dataset's sampled error entries (whatever their nesting)."""
    if not samples:
        return set()
    return _codes_in(json.dumps(samples, default=str))


def find(
    service: Service,
    status: str | None,
    reason: str | None,
    details: Mapping[str, Any] | None = None,
    catalogue: Iterable[Hint] = CATALOGUE,
) -> Hint | None:
    """The first catalogue entry for this state, or None (a state that is in flight, deleted, or
    complete without error entries has none)."""
    details = details or {}
    entries = [hint for hint in catalogue if hint.service is service]
    meaning = phase(service, status)
    if meaning in (Phase.FAILED, Phase.UNKNOWN):
        text = reason or ""
        message_code = details.get("status_message_code")
        for hint in entries:
            if hint.matches_reason(text) or (message_code and message_code in hint.codes):
                return hint
        return None
    if meaning is Phase.COMPLETE:
        codes = _entry_codes(details.get("error_entries"))
        return next((hint for hint in entries if codes.intersection(hint.codes)), None)
    return None


def unmatched(service: Service, status: str | None, reason: str | None, details: Mapping[str, Any]) -> bool:
    """A failure the catalogue has no hint for."""
    return phase(service, status) is Phase.FAILED and find(service, status, reason, details) is None


# A reason is kept to this many characters in a sweep's summary, and a summary lists this many.
REASON_CHARS = 200
UNMATCHED_LISTED = 10


def unmatched_reasons(transitions: Iterable[Transition]) -> dict[str, int]:
    """The failures among ``transitions`` that no catalogue entry matches: ``"service: reason"``
    (cut to :data:`REASON_CHARS`) and how often, the most frequent first, at most
    :data:`UNMATCHED_LISTED` of them (what a sweep's summary logs, for the catalogue to grow)."""
    counts: Counter[str] = Counter()
    for transition in transitions:
        state = transition.new
        if unmatched(state.service, state.status, state.reason, state.details):
            reason = " ".join((state.reason or "(no reason given)").split())[:REASON_CHARS]
            counts[f"{state.service.value}: {reason}"] += 1
    return dict(counts.most_common(UNMATCHED_LISTED))
