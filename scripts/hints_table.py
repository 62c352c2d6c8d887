"""docs/alerts.md's "Alert hints" table, generated from the hints catalogue (statusmon.domain.hints).

``python scripts/hints_table.py`` prints it; ``--write`` replaces the block between the page's
markers. tests/unit/test_hints_doc.py fails when the page and the catalogue differ.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))

from statusmon.domain.hints import CATALOGUE, Hint  # noqa: E402

PAGE = ROOT / "docs" / "alerts.md"
BEGIN, END = "<!-- hints:table -->", "<!-- /hints:table -->"
_SERVICE = {"rekognition": "Custom Labels", "personalize": "Personalize"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _matches(entry: Hint) -> str:
    parts = [f"`{code}`" for code in entry.codes]
    if entry.pattern:
        parts.append(f"`/{_cell(entry.pattern)}/`")
    return " or ".join(parts)


def table(catalogue: Iterable[Hint] = CATALOGUE) -> str:
    rows = [
        "| service | matches (a code, or the reason's wording) | what to do | docs | source |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| {_SERVICE[entry.service.value]} | {_matches(entry)} | {_cell(entry.hint)} "
        f"| [page]({entry.docs_url}) | {entry.source} |"
        for entry in catalogue
    ]
    return "\n".join(rows) + "\n"


def _inside(text: str) -> slice:
    """Where the generated block stands in ``text``: between the end of BEGIN and the start of END."""
    return slice(text.index(BEGIN) + len(BEGIN), text.index(END))


def replace_block(text: str, block: str) -> str:
    where = _inside(text)
    return f"{text[: where.start]}\n{block}{text[where.stop :]}"


def current_block(text: str) -> str:
    return text[_inside(text)].strip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help=f"replace the hints block of {PAGE.name}")
    args = parser.parse_args(argv)
    if args.write:
        PAGE.write_text(replace_block(PAGE.read_text(), table()))
    else:
        print(table(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
