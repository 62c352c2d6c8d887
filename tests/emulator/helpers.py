"""Manifest lines, error codes and admin calls shared by the emulator tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from statusmon_emulator import Emulator


def classification(ref: str, label: str) -> dict[str, Any]:
    return {
        "source-ref": ref,
        "animal": 1,
        "animal-metadata": {
            "class-name": label,
            "confidence": 1,
            "type": "groundtruth/image-classification",
            "job-name": "labeling-job/animal",
            "human-annotated": "yes",
            "creation-date": "2023-07-27T00:00:00",
        },
    }


def detection(ref: str, boxes: list[dict[str, Any]], class_map: dict[str, str]) -> dict[str, Any]:
    return {
        "source-ref": ref,
        "bbox": {"image_size": [{"width": 640, "height": 480, "depth": 3}], "annotations": boxes},
        "bbox-metadata": {
            "objects": [{"confidence": 1} for _ in boxes],
            "class-map": class_map,
            "type": "groundtruth/object-detection",
            "human-annotated": "yes",
        },
    }


def jsonl(*docs: Any) -> bytes:
    return "\n".join(d if isinstance(d, str) else json.dumps(d) for d in docs).encode()


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def admin_call(
    emu: Emulator, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One request to the emulator over plain HTTP: (status, decoded JSON answer)."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(emu.url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
