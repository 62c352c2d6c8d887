"""Custom Labels manifest (SageMaker Ground Truth JSON Lines) parsing.

Rules, following the Custom Labels debugging guide:

* Each non-blank line is one image keyed by ``source-ref``; a line for an existing
  ``source-ref`` replaces that entry (upsert).
* Non-terminal problems keep the entry and attach an ``errors`` list of ``{"code", "message"}``:
  a ``source-ref`` that is not an ``s3://bucket/key`` URI, a label attribute without its
  ``-metadata`` (or the reverse), metadata of an unknown ``type``, a malformed label value,
  a class id missing from ``class-map``, a bounding box without confidence or with a
  non-positive size.
* Lines that cannot be keyed at all (not JSON, not an object, no ``source-ref``) are rejected.
* Terminal problems fail the whole create/update and change nothing: contents that are not
  UTF-8 text or hold no lines, images in more than one bucket, or no line yielding an
  error-free entry (every line invalid).

A line with only a ``source-ref`` is a valid, unlabeled entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

CLASSIFICATION = "groundtruth/image-classification"
MULTILABEL = "groundtruth/image-classification-multilabel"
DETECTION = "groundtruth/object-detection"

TERMINAL_MESSAGES = {
    "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT": (
        "The manifest file extension or contents are invalid."
    ),
    "ERROR_INVALID_PERMISSIONS_MANIFEST_S3_BUCKET": "The permissions for the manifest S3 bucket are invalid.",
    "ERROR_MANIFEST_SIZE_TOO_LARGE": "The manifest file size exceeds the maximum supported size.",
    "ERROR_TOO_MANY_RECORDS_IN_ERROR": "The manifest file has too many records in error.",
    "ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS": "The manifest file contains images from multiple S3 buckets.",
    "ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_DISTRIBUTE": (
        "The dataset has insufficient images per label to distribute."
    ),
}

_ENTRY_MESSAGES = {
    "ERROR_INVALID_SOURCE_REF_FORMAT": "The format of the source-ref value is invalid.",
    "ERROR_NO_LABEL_ATTRIBUTES": "No label attributes found.",
    "ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT": "The format of the label attribute {name} is invalid.",
    "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT": "The format of the label attribute metadata is invalid.",
    "ERROR_MISSING_CLASS_MAP_ID": "The class id {name} is missing from the class map.",
    "ERROR_MISSING_BOUNDING_BOX_CONFIDENCE": "One or more bounding boxes are missing a confidence value.",
    "ERROR_INVALID_BOUNDING_BOX": "The bounding box has invalid dimensions.",
}


def terminal_message(code: str) -> str:
    return f"{code}: {TERMINAL_MESSAGES[code]}"


class TerminalManifestError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(terminal_message(code))
        self.code = code


@dataclass
class Entry:
    """One image of a dataset, with its labels and bounding boxes counted per label."""

    source_ref: str
    line: dict[str, Any]
    labels: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def bucket(self) -> str | None:
        if not self.source_ref.startswith("s3://"):
            return None
        return self.source_ref[5:].split("/", 1)[0] or None

    def as_json(self) -> str:
        doc = dict(self.line)
        if self.errors:
            doc["errors"] = self.errors
        return json.dumps(doc, separators=(",", ":"))


def _error(code: str, name: str = "") -> dict[str, str]:
    return {"code": code, "message": _ENTRY_MESSAGES[code].format(name=name)}


def _class_map(meta: dict[str, Any]) -> dict[str, str] | None:
    cmap = meta.get("class-map")
    if isinstance(cmap, dict) and all(isinstance(v, str) for v in cmap.values()):
        return {str(k): v for k, v in cmap.items()}
    return None


def _classification(entry: Entry, name: str, value: Any, meta: dict[str, Any]) -> None:
    label = meta.get("class-name")
    if isinstance(value, bool) or not isinstance(value, int) or not isinstance(label, str) or not label:
        entry.errors.append(_error("ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT", name))
        return
    entry.labels.setdefault(label, 0)


def _multilabel(entry: Entry, name: str, value: Any, meta: dict[str, Any]) -> None:
    cmap = _class_map(meta)
    if not isinstance(value, list) or cmap is None:
        entry.errors.append(_error("ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT", name))
        return
    for class_id in value:
        label = cmap.get(str(class_id))
        if label is None:
            entry.errors.append(_error("ERROR_MISSING_CLASS_MAP_ID", str(class_id)))
        else:
            entry.labels.setdefault(label, 0)


def _detection(entry: Entry, name: str, value: Any, meta: dict[str, Any]) -> None:
    cmap = _class_map(meta)
    annotations = value.get("annotations") if isinstance(value, dict) else None
    if not isinstance(annotations, list) or cmap is None:
        entry.errors.append(_error("ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT", name))
        return
    objects = meta.get("objects")
    objects = objects if isinstance(objects, list) else []
    for index, box in enumerate(annotations):
        if not isinstance(box, dict):
            entry.errors.append(_error("ERROR_INVALID_BOUNDING_BOX"))
            continue
        confidence = objects[index] if index < len(objects) else None
        if not isinstance(confidence, dict) or "confidence" not in confidence:
            entry.errors.append(_error("ERROR_MISSING_BOUNDING_BOX_CONFIDENCE"))
        label = cmap.get(str(box.get("class_id")))
        if label is None:
            entry.errors.append(_error("ERROR_MISSING_CLASS_MAP_ID", str(box.get("class_id"))))
            continue
        if not _valid_box(box):
            entry.errors.append(_error("ERROR_INVALID_BOUNDING_BOX"))
            continue
        entry.labels[label] = entry.labels.get(label, 0) + 1


def _valid_box(box: dict[str, Any]) -> bool:
    sizes: list[float] = []
    for key in ("top", "left", "width", "height"):
        value = box.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        sizes.append(float(value))
    top, left, width, height = sizes
    return top >= 0 and left >= 0 and width > 0 and height > 0


_PARSERS = {CLASSIFICATION: _classification, MULTILABEL: _multilabel, DETECTION: _detection}


def parse_line(doc: dict[str, Any], source_ref: str) -> Entry:
    entry = Entry(source_ref=source_ref, line={k: v for k, v in doc.items() if k != "errors"})
    bucket, _, key = source_ref[5:].partition("/") if source_ref.startswith("s3://") else ("", "", "")
    if not bucket or not key:
        entry.errors.append(_error("ERROR_INVALID_SOURCE_REF_FORMAT"))
    names = {k for k in entry.line if k != "source-ref" and not k.endswith("-metadata")}
    metas = {k[: -len("-metadata")] for k in entry.line if k.endswith("-metadata")}
    if names != metas:
        entry.errors.append(_error("ERROR_NO_LABEL_ATTRIBUTES"))
    for name in sorted(names & metas):
        meta = entry.line[f"{name}-metadata"]
        parser = _PARSERS.get(str(meta.get("type"))) if isinstance(meta, dict) else None
        if parser is None or not isinstance(meta, dict):
            entry.errors.append(_error("ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT"))
            continue
        parser(entry, name, entry.line[name], meta)
    return entry


@dataclass
class ParsedManifest:
    entries: list[Entry]
    rejected_lines: int


def parse_manifest(data: bytes) -> ParsedManifest:
    """Parse JSON Lines, raising TerminalManifestError for problems that fail the whole change."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TerminalManifestError("ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise TerminalManifestError("ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT")
    entries: dict[str, Entry] = {}
    rejected = 0
    for line in lines:
        try:
            doc = json.loads(line)
        except ValueError:
            doc = None
        source_ref = doc.get("source-ref") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or not isinstance(source_ref, str) or not source_ref:
            rejected += 1
            continue
        entries[source_ref] = parse_line(doc, source_ref)
    if not any(not e.errors for e in entries.values()):
        raise TerminalManifestError("ERROR_TOO_MANY_RECORDS_IN_ERROR")
    return ParsedManifest(entries=list(entries.values()), rejected_lines=rejected)


def check_single_bucket(entries: list[Entry]) -> None:
    buckets = {e.bucket for e in entries if e.bucket}
    if len(buckets) > 1:
        raise TerminalManifestError("ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS")
