"""What one sweep costs: AWS calls, DynamoDB requests and capacity units, wall time, as the account grows.

Run with ``make bench`` (or ``.venv/bin/python bench/sweep_bench.py [--sizes 100,1000]``). It starts
moto server and the Rekognition/Personalize emulator in-process (frozen clock), seeds the emulator
in bulk, and for each size (half Custom Labels datasets, half Personalize import jobs) measures,
through the real ``statusmon.logic.run.run_sweep``, both services' sweeps started side by side in two
threads as their two poll Lambdas run:

* the first (baseline) sweep, which records every resource. Above ``--max-real-baseline`` resources
  the known state is bulk-loaded instead: the real sweep runs with PynamoDB's TransactWrite swapped
  for a collector, and what its transactions would have written (current-state items, bucket
  generations) goes in with BatchWriteItem before the sweep stores its bucket marks;
* a quiet sweep (nothing changed), ``--runs`` times;
* what the previous design read for a quiet sweep (every state of both services, in Query pages of
  the by_service index, and the bookkeeping GetItem), on the same table;
* a naive sweep written here: every listing page, then one Describe* and one GetItem per resource;
* the quiet sweep in the CLI path (``statusmon.logic.run.sweep_and_deliver``), then again with 20 ms
  added to every AWS call (Rekognition, Personalize and DynamoDB): in the Lambda path, in the CLI
  path, and each service's sweep alone;
* a sweep after ~1% of the resources changed (seeded ``next`` transitions + ``emulator.advance``);
* one more quiet sweep after it, which must again write nothing;
* a sweep after one single resource changed.

AWS calls are the emulator's own counts; DynamoDB calls are counted by operation with botocore
handlers on the clients PynamoDB uses, and their read and write units computed from the items the
requests carry and the answers return, with DynamoDB's rules (``bench/benchkit.py``). The tables and
the command that produced them are written to the sweep section of ``docs/benchmarks.md`` (the
delivery benchmark owns another). Nothing here asserts on time: it measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shlex
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
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
    latency,
    lean_moto,
    machine,
    progress,
    settle,
    versions,
    write_section,
)

from statusmon.adapters import store as store_module
from statusmon.adapters import table_schema as schema
from statusmon.adapters.store import MarkItem, ServiceItem, StateItem, StatusStore, service_pk
from statusmon.domain.digest import BUCKETS
from statusmon.domain.vocabulary import Phase, Service, phase
from statusmon.logic.run import run_sweep, sweep_and_deliver
from statusmon.logic.sweep import DESCRIBE_WORKERS, SweepReport
from statusmon.settings import Settings, load_settings
from statusmon_local.services import LocalServices, local_services, patched_environment

CHANGE_AFTER_SECONDS = 60.0  # seeded transitions fire when the frozen clock is advanced this far
PAGE = 100  # DescribeProjects / ListDatasetImportJobs page size
LATENCY_MS = 20  # added to every AWS call for the wall-time figures
GOAL_WALL_S = 5.0  # the goal for a quiet sweep at 10,000 projects + 10,000 jobs
GOAL_READ_SHARE = 0.01  # the goal for a quiet sweep's read units at 10,000 resources
TOPIC = "statusmon-bench"
SERVICE_OPS = {
    Service.REKOGNITION: ("rekognition:DescribeProjects", "rekognition:DescribeDataset"),
    Service.PERSONALIZE: ("personalize:ListDatasetImportJobs", "personalize:DescribeDatasetImportJob"),
}


@dataclass
class Measure:
    """One sweep of both services (or the naive one, or a read): what it cost."""

    label: str
    aws: dict[str, int] = field(default_factory=dict)
    ddb: dict[str, int] = field(default_factory=dict)
    wall_ms: list[float] = field(default_factory=list)
    # Each service's own sweep (Lambda path: both started at once in two threads).
    service_ms: dict[Service, list[float]] = field(default_factory=dict)
    server_ms: dict[str, list[float]] = field(default_factory=dict)
    transitions: int = 0
    alerts: int = 0  # alerts queued in the outbox (one outbox item each, in the transition's transaction)
    events: int = 0  # state-change events queued likewise (every transition but a baseline's)
    # Items the write requests carried: in transactions (a transition is its state item, its history
    # item, its bucket's generation, + an outbox item for its event and one when it alerts), in
    # batches, and one per
    # PutItem/UpdateItem/DeleteItem (bookkeeping, bucket marks).
    items_written: int = 0
    transact_items: int = 0
    watch_moves: int = 0
    items_read: int = 0  # items the Query pages returned
    bytes_read: int = 0  # their size (DynamoDB's item sizes)
    read_units: float = 0.0
    write_units: float = 0.0
    index_write_units: float = 0.0
    buckets_read: int = 0
    states_read: int = 0  # the most any run read
    marks_stored: int = 0
    # Both services side by side: the servers' handler times add up over concurrent requests.
    concurrent: bool = False
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
    def ddb_total(self) -> int:
        return sum(self.ddb.values())

    @property
    def median_ms(self) -> float:
        return statistics.median(self.wall_ms) if self.wall_ms else float("nan")

    def median_service_ms(self, service: Service) -> float:
        values = self.service_ms.get(service)
        return statistics.median(values) if values else float("nan")

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
    late_jobs: int = 1  # in flight until the clock is advanced a second time: the single change

    @property
    def changing(self) -> int:
        return self.changing_datasets + self.changing_jobs


@dataclass
class Latency:
    """The quiet sweep at LATENCY_MS per AWS call, in both paths, and the CLI path without it."""

    lambda_path: Measure
    cli_path: Measure
    cli_in_process: Measure
    # Each service's sweep on its own, one after the other: no other sweep in the process.
    alone: Measure
    # Calls one after another in the slower service's sweep: its listing pages, and those plus the
    # bookkeeping Query and the rounds of Describe calls (DESCRIBE_WORKERS at a time).
    chained_pages: int = 0
    chained_calls: int = 0


@dataclass
class SizeResult:
    population: Population
    baseline: Measure
    baseline_bulk_loaded: bool
    quiet: Measure
    previous: Measure
    naive: Measure | None
    latency: Latency
    changed: Measure
    quiet_after: Measure
    single: Measure
    runs: int
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
    in flight until the clock moves (one in five of those then fails), the rest complete; one import
    job after those is in flight until the clock moves a second time.
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
        elif (j := j - pop.changing_jobs) < pop.late_jobs:
            job["status"] = "CREATE IN_PROGRESS"
            job["next"] = {"after": 2 * CHANGE_AFTER_SECONDS, "status": "ACTIVE"}
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
        ddb = tools.ddb
        measure.aws = {k: v for k, v in tools.emulator.call_counts().items() if v}
        measure.ddb = ddb.snapshot()
        measure.transact_items = ddb.items_written["TransactWriteItems"]
        measure.items_written = sum(ddb.items_written.values()) + sum(
            measure.ddb.get(op, 0) for op in ("PutItem", "UpdateItem", "DeleteItem")
        )
        measure.items_read = sum(ddb.items_read.values())
        measure.bytes_read = sum(ddb.bytes_read.values())
        measure.read_units = ddb.total_read_units
        measure.write_units = ddb.total_write_units
        measure.index_write_units = ddb.index_write_units


def lambda_path(settings: Settings, measure: Measure | None = None) -> list[SweepReport]:
    """What the two poll Lambdas run: each service's sweep, both started at once."""
    start = threading.Barrier(len(Service))

    def one(service: Service) -> tuple[SweepReport, float]:
        start.wait()
        started = time.perf_counter()
        report = run_sweep(service, settings)
        return report, (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(len(Service)) as pool:
        done = list(pool.map(one, Service))
    if measure is not None:
        measure.concurrent = True
        for report, ms in done:
            measure.service_ms.setdefault(report.service, []).append(ms)
    return [report for report, _ in done]


def one_after_another(settings: Settings, _: Measure | None = None) -> list[SweepReport]:
    """Both services' sweeps, one after the other (the real baseline: its time is moto's anyway)."""
    return [run_sweep(service, settings) for service in Service]


def each_alone(settings: Settings, measure: Measure) -> list[SweepReport]:
    """Each service's sweep with no other sweep running: what one Lambda does, in this process."""
    reports = []
    for service in Service:
        started = time.perf_counter()
        reports.append(run_sweep(service, settings))
        measure.service_ms.setdefault(service, []).append((time.perf_counter() - started) * 1000)
    return reports


def cli_path(settings: Settings) -> list[SweepReport]:
    """What ``statusmon sweep`` runs: both services side by side, then what the outbox holds."""
    outcome = sweep_and_deliver(settings)
    if outcome.delivery_error:
        raise SystemExit(f"CLI path: delivery failed: {outcome.delivery_error}")
    return outcome.reports


def check(reports: list[SweepReport], what: str) -> None:
    for report in reports:
        if not report.succeeded or report.lost_races:
            raise SystemExit(f"{what}: {report.service.value} sweep did not succeed: {report.summary()}")


def absorb(measure: Measure, reports: list[SweepReport]) -> None:
    """What the sweep's own reports say (every run must cost the same; the last run's counts stay)."""
    measure.transitions = sum(len(r.recorded) for r in reports)
    # The hot watch moves in the same transactions: an in-flight state puts its entry, the end of an
    # in-flight episode deletes it (nothing else is on the watch here: no CloudTrail discovery).
    measure.watch_moves = sum(
        t.new.phase is Phase.IN_FLIGHT or phase(t.new.service, t.previous_status) is Phase.IN_FLIGHT
        for r in reports
        for t in r.recorded
    )
    measure.alerts = sum(r.alerts_queued for r in reports)
    measure.events = sum(r.events_queued for r in reports)
    measure.buckets_read = sum(r.buckets_read for r in reports)
    measure.states_read = max(measure.states_read, sum(r.states_read for r in reports))
    measure.marks_stored = sum(r.marks_stored for r in reports)


def measure_real(
    label: str,
    tools: Instruments,
    settings: Settings,
    runs: int = 1,
    path: Callable[[Settings, Measure], list[SweepReport]] = lambda_path,
) -> Measure:
    measure = Measure(label)
    for _ in range(runs):
        with measuring(tools, measure):
            reports = path(settings, measure)
        check(reports, label)
        absorb(measure, reports)
        # A transition's transaction: state item, history item, its bucket's generation (+ an outbox
        # item for its event, + one for its alert, + its watch entry's put or delete).
        expected = 3 * measure.transitions + measure.events + measure.alerts + measure.watch_moves
        if measure.transact_items != expected:
            raise SystemExit(
                f"{label}: transactions carried {measure.transact_items} items, expected {expected}"
            )
    return measure


def measure_cli(label: str, tools: Instruments, settings: Settings, runs: int) -> Measure:
    def path(settings: Settings, measure: Measure) -> list[SweepReport]:
        measure.concurrent = True
        return cli_path(settings)

    return measure_real(label, tools, settings, runs, path=path)


def expect_quiet(measure: Measure, size: int) -> None:
    """A quiet sweep reads no state and writes nothing; if it does, say so (in the table too)."""
    if measure.states_read:
        measure.note = f"**read {measure.states_read:,} states in {measure.buckets_read} buckets**"
        progress(f"  NOTE: {measure.label} at {size:,} read {measure.states_read:,} states")
    if measure.ddb_writes:
        raise SystemExit(f"{size}: {measure.label} wrote: {measure.ddb}")


class _CollectingTransaction:
    """Stands in for PynamoDB's TransactWrite while bulk-loading: keeps what it would have written."""

    states: list[StateItem]
    generations: Counter[tuple[str, str]]

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
            self.states.append(model)

    def update(self, model: Any, actions: Any, condition: Any = None, return_values: Any = None) -> None:
        if isinstance(model, MarkItem):
            # The transaction adds 1 to the bucket's generation.
            self.generations[(model.pk, model.sk)] += 1


def bulk_load_baseline(tools: Instruments, settings: Settings) -> Measure:
    """The baseline sweep's logic (listing, Describe*, ``detect_changes(..., baseline=True)``,
    ``StatusStore.record``'s item building, the bucket marks) with the writes batched, not transacted.

    The sweep stores each bucket's mark only if the bucket's generation is what its own transactions
    made it: so the collected state items and generations are written just before it does."""
    measure = Measure("baseline, bulk-loaded (see below)")
    states: list[StateItem] = []
    generations: Counter[tuple[str, str]] = Counter()
    written = Counter[str]()

    class Collector(_CollectingTransaction):
        pass

    Collector.states = states
    Collector.generations = generations
    save_marks = StatusStore.save_marks

    def flush() -> None:
        with StateItem.batch_write() as batch:
            for item in states:
                batch.save(item)
        with MarkItem.batch_write() as marks:
            for (pk, sk), count in generations.items():
                marks.save(MarkItem(pk, sk, generation=count))
        written["states"] += len(states)
        written["generations"] += sum(generations.values())
        states.clear()
        generations.clear()

    def flushed_save_marks(store: StatusStore, service: Service, marks: Any) -> int:
        flush()
        return save_marks(store, service, marks)

    with measuring(tools, measure):
        with (
            mock.patch.object(store_module, "TransactWrite", Collector),
            mock.patch.object(StatusStore, "save_marks", flushed_save_marks),
        ):
            reports = [run_sweep(service, settings) for service in Service]
        flush()
    check(reports, "bulk-loaded baseline")
    absorb(measure, reports)
    if not measure.transitions == written["states"] == written["generations"]:
        raise SystemExit(f"bulk load wrote {dict(written)} for {measure.transitions} transitions")
    return measure


def previous_design_read(tools: Instruments) -> Measure:
    """What the sweep read before bucket marks, quiet or not: every state of each service (eventually
    consistent Query pages of the by_service index) and its bookkeeping item (a consistent GetItem)."""
    measure = Measure("previous design: every state + bookkeeping GetItem")
    with measuring(tools, measure):
        for service in Service:
            measure.states_read += sum(1 for _ in StateItem.by_service.query(service_pk(service)))
            with suppress(ServiceItem.DoesNotExist):
                ServiceItem.get(service_pk(service), schema.SERVICE_SK, consistent_read=True)
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


def chained(quiet: Measure) -> tuple[int, int]:
    """Listing pages of the slower service, and its calls one after another: the bookkeeping Query,
    the pages, the rounds of Describe calls (DESCRIBE_WORKERS at a time)."""
    pages = calls = 0
    for listing, describe in SERVICE_OPS.values():
        own_pages = quiet.aws.get(listing, 0)
        rounds = math.ceil(quiet.aws.get(describe, 0) / DESCRIBE_WORKERS)
        pages = max(pages, own_pages)
        calls = max(calls, 1 + own_pages + rounds)
    return pages, calls


# -- one size ----------------------------------------------------------------------------------------


@dataclass
class Options:
    runs: int
    large_runs: int
    large_from: int
    max_real_baseline: int
    max_naive: int

    def runs_for(self, size: int) -> int:
        return self.large_runs if size >= self.large_from else self.runs


def run_size(services: LocalServices, server: ServerTime, size: int, options: Options) -> SizeResult:
    started = time.perf_counter()
    emulator = services.emulator
    pop = population(size)
    runs = options.runs_for(size)
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
    topic = boto3.client("sns").create_topic(Name=TOPIC)["TopicArn"]
    settings = load_settings({"STATUSMON_TABLE_NAME": table, "STATUSMON_TOPIC_ARN": topic})
    try:
        bulk = size > options.max_real_baseline
        if bulk:
            baseline = bulk_load_baseline(tools, settings)
        else:
            baseline = measure_real("baseline (real sweep)", tools, settings, path=one_after_another)
        progress(f"  baseline{' (bulk-loaded)' if bulk else ''}: {baseline.wall_ms[-1] / 1000:.1f} s")

        quiet = measure_real("quiet", tools, settings, runs=runs)
        expect_quiet(quiet, size)
        progress(f"  quiet x{runs}: median {quiet.median_ms:,.0f} ms, {quiet.read_units:g} read units")
        previous = previous_design_read(tools)
        progress(f"  previous design's read: {previous.read_units:,g} RCU, {previous.median_ms:,.0f} ms")
        naive = None
        if size <= options.max_naive:
            naive = naive_sweep(tools, store)
            progress(f"  naive: {naive.wall_ms[-1] / 1000:.1f} s")

        cli_in_process = measure_cli("quiet, CLI path", tools, settings, runs)
        with latency(emulator, LATENCY_MS):
            lambda_20 = measure_real(f"quiet, Lambda path, {LATENCY_MS} ms per call", tools, settings, runs)
            cli_20 = measure_cli(f"quiet, CLI path, {LATENCY_MS} ms per call", tools, settings, runs)
            alone = measure_real(
                f"quiet, each alone, {LATENCY_MS} ms per call", tools, settings, runs, each_alone
            )
        for measure in (cli_in_process, lambda_20, cli_20, alone):
            expect_quiet(measure, size)
        pages, calls = chained(quiet)
        timing = Latency(lambda_20, cli_20, cli_in_process, alone, chained_pages=pages, chained_calls=calls)
        progress(
            f"  at {LATENCY_MS} ms per call: Lambda path {lambda_20.median_ms:,.0f} ms, "
            f"CLI path {cli_20.median_ms:,.0f} ms"
        )

        emulator.advance(CHANGE_AFTER_SECONDS)
        changed = measure_real(f"~1% changed ({pop.changing})", tools, settings)
        if changed.transitions != pop.changing:
            raise SystemExit(f"{size}: expected {pop.changing} transitions, recorded {changed.transitions}")
        changed.label = f"~1% changed ({pop.changing}; {changed.alerts} alerts queued)"
        progress(f"  changed: {changed.wall_ms[-1] / 1000:.1f} s")
        quiet_after = measure_real("quiet again, after the change", tools, settings)
        expect_quiet(quiet_after, size)

        emulator.advance(CHANGE_AFTER_SECONDS)
        single = measure_real("one resource changed", tools, settings)
        if single.transitions != pop.late_jobs:
            raise SystemExit(f"{size}: expected {pop.late_jobs} transition, recorded {single.transitions}")
        progress(f"  single change: {single.wall_ms[-1]:,.0f} ms")
    finally:
        boto3.client("dynamodb").delete_table(TableName=table)
        settle()
    return SizeResult(
        population=pop,
        baseline=baseline,
        baseline_bulk_loaded=bulk,
        quiet=quiet,
        previous=previous,
        naive=naive,
        latency=timing,
        changed=changed,
        quiet_after=quiet_after,
        single=single,
        runs=runs,
        seed_s=seed_s,
        total_s=time.perf_counter() - started,
    )


# -- figures for a cost model ------------------------------------------------------------------------


def _sweep_figures(measure: Measure) -> dict[str, Any]:
    return {
        "aws_calls": measure.aws_total,
        "aws_calls_by_operation": dict(sorted(measure.aws.items())),
        "dynamodb_requests": measure.ddb_total,
        "dynamodb_requests_by_operation": dict(sorted(measure.ddb.items())),
        "read_units": measure.read_units,
        "write_units": measure.write_units,
        "index_write_units_at_least": measure.index_write_units,
        "transitions": measure.transitions,
        "states_read": measure.states_read,
    }


def quiet_sweep_figures(results: list[SizeResult]) -> list[dict[str, Any]]:
    """Per size, what one sweep of both services costs: quiet, with ~1% changed, with one change; and
    the quiet sweep's wall time at LATENCY_MS per call. For a cost model to read (``--json``)."""
    return [
        {
            "resources": r.population.size,
            "projects": r.population.projects,
            "import_jobs": r.population.jobs,
            "quiet": _sweep_figures(r.quiet),
            "changed": _sweep_figures(r.changed),
            "single_change": _sweep_figures(r.single),
            "previous_design_quiet_read": _sweep_figures(r.previous),
            "latency_ms_per_call": LATENCY_MS,
            "quiet_wall_ms_lambda_path": r.latency.lambda_path.median_ms,
            "quiet_wall_ms_lambda_path_by_service": {
                s.value: r.latency.lambda_path.median_service_ms(s) for s in Service
            },
            "quiet_wall_ms_cli_path": r.latency.cli_path.median_ms,
            "quiet_wall_ms_each_service_alone": {
                s.value: r.latency.alone.median_service_ms(s) for s in Service
            },
            "quiet_in_process_ms_lambda_path": r.quiet.median_ms,
        }
        for r in results
    ]


# -- report ------------------------------------------------------------------------------------------

LISTED = ("DescribeProjects", "ListDatasetImportJobs", "DescribeDataset", "DescribeDatasetImportJob")


def measures(result: SizeResult) -> list[Measure]:
    found = [result.baseline, result.quiet, result.naive, result.changed, result.quiet_after, result.single]
    return [m for m in found if m is not None]


def size_cell(result: SizeResult) -> str:
    pop = result.population
    return f"{pop.size:,} ({pop.projects:,} + {pop.jobs:,})"


def label_cell(measure: Measure) -> str:
    return measure.label + (f" ({measure.note})" if measure.note else "")


def ddb_cell(measure: Measure, operations: tuple[str, ...] = DDB_READS + DDB_WRITES) -> str:
    parts = [f"{measure.ddb[op]:,} {op}" for op in operations if measure.ddb.get(op)]
    return ", ".join(parts) if parts else "0"


def units(value: float) -> str:
    return f"{value:,.1f}" if value % 1 else f"{value:,.0f}"


def states_cell(measure: Measure) -> str:
    if not measure.buckets_read:
        return f"{measure.states_read:,}"
    return f"{measure.states_read:,} ({measure.buckets_read})"


def calls_table(results: list[SizeResult]) -> str:
    rows = [
        "| resources (P + J) | sweep | DescribeProjects | ListDatasetImportJobs | DescribeDataset "
        "| DescribeDatasetImportJob | DynamoDB requests | items read | read units | write units "
        "| index write units (at least) | states read (buckets) | items written |",
        "|---|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|",
    ]
    for result in results:
        for measure in measures(result):
            rows.append(
                f"| {size_cell(result)} | {label_cell(measure)} | "
                + " | ".join(f"{measure.aws_op(op):,}" for op in LISTED)
                + f" | {ddb_cell(measure)} | {measure.items_read:,} | {units(measure.read_units)} "
                f"| {units(measure.write_units)} | {units(measure.index_write_units)} "
                f"| {states_cell(measure)} | {measure.items_written:,} |"
            )
    return "\n".join(rows)


def share(part: float, whole: float) -> str:
    if not whole:
        return "-"
    value = 100 * part / whole
    return f"{value:.2f}%" if value < 10 else f"{value:.0f}%"


def read_table(results: list[SizeResult]) -> str:
    rows = [
        "| resources (P + J) | quiet sweep: DynamoDB requests | items read | read units "
        "| previous design: DynamoDB requests | items read | read units | quiet / previous (read units) "
        "| states read by the quiet sweep |",
        "|---|---|--:|--:|---|--:|--:|--:|--:|",
    ]
    for result in results:
        quiet, previous = result.quiet, result.previous
        rows.append(
            f"| {size_cell(result)} | {ddb_cell(quiet)} | {quiet.items_read:,} | {units(quiet.read_units)} "
            f"| {ddb_cell(previous)} | {previous.items_read:,} | {units(previous.read_units)} "
            f"| {share(quiet.read_units, previous.read_units)} | {quiet.states_read:,} |"
        )
    return "\n".join(rows)


def bounds_table(results: list[SizeResult]) -> str:
    """The issue's bounds for the quiet sweep, against what was measured."""
    rows = [
        "| resources | DescribeProjects (bound ceil(P/100)) | ListDatasetImportJobs (bound ceil(J/100)) "
        "| Describe* (bound: failed + in flight) | DynamoDB requests (bound: one per service) "
        "| DynamoDB writes | states read | read units / previous design (goal at 10,000: <= 1%) "
        "| AWS calls naive / quiet | DynamoDB requests naive / quiet |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]

    def mark(ok: bool) -> str:
        return "ok" if ok else "**over**"

    for result in results:
        pop, quiet, naive = result.population, result.quiet, result.naive
        describes = quiet.aws_op("DescribeDataset") + quiet.aws_op("DescribeDatasetImportJob")
        in_flight = pop.in_flight_datasets + pop.in_flight_jobs + pop.changing + pop.late_jobs
        allowed = pop.failed_datasets + pop.failed_jobs + in_flight
        bound_p, bound_j = math.ceil(pop.projects / PAGE), math.ceil(pop.jobs / PAGE)
        projects, jobs = quiet.aws_op("DescribeProjects"), quiet.aws_op("ListDatasetImportJobs")
        writes = quiet.ddb_writes + result.quiet_after.ddb_writes
        ratio = quiet.read_units / result.previous.read_units if result.previous.read_units else 0.0
        goal = f" {mark(ratio <= GOAL_READ_SHARE)}" if pop.size == 10_000 else ""
        naive_cells = (
            f"{naive.aws_total:,} / {quiet.aws_total:,} | {naive.ddb_total:,} / {quiet.ddb_total:,}"
            if naive
            else f"not run / {quiet.aws_total:,} | not run / {quiet.ddb_total:,}"
        )
        rows.append(
            f"| {pop.size:,} | {projects} ({bound_p}) {mark(projects <= bound_p)} "
            f"| {jobs} ({bound_j}) {mark(jobs <= bound_j)} "
            f"| {describes} (<= {allowed}) {mark(describes <= allowed)} "
            f"| {quiet.ddb_total} {mark(quiet.ddb_total <= len(Service))} "
            f"| {writes} {mark(writes == 0)} "
            f"| {quiet.states_read:,} {mark(quiet.states_read == 0)} "
            f"| {share(quiet.read_units, result.previous.read_units)}{goal} "
            f"| {naive_cells} |"
        )
    return "\n".join(rows)


def wall_table(results: list[SizeResult]) -> str:
    rows = [
        f"| resources (P + J) | Lambda path at {LATENCY_MS} ms: slower service (Custom Labels / Personalize) "
        f"| CLI path at {LATENCY_MS} ms "
        f"| each service alone at {LATENCY_MS} ms (Custom Labels / Personalize) "
        f"| floor: listing pages x {LATENCY_MS} ms "
        f"| chained calls x {LATENCY_MS} ms | in-process: Lambda path at 0 ms | in-process: CLI path at 0 ms "
        f"| in-process share (Lambda path) | goal <= {GOAL_WALL_S:g} s (10,000 + 10,000) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for result in results:
        timing, pop = result.latency, result.population
        lam, cli = timing.lambda_path, timing.cli_path
        each = " / ".join(f"{lam.median_service_ms(s):,.0f}" for s in Service)
        alone = " / ".join(f"{timing.alone.median_service_ms(s):,.0f}" for s in Service)
        goal = ""
        if pop.projects >= 10_000 and pop.jobs >= 10_000:
            goal = "ok" if lam.median_ms <= GOAL_WALL_S * 1000 else "**over**"
            goal += " / " + ("ok" if cli.median_ms <= GOAL_WALL_S * 1000 else "**over**")
        rows.append(
            f"| {size_cell(result)} | {lam.median_ms:,.0f} ({each}) | {cli.median_ms:,.0f} | {alone} "
            f"| {timing.chained_pages * LATENCY_MS:,} | {timing.chained_calls * LATENCY_MS:,} "
            f"| {result.quiet.median_ms:,.0f} | {timing.cli_in_process.median_ms:,.0f} "
            f"| {share(result.quiet.median_ms, lam.median_ms)} | {goal or '-'} |"
        )
    return "\n".join(rows)


def time_table(results: list[SizeResult]) -> str:
    rows = [
        "| resources (P + J) | sweep | wall time (ms) | in moto DynamoDB (ms) | of which moto "
        "TransactWriteItems (ms) | in the emulator (ms) | client side (ms) |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for result in results:
        for measure in [*measures(result), result.previous]:
            wall = measure.median_ms
            moto = measure.median_server_ms("moto_dynamodb")
            transact = measure.median_server_ms("moto_transact")
            emulator = measure.median_server_ms("emulator")
            runs = f" (median of {len(measure.wall_ms)})" if len(measure.wall_ms) > 1 else ""
            client = "-" if measure.concurrent else f"{max(wall - moto - emulator, 0.0):,.0f}"
            rows.append(
                f"| {size_cell(result)} | {label_cell(measure)} | {wall:,.0f}{runs} | {moto:,.0f} "
                f"| {transact:,.0f} | {emulator:,.0f} | {client} |"
            )
    return "\n".join(rows)


def cost_table(results: list[SizeResult]) -> str:
    rows = [
        "| resources | sweep | AWS calls | DynamoDB requests | read units | write units "
        f"| index write units (at least) | quiet sweep's wall time, Lambda path at {LATENCY_MS} ms |",
        "|--:|---|--:|--:|--:|--:|--:|--:|",
    ]
    for result in results:
        wall = f"{result.latency.lambda_path.median_ms:,.0f} ms"
        for name, measure in (
            ("quiet", result.quiet),
            (f"~1% changed ({result.changed.transitions})", result.changed),
            ("one change", result.single),
        ):
            rows.append(
                f"| {result.population.size:,} | {name} | {measure.aws_total:,} | {measure.ddb_total:,} "
                f"| {units(measure.read_units)} | {units(measure.write_units)} "
                f"| {units(measure.index_write_units)} | {wall if name == 'quiet' else ''} |"
            )
    return "\n".join(rows)


def population_table(results: list[SizeResult]) -> str:
    rows = [
        "| resources | projects (1 TRAIN dataset each) | import jobs | failed (datasets + jobs) "
        "| in flight for good | in flight, then changed | then the single change | quiet runs "
        "| seeding (s) | whole size (s) |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for result in results:
        pop = result.population
        rows.append(
            f"| {pop.size:,} | {pop.projects:,} | {pop.jobs:,} | {pop.failed_datasets} + {pop.failed_jobs} "
            f"| {pop.in_flight_datasets} + {pop.in_flight_jobs} "
            f"| {pop.changing_datasets} + {pop.changing_jobs} | 0 + {pop.late_jobs} | {result.runs} "
            f"| {result.seed_s:.2f} | {result.total_s:.0f} |"
        )
    return "\n".join(rows)


def bulk_note(results: list[SizeResult]) -> str:
    bulk = [f"{r.population.size:,}" for r in results if r.baseline_bulk_loaded]
    if not bulk:
        return ""
    return (
        f"\n\n**Bulk-loaded rows.** The baseline rows for {', '.join(bulk)} resources are not the real "
        "baseline sweep, whose one transaction per new resource would take hours under moto at these "
        "sizes. The bulk load runs the real sweep code (listing, a Describe* per new resource, "
        "`detect_changes(..., baseline=True)`, the items `StatusStore.record` builds, the bucket "
        "digests) with PynamoDB's TransactWrite swapped for a collector. Just before the sweep stores "
        "its bucket marks (`StatusStore.save_marks`, real conditional UpdateItems), the collected "
        "current-state items go in with `StateItem.batch_write()` and each bucket's generation (the "
        "number of transitions its transactions would have added) with `MarkItem.batch_write()` "
        "(BatchWriteItem, 25 items a call): so the marks are stored as the real baseline stores them, "
        "and the next sweep is quiet. The per-service bookkeeping item is the real PutItem. History items "
        "are not written (a sweep never reads them). So its AWS calls are the real baseline's; its "
        "DynamoDB writes and time are not (the real baseline makes one TransactWriteItems per resource, "
        "as the real rows show). `--max-real-baseline N` runs the real baseline up to N resources."
    )


def naive_note(results: list[SizeResult]) -> str:
    skipped = [f"{r.population.size:,}" for r in results if r.naive is None]
    if not skipped:
        return ""
    return (
        f" The naive sweep was not run at {', '.join(skipped)} resources (`--max-naive`): it makes one "
        "Describe* and one GetItem per resource, so its cost there is that count, and its time grows "
        "with it."
    )


def seconds(milliseconds: float) -> str:
    return f"{milliseconds / 1000:.1f} s" if milliseconds >= 1000 else f"{milliseconds:,.0f} ms"


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def findings(results: list[SizeResult]) -> str:
    """What the run shows, from its own figures."""
    lines: list[str] = []
    quiet_reads = {r.quiet.ddb_total for r in results}
    reading = [f"{r.population.size:,}" for r in results if r.quiet.states_read]
    lines.append(
        "A quiet sweep makes "
        + (f"{quiet_reads.pop()} DynamoDB requests" if len(quiet_reads) == 1 else "these DynamoDB requests")
        + " at every size here (one strongly consistent Query of each service's bookkeeping and bucket "
        "marks), "
        + (
            "reads no state and writes nothing."
            if not reading
            else f"writes nothing, but **read states at {', '.join(reading)} resources** (see the table)."
        )
    )
    parts = [f"{share(r.quiet.read_units, r.previous.read_units)} at {r.population.size:,}" for r in results]
    biggest = max(results, key=lambda r: r.population.size)
    quiet, previous = biggest.quiet, biggest.previous
    per_item = quiet.bytes_read / quiet.items_read if quiet.items_read else 0.0
    per_state = previous.bytes_read / previous.items_read if previous.items_read else 0.0
    lines.append(
        "Its read units against what the previous design read for the same quiet sweep: "
        + "; ".join(parts)
        + f". The marks' Query reads at most {BUCKETS} marks and the bookkeeping item per service, "
        f"whatever the number of resources: at {biggest.population.size:,} resources "
        f"{quiet.items_read:,} items of {per_item:,.0f} bytes on average ({quiet.bytes_read / 1024:,.1f} KB "
        f"for both services, {units(quiet.read_units)} read units: strongly consistent, rounded up to "
        f"4 KB per Query), while the previous design read every state ({per_state:,.0f} bytes on "
        f"average, {units(previous.read_units)} read units there)."
    )
    walls = [
        f"{seconds(r.latency.lambda_path.median_ms)} at {r.population.size:,} (floor "
        f"{seconds(r.latency.chained_pages * LATENCY_MS)}; "
        f"{seconds(r.quiet.median_ms)} without added latency)"
        for r in results
    ]
    lines.append(
        f"At {LATENCY_MS} ms per call, the quiet sweep's Lambda path takes "
        + "; ".join(walls)
        + ". The floor is the listing pages of the larger service, one after another; the rest is the "
        f"Describe calls of failed datasets ({DESCRIBE_WORKERS} at a time), the bookkeeping Query, and "
        "in-process work (parsing the pages, digests), which here shares two CPUs and one process with "
        "the other service's sweep, moto and the emulator."
    )
    by_size = {r.population.size: r for r in results}
    for r in results:
        if r.population.projects == r.population.jobs == 10_000:
            lam, cli = r.latency.lambda_path.median_ms, r.latency.cli_path.median_ms
            alone = " and ".join(
                f"{seconds(r.latency.alone.median_service_ms(s))} ({s.value})" for s in Service
            )
            lines.append(
                f"The goal of at most {GOAL_WALL_S:g} s for a quiet sweep at 10,000 projects + 10,000 jobs: "
                f"Lambda path {seconds(lam)} ({met(lam <= GOAL_WALL_S * 1000)}), CLI path {seconds(cli)} "
                f"({met(cli <= GOAL_WALL_S * 1000)}); each service's sweep alone (no other sweep in the "
                f"process) took {alone}."
            )
    if 10_000 in by_size:
        r = by_size[10_000]
        ratio = r.quiet.read_units / r.previous.read_units if r.previous.read_units else 0.0
        also = ""
        if 20_000 in by_size:
            big = by_size[20_000]
            ratio_big = share(big.quiet.read_units, big.previous.read_units)
            also = f"; at 10,000 projects + 10,000 jobs: {ratio_big}"
        lines.append(
            f"The goal of at most {GOAL_READ_SHARE:.0%} of today's read units at 10,000 resources: "
            f"{share(r.quiet.read_units, r.previous.read_units)} ({met(ratio <= GOAL_READ_SHARE)}){also}."
        )
    changed = [
        f"{r.changed.buckets_read} buckets and {r.changed.states_read:,} states "
        f"({share(r.changed.states_read, r.population.size)} of them; "
        f"{share(r.changed.read_units, r.previous.read_units)} of the previous design's read units) for "
        f"{r.changed.transitions} changes at {r.population.size:,}"
        for r in results
    ]
    lines.append(
        "When ~1% changed, the sweep reads only the buckets whose listing differs from their mark "
        f"(or everything, when more than half of a service's {BUCKETS} differ): "
        + "; ".join(changed)
        + ". Changes fall into buckets at random: with c changes in a service, about 1 - e^(-c/"
        f"{BUCKETS}) of its buckets differ, so the share of states read grows quickly with the number of "
        "changes per sweep. One change reads one bucket: "
        + "; ".join(f"{plural(r.single.states_read, 'state')} at {r.population.size:,}" for r in results)
        + "."
    )
    return "\n\n".join(lines)


def render(
    results: list[SizeResult], command: str, elapsed_s: float, options: Options, load: str = ""
) -> str:
    large = [f"{r.population.size:,}" for r in results if r.runs != options.runs]
    runs_note = (
        f"Quiet sweeps run {options.runs} times per size ({options.large_runs} at {', '.join(large)}: "
        "`--large-runs`, to keep the run short), medians; every other sweep runs once."
        if large
        else f"Quiet sweeps run {options.runs} times per size (medians); every other sweep runs once."
    )
    return f"""## Sweep

What one sweep of both services (Rekognition Custom Labels datasets and Personalize dataset
import jobs) costs as the account grows: AWS calls, DynamoDB requests, read and write units, and
wall time with {LATENCY_MS} ms per AWS call, for the real sweep (`statusmon.logic.run.run_sweep`, both
services started at once in two threads, as their two poll Lambdas run), for what the previous
design read, and for a naive sweep written in the bench. Local only: moto server (DynamoDB) and the
statusmon emulator, both started in-process on a frozen clock. Figures below are from one run of
`bench/sweep_bench.py`; rerun it rather than editing them.

```console
$ make bench    # this benchmark, then the delivery one
$ {command}    # what make bench ran for the figures below
```

Machine: {machine()}; {versions()}. Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {elapsed_s:.0f} s
in all{load}. {runs_note}

### Seeded accounts

Half the resources are Custom Labels datasets (one TRAIN dataset per project, so P = N/2
projects), half are Personalize import jobs (J = N/2) in one dataset, seeded in bulk through
`Emulator.seed`. About 1% are failed, a few are in flight for good, and about 1% are in flight
until the bench advances the emulator's clock by {CHANGE_AFTER_SECONDS:.0f} s, when they finish (one in
five fails); one more import job finishes when the clock is advanced a second time (the single
change). The sweeps run in this order on one table per size: baseline, quiet (Lambda path), the
previous design's read, naive, quiet (CLI path), quiet with {LATENCY_MS} ms per call (Lambda path, CLI
path, each service alone), clock advanced, ~1% changed, quiet again, clock advanced, one change.

{population_table(results)}

### A quiet sweep's reads, against the previous design

{read_table(results)}

The previous design read, on every sweep, every current state of each service (eventually
consistent Query pages of the by_service index, up to 1 MB each) and the service's bookkeeping item
(a strongly consistent GetItem). It is measured here on the same table, right after the quiet
sweep (its index sort keys are now `<bucket>#<arn>`, 3 bytes longer than the bare ARN it used).
Now a quiet sweep reads, per service, one strongly consistent Query of the service's partition: its
bookkeeping item and one mark per bucket ({BUCKETS} at most), and no state.

### Calls, requests and capacity units per sweep (both services)

{calls_table(results)}

AWS calls are the emulator's own counts. DynamoDB requests are API calls by operation, counted by a
botocore `before-call` handler on the clients PynamoDB uses (a Query call is one page of at most
1 MB; a BatchWriteItem carries up to 25 items). "Items read" are the items the Query pages returned.
"States read" are what the sweeps' reports say they read (with the number of buckets): a quiet
sweep must read none. "Items written" counts the items the write requests carried: a transition is
its current-state item, its history item and its bucket's generation (an update) in one
TransactWriteItems, plus an outbox item for its state-change event (every transition but a
baseline's) and one when it alerts (a failure does: see "alerts queued"; the delivery section below
measures what delivering them costs); each bucket whose mark a sweep stores
is one conditional UpdateItem, and the baseline also puts one bookkeeping item per service. The
naive sweep lists the same pages, then makes one DescribeDataset / DescribeDatasetImportJob and one
GetItem per resource, and writes nothing.{naive_note(results)}{bulk_note(results)}

### Read and write units: how they are computed

moto does not report consumed capacity (asked for it, it answers a constant), so the bench computes
it from the items themselves with DynamoDB's documented rules:

* item size: the sum of each attribute's name (UTF-8 bytes) and value: strings their UTF-8 bytes,
  numbers 1 byte per two significant digits plus 1, booleans and nulls 1, lists and maps 3 bytes
  plus 1 byte per element plus the elements (["DynamoDB item sizes and
  formats"](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html));
* reads: a Query page costs the summed size of the items it returns, rounded up to the next 4 KB,
  1 unit per 4 KB when strongly consistent and half that when eventually consistent; a GetItem
  rounds its one item up to 4 KB; a read that returns nothing still costs one 4 KB unit
  (["Capacity unit consumption for read
  operations"](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html));
* writes: 1 unit per 1 KB of each item written, rounded up per item (BatchWriteItem too); 2 per KB
  for each item of a TransactWriteItems, which DynamoDB prepares and then commits (["Capacity
  management for
  transactions"](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html)).
  An updated item is sized as PynamoDB's ALL_NEW answer returns it; a bucket generation updated in
  a transaction is sized from its key and value (it is under 100 bytes: 1 KB either way);
* "index write units (at least)": the global secondary index writes a put causes, one per index
  whose key the item carries, 1 per KB (["Provisioned throughput considerations for global secondary
  indexes"](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html)); an update
  that moves or removes an index entry costs more, which is not counted. On-demand tables bill the
  same units as read and write request units.

### The issue's bounds, for the quiet sweep

{bounds_table(results)}

Describe* may go to failed or in-flight resources only; statusmon describes failed Custom Labels
datasets on every sweep (a repeated UPDATE_FAILED shows only in DescribeDataset's
LastUpdatedTimestamp) and nothing else that is unchanged. "DynamoDB writes" counts both quiet
sweeps: before and after the change.

### Wall time at {LATENCY_MS} ms per AWS call

{wall_table(results)}

Every AWS call waits {LATENCY_MS} ms before it is answered: the emulator's Rekognition and
Personalize calls (`set_faults(latency_ms={LATENCY_MS})`) and moto's DynamoDB requests alike; both
servers answer each request in its own thread, so calls made side by side wait side by side. The
Lambda path starts both services' `run_sweep` at once in two threads, as the two poll Lambdas run,
and takes as long as the slower one (each one's own time in brackets); the CLI path is
`sweep_and_deliver` (the same two sweeps in threads, then the outbox read); "each service alone"
runs one service's sweep with no other sweep in the process (closer to one Lambda, which has its
own process; moto and the emulator still share this one). Medians of the quiet
runs. The floor is the slower service's listing pages, which must follow each other ({PAGE}
resources a page); "chained calls" adds that service's bookkeeping Query and its rounds of
Describe calls ({DESCRIBE_WORKERS} at a time). "In-process" is the same quiet sweep with no added
latency (loopback moto and emulator on this machine, sharing its CPUs with the sweeps): what is
not waiting on the network; its share is against the Lambda path's time at {LATENCY_MS} ms. In
Lambda the two sweeps run in separate functions; here they share one process (and its GIL) and
the machine's CPUs with moto and the emulator.

### Time per sweep (no added latency)

{time_table(results)}

"In moto DynamoDB" and "in the emulator" are the time their request handlers took, summed over
requests (they run in threads of the bench process, so they share its CPUs; requests served side by
side add up, and can exceed the wall time). "Client side" is the rest of the wall time (botocore,
PynamoDB and statusmon itself) for the sweeps that make one call at a time; "-" for those that run
both services side by side.

Two of moto's costs grow with the whole table, not with what a request reads or writes, and are
cut down in the bench (`benchkit.lean_moto`); what moto stores and answers stays the same. Its
TransactWriteItems deep-copies the whole table for every item of every transaction (to roll back a
cancelled one), seconds per transition at these sizes: the bench copies instead the items the
transaction touches and the stream's length (moto's own code still checks, writes and cancels). Its
Query sorts the whole table, then what it matched, with comparisons of its typed values: the bench
sorts on the key strings, the same order. moto still scans the whole table for every Query (AWS reads
only the partition asked for), so the "in moto" times still grow with the table here and not in AWS.
moto also keeps every model instance it creates for its dashboard; the bench empties that registry
(moto's `reset_model_data`) after each TransactWriteItems and between sweeps.

### For a cost model

{cost_table(results)}

Per sweep of both services; the write units are the table's, the index write units come on top.
`bench/sweep_bench.py --json FILE` writes these figures (and the calls by operation) as JSON;
`quiet_sweep_figures(results)` returns them.

### What the numbers show

{findings(results)}

The times are local loopback times plus the added latency, not AWS latencies, and the in-process
part runs on this machine's CPUs together with moto and the emulator. What carries over to AWS is
the call and request counts and the capacity units; in AWS each call is a network round trip,
which is what the naive sweep multiplies.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        default="100,1000,10000,20000,30000",
        help="comma list of resource counts (half datasets, half import jobs); default "
        "100,1000,10000,20000,30000 (20,000 is 10,000 projects + 10,000 jobs)",
    )
    parser.add_argument("--runs", type=int, default=3, help="quiet sweeps per size (median wall time)")
    parser.add_argument(
        "--large-runs", type=int, default=2, help="quiet sweeps per size from --large-from on (default 2)"
    )
    parser.add_argument(
        "--large-from", type=int, default=20_000, help="sizes from which --large-runs applies (default 20000)"
    )
    parser.add_argument(
        "--max-real-baseline",
        type=int,
        default=100,
        help="largest size whose baseline is the real transactional sweep; bigger ones are "
        "bulk-loaded (default 100: the real one takes minutes at 1,000 under moto)",
    )
    parser.add_argument(
        "--max-naive",
        type=int,
        default=10_000,
        help="largest size the naive sweep runs at (default 10000: it takes minutes above)",
    )
    parser.add_argument(
        "--output",
        default=str(DEFAULT_OUTPUT),
        help="markdown file whose sweep section to rewrite (default docs/benchmarks.md); '-' only prints it",
    )
    parser.add_argument("--json", default="", help="also write the cost-model figures to this JSON file")
    args = parser.parse_args(argv)
    try:
        args.size_list = [int(part.replace("_", "")) for part in args.sizes.split(",") if part.strip()]
    except ValueError:
        parser.error(f"--sizes: expected a comma list of integers, got {args.sizes!r}")
    if not args.size_list or min(args.size_list) < 2:
        parser.error("--sizes: every size must be at least 2")
    if args.runs < 1 or args.large_runs < 1:
        parser.error("--runs and --large-runs must be at least 1")
    return args


def command_line(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return shlex.join([".venv/bin/python", "bench/sweep_bench.py", *args])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(
        runs=args.runs,
        large_runs=args.large_runs,
        large_from=args.large_from,
        max_real_baseline=args.max_real_baseline,
        max_naive=args.max_naive,
    )
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    results: list[SizeResult] = []
    server = ServerTime()
    with (
        lean_moto(),
        server.installed(),
        local_services(frozen_clock=True) as services,
        patched_environment(services.environment()),
    ):
        for size in args.size_list:
            progress(f"{size:,} resources")
            results.append(run_size(services, server, size, options))
    elapsed = time.perf_counter() - started
    load = f"; load average (1 min) {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    document = render(results, command_line(argv), elapsed, options, load)
    print(document)
    if args.json:
        Path(args.json).write_text(json.dumps(quiet_sweep_figures(results), indent=2) + "\n")
        progress(f"wrote the cost-model figures to {args.json}")
    if args.output != "-":
        write_section(Path(args.output), "sweep", document)
        progress(f"wrote its section of {args.output} after {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
