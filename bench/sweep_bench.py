"""What one sweep costs: AWS calls, DynamoDB reads and writes, wall time, at 100 / 1,000 / 10,000 resources.

Run with ``make bench`` (or ``.venv/bin/python bench/sweep_bench.py [--sizes 100,1000]``). It starts
moto server and the Rekognition/Personalize emulator in-process (frozen clock), seeds the emulator
in bulk, and for each size measures, through the real ``statusmon.logic.run.run_sweep``:

* the first (baseline) sweep, which records every resource. moto's ``TransactWriteItems`` deep-copies
  the whole table for every item of every transaction, so the one-transaction-per-new-resource
  baseline is quadratic under moto; above ``--max-real-baseline`` resources the known state is
  bulk-loaded instead: the real sweep runs with its transaction swapped for a collector, and the
  current-state items ``StatusStore.record`` would have written go in with ``BatchWriteItem``;
* a quiet sweep (nothing changed), ``--runs`` times (median wall time);
* a naive sweep written here: every listing page, then one Describe* and one GetItem per resource;
* a sweep after ~1% of the resources changed (seeded ``next`` transitions + ``emulator.advance``);
* one more quiet sweep after it, which must again write nothing.

AWS calls are the emulator's own counts; DynamoDB calls are counted by operation with a botocore
``before-call`` handler on the clients PynamoDB uses (``bench/benchkit.py``), items written from the
requests themselves. The tables and the command that produced them are written to the sweep section
of ``docs/benchmarks.md`` (the delivery benchmark owns another). Nothing here asserts on time: it
measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import shlex
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from benchkit import (
    DDB_READS,
    DDB_WRITES,
    DEFAULT_OUTPUT,
    DynamoCounter,
    ServerTime,
    machine,
    progress,
    settle,
    versions,
    write_section,
)

from statusmon.adapters import store as store_module
from statusmon.adapters.store import StateItem, StatusStore
from statusmon.domain.vocabulary import Service
from statusmon.local.services import LocalServices, local_services, patched_environment
from statusmon.logic.run import run_sweep
from statusmon.logic.sweep import SweepReport
from statusmon.settings import Settings, load_settings

CHANGE_AFTER_SECONDS = 60.0  # seeded transitions fire when the frozen clock is advanced this far
PAGE = 100  # DescribeProjects / ListDatasetImportJobs page size


@dataclass
class Measure:
    """One sweep of both services (or the naive one): what it cost."""

    label: str
    aws: dict[str, int] = field(default_factory=dict)
    ddb: dict[str, int] = field(default_factory=dict)
    wall_ms: list[float] = field(default_factory=list)
    server_ms: dict[str, list[float]] = field(default_factory=dict)
    transitions: int = 0
    alerts: int = 0  # alerts queued in the outbox (one outbox item each, in the transition's transaction)
    # DynamoDB items put, as the requests carried them: a transition is a state item + a history item
    # (+ an outbox item when it alerts); the PutItem calls are the per-service bookkeeping.
    items_written: int = 0
    note: str = ""

    def aws_op(self, operation: str) -> int:
        return sum(v for k, v in self.aws.items() if k.endswith(f":{operation}"))

    @property
    def aws_total(self) -> int:
        return sum(self.aws.values())

    @property
    def ddb_reads(self) -> int:
        return sum(self.ddb.get(op, 0) for op in DDB_READS)

    @property
    def ddb_writes(self) -> int:
        return sum(self.ddb.get(op, 0) for op in DDB_WRITES)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.wall_ms) if self.wall_ms else float("nan")

    def median_server_ms(self, key: str) -> float:
        values = self.server_ms.get(key) or [0.0]
        return statistics.median(values)


@dataclass
class Population:
    size: int
    projects: int
    jobs: int
    failed_datasets: int
    failed_jobs: int
    in_flight_datasets: int  # in flight for good (no seeded transition)
    in_flight_jobs: int
    changing_datasets: int  # in flight, finish when the clock is advanced
    changing_jobs: int

    @property
    def changing(self) -> int:
        return self.changing_datasets + self.changing_jobs


@dataclass
class SizeResult:
    population: Population
    baseline: Measure
    baseline_bulk_loaded: bool
    quiet: Measure
    naive: Measure
    changed: Measure
    quiet_after: Measure
    seed_s: float = 0.0
    total_s: float = 0.0


# -- the seeded account ------------------------------------------------------------------------------


def population(size: int) -> Population:
    projects = size // 2
    jobs = size - projects
    return Population(
        size=size,
        projects=projects,
        jobs=jobs,
        failed_datasets=max(1, projects // 100),
        failed_jobs=max(1, jobs // 100),
        in_flight_datasets=max(1, projects // 500),
        in_flight_jobs=max(1, jobs // 500),
        changing_datasets=max(1, projects // 100),
        changing_jobs=max(1, jobs // 100),
    )


def seed_account(emulator: Any, pop: Population) -> None:
    """One TRAIN dataset per project; all import jobs in one Interactions dataset.

    Resources are interleaved by index: the first ones failed, then in flight for good, then
    in flight until the clock moves (one in five of those then fails), the rest complete.
    """
    datasets: list[dict[str, Any]] = []
    for i in range(pop.projects):
        spec: dict[str, Any] = {"type": "TRAIN", "status": "CREATE_COMPLETE"}
        j = i
        if j < pop.failed_datasets:
            spec.update(
                status="CREATE_FAILED",
                status_message="ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT: the manifest is missing",
                status_message_code="CLIENT_ERROR",
            )
        elif (j := j - pop.failed_datasets) < pop.in_flight_datasets:
            spec["status"] = "UPDATE_IN_PROGRESS"
        elif (j := j - pop.in_flight_datasets) < pop.changing_datasets:
            spec["status"] = "UPDATE_IN_PROGRESS"
            spec["next"] = (
                {
                    "after": CHANGE_AFTER_SECONDS,
                    "status": "UPDATE_FAILED",
                    "status_message": "ERROR_TOO_MANY_RECORDS_IN_ERROR: no valid entries",
                    "status_message_code": "CLIENT_ERROR",
                }
                if j % 5 == 0
                else {"after": CHANGE_AFTER_SECONDS, "status": "UPDATE_COMPLETE"}
            )
        datasets.append({"name": f"bench-{i:06d}", "datasets": [spec]})
    jobs: list[dict[str, Any]] = []
    for i in range(pop.jobs):
        job: dict[str, Any] = {"name": f"import-{i:06d}", "status": "ACTIVE"}
        j = i
        if j < pop.failed_jobs:
            job.update(
                status="CREATE FAILED",
                failure_reason="Input CSV is missing the following columns: [TIMESTAMP]",
            )
        elif (j := j - pop.failed_jobs) < pop.in_flight_jobs:
            job["status"] = "CREATE IN_PROGRESS"
        elif (j := j - pop.in_flight_jobs) < pop.changing_jobs:
            job["status"] = "CREATE IN_PROGRESS"
            job["next"] = (
                {
                    "after": CHANGE_AFTER_SECONDS,
                    "status": "CREATE FAILED",
                    "failure_reason": "Input path does not exist.",
                }
                if j % 5 == 0
                else {"after": CHANGE_AFTER_SECONDS, "status": "ACTIVE"}
            )
        jobs.append(job)
    emulator.seed(
        rekognition={"projects": datasets},
        personalize={
            "dataset_groups": [{"name": "bench", "datasets": [{"type": "Interactions", "import_jobs": jobs}]}]
        },
    )


# -- sweeps ------------------------------------------------------------------------------------------


@dataclass
class Instruments:
    emulator: Any
    ddb: DynamoCounter
    server: ServerTime


@contextmanager
def measuring(tools: Instruments, measure: Measure) -> Iterator[None]:
    settle()
    tools.emulator.reset_calls()
    tools.ddb.reset()
    server_before = tools.server.snapshot()
    started = time.perf_counter()
    try:
        yield
    finally:
        measure.wall_ms.append((time.perf_counter() - started) * 1000)
        server_after = tools.server.snapshot()
        for key in ServerTime.KEYS:
            measure.server_ms.setdefault(key, []).append((server_after[key] - server_before[key]) * 1000)
        measure.aws = {k: v for k, v in tools.emulator.call_counts().items() if v}
        measure.ddb = tools.ddb.snapshot()
        measure.items_written = sum(tools.ddb.items_written.values()) + measure.ddb.get("PutItem", 0)


def real_sweep(settings: Settings) -> list[SweepReport]:
    """What the poll Lambdas (and ``statusmon sweep``) run: one sweep of each service."""
    return [run_sweep(service, settings) for service in Service]


def check(reports: list[SweepReport], what: str) -> None:
    for report in reports:
        if not report.succeeded or report.lost_races:
            raise SystemExit(f"{what}: {report.service.value} sweep did not succeed: {report.summary()}")


def measure_real(
    label: str, tools: Instruments, settings: Settings, runs: int = 1
) -> tuple[Measure, list[SweepReport]]:
    measure = Measure(label)
    reports: list[SweepReport] = []
    for _ in range(runs):
        with measuring(tools, measure):
            reports = real_sweep(settings)
        check(reports, label)
        # Every run must cost the same; keep the last run's counts.
        measure.transitions = sum(len(r.recorded) for r in reports)
        measure.alerts = sum(r.alerts_queued for r in reports)
        expected = 2 * measure.transitions + measure.alerts + measure.ddb.get("PutItem", 0)
        if measure.items_written != expected:
            raise SystemExit(f"{label}: wrote {measure.items_written} items, expected {expected}")
    return measure, reports


class _CollectingTransaction:
    """Stands in for PynamoDB's TransactWrite while bulk-loading: keeps the state items."""

    collected: list[StateItem]

    def __init__(self, *_: Any, **__: Any) -> None:
        pass

    def __enter__(self) -> _CollectingTransaction:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def save(self, model: Any, condition: Any = None, return_values: Any = None) -> None:
        if isinstance(model, StateItem):
            # What the transaction would store: the version bumped as PynamoDB does on save.
            model.version = (model.version or 0) + 1
            self.collected.append(model)


