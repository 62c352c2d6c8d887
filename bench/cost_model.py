"""What statusmon costs a month: list prices x what the stack creates x what it is asked to do.

Pure arithmetic, no AWS call. Three inputs, kept apart so each can come from where it is known:

* :class:`StackFacts`, read from a synthesized CloudFormation template (``StackFacts.from_template``):
  the functions (memory, architecture, tracing, whether they emit custom metrics, the schedule that
  invokes them), the alarms and the metrics each one reads, dashboards, KMS keys, whether the table's
  and the topic's keys are KMS keys of the account (their requests are billed), PITR. Nothing here is
  counted by hand: a profile is priced from the template it synthesizes to.
* :class:`Workload`, what one month asks of the stack: per-sweep DynamoDB read units and requests,
  billed seconds per invocation, transitions and alerts, log bytes. The sweep benchmark
  (``bench/sweep_bench.py``) measures the request counts; pass them in.
* :data:`PRICES`, every price in one place, with the date they were taken.

``monthly_cost(facts, workload)`` gives a :class:`Bill` (one :class:`Line` per item), ``cost_table``
renders bills side by side as markdown, and ``python bench/cost_model.py [--write]`` synthesizes the
default and "everything on" profiles and prints (or writes into docs/costs.md) the cost table.

No free tier is subtracted (Lambda's 400,000 GB-s, X-Ray's 100,000 traces, KMS's 20,000 requests,
CloudWatch's 10 metrics, 10 alarms and 3 dashboards are per account, and often used by something
else): these are the prices of a busy account. Custom metrics are charged as if emitted every hour
(the sweep's are; ``AlertsSent`` is only in hours with an alert, so it costs less than counted).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "functions") not in sys.path:  # run as a script: the statusmon package, installed or not
    sys.path.insert(0, str(ROOT / "functions"))

from statusmon import metric_names as names  # noqa: E402

KIB = 1024
GIB = KIB**3
QUERY_PAGE_BYTES = 1024 * KIB  # DynamoDB returns at most 1 MB per Query page


@dataclass(frozen=True)
class Prices:
    """US East (N. Virginia) list prices in USD. DynamoDB's on-demand prices are those of issue 10;
    the others are from the services' pricing pages. Check them for your region before relying on them."""

    as_of: str = "2026-11-26"
    region: str = "us-east-1"
    lambda_request: float = 0.20 / 1e6
    lambda_gb_second_arm64: float = 0.0000133334
    lambda_gb_second_x86_64: float = 0.0000166667
    dynamodb_read_unit: float = 0.125 / 1e6  # on-demand read request unit
    dynamodb_write_unit: float = 0.625 / 1e6  # on-demand write request unit
    dynamodb_storage_gb_month: float = 0.25
    dynamodb_pitr_gb_month: float = 0.20
    sns_publish: float = 0.50 / 1e6
    sns_email: float = 2.00 / 1e5
    cloudwatch_metric_month: float = 0.30  # custom metric, first 10,000
    cloudwatch_alarm_metric_month: float = 0.10  # standard resolution, per metric an alarm reads
    cloudwatch_high_resolution_alarm_metric_month: float = 0.30
    cloudwatch_dashboard_month: float = 3.00
    logs_ingestion_gb: float = 0.50
    xray_trace_recorded: float = 5.00 / 1e6
    kms_key_month: float = 1.00
    kms_request: float = 0.03 / 1e4
    eventbridge_event: float = 1.00 / 1e6  # custom events put, per 64 KB chunk


PRICES = Prices()


# -- what the stack creates, from its template -------------------------------------------------------

POLL_HANDLER = re.compile(r"^statusmon\.handlers\.poll_(?P<source>[a-z]+)\.handler$")
DELIVERY_HANDLERS = frozenset({"statusmon.handlers.notify.handler", "statusmon.handlers.redrive.handler"})
# The hot watch (on a one-minute schedule) and CloudTrail discovery (one run per recorded call): neither
# emits custom metrics.
WATCH_HANDLER = "statusmon.handlers.watch.handler"
DISCOVER_HANDLER = "statusmon.handlers.discover.handler"
# The failure summariser (no alarms): one run per failure record Lambda sends it; no custom metrics.
OPS_HANDLER = "statusmon.handlers.ops.handler"
QUIET_HANDLERS = frozenset({WATCH_HANDLER, DISCOVER_HANDLER, OPS_HANDLER})
# The metrics a handler emits on every run, when custom metrics are on. A poller's carry its source as
# a dimension (one series per watched service); AlertsSent, from either deliverer, does not.
SWEEP_METRICS = (
    names.RESOURCES_SEEN,
    names.TRANSITIONS,
    names.AWS_CALLS,
    names.THROTTLES,
    names.READ_FAILURES,
    names.SWEEP_DURATION,
    names.SWEEP_SUCCEEDED,
)
DELIVERY_METRICS = (names.ALERTS_SENT,)
# Emitted only in a month that meets an unknown status string: not a standing cost.
OCCASIONAL_METRICS = (names.UNKNOWN_STATUSES,)

