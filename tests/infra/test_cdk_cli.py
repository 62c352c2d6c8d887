"""`npx cdk synth` as a user runs it: no AWS credentials, no Docker daemon, the pinned CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from infra.bundling import find_interpreter
from infra.function import RUNTIME
from tests.infra.conftest import ROOT


@pytest.mark.slow
def test_cdk_synth_needs_no_credentials_and_no_docker(tmp_path: Path) -> None:
    # Given an environment without AWS credentials or region, and a Docker host that does not exist
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "CDK_")) and name != "DOCKER_HOST"
    }
    env |= {
        "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
        "CDK_DOCKER": "/bin/false",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    # When the pinned CLI synthesizes the app (with real arm64 bundling)
    out = tmp_path / "cdk.out"
    result = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--output", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    # Then it succeeds, with cdk-nag's report clean
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "validation-report.json").read_text())
    assert all(plugin["conclusion"] == "success" for plugin in report["pluginReports"])
    # And the asset holds arm64 binaries for the runtime's CPython, the statusmon package, and its
    # bytecode for that Python when the synth found one to compile with (else it said so)
    template = json.loads((out / "statusmon.template.json").read_text())
    (asset,) = {
        r["Metadata"]["aws:asset:path"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    }
    tag = "cpython-" + RUNTIME.name.removeprefix("python").replace(".", "")
    binaries = [p.name for p in (out / asset).rglob("*.so")]
    assert binaries
    assert all(f"{tag}-aarch64-linux-gnu" in name for name in binaries), binaries
    assert (out / asset / "statusmon" / "settings.py").is_file()
    bytecode = out / asset / "statusmon" / "__pycache__" / f"settings.{tag}.pyc"
    if find_interpreter(RUNTIME.name.removeprefix("python")):
        assert bytecode.is_file()
    else:
        assert not bytecode.exists()
        assert "no CPython" in result.stderr
