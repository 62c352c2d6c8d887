"""`statusmon watch` and `statusmon completion` as a user runs them, against moto server."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from statusmon.adapters.store import StatusStore
from statusmon.domain.model import utcnow
from statusmon.logic.changes import detect_changes
from tests.e2e.conftest import Result, base_env, one_line_error, run_command, run_statusmon
from tests.unit.factories import DATASET_ARN, JOB_ARN, dataset, job

BOOTS_ARN = DATASET_ARN.replace("project/shoes", "project/boots")
INTERACTIONS = "arn:aws:personalize:eu-west-1:123456789012:dataset/retail/INTERACTIONS"
JOB_ID = "retail/interactions-2026-11-24"
MISSING_COLUMN = "Input CSV is missing the following columns: [TIMESTAMP]"
SUBCOMMANDS = ("local-setup", "status", "history", "sweep", "redrive", "watch", "completion", "demo")
ESCAPE = "\x1b"
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7])(?:;[0-9;]*)?m")


@pytest.fixture(scope="module")
def watched(moto_url: str) -> dict[str, str]:
    """A table with shoes/train in flight (on the hot watch), boots/train complete, and the import
    job failed with a reason the hints catalogue knows."""
    env = {**base_env(moto_url), "STATUSMON_TABLE_NAME": f"watch-{uuid.uuid4().hex[:8]}"}
    setup = run_statusmon("local-setup", env=env)
    assert setup.code == 0, setup.err
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
        store = StatusStore(env["STATUSMON_TABLE_NAME"])
        for observations in (
            [replace(dataset("CREATE_COMPLETE", arn=BOOTS_ARN), name="boots/train")],
            [dataset("UPDATE_IN_PROGRESS")],
            [job("CREATE FAILED", parent_arn=INTERACTIONS, reason=MISSING_COLUMN)],
        ):
            service = observations[0].service
            changes = detect_changes(
                observations, store.load_service(service), now=utcnow(), complete_listing=False
            )
            for change in changes:
                assert store.record(change, retention_days=7)
        assert [entry.resource_arn for entry in store.watched()] == [DATASET_ARN]
    return env


def test_watch_once_prints_in_flight_and_recent_failures_as_plain_text(watched: dict[str, str]) -> None:
    # When the user prints one frame into a pipe
    result = run_statusmon("watch", "--once", env={**watched, "COLUMNS": "200"})
    # Then it lists what is in flight and what failed, by short id, and exits 0
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith(f"statusmon watch: {watched['STATUSMON_TABLE_NAME']} at ")
    assert lines[0].endswith(" UTC")
    flying = lines[lines.index("In flight (1)") + 2]
    assert flying.split()[:3] == ["shoes/train", "rekognition", "UPDATE_IN_PROGRESS"]
    assert re.fullmatch(r"\d+ s", " ".join(flying.split()[3:5])), flying  # recorded seconds ago
    failed = lines[lines.index("Failed in the last 24 h (1)") + 2]
    assert failed.split()[:4] == [JOB_ID, "personalize", "CREATE", "FAILED"]
    # And under the table, the failure's reason and what to do
    assert f"{JOB_ID}: {MISSING_COLUMN}" in lines
    assert any(line.startswith("  → Add the missing columns") for line in lines)
    # And the complete dataset is in neither section; and a pipe gets no escape sequence
    assert "boots/train" not in result.out
    assert ESCAPE not in result.out
    assert result.err == ""


def test_watch_once_as_json_and_text_for_scripts(watched: dict[str, str]) -> None:
    as_json = run_statusmon("watch", "--once", "--output", "json", env=watched)
    assert as_json.code == 0, as_json.err
    frame = json.loads(as_json.out)
    assert [(row["id"], row["resource_arn"]) for row in frame["in_flight"]] == [("shoes/train", DATASET_ARN)]
    assert [(row["id"], row["resource_arn"]) for row in frame["failed"]] == [(JOB_ID, JOB_ARN)]
    as_text = run_statusmon("watch", "--once", "--output", "text", env=watched)
    assert [line.split("\t")[:3] for line in as_text.out.splitlines()] == [
        ["in_flight", "shoes/train", "rekognition"],
        ["failed", JOB_ID, "personalize"],
    ]


def _on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """What the command writes to a pseudo-terminal as its stdout."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "statusmon.cli.main", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert process.returncode == 0, process.stderr
    return b"".join(chunks).decode()