def bulk_load_baseline(tools: Instruments, settings: Settings) -> Measure:
    """The baseline sweep's logic (listing, Describe*, ``detect_changes(..., baseline=True)``,
    ``StatusStore.record``'s item building) with the writes batched instead of transacted."""
    measure = Measure("baseline, bulk-loaded (see below)")
    collected: list[StateItem] = []

    class Collector(_CollectingTransaction):
        pass

    Collector.collected = collected
    with measuring(tools, measure):
        with mock.patch.object(store_module, "TransactWrite", Collector):
            reports = real_sweep(settings)
        with StateItem.batch_write() as batch:
            for item in collected:
                batch.save(item)
    check(reports, "bulk-loaded baseline")
    measure.transitions = sum(len(r.recorded) for r in reports)
    if measure.transitions != len(collected):
        raise SystemExit(f"bulk load collected {len(collected)} items for {measure.transitions} transitions")
    return measure


def _naive_datasets(store: StatusStore) -> int:
    rekognition = boto3.client("rekognition")
    changed = 0
    pages = rekognition.get_paginator("describe_projects").paginate(
        Features=["CUSTOM_LABELS"], PaginationConfig={"PageSize": PAGE}
    )
    for page in pages:
        for project in page["ProjectDescriptions"]:
            for dataset in project.get("Datasets", []):
                described = rekognition.describe_dataset(DatasetArn=dataset["DatasetArn"])
                known = store.get(dataset["DatasetArn"])
                changed += known is None or known.status != described["DatasetDescription"]["Status"]
    return changed


