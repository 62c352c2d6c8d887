"""End-to-end: run the installed ``statusmon`` command as a user would, against moto server."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

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
        PYTHONPATH=os.pathsep.join([str(ROOT / "functions"), str(ROOT / "emulator")]),
    )
    return env


def run_statusmon(*args: str, env: dict[str, str], timeout: float = 120) -> Result:
    completed = subprocess.run(
        [sys.executable, "-m", "statusmon.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def cli_env(moto_url: str) -> dict[str, str]:
    return base_env(moto_url)
