"""What a cold start costs the functions: the asset's size, handler imports, and first-call setup.

Run with ``make bench-coldstart`` (or ``.venv/bin/python bench/coldstart_bench.py [--runs 11]``). It

* builds the Lambda asset the way ``cdk synth`` does (``infra.bundling``: the stack's runtime and
  architecture, bytecode when a CPython of the runtime's version is found) into a temporary folder,
  and reports its unzipped size, file count and zipped size;
* builds it again with this machine's wheels (when the Lambda's are for another CPU: their binary
  extensions cannot load here) and, with the same interpreter, a stand-in for what the runtime
  provides: the pinned boto3, botocore and their dependencies, precompiled as in the runtime;
* in fresh processes (``-I -S -B``: no site-packages, nothing written; the asset then the stand-in
  on ``sys.path``, as ``/var/task`` and ``/var/runtime`` are in Lambda; Lambda's environment
  variables, so Powertools and the X-Ray SDK take their Lambda paths), ``--runs`` times, interleaved:
  the wall time of ``import boto3`` alone, of importing each handler module, and of the setup a
  handler's first invocation does before its first request (settings, the store's DynamoDB client
  for every model, the source or SNS client). Medians; nothing is sent anywhere.

The interpreter is the runtime's version when one is found (the asset has bytecode for it),
otherwise this one, with an asset built for it without bytecode; the output says which.
``--baseline-commit REV`` measures, in the same run, the same asset with the statusmon package as
it was at REV (before a change, say); ``--baseline DIR`` measures any other asset folder. The
tables go to the coldstart section of ``docs/benchmarks.md``. Nothing here asserts: it measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from benchkit import DEFAULT_OUTPUT, machine, progress, write_section  # noqa: E402

from infra.bundling import (  # noqa: E402
    FUNCTIONS_DIR,
    PACKAGE,
    PLATFORMS,
    PipBundling,
    bundler_for,
    find_interpreter,
    interpreter_version,
    machine_platform,
    runtime_provided_requirements,
)
from infra.function import ARCHITECTURE, RUNTIME  # noqa: E402

BOTO3 = "boto3"
# What each handler's first invocation creates before its first request, beyond settings and the
# store: the DynamoDB client behind each PynamoDB model it calls, and its source's or SNS's client.
FIRST_CALL = {
    "poll_rekognition": (("StateItem", "ServiceItem"), "rekognition"),
    "poll_personalize": (("StateItem", "ServiceItem"), "personalize"),
    "notify": (("OutboxItem",), "sns"),
    "redrive": (("OutboxItem",), "sns"),
    # An idle watch run reads the watch list and creates no service client; a discovery only writes it.
    "watch": (("WatchItem",), ""),
    "discover": (("WatchItem",), ""),
}

IMPORT_CHILD = """
import importlib, os, sys, time
sys.path[:0] = sys.argv[1].split(os.pathsep)
started = time.perf_counter()
importlib.import_module(sys.argv[2])
print((time.perf_counter() - started) * 1000)
"""

FIRST_CALL_CHILD = """
import importlib, os, sys, time
sys.path[:0] = sys.argv[1].split(os.pathsep)
importlib.import_module(sys.argv[2])
from statusmon.adapters import sns, store
from statusmon.domain.vocabulary import Service
from statusmon.logic.run import make_source
from statusmon.settings import get_settings

models = [getattr(store, name) for name in sys.argv[3].split(",") if name]
started = time.perf_counter()
settings = get_settings()
store.StatusStore(settings.require_table())
for model in models:
    model._get_connection().connection.client
if sys.argv[4] == "sns":
    sns._client()
elif sys.argv[4]:
    make_source(Service(sys.argv[4]), settings)
print((time.perf_counter() - started) * 1000)
"""


def lambda_environment(task_root: Path, function: str) -> dict[str, str]:
    """What Lambda sets that changes what the code does at import (Powertools, the X-Ray SDK)."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": f"statusmon-{function}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME.name}",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "POWERTOOLS_SERVICE_NAME": "statusmon",
        "POWERTOOLS_METRICS_NAMESPACE": "statusmon",
        "STATUSMON_TABLE_NAME": "statusmon-bench",
        "STATUSMON_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:statusmon-bench",
    }


