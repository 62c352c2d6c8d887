"""The functions' asset: built with pip (no Docker), lean, precompiled, and it runs every handler alone."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_lambda as lambda_

from infra.application import build_app
from infra.bundling import (
    BUILD_PYTHON_ENV,
    RUNTIME_PROVIDED,
    BundlingError,
    PipBundling,
    asset_requirements,
    bundler_for,
    find_interpreter,
    function_code,
    interpreter_version,
    machine_platform,
    missing_interpreter_warning,
    pins,
    runtime_provided_requirements,
)
from infra.function import ARCHITECTURE, RUNTIME
from statusmon.adapters.store import StatusStore
from statusmon.logic.alerts import outbox_message
from statusmon.logic.changes import detect_changes
from statusmon.logic.policy import AlertPolicy, decide
from statusmon_local.pipeline import drain_queue, subscribe_queue
from tests.infra.conftest import ROOT, cdk_json_context
from tests.integration.streams import stream_event
from tests.unit.factories import NOW, dataset

RUNTIME_VERSION = RUNTIME.name.removeprefix("python")
MAX_UNZIPPED_BYTES = 10 * 1024 * 1024
# Top-level names the asset must not hold: what the runtime provides, the pydantic stack, our
# local-only code.
NOT_IN_ASSET = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "urllib3",
    "dateutil",
    "six.py",
    "pydantic",
    "pydantic_core",
    "pydantic_settings",
    "dotenv",
    "statusmon_emulator",
    "statusmon_local",
    "bin",
)

READ_CO_FILENAME = (
    "import marshal, sys; print(marshal.loads(open(sys.argv[1], 'rb').read()[16:]).co_filename, end='')"
)

IMPORT_CHECK = """
import importlib, json, os, sys
sys.path[:0] = sys.argv[1].split(os.pathsep)
for path in json.loads(sys.argv[2]):
    module, _, name = path.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name)), path
    print("imported", path)
leaked = [p for p in sys.path if "site-packages" in p]
assert not leaked, leaked
unwanted = ("statusmon.cli", "statusmon_local", "pydantic", "boto3", "s3transfer")
loaded = sorted(m for m in sys.modules if m.startswith(unwanted))
assert not loaded, loaded
"""

RUN_CHECK = """
import importlib, json, os, sys
sys.path[:0] = sys.argv[1].split(os.pathsep)

class Context:
    function_name = "statusmon-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:statusmon-test"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self):
        return 60_000

answers = {}
for path, event in json.loads(sys.stdin.read()):
    module, _, name = path.rpartition(".")
    answers[path] = getattr(importlib.import_module(module), name)(event, Context())
