"""The reference pages list what the code has: cdk.json's options (docs/configuration.md) and the
commands and their options (docs/cli.md), so that neither can gain or lose one unseen."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from infra.config import StatusmonConfig
from statusmon.cli.main import build_parser

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _table_rows(text: str) -> list[list[str]]:
    """A Markdown table's body rows, as cells (an escaped pipe stays inside its cell)."""
    rows = [line for line in text.splitlines() if line.startswith("|") and not set(line) <= set("|-: ")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[1:]]


def _section(page: Path, heading: str) -> str:
    text = page.read_text()
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=list))


def test_the_options_table_lists_every_cdk_json_option_with_its_default() -> None:
    # Given docs/configuration.md's options table
    text = (DOCS / "configuration.md").read_text()
    block = text[text.index("<!-- options:table -->") : text.index("<!-- /options:table -->")]
    rows = _table_rows(block)
    # Then it names the options infra/config.py validates, in its order
    names = [row[0].strip("`") for row in rows]
    assert names == list(StatusmonConfig.model_fields)
    # And each default is the model's own, written as it would be in cdk.json
    defaults = StatusmonConfig()
    for name, default in ((row[0].strip("`"), row[1].strip("`")) for row in rows):
        assert json.loads(default) == _as_json(getattr(defaults, name)), name


def _commands() -> dict[str, argparse.ArgumentParser]:
    [commands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def test_the_command_reference_lists_every_command_and_only_real_options() -> None:
    # Given docs/cli.md's command reference table
    rows = _table_rows(_section(DOCS / "cli.md", "## Command reference"))
    listed: dict[str, set[str]] = {}
    for row in rows:
        for usage in re.findall(r"`([^`]+)`", row[0]):
            command, *rest = usage.split()
            listed[command] = set(re.findall(r"--[a-z][a-z-]*", " ".join(rest)))
    # Then every command of the parser has a row, and no row names a command it lacks
    commands = _commands()
    assert set(listed) == set(commands)
    # And every option a row shows is one its command takes
    for command, options in listed.items():
        known = {flag for action in commands[command]._actions for flag in action.option_strings}
        assert options <= known, f"{command}: {sorted(options - known)}"


def test_the_readme_links_every_page_and_every_page_has_a_table_of_contents() -> None:
    # Given the reference pages in docs/
    readme = (DOCS.parent / "README.md").read_text()
    for page in sorted(DOCS.glob("*.md")):
        # Then the README links each one
        assert f"](docs/{page.name})" in readme, f"README.md does not link docs/{page.name}"
        # And each opens with a list of links to its own sections, before the first of them
        text = page.read_text()
        before_sections = text[: text.index("\n## ")]
        sections = re.findall(r"^## (.+)$", text, re.MULTILINE)
        contents = re.findall(r"^- \[.+\]\(#([^)]+)\)$", before_sections, re.MULTILINE)
        assert len(contents) >= min(len(sections), 2), f"docs/{page.name} has no table of contents"