@dataclass
class Asset:
    label: str
    path: Path
    files: int = 0
    unzipped: int = 0
    zipped: int = 0
    bytecode: bool = False
    about: str = ""  # for a baseline: what it is, in the report's words

    @classmethod
    def measure(cls, label: str, path: Path, zip_dir: Path, *, about: str = "") -> Asset:
        files = [p for p in path.rglob("*") if p.is_file()]
        archive = shutil.make_archive(str(zip_dir / label.replace(" ", "-")), "zip", path)
        return cls(
            label=label,
            about=about,
            path=path,
            files=len(files),
            unzipped=sum(p.stat().st_size for p in files),
            zipped=Path(archive).stat().st_size,
            bytecode=any(p.suffix == ".pyc" for p in files),
        )


@dataclass
class Series:
    label: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")


def handler_modules(asset: Path) -> list[str]:
    handlers = asset / PACKAGE / "handlers"
    return sorted(
        f"{PACKAGE}.handlers.{path.stem}"
        for path in handlers.glob("*.py")
        if "\ndef handler(" in path.read_text()
    )


def run_child(interpreter: Path, code: str, args: list[str], env: dict[str, str], cwd: Path) -> float:
    result = subprocess.run(
        [str(interpreter), "-I", "-S", "-B", "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{args[1]}: {result.stderr.strip().splitlines()[-1:]}")
    return float(result.stdout.strip().splitlines()[-1])


def build(bundler: PipBundling, into: Path) -> Path:
    into.mkdir(parents=True)
    bundler.try_bundle(str(into))
    return into


@dataclass
class Results:
    deployed: Asset
    measured: list[Asset]
    interpreter_note: str
    boto3: Series
    imports: dict[str, dict[str, Series]]
    first_calls: dict[str, dict[str, Series]]
    runs: int
    elapsed_s: float


def measure(args: argparse.Namespace) -> Results:
    started = time.perf_counter()
    version = RUNTIME.name.removeprefix("python")
    work = Path(tempfile.mkdtemp(prefix="statusmon-coldstart-"))
    try:
        progress(f"building the asset as cdk synth does ({RUNTIME.name}, {ARCHITECTURE.name})")
        deployed = Asset.measure(
            "deployed", build(bundler_for(RUNTIME, ARCHITECTURE), work / "deployed"), work
        )
        interpreter = Path(args.python) if args.python else find_interpreter(version) or Path(sys.executable)
        measured_version = interpreter_version(interpreter)
        if measured_version is None:
            raise SystemExit(f"{interpreter} is not a CPython")
        if measured_version == version:
            note = f"CPython {version} ({interpreter}), the runtime's version: the asset's bytecode is used"
            local = PipBundling(platform=machine_platform(), python_version=version, interpreter=interpreter)
        else:
            note = (
                f"CPython {measured_version} ({interpreter}), not the runtime's {version}: the asset "
                f"measured is built for {measured_version} without bytecode, as cdk synth builds it "
                f"where no CPython {version} is found"
            )
            local = PipBundling(
                platform=machine_platform(), python_version=measured_version, interpreter=None
            )
        if local.platform == PLATFORMS[ARCHITECTURE.name] and measured_version == version:
            here = deployed.path
        else:
            progress(f"building it for this machine ({local.platform}, {local.python_version}) to import it")
            here = build(local, work / "here")
        progress("building the stand-in for the runtime's boto3")
        runtime = build(
            PipBundling(
                platform=local.platform,
                python_version=local.python_version,
                interpreter=interpreter,
                requirements=runtime_provided_requirements(),
                source=None,
            ),
            work / "runtime",
        )
        measured = [Asset.measure("this build", here, work)]
        if args.baseline:
            folder = Path(args.baseline).resolve()
            measured.append(
                Asset.measure("baseline", folder, work, about="the folder given with `--baseline`")
            )
        if args.baseline_commit:
            measured.append(baseline_at(args.baseline_commit, local, work))
        boto3 = Series(BOTO3)
        imports: dict[str, dict[str, Series]] = {}
        first_calls: dict[str, dict[str, Series]] = {}
        # (what, asset or None for the runtime alone, module)
        targets: list[tuple[str, Asset | None, str]] = [("import", None, BOTO3)]
        for asset in measured:
            modules = handler_modules(asset.path)
            imports[asset.label] = {m: Series(m) for m in modules}
            first_calls[asset.label] = {m: Series(m) for m in modules}
            targets += [("import", asset, m) for m in modules] + [("first call", asset, m) for m in modules]
        order = random.Random(0)
        for run in range(args.runs):
            progress(f"run {run + 1} of {args.runs}")
            order.shuffle(targets)
            for what, asset, module in targets:
                short = module.rpartition(".")[2]
                if asset is None:
                    boto3.samples.append(
                        run_child(
                            interpreter,
                            IMPORT_CHILD,
                            [str(runtime), module],
                            lambda_environment(work, short),
                            work,
                        )
                    )
                    continue
                path = os.pathsep.join([str(asset.path), str(runtime)])
                env = lambda_environment(asset.path, short)
                if what == "import":
                    ms = run_child(interpreter, IMPORT_CHILD, [path, module], env, work)
                    imports[asset.label][module].samples.append(ms)
                else:
                    models, client = FIRST_CALL.get(short, ((), ""))
                    child_args = [path, module, ",".join(models), client]
                    ms = run_child(interpreter, FIRST_CALL_CHILD, child_args, env, work)
                    first_calls[asset.label][module].samples.append(ms)
        return Results(
            deployed=deployed,
            measured=measured,
            interpreter_note=note,
            boto3=boto3,
            imports=imports,
            first_calls=first_calls,
            runs=args.runs,
            elapsed_s=time.perf_counter() - started,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def asset_table(results: Results) -> str:
    deployed = results.deployed
    rows = [
        _row("asset", "unzipped", "files", "zipped", "bytecode"),
        "|---|--:|--:|--:|---|",
        _row(
            f"as deployed ({ARCHITECTURE.name}, {RUNTIME.name})",
            _mb(deployed.unzipped),
            f"{deployed.files:,}",
            _mb(deployed.zipped),
            _yes(deployed.bytecode),
        ),
    ]
    rows += [
        _row(f"{a.label}, measured below", _mb(a.unzipped), f"{a.files:,}", _mb(a.zipped), _yes(a.bytecode))
        for a in results.measured
        if a.path != deployed.path
    ]
    return "\n".join(rows)


def _stats(series: Series, reference: float) -> tuple[str, ...]:
    samples = series.samples
    return (
        f"{series.median:.0f}",
        f"{min(samples):.0f}",
        f"{max(samples):.0f}",
        f"{series.median / reference:.2f}x" if reference else "",
    )


def import_table(results: Results) -> str:
    boto3 = results.boto3.median
    rows = [
        _row("asset", "import", "median (ms)", "min", "max", "vs `import boto3`"),
        "|---|---|--:|--:|--:|--:|",
        _row("runtime's boto3 (stand-in)", "`import boto3` alone", *_stats(results.boto3, boto3)),
    ]
    for label, series in results.imports.items():
        rows += [_row(label, f"`{module}`", *_stats(s, boto3)) for module, s in series.items()]
    return "\n".join(rows)


def first_call_table(results: Results) -> str:
    rows = [_row("asset", "handler", "creates", "median (ms)", "min", "max"), "|---|---|---|--:|--:|--:|"]
    for label, series in results.first_calls.items():
        for module, s in series.items():
            models, client = FIRST_CALL.get(module.rpartition(".")[2], ((), ""))
            creates = ", ".join(["settings", "store", *models, *([f"{client} client"] if client else [])])
            rows.append(_row(label, f"`{module}`", creates, *_stats(s, 0)[:3]))
    return "\n".join(rows)


def baseline_at(revision: str, bundler: PipBundling, work: Path) -> Asset:
    """The asset as this build, with the statusmon package as it was at ``revision``."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", f"{revision}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if commit.returncode != 0:
        raise SystemExit(f"--baseline-commit: {revision!r} is not a commit of this repository")
    label = commit.stdout.strip()
    progress(f"building the baseline: the statusmon package at {label}")
    source = work / "baseline-source"
    source.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", label, f"functions/{PACKAGE}"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(source, filter="data")
    at_revision = PipBundling(
        platform=bundler.platform,
        python_version=bundler.python_version,
        interpreter=bundler.interpreter,
        source=source / "functions" / PACKAGE,
    )
    about = (
        f"the statusmon package as it was at commit {label} (`--baseline-commit`), built as this build"
        " is, with the same dependencies"
    )
    return Asset.measure(f"at {label}", build(at_revision, work / "baseline"), work, about=about)


def baseline_note(results: Results) -> str:
    if len(results.measured) < 2:
        return ""
    baseline = results.measured[1]
    return (
        f" The rows labelled {baseline.label} are {baseline.about}, measured in the same run on the"
        " same runtime stand-in, interleaved with this build's."
    )


def render(results: Results, command: str) -> str:
    return f"""## Cold start

What a Lambda cold start costs statusmon before it does any work: the asset's size, importing a
handler module, and the setup its first invocation does before its first request. Measured by
`bench/coldstart_bench.py` in fresh processes on this machine (not in Lambda): medians of
{results.runs} runs, interleaved so that load on the machine falls on every row alike. Rerun it rather
than editing the figures.

```console
$ make bench-coldstart
$ {command}    # what it ran for the figures below
```

Machine: {machine()}. Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {results.elapsed_s:.0f} s in all.
Interpreter: {results.interpreter_note}.

### The asset

{asset_table(results)}

Built by `infra/bundling.py` as `cdk synth` builds it: the pins of `requirements.txt` minus what
the runtime provides (boto3, botocore, s3transfer, jmespath, urllib3, python-dateutil, six), the
`statusmon` package without the CLI, no Powertools utility or X-Ray integration the
handlers never import, and bytecode compiled for the runtime's Python. Sizes are the files' bytes
(`du` counts the folders too); "zipped" is the archive Lambda receives.{baseline_note(results)}

### Import

{import_table(results)}

`import boto3` alone is the stand-in for the runtime's own boto3 (the pinned version, precompiled
by the same interpreter). A handler imports botocore as boto3 does, but not boto3 or s3transfer;
on top of it, Powertools (Logger, Metrics, Tracer), the X-Ray SDK (which loads asyncio), PynamoDB
and statusmon itself, and the notifier Powertools' batch utility, which loads every event data
class it has.

### First-call setup

{first_call_table(results)}

"Creates" lists what a first invocation sets up before its first request: the settings, the store,
the DynamoDB client behind each PynamoDB model it calls (once per model where each has a session of
its own, once in all where they share one), and its source's or SNS's client. Nothing is sent.
Most of it is the botocore session's one-time work for its first client: registering its
handlers and decoding its endpoint data (about a megabyte of JSON), then each service's model and
endpoint rules; each further client of the same session costs a fraction of that. botocore's own
loader would also list every service model on disk (some 440 directories) before it loads a
service's first model of a kind; the session's loader (`statusmon.adapters.aws.ModelLoader`) goes
straight to the service's directory.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=11, help="fresh processes per row (median); default 11")
    parser.add_argument(
        "--python",
        help=f"interpreter to measure with (default: a CPython {RUNTIME.name.removeprefix('python')})",
    )
    parser.add_argument(
        "--baseline", help="an asset folder to measure alongside (e.g. built from an older commit)"
    )
    parser.add_argument(
        "--baseline-commit",
        metavar="REV",
        help="measure alongside the statusmon package as it was at REV (this checkout's pinned "
        "dependencies, the same build), e.g. HEAD before a change",
    )
    parser.add_argument(
        "--output",
        default=str(DEFAULT_OUTPUT),
        help="markdown file whose coldstart section to rewrite (default docs/benchmarks.md); '-': print only",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.baseline and not (Path(args.baseline) / PACKAGE / "handlers").is_dir():
        parser.error(f"--baseline: {args.baseline} holds no {PACKAGE}/handlers")
    return args


def command_line(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return shlex.join([".venv/bin/python", "bench/coldstart_bench.py", *args])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (FUNCTIONS_DIR / PACKAGE).is_dir():
        raise SystemExit(f"{FUNCTIONS_DIR / PACKAGE} not found")
    results = measure(args)
    document = render(results, command_line(argv))
    print(document)
    if args.output != "-":
        write_section(Path(args.output), "coldstart", document)
        progress(f"wrote its section of {args.output} after {results.elapsed_s:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
