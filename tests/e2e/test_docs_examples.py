"""The docs' examples, run as written: docs/local-mode.md's worked example against moto server and
the emulator, and docs/cli.md's shell completion lines in a fresh home.

The local-mode page's servers block starts both on fixed ports; here the session's moto server and an emulator
of this test's own (on a wall clock, as `statusmon emulator` runs) stand in for it, with the same
variables that block exports. Everything after it is the page's text: the Python script saved as
``example.py``, then the shell block, in one bash with ``set -e``.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from statusmon_emulator import Emulator
from tests.e2e.conftest import ROOT, base_env, run_command, run_statusmon

PAGE = ROOT / "docs" / "local-mode.md"
CLI_PAGE = ROOT / "docs" / "cli.md"


def fenced_block(text: str, marker: str, language: str) -> str:
    """The fenced block right after ``<!-- example:MARKER -->``."""
    match = re.search(rf"<!-- example:{marker} -->\n```{language}\n(.*?)\n```", text, re.DOTALL)
    assert match, f"no {language} block after <!-- example:{marker} -->"
    return match.group(1) + "\n"


def test_the_completion_lines_install_the_scripts_in_a_fresh_home(tmp_path: Path) -> None:
    # Given a home with nothing in it, and the command on the PATH
    env = {"HOME": str(tmp_path), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    # When docs/cli.md's completion lines run
    script = "set -euo pipefail\n" + fenced_block(CLI_PAGE.read_text(), "completion", "bash")
    result = run_command("bash", "-c", script, env=env, cwd=tmp_path)
    # Then each shell's script is where the page says its shell looks for it
    assert result.code == 0, result.err
    for where in (
        ".local/share/bash-completion/completions/statusmon",
        ".zfunc/_statusmon",
        ".config/fish/completions/statusmon.fish",
    ):
        assert "statusmon" in (tmp_path / where).read_text(), where


@pytest.fixture
def wall_clock_emulator(moto_url: str) -> Iterator[Emulator]:
    with Emulator(s3_endpoint_url=moto_url, port=0) as emu:
        yield emu


def test_the_worked_example_runs_as_written(
    moto_url: str, wall_clock_emulator: Emulator, tmp_path: Path
) -> None:
    # Given the page's servers (moto, the emulator) and a table and topic made by local-setup
    env: dict[str, Any] = {
        **base_env(moto_url),
        **wall_clock_emulator.environment(),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        # as the page exports it: the script's clients take their region from it
        "AWS_DEFAULT_REGION": "us-east-1",
        "STATUSMON_TABLE_NAME": f"docs-{uuid.uuid4().hex[:8]}",
    }
    setup = run_statusmon("local-setup", env=env)
    assert setup.code == 0, setup.err
    env.update(
        line.removeprefix("export ").split("=", 1)
        for line in setup.out.splitlines()
        if line.startswith("export ")
    )
    # And the page's script saved as example.py, as it tells the reader to
    text = PAGE.read_text()
    (tmp_path / "example.py").write_text(fenced_block(text, "pipeline", "python"))
    try:
        # When the page's shell block runs, line after line, stopping at the first failure
        script = "set -euo pipefail\n" + fenced_block(text, "watch", "bash")
        result = run_command("bash", "-c", script, env=env, cwd=tmp_path, timeout=180)
        # Then every command succeeded: both waits saw their resource settle, the sweep ran
        assert result.code == 0, result.out + result.err
        assert "done: footwear/train is CREATE_COMPLETE" in result.err
        assert "done: shop/shop-2026-12-01 is ACTIVE" in result.err
        # And the status table lists the dataset and the import job the script created
        rows = {line.split()[0]: line.split()[2] for line in result.out.splitlines()[-2:]}
        assert rows == {"footwear/train": "CREATE_COMPLETE", "shop/shop-2026-12-01": "ACTIVE"}
    finally:
        boto3.client("dynamodb", endpoint_url=moto_url).delete_table(TableName=env["STATUSMON_TABLE_NAME"])
