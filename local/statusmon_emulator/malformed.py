"""Malformed 200 answers: an operation's successful reply, corrupted in one named way.

Every kind starts from the reply the operation would have sent (the operation really runs, so
a corrupted CreateDataset still creates the dataset). A kind that finds nothing to corrupt in a
given answer (no list, no timestamp, no paging) sends ``{}`` instead, as ``empty-object`` would.

The two paging kinds hand out tokens the backends never made. The core unwraps them before the
operation runs (``unwrap_token``), whether or not faults are still set, so they keep working:

- ``FIRST_PAGE_TOKEN`` stands for "no token": it answers the first page again.
- ``statusmon-emulator:endless:<serial>:<token>`` stands for ``<token>`` (empty: the first
  page); the serial only makes each one new.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

JSON_11 = "application/x-amz-json-1.1"
HTML = "text/html; charset=utf-8"

MALFORMED_KINDS: tuple[str, ...] = (
    "empty",
    "empty-object",
    "html",
    "truncated",
    "null-list",
    "wrong-type",
    "item-missing-key",
    "bad-timestamp",
    "repeat-token",
    "endless-token",
)
FALLBACK = "empty-object"

_TOKEN_PREFIX = "statusmon-emulator:"  # noqa: S105 (a paging token, not a secret)
FIRST_PAGE_TOKEN = f"{_TOKEN_PREFIX}first-page"
_ENDLESS_PREFIX = f"{_TOKEN_PREFIX}endless:"
_SERIALS = itertools.count(1)  # process-wide and never reset, so endless tokens never repeat

_HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><h1>502 Bad Gateway</h1><p>The upstream server sent an invalid answer.</p></body></html>\n"
)


def parse_kinds(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Kind names from a list or a comma-separated string; ``None`` means every kind."""
    if value is None:
        return MALFORMED_KINDS
    names = value.split(",") if isinstance(value, str) else list(value)
    kinds = tuple(str(name).strip() for name in names)
    if not kinds or kinds == ("",):
        raise ValueError("malformed must name at least one kind")
    for kind in kinds:
        if kind not in MALFORMED_KINDS:
            raise ValueError(
                f"unknown malformed kind {kind!r}; expected one of: {', '.join(MALFORMED_KINDS)}"
            )
    return kinds


def unwrap_token(token: str | None) -> str | None:
    """The backend token behind one the emulator issued; any other token is returned as is."""
    if token == FIRST_PAGE_TOKEN:
        return None
    if token and token.startswith(_ENDLESS_PREFIX):
        serial, sep, original = token.removeprefix(_ENDLESS_PREFIX).partition(":")
        if sep and serial.isdigit():
            return original or None
    return token


def endless_token(serial: int, original: str | None) -> str:
    return f"{_ENDLESS_PREFIX}{serial}:{original or ''}"


@dataclass(frozen=True)
class Corrupted:
    kind: str  # the kind applied: the one asked for, or FALLBACK
    body: bytes
    content_type: str


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def corrupt(
    kind: str, doc: dict[str, Any], *, token_key: str | None = None, sent_token: str | None = None
) -> Corrupted:
    """Corrupt ``doc``, the successful reply of an operation.

    ``token_key`` is the operation's paging member (``NextToken``/``nextToken``; None when it does
    not page) and ``sent_token`` the token as the request carried it.
    """
    if kind == "empty":
        return Corrupted(kind, b"", JSON_11)
    if kind == "html":
        return Corrupted(kind, _HTML_PAGE, HTML)
    if kind == "truncated":
        body = _dumps(doc)
        return Corrupted(kind, body[: len(body) // 2], JSON_11)
    edited = copy.deepcopy(doc)
    if not _EDITS[kind](edited, _Paging(token_key, sent_token)):
        return Corrupted(FALLBACK, b"{}", JSON_11)
    return Corrupted(kind, _dumps(edited), JSON_11)


class _Paging(NamedTuple):
    key: str | None
    sent_token: str | None


# Each edit changes the reply in place and tells whether it found something to change.
def _empty_object(doc: dict[str, Any], paging: _Paging) -> bool:
    doc.clear()
    return True


def _null_list(doc: dict[str, Any], paging: _Paging) -> bool:
    return _set(doc, _first_key(doc, list), None)


def _wrong_type(doc: dict[str, Any], paging: _Paging) -> bool:
    return _set(doc, _first_key(doc, list) or _first_key(doc, dict), "wrong-type")


def _repeat_token(doc: dict[str, Any], paging: _Paging) -> bool:
    return _set(doc, paging.key, paging.sent_token or FIRST_PAGE_TOKEN)


def _endless_token(doc: dict[str, Any], paging: _Paging) -> bool:
    if paging.key is None:
        return False
    return _set(doc, paging.key, endless_token(next(_SERIALS), unwrap_token(paging.sent_token)))


def _first_key(doc: dict[str, Any], kind: type) -> str | None:
    return next((key for key, value in doc.items() if isinstance(value, kind)), None)


def _set(doc: dict[str, Any], key: str | None, value: Any) -> bool:
    if key is None:
        return False
    doc[key] = value
    return True


def _drop_identity(doc: dict[str, Any], paging: _Paging) -> bool:
    """Remove the ARN key (else the status key) of the first list's first item, else of the
    first top-level object; False when neither has one."""
    list_key = _first_key(doc, list)
    items = doc[list_key] if list_key else []
    target = items[0] if items and isinstance(items[0], dict) else doc.get(_first_key(doc, dict) or "")
    if not isinstance(target, dict):
        return False
    key = next((k for k in target if k.endswith("Arn")), None) or next(
        (k for k in ("Status", "status") if k in target), None
    )
    if key is None:
        return False
    del target[key]
    return True


def _bad_timestamp(doc: dict[str, Any], paging: _Paging) -> bool:
    return _spoil_timestamp(doc)


def _spoil_timestamp(node: Any) -> bool:
    """Set the first timestamp field (depth first, in key order) to "not-a-date"."""
    if isinstance(node, dict):
        for key, value in node.items():
            if ("Timestamp" in key or "DateTime" in key) and isinstance(value, int | float):
                node[key] = "not-a-date"
                return True
            if _spoil_timestamp(value):
                return True
    elif isinstance(node, list):
        return any(_spoil_timestamp(item) for item in node)
    return False


_EDITS: dict[str, Callable[[dict[str, Any], _Paging], bool]] = {
    "empty-object": _empty_object,
    "null-list": _null_list,
    "wrong-type": _wrong_type,
    "item-missing-key": _drop_identity,
    "bad-timestamp": _bad_timestamp,
    "repeat-token": _repeat_token,
    "endless-token": _endless_token,
}