shipped = sorted(
    m for m in sys.modules if m.split(".")[0] in {"statusmon", "aws_lambda_powertools", "aws_xray_sdk"}
)
print(json.dumps({"answers": answers, "modules": shipped}, default=str))
"""


@dataclass(frozen=True)
class Built:
    asset: Path
    runtime: Path
    interpreter: Path
    precompiled: bool
    handlers: list[str]

    @property
    def path(self) -> str:
        """The asset, then the runtime's boto3: /var/task, then /var/runtime."""
        return os.pathsep.join([str(self.asset), str(self.runtime)])

    def run(
        self, code: str, *args: str, env: dict[str, str], stdin: str = ""
    ) -> subprocess.CompletedProcess[str]:
        # -I: no PYTHON* variables, no user site; -S: not even this venv's site-packages; -B: the
        # asset is read-only in Lambda
        return subprocess.run(
            [str(self.interpreter), "-I", "-S", "-B", "-c", code, self.path, *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            env=env,
            cwd=self.asset.parent,
            timeout=180,
        )


def lambda_env(asset: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "LAMBDA_TASK_ROOT": str(asset),
        "AWS_LAMBDA_FUNCTION_NAME": "statusmon-test",
        "POWERTOOLS_SERVICE_NAME": "statusmon",
        "POWERTOOLS_METRICS_NAMESPACE": "statusmon",
        "STATUSMON_TABLE_NAME": "statusmon",
        **extra,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The stack synthesized with real bundling, for THIS machine's CPU (the deployed arm64 wheels'
    binaries cannot load on an x86_64 machine; test_cdk_cli.py checks the arm64 build), zipped as
    the CDK publishes it and unpacked; and a stand-in for the runtime's boto3, from the same lock."""
    tmp = tmp_path_factory.mktemp("asset")
    app = cdk.App(outdir=str(tmp / "cdk.out"), context=cdk_json_context())
    stack = build_app(app, code=function_code(RUNTIME, ARCHITECTURE, local=True))
    assembly = app.synth()
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    functions = [r for r in artifact.template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    manifest = json.loads((Path(assembly.directory) / f"{stack.artifact_id}.assets.json").read_text())
    (asset_path,) = [
        f["source"]["path"] for f in manifest["files"].values() if f["source"].get("packaging") == "zip"
    ]
    archive = shutil.make_archive(str(tmp / "asset"), "zip", Path(assembly.directory) / asset_path)
    unpacked = tmp / "task"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(unpacked)
    interpreter = find_interpreter(RUNTIME_VERSION)
    runtime = tmp / "runtime"
    runtime.mkdir()
    PipBundling(
        platform=machine_platform(),
        python_version=RUNTIME_VERSION,
        interpreter=interpreter,
        requirements=runtime_provided_requirements(),
        source=None,
    ).try_bundle(str(runtime))
    return Built(
        asset=unpacked,
        runtime=runtime,
        # Without a CPython of the runtime's version the asset has no bytecode, and its pure-Python
        # code imports on this one (wrapt falls back to Python when its extension does not load).
        interpreter=interpreter or Path(sys.executable),
        precompiled=interpreter is not None,
        handlers=sorted({fn["Properties"]["Handler"] for fn in functions}),
    )


def test_pip_targets_the_lambda_platform_and_python() -> None:
    # Given the stack's runtime and architecture
    bundler = PipBundling(platform="manylinux2014_aarch64", python_version=RUNTIME_VERSION, interpreter=None)
    # When the pip command is built
    command = bundler.pip_command("/out")
    # Then it asks for arm64 binary wheels of that Python version, exactly the pinned set
    assert ARCHITECTURE.name == "arm64"
    assert RUNTIME_VERSION == "3.13"
    for flag in (["--platform", "manylinux2014_aarch64"], ["--python-version", "3.13"], ["--target", "/out"]):
        assert any(command[i : i + 2] == flag for i in range(len(command))), flag
    assert "--only-binary=:all:" in command
    assert "--no-deps" in command
    assert command[-len(asset_requirements()) :] == asset_requirements()


def test_the_asset_installs_the_lock_minus_what_the_runtime_provides() -> None:
    # Given the one lock of runtime requirements
    locked = pins(ROOT / "requirements.txt")
    # When the asset's requirements are derived from it
    shipped = asset_requirements()
    # Then they are exact pins of the lock, without boto3 and its dependencies, and nothing is lost
    assert all("==" in pin for pin in shipped)
    assert set(shipped) | set(runtime_provided_requirements()) == set(locked.values())
    names = {pin.split("==")[0].lower() for pin in shipped}
    assert not names & RUNTIME_PROVIDED
    assert {"boto3", "botocore"} <= set(locked)
    assert not any(name.startswith("pydantic") for name in locked), "the functions no longer use pydantic"
    assert {"aws-lambda-powertools", "pynamodb"} <= names


def test_the_lock_must_be_exact_pins(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text("boto3>=1.35\n")
    with pytest.raises(BundlingError, match=r"^requirements.txt: 'boto3>=1.35' is not an exact pin"):
        pins(lock)


@pytest.mark.slow
def test_the_asset_is_small_and_holds_nothing_the_runtime_provides_or_no_handler_imports(
    built: Built,
) -> None:
    # Given the asset as the CDK publishes it
    files = [p for p in built.asset.rglob("*") if p.is_file()]
    # Then it is at most 10 MB unzipped
    assert sum(p.stat().st_size for p in files) <= MAX_UNZIPPED_BYTES
    # And holds neither the runtime's boto3 stack, nor pydantic, nor local-only code
    top = {p.name for p in built.asset.iterdir()}
    assert not top & set(NOT_IN_ASSET), top & set(NOT_IN_ASSET)
    assert not any(name.startswith(("boto3-", "botocore-", "pydantic")) for name in top)
    assert (built.asset / "statusmon" / "handlers").is_dir()
    for local_only in ("cli", "local"):
        assert not (built.asset / "statusmon" / local_only).exists()
    # And no Powertools event handler, nor utilities the handlers never import
    powertools = built.asset / "aws_lambda_powertools"
    assert not (powertools / "event_handler").exists()
    assert {p.name for p in (powertools / "utilities").iterdir()} - {"__pycache__"} == {
        "__init__.py",
        "batch",
        "data_classes",
        "jmespath_utils",
        "typing",
    }
    assert not any(p.suffix in {".pyi", ".c"} for p in files)


@pytest.mark.slow
def test_every_module_has_bytecode_for_the_runtimes_python(built: Built) -> None:
    if not built.precompiled:
        pytest.skip(f"no CPython {RUNTIME_VERSION} on this machine: the asset is built without bytecode")
    # Given the magic number of the runtime's Python version
    magic = subprocess.run(
        [
            str(built.interpreter),
            "-I",
            "-c",
            "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tag = f"cpython-{RUNTIME_VERSION.replace('.', '')}"
    # Then every module of the asset has its .pyc for that version, checked against the source's hash
    # (the CDK zips with fixed timestamps, which would make timestamp-checked bytecode look stale)
    sources = list(built.asset.rglob("*.py"))
    assert len(sources) > 100
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        header = compiled.read_bytes()[:16]
        assert header[:4].hex() == magic, compiled
        assert int.from_bytes(header[4:8], "little") == 0b11, f"{compiled}: not a checked-hash pyc"
    assert not [p for p in built.asset.rglob("*.pyc") if tag not in p.name]
    # And it names the file where Lambda loads it from, not the build's folder (the asset's hash
    # would otherwise differ on every machine)
    settings_pyc = built.asset / "statusmon" / "__pycache__" / f"settings.{tag}.pyc"
    filename = subprocess.run(
        [str(built.interpreter), "-I", "-c", READ_CO_FILENAME, str(settings_pyc)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert filename == "/var/task/statusmon/settings.py"


def _digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.mark.slow
def test_a_second_build_is_byte_for_byte_the_same(built: Built, tmp_path: Path) -> None:
    # Given the asset the synth built, and another build of it in another folder
    again = tmp_path / "again"
    again.mkdir()
    bundler_for(RUNTIME, ARCHITECTURE, local=True).try_bundle(str(again))
    # Then they are the same, bytecode included, so the asset's hash does not change between
    # synths of the same code (a changed hash means an upload and an update of every function)
    assert _digests(again) == _digests(built.asset)


@pytest.mark.slow
def test_every_handler_imports_from_the_asset_and_the_runtimes_boto3_alone(built: Built) -> None:
    # Given a fresh interpreter that sees only the asset, then the runtime's boto3 stand-in
    # When it imports every handler of the template
    result = built.run(IMPORT_CHECK, json.dumps(built.handlers), env=lambda_env(built.asset))
    # Then each imports, without the CLI, the demo, pydantic or boto3
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("imported") == len(built.handlers) == 7


@pytest.mark.slow
def test_every_handler_runs_traced_from_the_asset_alone(built: Built, moto_url: str, monkeypatch) -> None:
    # Given a table with a recorded failure and its alert pending, and a topic with a queue on it
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    store = StatusStore(f"asset-{uuid.uuid4().hex[:8]}")
    store.ensure_table()
    topic_arn = boto3.client("sns").create_topic(Name=f"asset-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue_url = subscribe_queue(topic_arn)
    for change in detect_changes(
        [dataset("CREATE_FAILED", reason="bad manifest")], {}, now=NOW, complete_listing=False, baseline=False
    ):
        alert = decide(change, AlertPolicy())
        assert alert is not None
        assert store.record(change, retention_days=30, outbox=[outbox_message(alert)])
    event = stream_event(store.table_name)
    assert len(event["Records"]) == 1
    calls = [(handler, event if handler.endswith("notify.handler") else {}) for handler in built.handlers]
    # When a Lambda-like process (Powertools and X-Ray in their Lambda modes, traces to the loopback
    # daemon address) with only the asset and the runtime's boto3 runs every handler
    env = lambda_env(
        built.asset,
        AWS_ENDPOINT_URL=moto_url,
        STATUSMON_TABLE_NAME=store.table_name,
        STATUSMON_TOPIC_ARN=topic_arn,
        _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:2000",
        # moto answers Rekognition's and Personalize's listings with a 500: no need to retry them
        AWS_MAX_ATTEMPTS="1",
    )
    result = built.run(RUN_CHECK, env=env, stdin=json.dumps(calls, default=str))
    # Then every handler answered, the alert went out once, and the tracer patched botocore only
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    answers = outcome["answers"]
    assert set(answers) == set(built.handlers)
    assert answers["statusmon.handlers.notify.handler"] == {"batchItemFailures": []}
    assert [m["body"]["status"] for m in drain_queue(queue_url)] == ["CREATE_FAILED"]
    for service in ("rekognition", "personalize"):
        # (moto's canned 500 for these listings: a sweep that ran and reported its read problem)
        assert answers[f"statusmon.handlers.poll_{service}.handler"]["service"] == service
    assert answers["statusmon.handlers.redrive.handler"]["sent"] == 0  # the notifier sent it first
    # (nothing in flight; an event that is no CloudTrail record: logged and dropped)
    assert answers["statusmon.handlers.watch.handler"]["watched"] == 0
    assert answers["statusmon.handlers.discover.handler"]["watched"] == 0
    # (an event that is no Lambda failure record: dropped with its reason)
    assert answers["statusmon.handlers.ops.handler"] == {
        "counted": 0,
        "skipped": "not a Lambda invocation record: no requestContext",
    }
    assert "aws_xray_sdk.ext.botocore.patch" in outcome["modules"]
    assert not [
        m
        for m in outcome["modules"]
        if m.startswith("aws_xray_sdk.ext.")
        and ".botocore" not in m
        and m.split(".")[2] not in {"boto_utils", "util"}
    ]


def test_bundling_is_skipped_when_the_context_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given bundling turned off for every stack (as the template tests do), and a build Python that
    # would make a bundling fail
    monkeypatch.setenv(BUILD_PYTHON_ENV, "/nonexistent/python")
    app = cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "s")
    # When an asset is bound, neither pip nor an interpreter is looked for: the source folder as is
    code = function_code(RUNTIME, ARCHITECTURE)
    lambda_.Function(stack, "f", code=code, handler="x.handler", runtime=RUNTIME, architecture=ARCHITECTURE)
    assert app.synth().stacks


def test_without_the_runtimes_python_the_asset_is_built_without_bytecode_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given no CPython of the runtime's version to compile with
    bundler = PipBundling(
        platform=machine_platform(),
        python_version=RUNTIME_VERSION,
        interpreter=None,
        requirements=[p for p in asset_requirements() if p.startswith("typing")],
    )
    # When the asset is built
    assert bundler.try_bundle(str(tmp_path))
    # Then it has the code but no bytecode, and the build said so in one line
    assert (tmp_path / "statusmon" / "handlers" / "notify.py").is_file()
    assert not list(tmp_path.rglob("*.pyc"))
    lines = capsys.readouterr().err.splitlines()
    assert lines == [missing_interpreter_warning(RUNTIME_VERSION)]
    assert lines[0].startswith("statusmon: warning: no CPython 3.13")


def test_the_build_python_is_found_on_path_or_under_pyenv(tmp_path: Path) -> None:
    real = find_interpreter(RUNTIME_VERSION)
    if real is None:
        pytest.skip(f"no CPython {RUNTIME_VERSION} on this machine")
    # Given a CPython of the runtime's version under a pyenv root, and an empty PATH
    pyenv_bin = tmp_path / "pyenv" / "versions" / f"{RUNTIME_VERSION}.99" / "bin"
    pyenv_bin.mkdir(parents=True)
    (pyenv_bin / f"python{RUNTIME_VERSION}").symlink_to(real)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"PATH": str(empty), "PYENV_ROOT": str(tmp_path / "pyenv"), "HOME": str(empty)}
    # Then it is found there; on PATH; and nowhere when neither has one (unless it runs this test)
    if interpreter_version(sys.executable) != RUNTIME_VERSION:
        assert find_interpreter(RUNTIME_VERSION, env) == pyenv_bin / f"python{RUNTIME_VERSION}"
        assert find_interpreter(RUNTIME_VERSION, {**env, "PYENV_ROOT": str(empty)}) is None
        assert find_interpreter(
            RUNTIME_VERSION, {**env, "PYENV_ROOT": str(empty), "PATH": str(pyenv_bin)}
        ) == (pyenv_bin / f"python{RUNTIME_VERSION}")
    assert find_interpreter("2.1", env) is None


def test_a_build_python_that_is_not_the_runtimes_version_is_refused(tmp_path: Path) -> None:
    # Given STATUSMON_BUILD_PYTHON naming this (3.11) interpreter, or nothing runnable
    for chosen in (sys.executable, str(tmp_path / "python3.13")):
        if interpreter_version(chosen) == RUNTIME_VERSION:
            continue
        env = {"PATH": os.environ["PATH"], BUILD_PYTHON_ENV: chosen}
        # Then the build stops with one line saying what is wrong
        with pytest.raises(
            BundlingError, match=rf"^{BUILD_PYTHON_ENV}=.* is not a CPython {RUNTIME_VERSION}"
        ):
            find_interpreter(RUNTIME_VERSION, env)
