"""scripts/check_links.py: `make lint` fails on a dead relative link or anchor in the docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import check_links


def _page(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_project_docs_have_no_dead_link(capsys: pytest.CaptureFixture[str]) -> None:
    # Given README.md and docs/*.md as committed
    files = check_links.default_files()
    assert check_links.ROOT / "README.md" in files
    assert len(files) > 5
    # When they are checked, as `make lint` does
    code = check_links.main([])
    # Then every relative link and anchor leads somewhere
    assert code == 0, capsys.readouterr().err


def test_a_dead_file_link_or_anchor_fails_with_where_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a page that links a missing page, a missing heading of a real page, and a real one
    _page(tmp_path, "docs/cli.md", "# CLI\n\n## Exit codes\n\n<a id='old-name'></a>\n")
    page = _page(
        tmp_path,
        "README.md",
        "# Top\n\n## Install the `statusmon` command\n\n"
        "[ok](docs/cli.md#exit-codes) [ok](docs/cli.md#old-name) [ok](#install-the-statusmon-command)\n"
        "[gone](docs/costs.md) [moved over\ntwo lines](docs/cli.md#exit-status)\n"
        "[web](https://example.com/nowhere) `[code](nowhere.md)`\n\n"
        "```\n[in a block](nowhere.md)\n```\n\n[ref]: docs/nowhere.md\n",
    )
    # When it is checked
    code = check_links.main([str(page)])
    # Then it fails, naming each dead link with its line, and nothing else
    errors = capsys.readouterr().err.splitlines()
    assert code == 1
    assert [line.split(": dead link ")[1] for line in errors[:-1]] == [
        "'docs/costs.md': no file docs/costs.md",
        "'docs/cli.md#exit-status': no heading or anchor #exit-status in cli.md",
        "'docs/nowhere.md': no file docs/nowhere.md",
    ]
    assert errors[0].endswith("README.md:6: dead link 'docs/costs.md': no file docs/costs.md")
    assert ":7: dead link 'docs/cli.md#exit-status'" in errors[1]
    assert errors[-1] == "check_links: 3 dead link(s) in 1 file(s)"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Install the `statusmon` command", "install-the-statusmon-command"),
        ("Watch: what is in flight and what failed", "watch-what-is-in-flight-and-what-failed"),
        ("Options in cdk.json", "options-in-cdkjson"),
        ("Chat channels (Slack, Microsoft Teams)", "chat-channels-slack-microsoft-teams"),
        ("The table's keys", "the-tables-keys"),
        ("`detail`", "detail"),
    ],
)
def test_anchors_are_spelt_as_github_renders_them(heading: str, anchor: str) -> None:
    assert check_links.slug(heading) == anchor


def test_a_repeated_heading_gets_a_numbered_anchor(tmp_path: Path) -> None:
    page = _page(tmp_path, "a.md", "# A\n## Example\n## Example\n")
    assert {"example", "example-1"} <= check_links.anchors(page)