def _naive_import_jobs(store: StatusStore) -> int:
    personalize = boto3.client("personalize")
    changed = 0
    pages = personalize.get_paginator("list_dataset_import_jobs").paginate(
        PaginationConfig={"PageSize": PAGE}
    )
    for page in pages:
        for job in page["datasetImportJobs"]:
            arn = job["datasetImportJobArn"]
            described = personalize.describe_dataset_import_job(datasetImportJobArn=arn)
            known = store.get(arn)
            changed += known is None or known.status != described["datasetImportJob"]["status"]
    return changed


def naive_sweep(tools: Instruments, store: StatusStore) -> Measure:
    """What a straightforward implementation does: list, Describe every resource, GetItem each."""
    measure = Measure("naive: Describe + GetItem per resource")
    with measuring(tools, measure):
        changed = _naive_datasets(store) + _naive_import_jobs(store)
    if changed:
        raise SystemExit(f"naive sweep saw {changed} changes in a quiet account")
    return measure


# -- one size ----------------------------------------------------------------------------------------


def run_size(
    services: LocalServices, server: ServerTime, size: int, runs: int, max_real_baseline: int
) -> SizeResult:
    started = time.perf_counter()
    emulator = services.emulator
    pop = population(size)
    emulator.reset()
    emulator.clear_faults()
    seed_started = time.perf_counter()
    seed_account(emulator, pop)
    seed_s = time.perf_counter() - seed_started

    table = f"statusmon-bench-{size}-{uuid.uuid4().hex[:6]}"
    store = StatusStore(table)
    store.ensure_table()
    ddb = DynamoCounter()
    ddb.attach_models()
    tools = Instruments(emulator, ddb, server)
    settings = load_settings({"STATUSMON_TABLE_NAME": table})
    try:
        bulk = size > max_real_baseline
        if bulk:
            baseline = bulk_load_baseline(tools, settings)
        else:
            baseline, _ = measure_real("baseline (real sweep)", tools, settings)
        progress(f"  baseline{' (bulk-loaded)' if bulk else ''}: {baseline.wall_ms[-1] / 1000:.1f} s")

        quiet, _ = measure_real("quiet", tools, settings, runs=runs)
        progress(f"  quiet x{runs}: median {quiet.median_ms:,.0f} ms")
        naive = naive_sweep(tools, store)
        progress(f"  naive: {naive.wall_ms[-1] / 1000:.1f} s")

        emulator.advance(CHANGE_AFTER_SECONDS)
        changed, _ = measure_real(f"~1% changed ({pop.changing})", tools, settings)
        if changed.transitions != pop.changing:
            raise SystemExit(f"{size}: expected {pop.changing} transitions, recorded {changed.transitions}")
        changed.label = f"~1% changed ({pop.changing}; {changed.alerts} alerts queued)"
        progress(f"  changed: {changed.wall_ms[-1] / 1000:.1f} s")
        quiet_after, _ = measure_real("quiet again, after the change", tools, settings)
        if quiet_after.ddb_writes:
            raise SystemExit(f"{size}: the sweep after the change wrote again: {quiet_after.ddb}")
    finally:
        boto3.client("dynamodb").delete_table(TableName=table)
        settle()
    return SizeResult(
        population=pop,
        baseline=baseline,
        baseline_bulk_loaded=bulk,
        quiet=quiet,
        naive=naive,
        changed=changed,
        quiet_after=quiet_after,
        seed_s=seed_s,
        total_s=time.perf_counter() - started,
    )


