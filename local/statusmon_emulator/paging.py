"""Opaque pagination tokens and page slicing over ordered indexes."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Iterable, Sequence
from typing import Any

from statusmon_emulator.errors import AwsError


def encode_token(operation: str, key: Any) -> str:
    raw = json.dumps({"op": operation, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(token: str, operation: str, error_code: str) -> Any:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        doc = None
    if not isinstance(doc, dict) or doc.get("op") != operation or "k" not in doc:
        raise AwsError(error_code, "Invalid pagination token")
    return doc["k"]


def page_ascending(seqs: Sequence[int], after: int | None, limit: int) -> tuple[list[int], bool]:
    """Keys greater than ``after`` from an ascending list, and whether more remain."""
    start = 0 if after is None else bisect.bisect_right(seqs, after)
    chunk = list(seqs[start : start + limit])
    return chunk, start + limit < len(seqs)


def page_descending(seqs: Sequence[int], before: int | None, limit: int) -> tuple[list[int], bool]:
    """Keys smaller than ``before`` from an ascending list, newest first."""
    end = len(seqs) if before is None else bisect.bisect_left(seqs, before)
    start = max(0, end - limit)
    chunk = list(seqs[start:end])
    chunk.reverse()
    return chunk, start > 0


def remove_sorted(seqs: list[int], key: int) -> None:
    index = bisect.bisect_left(seqs, key)
    if index < len(seqs) and seqs[index] == key:
        del seqs[index]


def take_offset(items: Iterable[Any], offset: int, limit: int) -> tuple[list[Any], bool]:
    """Offset paging over a filtered iterable: one item beyond the page tells whether more remain."""
    page: list[Any] = []
    for index, item in enumerate(items):
        if index < offset:
            continue
        if len(page) == limit:
            return page, True
        page.append(item)
    return page, False