def test_watch_on_a_terminal_is_coloured_unless_no_color(watched: dict[str, str]) -> None:
    env = {k: v for k, v in watched.items() if k not in {"NO_COLOR", "FORCE_COLOR", "TERM"}}
    env.update(TERM="xterm-256color", COLUMNS="200")
    # Given a terminal: colours
    coloured = _on_a_terminal("watch", "--once", env=env)
    assert "shoes/train" in coloured
    assert COLOUR.search(coloured)
    # When NO_COLOR is set: the same frame, no colour
    plain = _on_a_terminal("watch", "--once", env={**env, "NO_COLOR": "1"})
    assert "shoes/train" in plain
    assert JOB_ID in plain
    assert not COLOUR.search(plain)


def test_watch_without_a_table_is_one_line_error(cli_env: dict[str, str]) -> None:
    line = one_line_error(run_statusmon("watch", "--once", env=cli_env))
    assert "no table" in line
    missing = run_statusmon("watch", "--once", env={**cli_env, "STATUSMON_TABLE_NAME": "not-there"})
    assert missing.code == 1
    one_line_error(missing)


@pytest.mark.parametrize("args", [("--interval", "0.1"), ("--failed-within", "0")])
def test_watch_rejects_nonsense_intervals(cli_env: dict[str, str], args: tuple[str, str]) -> None:
    result = run_statusmon("watch", *args, env={**cli_env, "STATUSMON_TABLE_NAME": "t"})
    assert result.code == 2
    assert args[0] in one_line_error(result)


# --- completion ---------------------------------------------------------------------------------


def _shell_env(tmp_path: Path) -> dict[str, str]:
    """A shell that finds this venv's `statusmon` first, with one named AWS profile."""
    config = tmp_path / "config"
    config.write_text("[profile ml-prod]\nregion = eu-west-1\n")
    return {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "PYTHONPATH": base_env("http://unused")["PYTHONPATH"],
    }


def _complete_in_bash(line: str, env: dict[str, str], tmp_path: Path) -> list[str]:
    """What bash offers on TAB after ``line``, through the installed completion script."""
    script = tmp_path / "statusmon.bash"
    script.write_text(run_statusmon("completion", "bash", env=env).out)
    words = line.split() + ([""] if line.endswith(" ") else [])
    driver = (
        f"source {script}\n"
        f"COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}; COMP_TYPE=9\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "fn=$(complete -p statusmon | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n"
        f'"$fn" statusmon {words[-1]!r} {words[-2]!r}\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = run_command("bash", "-c", driver, env=env)
    assert result.code == 0, result.err
    return sorted(word.strip() for word in result.out.splitlines() if word.strip())


def test_bash_completion_script_is_valid_and_completes_commands_and_options(tmp_path: Path) -> None:
    env = _shell_env(tmp_path)
    # Given the bash script; Then bash parses it
    script = run_statusmon("completion", "bash", env=env)
    assert script.code == 0, script.err
    assert "statusmon" in script.out
    checked = run_command("bash", "-n", "-c", script.out, env=env)
    assert checked.code == 0, checked.err
    # And a TAB after the command offers every subcommand
    assert set(SUBCOMMANDS) <= set(_complete_in_bash("statusmon ", env, tmp_path))
    assert _complete_in_bash("statusmon wa", env, tmp_path) == ["wait", "watch"]
    # And option values: the choices of --service, the profiles of the AWS config file
    assert _complete_in_bash("statusmon status --service ", env, tmp_path) == ["personalize", "rekognition"]
    assert _complete_in_bash("statusmon watch --profile ", env, tmp_path) == ["ml-prod"]
    assert "--interval" in _complete_in_bash("statusmon watch --", env, tmp_path)


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_are_valid(shell: str, tmp_path: Path) -> None:
    env = _shell_env(tmp_path)
    result = run_statusmon("completion", shell, env=env)
    assert result.code == 0, result.err
    # The script asks `statusmon` for its completions: the command is named, with the shell's hook
    assert {"zsh": "#compdef statusmon", "fish": "complete --command statusmon"}[shell] in result.out
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed here: the script is not run")
    checked = run_command(shell, "-n", "-c", result.out, env=env)
    assert checked.code == 0, checked.err
    if shell == "fish":
        # And fish, given the script, offers the subcommand and the option's choices
        script = tmp_path / "statusmon.fish"
        script.write_text(result.out)
        asked = f'source {script}; complete -C "statusmon wa"; complete -C "statusmon status --service "'
        offered = run_command("fish", "-c", asked, env=env)
        assert [line.split("\t")[0] for line in offered.out.splitlines()] == [
            "wait",
            "watch",
            "personalize",
            "rekognition",
        ]


def test_completion_of_an_unknown_shell_is_a_usage_error(tmp_path: Path) -> None:
    result: Result = run_statusmon("completion", "tcsh", env=_shell_env(tmp_path))
    assert result.code == 2
    assert "invalid choice: 'tcsh'" in result.err
