"""Generic request validation against botocore's service model.

One walk over the operation's input shape checks what the service checks before it acts:
required members, JSON types, enums, string and blob lengths, patterns, numeric ranges and
list/map sizes. Messages follow AWS's "N validation errors detected: ..." wording.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

# Java regex property classes used by the two models, approximated for Python's re.
_CLASS_BODIES = {
    r"\p{L}": "a-zA-Z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u1fff\u2c00-\ud7ff",
    r"\p{Z}": " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000",
    r"\p{N}": "0-9\u00b2\u00b3\u00b9\u00bc-\u00be\u0660-\u0669",
    r"\p{ASCII}": "\x00-\x7f",
}


def _translate(pattern: str) -> str:
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and pattern.startswith(r"\p{", i):
            end = pattern.index("}", i) + 1
            body = _CLASS_BODIES[pattern[i:end]]
            out.append(body if in_class else f"[{body}]")
            i = end
            continue
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(_translate(pattern), re.DOTALL)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    text = str(value)
    return text if len(text) <= 100 else text[:100] + "..."


def blob_length(value: str) -> int | None:
    """Decoded length of base64 text, or None when it is not valid base64."""
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return None


class _Walker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        self.errors.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: {constraint}")

    def walk(self, shape: Shape, value: Any, path: str) -> None:
        kind = shape.type_name
        handler = getattr(self, f"_check_{kind}", None)
        if handler is not None:
            handler(shape, value, path)

    def _check_structure(self, shape: Shape, value: Any, path: str) -> None:
        assert isinstance(shape, StructureShape)
        if not isinstance(value, dict):
            self.fail(value, path, "Member must be a structure")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                self.errors.append(
                    f"Value null at '{self._join(path, name)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        for name, member in shape.members.items():
            if value.get(name) is not None:
                self.walk(member, value[name], self._join(path, name))

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{_camel(name)}" if path else _camel(name)

    def _sized(self, shape: Shape, value: Any, size: int, path: str, what: str) -> None:
        low = shape.metadata.get("min")
        high = shape.metadata.get("max")
        if low is not None and size < low:
            self.fail(value, path, f"Member must have {what} greater than or equal to {low}")
        if high is not None and size > high:
            self.fail(value, path, f"Member must have {what} less than or equal to {high}")

    def _check_string(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, str):
            self.fail(value, path, "Member must be a string")
            return
        self._sized(shape, value, len(value), path, "length")
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            self.fail(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = shape.metadata.get("pattern")
        if pattern and not compile_pattern(pattern).fullmatch(value):
            self.fail(value, path, f"Member must satisfy regular expression pattern: {pattern}")

    def _check_blob(self, shape: Shape, value: Any, path: str) -> None:
        size = blob_length(value) if isinstance(value, str) else None
        if size is None:
            self.fail("<blob>", path, "Member must be base64-encoded binary data")
            return
        self._sized(shape, "<blob>", size, path, "length")

    def _check_integer(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(value, path, "Member must be an integer")
            return
        self._sized(shape, value, value, path, "value")

    _check_long = _check_integer

    def _check_boolean(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            self.fail(value, path, "Member must be a boolean")

    def _check_timestamp(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(value, path, "Member must be a timestamp in epoch seconds")

    def _check_list(self, shape: Shape, value: Any, path: str) -> None:
        assert isinstance(shape, ListShape)
        if not isinstance(value, list):
            self.fail(value, path, "Member must be a list")
            return
        self._sized(shape, value, len(value), path, "length")
        for index, item in enumerate(value, start=1):
            self.walk(shape.member, item, f"{path}.{index}.member")

    def _check_map(self, shape: Shape, value: Any, path: str) -> None:
        assert isinstance(shape, MapShape)
        if not isinstance(value, dict):
            self.fail(value, path, "Member must be a map")
            return
        self._sized(shape, value, len(value), path, "length")
        for key, item in value.items():
            self.walk(shape.key, key, f"{path}.key")
            self.walk(shape.value, item, f"{path}.{key}")


def validate(shape: Shape | None, params: Any) -> str | None:
    """Return an AWS-style message for every constraint the request violates, or None."""
    if shape is None:
        return None
    walker = _Walker()
    walker.walk(shape, params, "")
    if not walker.errors:
        return None
    count = len(walker.errors)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(walker.errors)
