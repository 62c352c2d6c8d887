"""The functions' asset, built on this machine with pip: no Docker.

What ships is what a handler imports that the Lambda runtime does not already have:

- the pins of ``requirements.txt`` (one lock for the command and the asset, so versions cannot
  drift) minus :data:`RUNTIME_PROVIDED`, downloaded by pip as wheels for the Lambda platform
  (arm64 by default) and Python version;
- the ``statusmon`` package without the CLI (local mode is not in it: it is statusmon-local);
- minus what no handler imports: Powertools' API routers and unused utilities, type stubs;
- plus bytecode, compiled by a CPython of the runtime's own version (a ``.pyc`` is only read by the
  minor version that wrote it, and Lambda's ``/var/task`` is read-only, so without it every cold
  start compiles every module from source). When no such interpreter is found the asset is built
  without bytecode and the synth says so in one line.

``try_bundle`` returns True, so the CDK never falls back to a Docker image.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = PROJECT_ROOT / "functions"
REQUIREMENTS = PROJECT_ROOT / "requirements.txt"
PACKAGE = "statusmon"
# The Lambda Python runtimes put boto3 and its dependencies on the path (/var/runtime), precompiled
# and kept patched by AWS: the asset does not ship its own (27 MB). The newest thing statusmon uses
# is botocore's before-parse event (1.35.16, September 2024; python3.13 came out after it), and
# statusmon.adapters.answers refuses an older botocore rather than parse answers unchecked.
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
)
# The CLI runs on laptops and in CI, never in Lambda (local mode is another distribution, local/).
_NOT_SHIPPED = ("cli", "__pycache__", "*.pyc", "py.typed")
# pip leaves these in --target; a Lambda needs no console scripts, bytecode for another Python, type
# stubs or C sources.
_PRUNED = ("bin", "__pycache__", "*-stubs")
_PRUNED_FILES = ("*.pyi", "*.c")
# Powertools ships every utility and the X-Ray SDK an integration per library; the handlers import
# the Powertools utilities below (batch pulls in data_classes, the Logger's correlation paths
# jmespath_utils) and the one X-Ray integration statusmon.observability patches. The rest, and
# Powertools' event_handler (2 MB of API routers), are never imported: tests/infra/test_bundling.py
# runs every handler, traced, from the asset alone.
POWERTOOLS = "aws_lambda_powertools"
KEPT = {
    f"{POWERTOOLS}/utilities": frozenset({"batch", "data_classes", "jmespath_utils", "typing"}),
    "aws_xray_sdk/ext": frozenset({"botocore", "boto_utils", "util", "resources"}),
}
_DROPPED = (f"{POWERTOOLS}/event_handler",)
# Bytecode names the path Lambda loads the code from, not the build folder's, so that the asset's
# hash is the same on every machine.
LAMBDA_TASK_ROOT = "/var/task"
BUILD_PYTHON_ENV = "STATUSMON_BUILD_PYTHON"

PLATFORMS = {
    lambda_.Architecture.ARM_64.name: "manylinux2014_aarch64",
    lambda_.Architecture.X86_64.name: "manylinux2014_x86_64",
}
_MACHINE_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "aarch64": "manylinux2014_aarch64"}
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==[^\s;]+\s*(?:;.*)?$")
# PipBundling's interpreter when it is to be looked for at build time (a skipped bundling looks for none).
FIND: Literal["find"] = "find"


class BundlingError(RuntimeError):
    """pip or the bytecode compiler failed; the message carries their last lines."""


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path = REQUIREMENTS) -> dict[str, str]:
    """Every pin of the lock, by normalized name: ``{"boto3": "boto3==1.44.5", ...}``."""
    found: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        match = _PIN.match(text)
        if match is None:
            raise BundlingError(f"{lock.name}: {text!r} is not an exact pin (name==version)")
        found[_normalized(match["name"])] = text
    return found


def asset_requirements(lock: Path = REQUIREMENTS) -> list[str]:
    """The pins the asset installs: the lock minus what the runtime provides."""
    return [pin for name, pin in sorted(pins(lock).items()) if name not in RUNTIME_PROVIDED]


def runtime_provided_requirements(lock: Path = REQUIREMENTS) -> list[str]:
    """The lock's pins of what the runtime provides (a stand-in for it in tests and benchmarks)."""
    return [pin for name, pin in sorted(pins(lock).items()) if name in RUNTIME_PROVIDED]