# -- report ------------------------------------------------------------------------------------------

LISTED = ("DescribeProjects", "ListDatasetImportJobs", "DescribeDataset", "DescribeDatasetImportJob")


def measures(result: SizeResult) -> list[Measure]:
    return [result.baseline, result.quiet, result.naive, result.changed, result.quiet_after]


def size_cell(result: SizeResult) -> str:
    pop = result.population
    return f"{pop.size:,} ({pop.projects:,} + {pop.jobs:,})"


def label_cell(measure: Measure) -> str:
    return measure.label + (f" ({measure.note})" if measure.note else "")


def ddb_cell(measure: Measure, operations: tuple[str, ...]) -> str:
    parts = [f"{measure.ddb[op]:,} {op}" for op in operations if measure.ddb.get(op)]
    return ", ".join(parts) if parts else "0"


def calls_table(results: list[SizeResult]) -> str:
    rows = [
        "| resources (P + J) | sweep | DescribeProjects | ListDatasetImportJobs | DescribeDataset "
        "| DescribeDatasetImportJob | other AWS | DynamoDB reads | DynamoDB writes | items written |",
        "|---|---|--:|--:|--:|--:|--:|---|---|--:|",
    ]
    for result in results:
        for measure in measures(result):
            other = measure.aws_total - sum(measure.aws_op(op) for op in LISTED)
            rows.append(
                f"| {size_cell(result)} | {label_cell(measure)} | "
                + " | ".join(f"{measure.aws_op(op):,}" for op in LISTED)
                + f" | {other:,} | {ddb_cell(measure, DDB_READS)} | {ddb_cell(measure, DDB_WRITES)} "
                f"| {measure.items_written:,} |"
            )
    return "\n".join(rows)