_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class FunctionFacts:
    logical_id: str
    handler: str
    memory_mb: int
    arm64: bool
    traced: bool
    custom_metrics: bool
    schedule_seconds: int | None  # the rate of the rule that invokes it; None: not scheduled
    # The sweep's deep check (statusmon.logic.sweep.DeepCheck), as its environment sets it: every
    # complete dataset described once in this many hours (0: off).
    deep_check_hours: float = 0.0

    @property
    def source(self) -> str | None:
        """The watched service of a poll function, None for any other."""
        match = POLL_HANDLER.match(self.handler)
        return match["source"] if match else None

    @property
    def metric_series(self) -> set[tuple[str, str | None]]:
        """(metric name, source dimension) of each custom metric series it emits every run."""
        if not self.custom_metrics:
            return set()
        if self.source is not None:
            return {(name, self.source) for name in SWEEP_METRICS}
        if self.handler in DELIVERY_HANDLERS:
            return {(name, None) for name in DELIVERY_METRICS}
        if self.handler in QUIET_HANDLERS:
            return set()
        raise ValueError(f"unknown handler {self.handler!r}: say what metrics it emits in cost_model")


@dataclass(frozen=True)
class StackFacts:
    functions: tuple[FunctionFacts, ...]
    alarms: int
    alarm_metrics: int  # standard resolution metrics read by the alarms (what CloudWatch bills)
    high_resolution_alarm_metrics: int
    dashboards: int
    kms_keys: int
    table_key_billed: bool  # the table is under a KMS key of the account (aws/dynamodb or its own)
    topic_key_billed: bool  # the alert topic is under a KMS key of the account (aws/sns or its own)
    pitr: bool

    @property
    def metric_series(self) -> int:
        series: set[tuple[str, str | None]] = set()
        for fn in self.functions:
            series |= fn.metric_series
        return len(series)

    @property
    def pollers(self) -> tuple[FunctionFacts, ...]:
        return tuple(fn for fn in self.functions if fn.source is not None)

    @classmethod
    def from_template(cls, template: Mapping[str, Any]) -> StackFacts:
        resources: Mapping[str, Any] = template["Resources"]

        def of_type(resource_type: str) -> dict[str, Mapping[str, Any]]:
            return {
                logical_id: resource.get("Properties", {})
                for logical_id, resource in resources.items()
                if resource["Type"] == resource_type
            }

        schedules: dict[str, int] = {}
        for rule in of_type("AWS::Events::Rule").values():
            match = _RATE.match(str(rule.get("ScheduleExpression", "")))
            if not match:
                continue
            seconds = int(match["value"]) * _UNIT_SECONDS[match["unit"].rstrip("s")]
            for target in rule.get("Targets", []):
                arn = target.get("Arn")
                if isinstance(arn, Mapping) and "Fn::GetAtt" in arn:
                    schedules[arn["Fn::GetAtt"][0]] = seconds

        functions = []
        for logical_id, props in of_type("AWS::Lambda::Function").items():
            variables = props.get("Environment", {}).get("Variables", {})
            functions.append(
                FunctionFacts(
                    logical_id=logical_id,
                    handler=props["Handler"],
                    memory_mb=int(props.get("MemorySize", 128)),
                    arm64=props.get("Architectures", ["x86_64"]) == ["arm64"],
                    traced=props.get("TracingConfig", {}).get("Mode") == "Active",
                    # Powertools emits unless told not to (it reads the variable with strtobool).
                    custom_metrics=str(variables.get("POWERTOOLS_METRICS_DISABLED", "false")).lower()
                    not in {"1", "true", "t", "yes", "y", "on"},
                    schedule_seconds=schedules.get(logical_id),
                    deep_check_hours=_number(variables.get("STATUSMON_DEEP_CHECK_HOURS")),
                )
            )

        standard = high = 0
        alarms = of_type("AWS::CloudWatch::Alarm")
        for alarm in alarms.values():
            if "MetricName" in alarm:
                periods = [int(alarm.get("Period", 60))]
            else:  # metric math: each metric it reads is billed, the expressions are not
                periods = [
                    int(query["MetricStat"]["Period"])
                    for query in alarm.get("Metrics", [])
                    if "MetricStat" in query
                ]
            high += sum(1 for period in periods if period < 60)
            standard += sum(1 for period in periods if period >= 60)

        (table,) = of_type("AWS::DynamoDB::Table").values()
        topics = of_type("AWS::SNS::Topic").values()
        return cls(
            functions=tuple(sorted(functions, key=lambda fn: fn.handler)),
            alarms=len(alarms),
            alarm_metrics=standard,
            high_resolution_alarm_metrics=high,
            dashboards=len(of_type("AWS::CloudWatch::Dashboard")),
            kms_keys=len(of_type("AWS::KMS::Key")),
            table_key_billed=bool(table.get("SSESpecification", {}).get("SSEEnabled")),
            topic_key_billed=any("KmsMasterKeyId" in topic for topic in topics),
            pitr=bool(table.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")),
        )


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


# -- what the stack is asked to do ---------------------------------------------------------------------


def query_read_units(items: int, item_bytes: float, *, consistent: bool = False) -> float:
    """Read units of Query pages returning ``items`` of ``item_bytes`` each: per page (at most 1 MB),
    the items' total size rounded up to 4 KB, at 0.5 unit per 4 KB (1 when strongly consistent)."""
    per_4kb = 1.0 if consistent else 0.5
    per_page = max(1, int(QUERY_PAGE_BYTES // item_bytes))
    units = 0.0
    remaining = items
    while remaining > 0:
        page = min(per_page, remaining)
        units += math.ceil(page * item_bytes / (4 * KIB)) * per_4kb
        remaining -= page
    return units


@dataclass(frozen=True)
class Workload:
    """What one month asks of the stack; every figure an input (measured, or an assumption said as one).

    A sweep is one run of every poll function (the sweep benchmark's "sweep of both services").

    * ``sweep_read_units``: DynamoDB read request units per sweep (the Query pages of known state,
      0.5 unit per 4 KB, and the bookkeeping GetItems, 1 each): see :func:`query_read_units`.
    * ``sweep_dynamodb_requests``, ``sweep_aws_calls``: per sweep, for the record (DynamoDB on demand is
      billed by units, and Rekognition's and Personalize's Describe/List calls are not billed).
    * ``poll_seconds``, ``redrive_seconds``, ``notify_seconds``: billed duration of one invocation, its
      share of cold starts included (Lambda bills the init phase).
    * ``redrive_read_units``: one strongly consistent Query of the (usually empty) outbox per run.
    * ``transitions_per_month``, ``alerts_per_month``, ``events_per_month`` (None: one per transition)
      and the units of each: a transition is one TransactWriteItems of its state and history items and
      its bucket's generation, then its bucket's new mark, and the sweep that finds it reads its bucket
      (``read_units_per_transition``); an alerted one adds its outbox item there, and its delivery a
      claim and a confirm; so does its state-change event. The notifier runs once per alert and event.
    * ``log_bytes_per_invocation``: the one JSON log line of a run; ``emf_bytes_per_poll`` the metrics
      document a poll run adds when custom metrics are on.
    * ``table_gb``: stored state and history (TTL keeps history to its retention).
    * ``table_key_requests_per_invocation``: KMS requests DynamoDB makes for a scheduled run when the
      table is under a KMS key of the account (each caller's table key is fetched again after five
      idle minutes); the stream reader, always active, is counted once per five minutes.
    * ``schedule_minutes``, ``memory_mb``: None takes the template's (what is deployed); the schedule
      applies to the sweeps and the redrive, never to the hot watch (its minute is fixed).
    * the hot watch, when the template has it: ``watch_seconds`` billed per run (an idle run is one
      Query; the function stays warm at one run a minute), ``watch_read_units`` (that Query of the empty
      ``WATCH`` partition, eventually consistent: 0.5 unit); an idle run logs nothing, and
      ``watch_busy_runs_per_month`` (runs with something in flight: each started job watched for about
      five minutes) log one line each. What a busy run records is counted with the transitions.
    * the deep check, when the template's Rekognition poller has it (``STATUSMON_DEEP_CHECK_HOURS``):
      each sweep describes the complete datasets of its share of the buckets (its interval and a
      margin of a fifth of it, at most a minute, over the period), ``deep_describe_seconds`` per round
      of 8 DescribeDataset calls (not billed), and reads those buckets' states (one eventually
      consistent Query each). ``datasets``: how many of the resources are datasets (None: half).
    * CloudTrail discovery, when the template has it: ``discoveries_per_month`` recorded calls (an
      assumption: 1,000 started jobs and dataset changes a month), each one run of ``discover_seconds``,
      one traced invocation, one log line and ``write_units_per_discovery`` (an UpdateItem of a watch
      entry under 1 KB). Without a trail there are none, and it costs nothing.
    * the failure summaries, when the template has the summariser (no alarms): ``failure_records_per_month``
      failed runs of statusmon's own functions (0 in a healthy month: it then never runs), each one run
      of ``notify_seconds`` with a read and a write of its episode; and the redrive's recovery check,
      ``recovery_check_read_units`` per redrive run (one strongly consistent Query of the empty ``OPS``
      partition: 1 unit).
    """

    resources: int
    sweep_read_units: float
    sweep_dynamodb_requests: int
    sweep_aws_calls: int
    poll_seconds: float
    redrive_seconds: float = 0.5
    notify_seconds: float = 0.5
    redrive_read_units: float = 1.0
    failure_records_per_month: int = 0
    recovery_check_read_units: float = 1.0
    transitions_per_month: int = 1_000
    alerts_per_month: int = 100
    events_per_month: int | None = None
    # Two items under 1 KB and the bucket's generation in a transaction (2 units each), its mark (1).
    write_units_per_transition: float = 7.0
    read_units_per_transition: float = 1.0  # its bucket of states (resources / 512 per service)
    write_units_per_alert: float = 14.0  # its ~3 KB outbox item in the transaction (6), claim + confirm (8)
    write_units_per_event: float = 8.0  # its ~1.5 KB outbox item in the transaction (4), claim + confirm (4)
    email_subscribers: int = 1
    log_bytes_per_invocation: int = 750
    emf_bytes_per_poll: int = 610
    table_gb: float = 0.01
    table_key_requests_per_invocation: float = 1.0
    kms_requests_per_publish: float = 2.0  # a data key to publish, a decrypt to deliver
    schedule_minutes: float | None = None
    memory_mb: int | None = None
    watch_seconds: float = 0.1
    watch_read_units: float = 0.5
    watch_busy_runs_per_month: int = 5_000
    discoveries_per_month: int = 1_000
    discover_seconds: float = 0.5
    write_units_per_discovery: float = 1.0
    datasets: int | None = None
    deep_describe_seconds: float = 0.1
    days: float = 30.0


@dataclass(frozen=True)
class Line:
    item: str
    dollars: float
    basis: str


@dataclass(frozen=True)
class Bill:
    lines: tuple[Line, ...]
    facts: StackFacts = field(repr=False)
    workload: Workload = field(repr=False)

    @property
    def total(self) -> float:
        return sum(line.dollars for line in self.lines)

    def dollars(self, item: str) -> float:
        return sum(line.dollars for line in self.lines if line.item == item)


LAMBDA = "Lambda requests and duration"
DYNAMODB_READS = "DynamoDB reads"
DYNAMODB_WRITES = "DynamoDB writes"
DYNAMODB_STORAGE = "DynamoDB storage and PITR"
XRAY = "X-Ray traces"
LOGS = "CloudWatch Logs ingestion"
SNS = "SNS publishes and email"
EVENTBRIDGE = "EventBridge events"
METRICS = "CloudWatch custom metrics"
ALARMS = "CloudWatch alarms"
DASHBOARD = "CloudWatch dashboard"
KMS = "KMS keys and requests"
ITEMS = (
    LAMBDA,
    DYNAMODB_READS,
    DYNAMODB_WRITES,
    DYNAMODB_STORAGE,
    XRAY,
    LOGS,
    SNS,
    EVENTBRIDGE,
    METRICS,
    ALARMS,
    DASHBOARD,
    KMS,
)


def monthly_cost(facts: StackFacts, workload: Workload, prices: Prices = PRICES) -> Bill:
    """The month's bill of one stack (``facts``) doing ``workload``, at ``prices``."""
    seconds = workload.days * 86400

    events = (
        workload.transitions_per_month if workload.events_per_month is None else workload.events_per_month
    )

    def period_of(fn: FunctionFacts) -> float:
        return (
            workload.schedule_minutes * 60 if workload.schedule_minutes else float(fn.schedule_seconds or 0)
        )

    def runs(fn: FunctionFacts) -> float:
        if fn.handler == DISCOVER_HANDLER:
            return float(workload.discoveries_per_month)
        if fn.handler == OPS_HANDLER:
            return float(workload.failure_records_per_month)
        if fn.schedule_seconds is None:  # the notifier: one run per alert and per event
            return float(workload.alerts_per_month + events)
        if fn.handler == WATCH_HANDLER:
            return seconds / fn.schedule_seconds
        period = workload.schedule_minutes * 60 if workload.schedule_minutes else fn.schedule_seconds
        return seconds / period

    def billed_seconds(fn: FunctionFacts) -> float:
        if fn.source is not None:
            return workload.poll_seconds + deep_check(fn, workload, period_of(fn))[1]
        if fn.handler == WATCH_HANDLER:
            return workload.watch_seconds
        if fn.handler == DISCOVER_HANDLER:
            return workload.discover_seconds
        return workload.notify_seconds if fn.schedule_seconds is None else workload.redrive_seconds

    invocations = {fn.logical_id: runs(fn) for fn in facts.functions}
    total_runs = sum(invocations.values())
    gb_seconds = {
        fn.logical_id: invocations[fn.logical_id]
        * billed_seconds(fn)
        * (workload.memory_mb or fn.memory_mb)
        / KIB
        for fn in facts.functions
    }
    duration = sum(
        gb_seconds[fn.logical_id]
        * (prices.lambda_gb_second_arm64 if fn.arm64 else prices.lambda_gb_second_x86_64)
        for fn in facts.functions
    )
    pollers = facts.pollers
    sweeps = invocations[pollers[0].logical_id] if pollers else 0.0
    watch_runs = sum(invocations[fn.logical_id] for fn in facts.functions if fn.handler == WATCH_HANDLER)
    discoveries = sum(invocations[fn.logical_id] for fn in facts.functions if fn.handler == DISCOVER_HANDLER)
    redrives = sum(
        invocations[fn.logical_id]
        for fn in facts.functions
        if fn.source is None and fn.schedule_seconds is not None and fn.handler != WATCH_HANDLER
    )
    scheduled_runs = sum(
        invocations[fn.logical_id]
        for fn in facts.functions
        if fn.schedule_seconds is not None and fn.handler != WATCH_HANDLER
    )

    summarised = any(fn.handler == OPS_HANDLER for fn in facts.functions)
    failure_records = sum(invocations[fn.logical_id] for fn in facts.functions if fn.handler == OPS_HANDLER)
    deep_read_units = sum(
        invocations[fn.logical_id] * deep_check(fn, workload, period_of(fn))[2] for fn in pollers
    )
    deep_describes = sum(
        invocations[fn.logical_id] * deep_check(fn, workload, period_of(fn))[0] for fn in pollers
    )
    read_units = (
        deep_read_units
        + sweeps * workload.sweep_read_units
        + redrives * workload.redrive_read_units
        + (redrives * workload.recovery_check_read_units if summarised else 0.0)
        + watch_runs * workload.watch_read_units
        + workload.transitions_per_month * workload.read_units_per_transition
        # Each failure record: its episode read (GetItem, strongly consistent, under 4 KB).
        + failure_records
    )
    write_units = (
        workload.transitions_per_month * workload.write_units_per_transition
        + workload.alerts_per_month * workload.write_units_per_alert
        + events * workload.write_units_per_event
        + discoveries * workload.write_units_per_discovery
        # And the episode written back (under 1 KB).
        + failure_records
    )
    # An idle watch run logs nothing (the handler logs at debug, the function at INFO and above).
    busy_watch_runs = min(watch_runs, float(workload.watch_busy_runs_per_month))
    log_bytes = (total_runs - watch_runs + busy_watch_runs) * workload.log_bytes_per_invocation + sum(
        invocations[fn.logical_id] * workload.emf_bytes_per_poll for fn in pollers if fn.custom_metrics
    )
    traces = sum(invocations[fn.logical_id] for fn in facts.functions if fn.traced)
    publishes = workload.alerts_per_month
    emails = publishes * workload.email_subscribers
    kms_requests = 0.0
    if facts.table_key_billed:
        # Always-active callers (the stream reader, the one-minute watch) refetch the key every 5 minutes.
        always_active = (1 if watch_runs else 0) + 1
        kms_requests += (
            scheduled_runs + discoveries
        ) * workload.table_key_requests_per_invocation + always_active * seconds / 300
    if facts.topic_key_billed:
        kms_requests += publishes * workload.kms_requests_per_publish
    storage_price = prices.dynamodb_storage_gb_month + (prices.dynamodb_pitr_gb_month if facts.pitr else 0.0)
    series = facts.metric_series

    lines = (
        Line(
            LAMBDA,
            total_runs * prices.lambda_request + duration,
            f"{total_runs:,.0f} invocations, {sum(gb_seconds.values()):,.0f} GB-s",
        ),
        Line(
            DYNAMODB_READS,
            read_units * prices.dynamodb_read_unit,
            f"{read_units / 1e6:,.2f} M read units ({sweeps:,.0f} sweeps x {workload.sweep_read_units:g}"
            + (f", {watch_runs:,.0f} watch runs x {workload.watch_read_units:g}" if watch_runs else "")
            + (
                f", the deep check {deep_read_units:,.0f} for {deep_describes:,.0f} Describes"
                if deep_describes
                else ""
            )
            + ")",
        ),
        Line(DYNAMODB_WRITES, write_units * prices.dynamodb_write_unit, f"{write_units:,.0f} write units"),
        Line(
            DYNAMODB_STORAGE,
            workload.table_gb * storage_price,
            f"{workload.table_gb:g} GB{' + PITR' if facts.pitr else ''}",
        ),
        Line(XRAY, traces * prices.xray_trace_recorded, f"{traces:,.0f} traces"),
        Line(LOGS, log_bytes / GIB * prices.logs_ingestion_gb, f"{log_bytes / 1e6:,.0f} MB"),
        Line(SNS, publishes * prices.sns_publish + emails * prices.sns_email, f"{publishes:,} alerts"),
        Line(EVENTBRIDGE, events * prices.eventbridge_event, f"{events:,} state-change events"),
        Line(METRICS, series * prices.cloudwatch_metric_month, _count(series, "metric")),
        Line(
            ALARMS,
            facts.alarm_metrics * prices.cloudwatch_alarm_metric_month
            + facts.high_resolution_alarm_metrics * prices.cloudwatch_high_resolution_alarm_metric_month,
            _count(facts.alarms, "alarm"),
        ),
        Line(
            DASHBOARD,
            facts.dashboards * prices.cloudwatch_dashboard_month,
            _count(facts.dashboards, "dashboard"),
        ),
        Line(
            KMS,
            facts.kms_keys * prices.kms_key_month + kms_requests * prices.kms_request,
            f"{_count(facts.kms_keys, 'key')}, {_count(kms_requests, 'request')}",
        ),
    )
    return Bill(lines=lines, facts=facts, workload=workload)


def deep_check(fn: FunctionFacts, workload: Workload, interval_seconds: float) -> tuple[float, float, float]:
    """One sweep's deep check by ``fn`` (a Rekognition poller with it on): DescribeDataset calls, billed
    seconds, read units. (0, 0, 0) for any other function."""
    if fn.source != "rekognition" or not fn.deep_check_hours or not interval_seconds:
        return 0.0, 0.0, 0.0
    window = interval_seconds + min(interval_seconds / 5, 60.0)
    share = min(1.0, window / (fn.deep_check_hours * 3600))
    datasets = workload.resources // 2 if workload.datasets is None else workload.datasets
    describes = datasets * share
    seconds = workload.deep_describe_seconds * max(1.0, describes / 8) if describes else 0.0
    per_bucket = max(1, round(datasets / BUCKETS))
    read_units = BUCKETS * share * query_read_units(per_bucket, STATE_ITEM_BYTES["rekognition"])
    return describes, seconds, read_units


# -- rendering -----------------------------------------------------------------------------------------


def _money(dollars: float) -> str:
    if dollars == 0:
        return "-"
    return "< $0.01" if dollars < 0.005 else f"${dollars:,.2f}"


def _count(number: float, noun: str) -> str:
    return f"{number:,.0f} {noun}{'' if round(number) == 1 else 's'}"


def cost_table(columns: Sequence[tuple[str, Bill]], *, with_basis: bool = False) -> str:
    """A markdown table: one row per bill item, one column per (title, bill), totals last.

    ``with_basis`` adds what each figure counts (invocations, read units, alarms...) to its cell."""
    head = "| item | " + " | ".join(title for title, _ in columns) + " |"
    rule = "| --- |" + " --: |" * len(columns)
    rows = [head, rule]
    for item in ITEMS:
        cells = []
        for _, bill in columns:
            (line,) = [line for line in bill.lines if line.item == item]
            cells.append(
                f"{_money(line.dollars)} ({line.basis})"
                if with_basis and line.dollars
                else _money(line.dollars)
            )
        rows.append(f"| {item} | " + " | ".join(cells) + " |")
    rows.append("| **total** | " + " | ".join(f"**${bill.total:,.2f}**" for _, bill in columns) + " |")
    return "\n".join(rows)


def facts_summary(facts: StackFacts) -> str:
    """What a profile's template creates that has a price of its own."""
    traced = sum(fn.traced for fn in facts.functions)
    return ", ".join(
        [
            _count(len(facts.functions), "function") + f" ({traced} traced)",
            _count(facts.metric_series, "custom metric"),
            _count(facts.alarms, "alarm"),
            _count(facts.dashboards, "dashboard"),
            _count(facts.kms_keys, "KMS key"),
            _deep_check_summary(facts),
            "table under "
            + ("a KMS key of the account" if facts.table_key_billed else "DynamoDB's AWS-owned key"),
        ]
    )


def _deep_check_summary(facts: StackFacts) -> str:
    hours = {fn.deep_check_hours for fn in facts.pollers if fn.source == "rekognition"}
    if not any(hours):
        return "no deep check"
    return f"a deep check of every dataset every {max(hours):g} h"


def workload_summary(workload: Workload) -> str:
    subscribers = _count(workload.email_subscribers, "email subscriber")
    return (
        f"{workload.resources:,} resources: per sweep {workload.sweep_aws_calls} Rekognition/Personalize "
        f"calls (not billed), {workload.sweep_dynamodb_requests} DynamoDB requests, "
        f"{workload.sweep_read_units:g} read units; a poll run bills {workload.poll_seconds:g} s, a redrive "
        f"run {workload.redrive_seconds:g} s; {workload.transitions_per_month:,} transitions and "
        f"{workload.alerts_per_month:,} alerts and as many events as transitions a month, to {subscribers}; "
        f"the hot watch bills {workload.watch_seconds:g} s and {workload.watch_read_units:g} read unit a "
        f"run, logging only its {workload.watch_busy_runs_per_month:,} busy runs; "
        f"{workload.discoveries_per_month:,} calls discovered through CloudTrail "
        f"({workload.discover_seconds:g} s and {workload.write_units_per_discovery:g} write unit each); "
        f"{'half' if workload.datasets is None else f'{workload.datasets:,}'} of the resources are datasets, "
        f"the deep check bills {workload.deep_describe_seconds:g} s per 8 DescribeDataset calls"
    )


# -- the published figures (docs/costs.md) --------------------------------------------------------

# Items as stored, in bytes (measured on a baseline sweep of the sweep benchmark's seeded account);
# index items carry state items whole (the by_service index projects ALL).
STATE_ITEM_BYTES = {"rekognition": 760, "personalize": 614}
MARK_ITEM_BYTES = 47  # a bucket mark: keys, generation, 16-hex digest, its generation
META_ITEM_BYTES = 150  # the service bookkeeping
BUCKETS = 256


def _occupied_buckets(resources: int) -> float:
    """Expected buckets holding at least one of ``resources`` (ARNs hash evenly over the buckets)."""
    return BUCKETS * (1 - math.exp(-resources / BUCKETS))


def sweep_read_units(resources: int) -> float:
    """A quiet sweep of ``resources`` split evenly between the two services: per service, one strongly
    consistent Query of its bookkeeping and its buckets' marks (no state is read)."""
    per_service = resources // 2
    marks_bytes = _occupied_buckets(per_service) * MARK_ITEM_BYTES + META_ITEM_BYTES
    return 2 * float(math.ceil(marks_bytes / (4 * KIB)))


def transition_read_units(resources: int) -> float:
    """What the sweep that finds one change reads beyond a quiet one: the states of its bucket."""
    per_bucket = (resources // 2) / _occupied_buckets(resources // 2)
    return max(query_read_units(max(1, round(per_bucket)), size) for size in STATE_ITEM_BYTES.values())


# The quiet-sweep calls are the sweep benchmark's (docs/benchmarks.md); durations are assumptions for
# AWS (the benchmark's wall times are moto's): listing pages of 100 at ~100-300 ms, plus cold starts.
PUBLISHED_WORKLOADS = (
    Workload(
        resources=1_000,
        sweep_read_units=sweep_read_units(1_000),
        read_units_per_transition=transition_read_units(1_000),
        sweep_dynamodb_requests=2,  # one Query of bookkeeping and marks per service
        sweep_aws_calls=15,  # 10 list pages, 5 DescribeDataset
        poll_seconds=1.5,
    ),
    Workload(
        resources=10_000,
        sweep_read_units=sweep_read_units(10_000),
        read_units_per_transition=transition_read_units(10_000),
        sweep_dynamodb_requests=2,
        sweep_aws_calls=150,  # 100 list pages, 50 DescribeDataset (8 at a time)
        poll_seconds=8.0,
    ),
)
# The profiles docs/costs.md prices, as cdk.json "statusmon" options over the shipped ones.
PROFILES: dict[str, dict[str, bool]] = {
    "default": {},
    "everything on": {
        "dashboard": True,
        "custom_metrics": True,
        "customer_managed_key": True,
        "alarms": True,
    },
}
PAGE = ROOT / "docs" / "costs.md"
BEGIN, END = "<!-- cost:table -->", "<!-- /cost:table -->"


def page_block(
    profiles: Mapping[str, StackFacts], workloads: Sequence[Workload] = PUBLISHED_WORKLOADS
) -> str:
    """docs/costs.md's generated cost block: the table for each workload x profile, what each profile
    creates (from its template), and the inputs."""
    columns = [
        (f"{name}, {workload.resources:,}", monthly_cost(facts, workload))
        for workload in workloads
        for name, facts in profiles.items()
    ]
    created = "\n".join(f"- {name}: {facts_summary(facts)}." for name, facts in profiles.items())
    inputs = "\n".join(f"- {workload_summary(workload)}." for workload in workloads)
    return (
        f"{cost_table(columns)}\n\n"
        f"What each profile's template creates, as counted by the model:\n\n{created}\n\n"
        f"Inputs:\n\n{inputs}\n"
        f"- {PRICES.region} list prices as of {PRICES.as_of}, no free tier subtracted.\n"
    )


def replace_block(text: str, block: str) -> str:
    start, stop = text.index(BEGIN), text.index(END)
    return text[: start + len(BEGIN)] + "\n" + block + text[stop:]


def current_block(text: str) -> str:
    start, stop = text.index(BEGIN), text.index(END)
    return text[start + len(BEGIN) : stop].strip("\n") + "\n"


def synthesize_profile(options: Mapping[str, Any]) -> dict[str, Any]:
    """The template of the shipped cdk.json with ``options`` over its ``statusmon`` context (no bundling)."""
    sys.path.insert(0, str(ROOT))
    import aws_cdk as cdk  # noqa: PLC0415 (the model itself needs no CDK)

    from infra.application import build_app  # noqa: PLC0415

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context["statusmon"] = {**context["statusmon"], **options}
    context["aws:cdk:bundling-stacks"] = []
    app = cdk.App(context=context)
    stack = build_app(app)
    return dict(app.synth().get_stack_by_name(stack.stack_name).template)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help=f"replace the cost block of {PAGE.name}")
    args = parser.parse_args(argv)
    profiles = {
        name: StackFacts.from_template(synthesize_profile(options)) for name, options in PROFILES.items()
    }
    block = page_block(profiles)
    if args.write:
        PAGE.write_text(replace_block(PAGE.read_text(), block))
    else:
        print(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