def machine_platform() -> str:
    """This machine's wheel platform (tests and benchmarks import what they build)."""
    return _MACHINE_PLATFORMS[platform.machine()]


_PROBE = (
    "import sys, sysconfig; print(sys.implementation.name, '%d.%d' % sys.version_info[:2],"
    " sysconfig.get_config_var('Py_GIL_DISABLED') or 0)"
)


def interpreter_version(path: str | Path) -> str | None:
    """``"X.Y"`` when ``path`` runs a CPython (with the GIL, as Lambda's), else None."""
    try:
        result = subprocess.run(  # noqa: S603
            [str(path), "-I", "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    name, _, rest = result.stdout.strip().partition(" ")
    version, _, free_threaded = rest.partition(" ")
    if result.returncode != 0 or name != "cpython" or free_threaded != "0":
        return None
    return version


def _patch_number(path: Path) -> int:
    patch = path.parent.parent.name.split(".")[2] if path.parent.parent.name.count(".") >= 2 else ""
    return int(patch) if patch.isdigit() else -1


def find_interpreter(version: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """A CPython ``version`` (``"3.13"``) to compile the asset's bytecode with, or None.

    ``$STATUSMON_BUILD_PYTHON`` if set (it must be one), else this Python, else ``pythonX.Y`` on the
    PATH, else pyenv's newest ``X.Y.*`` (``$PYENV_ROOT``, by default ``~/.pyenv``).
    """
    env = os.environ if environ is None else environ
    search_path = env.get("PATH", os.defpath)
    chosen = env.get(BUILD_PYTHON_ENV)
    if chosen:
        path = shutil.which(chosen, path=search_path) or chosen
        if interpreter_version(path) != version:
            raise BundlingError(
                f"{BUILD_PYTHON_ENV}={chosen!r} is not a CPython {version} (the Lambda runtime's)"
            )
        return Path(path)
    candidates: list[str | Path | None] = [sys.executable, shutil.which(f"python{version}", path=search_path)]
    pyenv_root = Path(env.get("PYENV_ROOT") or Path(env.get("HOME") or Path.home()) / ".pyenv")
    pyenv = sorted((pyenv_root / "versions").glob(f"{version}.*/bin/python{version}"), key=_patch_number)
    candidates += reversed(pyenv)
    for candidate in candidates:
        if candidate and interpreter_version(candidate) == version:
            return Path(candidate)
    return None


def missing_interpreter_warning(version: str) -> str:
    return (
        f"statusmon: warning: no CPython {version} found to precompile the Lambda asset; building it "
        f"without bytecode (each cold start compiles it). Put python{version} on PATH or set "
        f"{BUILD_PYTHON_ENV}."
    )


@jsii.implements(cdk.ILocalBundling)
class PipBundling:
    """pip-install pinned requirements for a platform and Python version, copy the package in, prune,
    and compile bytecode with ``interpreter``: a CPython ``python_version``, :data:`FIND` to look for
    one when bundling (:func:`find_interpreter`), or None for no bytecode.

    ``requirements`` defaults to :func:`asset_requirements`, ``source`` to the statusmon package
    (None: dependencies only, e.g. a stand-in for the runtime's boto3).
    """

    def __init__(
        self,
        *,
        platform: str,
        python_version: str,
        interpreter: Path | Literal["find"] | None = FIND,
        requirements: Sequence[str] | None = None,
        source: Path | None = FUNCTIONS_DIR / PACKAGE,
    ) -> None:
        self.platform = platform
        self.python_version = python_version
        self.interpreter = interpreter
        self.requirements = list(asset_requirements() if requirements is None else requirements)
        self.source = source

    def pip_command(self, output_dir: str) -> list[str]:
        # --no-deps: the pins are a complete lock, so what ships is exactly what is pinned.
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        command += ["--no-compile", "--no-deps", "--target", output_dir]
        command += ["--platform", self.platform, "--only-binary=:all:"]
        command += ["--python-version", self.python_version, "--implementation", "cp"]
        return [*command, *self.requirements]

    def compile_command(self, output_dir: str, interpreter: Path) -> list[str]:
        # checked-hash: the CDK zips the asset with fixed timestamps, so timestamp-checked bytecode
        # would look stale to Lambda and be compiled again on every cold start. Checking the
        # source's hash instead costs a cold start about a millisecond, and keeps a console edit
        # of the code from being ignored for the stale bytecode.
        return [
            str(interpreter),
            *("-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "checked-hash"),
            *("-d", LAMBDA_TASK_ROOT, output_dir),
        ]

    # jsii passes the bundling options positionally; this bundler needs none of them.
    def try_bundle(self, output_dir: str, options: object = None) -> bool:
        out = Path(output_dir)
        _run(self.pip_command(output_dir), f"pip install of {len(self.requirements)} pinned requirements")
        for pattern in _PRUNED:
            for path in out.glob(pattern):
                shutil.rmtree(path, ignore_errors=True)
        for pattern in _PRUNED_FILES:
            for path in out.rglob(pattern):
                path.unlink()
        for name in _DROPPED:
            shutil.rmtree(out / name, ignore_errors=True)
        for name, kept in KEPT.items():
            _keep_only(out / name, kept)
        if self.source is not None:
            shutil.copytree(self.source, out / self.source.name, ignore=shutil.ignore_patterns(*_NOT_SHIPPED))
        interpreter = find_interpreter(self.python_version) if self.interpreter == FIND else self.interpreter
        if interpreter is None:
            print(missing_interpreter_warning(self.python_version), file=sys.stderr)
            return True
        # PYTHON* variables could redirect or suppress the bytecode; a fixed hash seed because sets of
        # strings are marshalled in hash order, and the bytecode must be the same on every build for
        # the asset's hash to be.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {"PYTHONHASHSEED": "0"}
        _run(self.compile_command(output_dir, interpreter), f"compiling bytecode with {interpreter}", env=env)
        return True


def _keep_only(package: Path, kept: frozenset[str]) -> None:
    """Remove every module and subpackage of ``package`` but ``kept`` and its ``__init__``."""
    if not package.is_dir():
        return
    for path in package.iterdir():
        if path.name == "__init__.py" or path.stem in kept:
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def _run(command: list[str], what: str, env: Mapping[str, str] | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if result.returncode != 0:
        tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
        raise BundlingError(f"{what} failed: {tail}")


def bundler_for(
    runtime: lambda_.Runtime, architecture: lambda_.Architecture, *, local: bool = False
) -> PipBundling:
    """The stack's bundler; ``local=True`` takes this machine's wheels (for tests that import them)."""
    python_version = runtime.name.removeprefix("python")
    return PipBundling(
        platform=machine_platform() if local else PLATFORMS[architecture.name],
        python_version=python_version,
    )


def function_code(
    runtime: lambda_.Runtime, architecture: lambda_.Architecture, *, local: bool = False
) -> lambda_.Code:
    """One asset for every function (they share the package), hashed by its content.

    ``local=True`` builds with this machine's wheels instead of the Lambda's.
    """
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        # The output hash covers requirements.txt too, which lies outside the source folder.
        asset_hash_type=cdk.AssetHashType.OUTPUT,
        bundling=cdk.BundlingOptions(
            image=runtime.bundling_image,  # never pulled: local bundling always succeeds or raises
            local=cast(cdk.ILocalBundling, bundler_for(runtime, architecture, local=local)),
        ),
    )