def time_table(results: list[SizeResult]) -> str:
    rows = [
        "| resources (P + J) | sweep | wall time (ms) | in moto DynamoDB (ms) | of which moto "
        "TransactWriteItems (ms) | in the emulator (ms) | client side (ms) |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for result in results:
        for measure in measures(result):
            wall = measure.median_ms
            moto = measure.median_server_ms("moto_dynamodb")
            transact = measure.median_server_ms("moto_transact")
            emulator = measure.median_server_ms("emulator")
            runs = f" (median of {len(measure.wall_ms)})" if len(measure.wall_ms) > 1 else ""
            rows.append(
                f"| {size_cell(result)} | {label_cell(measure)} | {wall:,.0f}{runs} | {moto:,.0f} "
                f"| {transact:,.0f} | {emulator:,.0f} | {max(wall - moto - emulator, 0.0):,.0f} |"
            )
    return "\n".join(rows)


def bounds_table(results: list[SizeResult]) -> str:
    """The issue's bound for a quiet sweep, against what was measured."""
    rows = [
        "| resources | DescribeProjects (bound ceil(P/100)) | ListDatasetImportJobs (bound ceil(J/100)) "
        "| Describe* (bound: failed + in flight) | DynamoDB writes | GetItem | AWS calls naive / quiet "
        "| DynamoDB calls naive / quiet |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]

    def mark(ok: bool) -> str:
        return "ok" if ok else "**over**"

    for result in results:
        pop, quiet, naive = result.population, result.quiet, result.naive
        describes = quiet.aws_op("DescribeDataset") + quiet.aws_op("DescribeDatasetImportJob")
        in_flight = pop.in_flight_datasets + pop.in_flight_jobs + pop.changing
        allowed = pop.failed_datasets + pop.failed_jobs + in_flight
        bound_p, bound_j = math.ceil(pop.projects / PAGE), math.ceil(pop.jobs / PAGE)
        projects, jobs = quiet.aws_op("DescribeProjects"), quiet.aws_op("ListDatasetImportJobs")
        gets = quiet.ddb.get("GetItem", 0)
        writes = quiet.ddb_writes + result.quiet_after.ddb_writes
        rows.append(
            f"| {pop.size:,} | {projects} ({bound_p}) {mark(projects <= bound_p)} "
            f"| {jobs} ({bound_j}) {mark(jobs <= bound_j)} "
            f"| {describes} (<= {allowed}) {mark(describes <= allowed)} "
            f"| {writes} {mark(writes == 0)} "
            f"| {gets} (one per service) {mark(gets <= len(Service))} "
            f"| {naive.aws_total:,} / {quiet.aws_total:,} "
            f"| {naive.ddb_reads + naive.ddb_writes:,} / {quiet.ddb_reads + quiet.ddb_writes:,} |"
        )
    return "\n".join(rows)


def population_table(results: list[SizeResult]) -> str:
    rows = [
        "| resources | projects (1 TRAIN dataset each) | import jobs | failed (datasets + jobs) "
        "| in flight for good | in flight, then changed | seeding (s) | whole size (s) |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for result in results:
        pop = result.population
        rows.append(
            f"| {pop.size:,} | {pop.projects:,} | {pop.jobs:,} | {pop.failed_datasets} + {pop.failed_jobs} "
            f"| {pop.in_flight_datasets} + {pop.in_flight_jobs} "
            f"| {pop.changing_datasets} + {pop.changing_jobs} | {result.seed_s:.2f} | {result.total_s:.0f} |"
        )
    return "\n".join(rows)


def bulk_note(results: list[SizeResult]) -> str:
    bulk = [f"{r.population.size:,}" for r in results if r.baseline_bulk_loaded]
    if not bulk:
        return ""
    return (
        f"\n\n**Bulk-loaded rows.** The baseline rows for {', '.join(bulk)} resources are not the real "
        "baseline sweep. moto's TransactWriteItems deep-copies the whole table (its stream records "
        "included) once per item of every transaction, so the real baseline (one transaction per new "
        "resource) is quadratic under moto: it takes minutes at 1,000 resources and hours at 10,000. "
        "The bulk load runs the real sweep code (listing, a Describe* per new resource, "
        "`detect_changes(..., baseline=True)`, the items `StatusStore.record` builds) with PynamoDB's "
        "TransactWrite swapped for a collector, then writes the current-state items with "
        "`StateItem.batch_write()` (BatchWriteItem, 25 items a call); the per-service bookkeeping "
        "item is the real PutItem. History items are not written (a quiet sweep never reads them). "
        "So its AWS calls are the real baseline's; its DynamoDB writes and time are not "
        "(the real baseline would make one TransactWriteItems per resource, as the real rows show). "
        "`--max-real-baseline N` runs the real baseline up to N resources."
    )


def per_transaction_note(results: list[SizeResult]) -> str:
    parts = []
    for result in results:
        changed = result.changed
        if changed.transitions:
            per = changed.median_server_ms("moto_transact") / changed.transitions
            parts.append(f"{per:,.0f} ms at {result.population.size:,} resources")
    return f" (per TransactWriteItems in the changed sweep: {'; '.join(parts)})" if parts else ""


def render(results: list[SizeResult], command: str, elapsed_s: float, runs: int) -> str:
    return f"""## Sweep

What one sweep of both services (Rekognition Custom Labels datasets and Personalize dataset
import jobs) costs as the account grows: AWS calls, DynamoDB calls and wall time, for the real
sweep (`statusmon.logic.run.run_sweep`) and for a naive one written in the bench. Local only:
moto server (DynamoDB) and the statusmon emulator, both started in-process on a frozen clock.
Figures below are from one run of `bench/sweep_bench.py`; rerun it rather than editing them.

```console
$ make bench    # this benchmark, then the delivery one
$ {command}    # what make bench ran for the figures below
```

Machine: {machine()}; {versions()}. Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {elapsed_s:.0f} s
in all. Quiet sweeps run {runs} times per size (medians); every other sweep runs once.

### Seeded accounts

Half the resources are Custom Labels datasets (one TRAIN dataset per project, so P = N/2
projects), half are Personalize import jobs (J = N/2) in one dataset, seeded in bulk through
`Emulator.seed`. About 1% are failed, a few are in flight for good, and about 1% are in flight
until the bench advances the emulator's clock by {CHANGE_AFTER_SECONDS:.0f} s, when they finish (one in five
fails). The sweeps run in this order on one table per size: baseline, quiet (x{runs}), naive,
clock advanced, changed, quiet again.

{population_table(results)}

### Calls per sweep (both services)

{calls_table(results)}

AWS calls are the emulator's own counts. DynamoDB reads and writes are API calls by operation,
counted by a botocore `before-call` handler on the clients PynamoDB uses (a Query call is one page
of at most 1 MB; a BatchWriteItem carries up to 25 items). "Items written" counts the items the
write requests carried: a transition is its current-state item plus its history item in one
TransactWriteItems, plus an outbox item when it alerts (a failure does: see "alerts queued"; the
delivery section below measures what delivering them costs), and the baseline also puts one
bookkeeping item per service. The naive sweep lists the same pages, then
makes one DescribeDataset / DescribeDatasetImportJob and one GetItem per resource, and writes
nothing.{bulk_note(results)}

### The issue's bound, for the quiet sweep

{bounds_table(results)}

Describe* may go to failed or in-flight resources only; statusmon describes failed Custom Labels
datasets on every sweep (a repeated UPDATE_FAILED shows only in DescribeDataset's
LastUpdatedTimestamp) and nothing else that is unchanged. The GetItem calls are the per-service
baseline bookkeeping item, one per service, whatever the number of resources. "DynamoDB writes"
counts both quiet sweeps: before and after the change.

### Time per sweep

{time_table(results)}

"In moto DynamoDB" and "in the emulator" are the time their request handlers took (they run in
threads of the bench process, so they share its CPUs); "client side" is the rest of the wall time:
botocore, PynamoDB and statusmon itself.

### What the numbers show

A quiet sweep costs the listing pages (ceil(P/100) DescribeProjects + ceil(J/100)
ListDatasetImportJobs), one DescribeDataset per failed dataset, one Query page per 1 MB of known
state and one bookkeeping GetItem per service; it writes nothing, at every size. The naive sweep
grows one-for-one with the resources: about 100 times the AWS calls and a GetItem per resource.
When ~1% changed, the sweep describes and writes (one TransactWriteItems each) only those, and
the next sweep is quiet again. The times are local loopback times, not AWS latencies, and are
dominated by the stand-ins: moto answers a Query of the by_service index in time that grows with
the table, and its TransactWriteItems deep-copies the table{per_transaction_note(results)}, so the
baseline and changed rows measure moto's copy more than statusmon. What carries over to AWS is the
call counts; in AWS each call is a network round trip of milliseconds, which is what the naive
sweep multiplies. moto keeps every model instance it creates for its dashboard, transactions'
copies included; the bench empties that registry (moto's `reset_model_data`) after each
TransactWriteItems and between sweeps, which changes nothing moto stores or answers.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        default="100,1000,10000",
        help="comma list of resource counts (half datasets, half import jobs); default 100,1000,10000",
    )
    parser.add_argument("--runs", type=int, default=3, help="quiet sweeps per size (median wall time)")
    parser.add_argument(
        "--max-real-baseline",
        type=int,
        default=100,
        help="largest size whose baseline is the real transactional sweep; bigger ones are "
        "bulk-loaded (default 100: the real one takes minutes at 1,000 under moto)",
    )
    parser.add_argument(
        "--output",
        default=str(DEFAULT_OUTPUT),
        help="markdown file whose sweep section to rewrite (default docs/benchmarks.md); '-' only prints it",
    )
    args = parser.parse_args(argv)
    try:
        args.size_list = [int(part.replace("_", "")) for part in args.sizes.split(",") if part.strip()]
    except ValueError:
        parser.error(f"--sizes: expected a comma list of integers, got {args.sizes!r}")
    if not args.size_list or min(args.size_list) < 2:
        parser.error("--sizes: every size must be at least 2")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def command_line(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return shlex.join([".venv/bin/python", "bench/sweep_bench.py", *args])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    results: list[SizeResult] = []
    server = ServerTime()
    with (
        server.installed(),
        local_services(frozen_clock=True) as services,
        patched_environment(services.environment()),
    ):
        for size in args.size_list:
            progress(f"{size:,} resources")
            results.append(run_size(services, server, size, args.runs, args.max_real_baseline))
    elapsed = time.perf_counter() - started
    document = render(results, command_line(argv), elapsed, args.runs)
    print(document)
    if args.output != "-":
        write_section(Path(args.output), "sweep", document)
        progress(f"wrote its section of {args.output} after {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
