"""The functions' asset: built with pip (no Docker), and every handler imports from it alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from infra.application import build_app
from infra.bundling import PipBundling, function_code
from infra.function import ARCHITECTURE, RUNTIME
from tests.infra.conftest import ROOT, cdk_json_context

IMPORT_CHECK = """
import importlib, json, sys
sys.path[:0] = [sys.argv[1]]
for path in json.loads(sys.argv[2]):
    module, _, name = path.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name)), path
    print("imported", path)
leaked = [p for p in sys.path if "site-packages" in p]
assert not leaked, leaked
"""


def test_pip_targets_the_lambda_platform_and_python() -> None:
    # Given the stack's runtime and architecture
    bundler = PipBundling(
        platform="manylinux2014_aarch64", python_version=RUNTIME.name.removeprefix("python")
    )
    # When the pip command is built
    command = bundler.pip_command("/out")
    # Then it asks for arm64 binary wheels of that Python version, exactly the pinned set
    assert ARCHITECTURE.name == "arm64"
    for flag in (
        ["--platform", "manylinux2014_aarch64"],
        ["--python-version", "3.14"],
        ["--target", "/out"],
        ["--requirement", str(ROOT / "requirements.txt")],
    ):
        assert any(command[i : i + 2] == flag for i in range(len(command))), flag
    assert "--only-binary=:all:" in command
    assert "--no-deps" in command


@pytest.mark.slow
def test_every_handler_imports_from_the_asset_alone(tmp_path: Path) -> None:
    # Given the stack built with real bundling, for THIS machine's platform and Python: the arm64 /
    # cp314 wheels the deployed asset holds cannot import on this x86_64 interpreter
    # (test_cdk_cli.py checks the arm64 build)
    app = cdk.App(outdir=str(tmp_path / "cdk.out"), context=cdk_json_context())
    stack = build_app(app, code=function_code(RUNTIME, ARCHITECTURE, local=True))
    assembly = app.synth()
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    functions = [r for r in artifact.template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    handlers = sorted({fn["Properties"]["Handler"] for fn in functions})
    manifest = json.loads((Path(assembly.directory) / f"{stack.artifact_id}.assets.json").read_text())
    (asset_path,) = [
        f["source"]["path"] for f in manifest["files"].values() if f["source"].get("packaging") == "zip"
    ]
    # When the asset is zipped as the CDK publishes it and unpacked into an empty folder
    archive = shutil.make_archive(str(tmp_path / "asset"), "zip", Path(assembly.directory) / asset_path)
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(unpacked)
    # Then no CLI or emulator code ships
    assert (unpacked / "statusmon" / "handlers").is_dir()
    assert not (unpacked / "statusmon" / "cli").exists()
    assert not (unpacked / "statusmon_emulator").exists()
    # And a fresh interpreter that sees only that folder (-I: no PYTHON* variables, no user site;
    # -S: not even this venv's site-packages) imports every handler of the template
    env = {"PATH": os.environ["PATH"], "AWS_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1"}
    env |= {"STATUSMON_TABLE_NAME": "statusmon", "POWERTOOLS_SERVICE_NAME": "statusmon"}
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", IMPORT_CHECK, str(unpacked), json.dumps(handlers)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("imported") == len(handlers) == 4


def test_bundling_is_skipped_when_the_context_says_so() -> None:
    # Given bundling turned off for every stack (as the template tests do)
    app = cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "s")
    # When an asset is bound, pip is never called: the asset is the source folder as is
    code = function_code(RUNTIME, ARCHITECTURE)
    lambda_.Function(stack, "f", code=code, handler="x.handler", runtime=RUNTIME, architecture=ARCHITECTURE)
    assert app.synth().stacks
