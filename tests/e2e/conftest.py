"""End-to-end: run the installed ``statusmon`` command as a user would, against moto server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from statusmon_local.pipeline import drain_queue, subscribe_queue

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str


def base_env(moto_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATUSMON_", "AWS_"))}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=moto_url,
        PYTHONPATH=os.pathsep.join([str(ROOT / "functions"), str(ROOT / "local")]),
    )
    return env


def run_statusmon(*args: str, env: dict[str, str], timeout: float = 120) -> Result:
    return run_command(sys.executable, "-m", "statusmon.cli.main", *args, env=env, timeout=timeout)


def start_statusmon(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """The command started in the background (``wait``), its output read as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "statusmon.cli.main", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_command(
    *command: str | Path, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
) -> Result:
    completed = subprocess.run(
        [str(part) for part in command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def tool_env() -> dict[str, str]:
    """For build and install tools: this machine's environment (certificates, proxies), no venv's."""
    skip = ("AWS_", "STATUSMON_", "PYTHON", "VIRTUAL_ENV", "COVERAGE", "PIP_FIND_LINKS")
    return {k: v for k, v in os.environ.items() if not k.startswith(skip)}


def ok(result: Result) -> Result:
    assert result.code == 0, result.out + result.err
    return result


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make dist``: both distributions, each wheel built from its sdist as an installer would,
    built once for the tests that install them (tests/e2e/test_install.py, test_quickstart.py)."""
    dist = tmp_path_factory.mktemp("dist")
    for project in (ROOT, ROOT / "local"):
        ok(
            run_command(
                sys.executable,
                "-m",
                "build",
                "--no-isolation",
                "--outdir",
                dist,
                project,
                env=tool_env(),
                timeout=300,
            )
        )
    twine = Path(sys.executable).with_name("twine")
    ok(run_command(twine, "check", "--strict", *sorted(dist.iterdir()), env=tool_env(), timeout=300))
    return dist


def one_line_error(result: Result) -> str:
    """The one line a command that cannot run prints: non-zero exit, no traceback."""
    assert result.code != 0
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("statusmon: error: ")
    return lines[0]


@pytest.fixture
def cli_env(moto_url: str) -> dict[str, str]:
    return base_env(moto_url)


@dataclass
class World:
    """A user's account in miniature: emulator + moto, a fresh table and topic, a subscribed queue."""

    env: dict[str, str]
    emulator: Any
    queue_url: str

    def sweep(self, *args: str) -> Result:
        result = run_statusmon("sweep", *args, env=self.env)
        assert result.code == 0, result.err
        return result

    def alerts(self) -> list[dict[str, Any]]:
        return [message["body"] for message in drain_queue(self.queue_url)]


@pytest.fixture
def world(moto_url: str, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    emulator.reset()
    emulator.clear_faults()
    for name, value in {**base_env(moto_url), **emulator.environment()}.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    env = {
        **base_env(moto_url),
        **emulator.environment(),
        "STATUSMON_TABLE_NAME": f"e2e-{uuid.uuid4().hex[:8]}",
    }
    setup = run_statusmon("local-setup", env=env)
    assert setup.code == 0, setup.err
    env.update(
        dict(
            line.removeprefix("export ").split("=", 1)
            for line in setup.out.splitlines()
            if line.startswith("export ")
        )
    )
    yield World(env, emulator, subscribe_queue(env["STATUSMON_TOPIC_ARN"]))
    boto3.client("dynamodb").delete_table(TableName=env["STATUSMON_TABLE_NAME"])
