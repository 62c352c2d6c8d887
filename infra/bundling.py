"""The functions' asset, built on this machine with pip: no Docker.

pip downloads the pinned runtime requirements as wheels for the Lambda platform (arm64 by default)
and Python version, then the ``statusmon`` package is copied next to them. ``try_bundle`` returns
True, so the CDK never falls back to a Docker image.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = PROJECT_ROOT / "functions"
REQUIREMENTS = PROJECT_ROOT / "requirements.txt"
PACKAGE = "statusmon"
# The CLI runs on laptops and in CI, never in Lambda.
_NOT_SHIPPED = ("cli", "__pycache__", "*.pyc", "py.typed")
# pip leaves these in --target; a Lambda does not need console scripts or bytecode for another Python.
_PRUNED = ("bin", "__pycache__")

PLATFORMS = {
    lambda_.Architecture.ARM_64.name: "manylinux2014_aarch64",
    lambda_.Architecture.X86_64.name: "manylinux2014_x86_64",
}


class BundlingError(RuntimeError):
    """pip could not install the runtime requirements; the message carries pip's last lines."""


@jsii.implements(cdk.ILocalBundling)
class PipBundling:
    """pip-install ``requirements.txt`` for a platform and Python version, then copy the package in.

    ``platform=None`` builds for the interpreter running the synth instead (the import test uses it:
    arm64 wheels do not import on an x86_64 machine).
    """

    def __init__(
        self,
        *,
        platform: str | None,
        python_version: str,
        requirements: Path = REQUIREMENTS,
        source: Path = FUNCTIONS_DIR / PACKAGE,
    ) -> None:
        self.platform = platform
        self.python_version = python_version
        self.requirements = requirements
        self.source = source

    def pip_command(self, output_dir: str) -> list[str]:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        command += [
            "--no-compile",
            "--no-deps",
            "--requirement",
            str(self.requirements),
            "--target",
            output_dir,
        ]
        if self.platform is not None:
            command += ["--platform", self.platform, "--only-binary=:all:"]
            command += ["--python-version", self.python_version, "--implementation", "cp"]
        return command

    # jsii passes the bundling options positionally; this bundler needs none of them.
    def try_bundle(self, output_dir: str, options: object = None) -> bool:
        # --no-deps: requirements.txt is a complete lock, so what ships is exactly what is pinned.
        result = subprocess.run(self.pip_command(output_dir), capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
            raise BundlingError(f"pip install -r {self.requirements.name} failed: {tail}")
        for name in _PRUNED:
            shutil.rmtree(Path(output_dir) / name, ignore_errors=True)
        shutil.copytree(
            self.source, Path(output_dir) / self.source.name, ignore=shutil.ignore_patterns(*_NOT_SHIPPED)
        )
        return True


def function_code(
    runtime: lambda_.Runtime, architecture: lambda_.Architecture, *, local: bool = False
) -> lambda_.Code:
    """One asset for every function (they share the package), hashed by its content.

    ``local=True`` builds for this machine's platform and Python instead of the Lambda's.
    """
    python_version = runtime.name.removeprefix("python")
    bundler = PipBundling(
        platform=None if local else PLATFORMS[architecture.name],
        python_version=python_version,
    )
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        # The output hash covers requirements.txt too, which lies outside the source folder.
        asset_hash_type=cdk.AssetHashType.OUTPUT,
        bundling=cdk.BundlingOptions(
            image=runtime.bundling_image,  # never pulled: local bundling always succeeds or raises
            local=cast(cdk.ILocalBundling, bundler),
        ),
    )
