"""Find dead relative links and anchors in the project's Markdown: `make lint` runs it.

``python scripts/check_links.py [FILE ...]`` (default: README.md and docs/*.md) checks every inline
link ``[text](target)`` and reference definition ``[label]: target`` outside code: a relative
target must name a file or directory of the checkout, and a ``#fragment`` on a Markdown file (or
on the page itself) must be one of its headings' anchors, spelt as GitHub renders them, or an
``<a id>``/``<a name>`` of it. Web links (http, https, mailto) are not fetched: the check runs
offline. Prints one line per dead link, ``FILE:LINE: ...``, and exits 1 if there is any.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = ("README.md", "docs/*.md")

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target "title"): the text may hold one level of brackets (a badge, `[x]` in code).
_INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"<a\s[^>]*\b(?:id|name)=[\"']([^\"']+)[\"']", re.IGNORECASE)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


@dataclass(frozen=True)
class DeadLink:
    path: Path
    line: int
    target: str
    why: str

    def __str__(self) -> str:
        where = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{where}:{self.line}: dead link '{self.target}': {self.why}"


def _prose_lines(text: str) -> Iterator[tuple[int, str, str]]:
    """The lines outside fenced code blocks, numbered from 1: as written, and with inline code
    blanked out (a link in code is an example, not a link)."""
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence = opening.group(1)[0] * len(opening.group(1))
            continue
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            continue
        yield number, line, _INLINE_CODE.sub(lambda code: " " * len(code.group(0)), line)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: the text without its Markdown, lower case, punctuation
    other than ``-`` and ``_`` dropped, each space a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower()
    text = "".join(char for char in text if char.isalnum() or char in " -_")
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every anchor a link may name in ``path``: its headings' (repeats get -1, -2, ...) and its
    explicit HTML anchors."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    text = path.read_text(encoding="utf-8")
    for _, line, prose in _prose_lines(text):
        found.update(_HTML_ANCHOR.findall(prose))
        heading = _HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def _targets(text: str) -> Iterator[tuple[int, str]]:
    """Each link target with the number of its line; a link's text may run over several lines."""
    prose = [""] * len(text.splitlines())
    for number, _, line in _prose_lines(text):
        prose[number - 1] = line
        reference = _REFERENCE.match(line)
        if reference:
            yield number, reference.group(1)
    joined = "\n".join(prose)
    for match in _INLINE_LINK.finditer(joined):
        yield joined.count("\n", 0, match.start(1)) + 1, match.group(1)


def check_file(path: Path) -> list[DeadLink]:
    dead = []
    for line, target in sorted(_targets(path.read_text(encoding="utf-8"))):
        if not target or _EXTERNAL.match(target):
            continue
        file_part, _, fragment = target.partition("#")
        linked = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not linked.exists():
            dead.append(DeadLink(path, line, target, f"no file {file_part}"))
        elif fragment and linked.suffix == ".md" and unquote(fragment) not in anchors(linked):
            dead.append(DeadLink(path, line, target, f"no heading or anchor #{fragment} in {linked.name}"))
    return dead


def default_files(root: Path = ROOT) -> list[Path]:
    return sorted(path for pattern in DEFAULT_FILES for path in root.glob(pattern))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(arg in ("-h", "--help") for arg in args):
        print(__doc__)
        return 0
    files = [Path(arg).resolve() for arg in args] or default_files()
    missing = [path for path in files if not path.is_file()]
    if missing:
        print(f"check_links: error: no such file: {missing[0]}", file=sys.stderr)
        return 2
    dead = [link for path in files for link in check_file(path)]
    for link in dead:
        print(link, file=sys.stderr)
    if dead:
        print(f"check_links: {len(dead)} dead link(s) in {len(files)} file(s)", file=sys.stderr)
        return 1
    print(f"check_links: {len(files)} file(s), no dead relative link")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
