"""What the durable outbox costs per alert, and how wide its at-least-once window is.

Run with ``make bench`` (after the sweep benchmark) or
``.venv/bin/python bench/delivery_bench.py [--failures 200] [--pending 50]``. It starts moto server
in-process (DynamoDB, SNS, SQS), makes an SNS topic with an SQS queue subscribed to it (raw delivery,
as a user would), and measures, through the real ``StatusStore``, ``deliver_pending`` and SNS
publisher (``statusmon.logic.run.publisher``):

* recording N failures (half Custom Labels datasets, half Personalize import jobs, each through
  ``detect_changes``, ``decide`` and ``outbox_message`` as a sweep does) with their alerts in the
  outbox, and, in the same process on a fresh table, the same N transitions with ``outbox=[]``: what
  the outbox adds to recording a transition;
* delivering them: DynamoDB calls per delivered alert, and the at-least-once window: for each
  delivery, the time from SNS accepting the publish (the publish call returning) to the confirm
  DeleteItem returning. A deliverer that dies inside it leaves the alert pending, and it goes out
  again once the lease has passed. Stamped with ``time.perf_counter`` by wrapping the publisher and
  the store's ``confirm``; the production code is not changed;
* a redrive with nothing pending;
* an outage: K more failures recorded while the topic does not exist (every publish fails with SNS's
  NotFound), a redrive during it, the topic created and a queue subscribed, a redrive after it, and
  one more with nothing left;
* what each subscribed queue received, by ``transition_id``: every alert once, none twice.

DynamoDB calls are counted by operation with botocore handlers on the clients PynamoDB uses
(``bench/benchkit.py``), SNS Publish calls with one on the SNS client. The figures go to the delivery
section of ``docs/benchmarks.md``. Nothing here asserts on time: it measures.
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
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from benchkit import (
    DDB_WRITES,
    DEFAULT_OUTPUT,
    DynamoCounter,
    ServerTime,
    attribute_size,
    item_size,
    machine,
    percentile,
    progress,
    settle,
    versions,
    write_section,
)

from statusmon.adapters import sns
from statusmon.adapters import table_schema as schema
from statusmon.adapters.store import StateItem, StatusStore
from statusmon.domain.model import Observation, OutboxMessage, Transition
from statusmon.domain.vocabulary import ResourceType, Service
from statusmon.logic.alerts import SNS_CHANNEL, outbox_message
from statusmon.logic.changes import detect_changes
from statusmon.logic.deliver import (
    FAILED,
    LEASE_SECONDS,
    SENT,
    SKIPPED,
    DeliveryReport,
    deliver_pending,
    new_owner,
)
from statusmon.logic.policy import AlertPolicy, decide
from statusmon.logic.run import publishers
from statusmon.settings import load_settings
from statusmon_local.pipeline import drain_queue, subscribe_queue
from statusmon_local.services import moto_server, patched_environment

REGION = "us-east-1"
ACCOUNT = "123456789012"
KB = 1024


# -- the failures ------------------------------------------------------------------------------------


def failures(count: int, first: int, now: dt.datetime) -> list[Transition]:
    """``count`` resources seen failed for the first time, as a sweep's describe would read them."""
    observations = []
    for i in range(first, first + count):
        if i % 2 == 0:
            project = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/bench-{i:05d}/1700000000000"
            observations.append(
                Observation(
                    Service.REKOGNITION,
                    ResourceType.DATASET,
                    f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/bench-{i:05d}/dataset/train/1700000000001",
                    f"bench-{i:05d}/train",
                    "CREATE_FAILED",
                    parent_arn=project,
                    reason="ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT: the manifest is missing",
                    updated_at=now,
                    details={
                        "stats": {
                            "LabeledEntries": 0,
                            "TotalEntries": 0,
                            "TotalLabels": 0,
                            "ErrorEntries": 0,
                        },
                        "status_message_code": "CLIENT_ERROR",
                    },
                )
            )
        else:
            observations.append(
                Observation(
                    Service.PERSONALIZE,
                    ResourceType.DATASET_IMPORT_JOB,
                    f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-import-job/bench-{i:05d}",
                    f"bench-{i:05d}",
                    "CREATE FAILED",
                    parent_arn=f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/bench/INTERACTIONS",
                    reason="Input CSV is missing the following columns: [TIMESTAMP]",
                    updated_at=now,
                    details={"import_mode": "FULL", "data_location": f"s3://bench-data/interactions-{i}.csv"},
                )
            )
    transitions = detect_changes(observations, {}, now=now, complete_listing=False)
    if len(transitions) != count:
        raise SystemExit(f"expected {count} transitions, detect_changes gave {len(transitions)}")
    return transitions


def alerts_of(transitions: Sequence[Transition]) -> list[OutboxMessage]:
    messages = []
    for transition in transitions:
        alert = decide(transition, AlertPolicy())
        if alert is None:
            raise SystemExit(f"{transition.transition_id}: the policy does not alert on it")
        messages.append(outbox_message(alert))
    return messages


# -- instruments -------------------------------------------------------------------------------------


def item_kind(item: dict[str, Any]) -> str:
    if item[schema.PARTITION_KEY]["S"] == schema.OUTBOX_PK:
        return "outbox"
    if item[schema.SORT_KEY]["S"].startswith(schema.HISTORY_SK_PREFIX):
        return "history"
    return "state"


class TransactionSizes:
    """The items each TransactWriteItems puts, by kind (state, history, outbox) and size in bytes."""

    def __init__(self) -> None:
        self.transactions: list[list[tuple[str, int]]] = []

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", self._on_transact)

    def _on_transact(self, params: dict[str, Any], **_: Any) -> None:
        puts = [op["Put"]["Item"] for op in params.get("TransactItems", ()) if "Put" in op]
        self.transactions.append([(item_kind(item), item_size(item)) for item in puts])

    def reset(self) -> None:
        self.transactions.clear()


class PublishCounter:
    """SNS Publish API calls made (accepted or not), from a before-call handler on the SNS client."""

    def __init__(self) -> None:
        self.calls = 0
        self._clients: list[Any] = []

    def attach(self, client: Any) -> None:
        if any(client is known for known in self._clients):
            return
        client.meta.events.register("before-call.sns.Publish", self._on_call)
        self._clients.append(client)

    def _on_call(self, **_: Any) -> None:
        self.calls += 1


@dataclass
class Stamps:
    """perf_counter stamps of each delivery, by outbox key."""

    claimed: dict[str, float] = field(default_factory=dict)  # claim called
    publish: dict[str, tuple[float, float]] = field(default_factory=dict)  # publish called, returned
    confirm: dict[str, tuple[float, float]] = field(default_factory=dict)  # confirm called, returned

    def keys(self) -> list[str]:
        return [key for key in self.publish if key in self.confirm]

    def window_ms(self) -> list[float]:
        """SNS accepted the publish -> the confirm DeleteItem returned."""
        return [(self.confirm[k][1] - self.publish[k][1]) * 1000 for k in self.keys()]

    def confirm_ms(self) -> list[float]:
        return [(self.confirm[k][1] - self.confirm[k][0]) * 1000 for k in self.keys()]

    def publish_ms(self) -> list[float]:
        return [(self.publish[k][1] - self.publish[k][0]) * 1000 for k in self.keys()]

    def delivery_ms(self) -> list[float]:
        return [(self.confirm[k][1] - self.claimed[k]) * 1000 for k in self.keys() if k in self.claimed]


class StampedOutbox:
    """The store as ``deliver_pending`` sees it, stamping claim and confirm."""

    def __init__(self, store: StatusStore, stamps: Stamps) -> None:
        self.store = store
        self.stamps = stamps

    def pending(self, channel: str, *, limit: int | None = None) -> list[OutboxMessage]:
        return self.store.pending(channel, limit=limit)

    def claim(self, message: OutboxMessage, *, owner: str, now: float, lease_seconds: float) -> bool:
        self.stamps.claimed[message.key] = time.perf_counter()
        return self.store.claim(message, owner=owner, now=now, lease_seconds=lease_seconds)

    def confirm(self, message: OutboxMessage, *, owner: str) -> bool:
        started = time.perf_counter()
        try:
            return self.store.confirm(message, owner=owner)
        finally:
            self.stamps.confirm[message.key] = (started, time.perf_counter())

    def release(self, message: OutboxMessage, *, owner: str, error: str) -> None:
        self.store.release(message, owner=owner, error=error)


def stamped(publish: Callable[[OutboxMessage], str], stamps: Stamps) -> Callable[[OutboxMessage], str]:
    def wrapper(message: OutboxMessage) -> str:
        started = time.perf_counter()
        message_id = publish(message)  # raises when SNS refuses: no stamp, nothing was accepted
        stamps.publish[message.key] = (started, time.perf_counter())
        return message_id

    return wrapper


@dataclass
class Instruments:
    ddb: DynamoCounter
    sizes: TransactionSizes
    publishes: PublishCounter
    server: ServerTime

    def attach(self) -> None:
        """After a StatusStore is made for a new table (its models get new clients)."""
        self.ddb.attach_models()
        self.sizes.attach(StateItem._get_connection().connection.client)
        self.publishes.attach(sns._client())

    def reset(self) -> None:
        settle()
        self.ddb.reset()
        self.sizes.reset()
        self.publishes.calls = 0


# -- measurements ------------------------------------------------------------------------------------


@dataclass
class Recording:
    label: str
    count: int
    ddb: dict[str, int]
    transact_items: int
    transactions: list[list[tuple[str, int]]]
    wall_ms: list[float]
    moto_ms: list[float]
    transact_ms: list[float]

    def per_record(self, operation: str) -> float:
        return self.ddb.get(operation, 0) / self.count

    @property
    def other_calls(self) -> int:
        return sum(v for k, v in self.ddb.items() if k != "TransactWriteItems")

    @property
    def bytes_per_record(self) -> float:
        return statistics.fmean(sum(size for _, size in t) for t in self.transactions)

    @property
    def write_units_per_record(self) -> float:
        """On-demand write request units in AWS: a transactional write is 2 per 1 KB of each item."""
        return statistics.fmean(sum(2 * math.ceil(size / KB) for _, size in t) for t in self.transactions)

    def sizes(self, kind: str) -> list[int]:
        return [size for t in self.transactions for k, size in t if k == kind]

    def mean_size(self, kind: str) -> float:
        sizes = self.sizes(kind)
        return statistics.fmean(sizes) if sizes else 0.0


def claim_overhead() -> int:
    """Bytes a claim adds to an outbox item: its lease and owner (``attempts`` is there from the put)."""
    lease = attribute_size({"N": f"{time.time() + LEASE_SECONDS}"})
    return len(b"lease_until") + lease + len(b"owner") + len(new_owner())


def delivery_units(outbox_sizes: Sequence[int]) -> float:
    """Mean write units of a claim (1 per KB of the larger of the item before and after: after) and
    of its confirm (1 per KB of the item deleted: the claimed one), which are the same."""
    return statistics.fmean(math.ceil((size + claim_overhead()) / KB) for size in outbox_sizes)


def query_units(outbox_sizes: Sequence[int]) -> float:
    """Read units per pending alert of the strongly consistent Query: 1 per 4 KB of items read."""
    return math.ceil(sum(outbox_sizes) / (4 * KB)) / len(outbox_sizes)


def record_all(
    label: str,
    store: StatusStore,
    transitions: Sequence[Transition],
    outboxes: Sequence[Sequence[OutboxMessage]],
    tools: Instruments,
) -> Recording:
    tools.reset()
    wall, moto, transact = [], [], []
    for transition, outbox in zip(transitions, outboxes, strict=True):
        server_before = tools.server.snapshot()
        started = time.perf_counter()
        recorded = store.record(transition, retention_days=90, outbox=outbox)
        wall.append((time.perf_counter() - started) * 1000)
        server_after = tools.server.snapshot()
        moto.append((server_after["moto_dynamodb"] - server_before["moto_dynamodb"]) * 1000)
        transact.append((server_after["moto_transact"] - server_before["moto_transact"]) * 1000)
        if not recorded:
            raise SystemExit(f"{label}: {transition.transition_id} was not recorded (a lost race?)")
    return Recording(
        label=label,
        count=len(transitions),
        ddb=tools.ddb.snapshot(),
        transact_items=tools.ddb.items_written["TransactWriteItems"],
        transactions=[list(t) for t in tools.sizes.transactions],
        wall_ms=wall,
        moto_ms=moto,
        transact_ms=transact,
    )


@dataclass
class Pass:
    """One ``deliver_pending`` over the outbox."""

    label: str
    report: DeliveryReport
    ddb: dict[str, int]
    query_items: int
    publishes: int
    wall_ms: float
    stamps: Stamps

    @property
    def pending(self) -> int:
        return len(self.report.deliveries)

    @property
    def sent(self) -> int:
        return self.report.count(SENT)

    @property
    def failed(self) -> int:
        return self.report.count(FAILED)

    @property
    def skipped(self) -> int:
        return self.report.count(SKIPPED)

    @property
    def unconfirmed(self) -> int:
        return sum(1 for d in self.report.deliveries if d.outcome == SENT and not d.confirmed)

    @property
    def writes(self) -> int:
        return sum(self.ddb.get(op, 0) for op in DDB_WRITES)

    @property
    def calls(self) -> int:
        return sum(self.ddb.values())


def deliver_pass(
    label: str, store: StatusStore, publish: Callable[[OutboxMessage], str], tools: Instruments
) -> Pass:
    tools.reset()
    stamps = Stamps()
    started = time.perf_counter()
    report = deliver_pending(StampedOutbox(store, stamps), {SNS_CHANNEL: stamped(publish, stamps)})
    wall_ms = (time.perf_counter() - started) * 1000
    return Pass(
        label=label,
        report=report,
        ddb=tools.ddb.snapshot(),
        query_items=tools.ddb.items_read["Query"],
        publishes=tools.publishes.calls,
        wall_ms=wall_ms,
        stamps=stamps,
    )


@dataclass
class Received:
    """What one subscribed queue got, against the transition ids it should have got."""

    label: str
    expected: set[str]
    ids: Counter[str]

    @property
    def total(self) -> int:
        return sum(self.ids.values())

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.ids.values() if n > 1)

    @property
    def missing(self) -> int:
        return len(self.expected - set(self.ids))

    @property
    def unexpected(self) -> int:
        return sum(n for tid, n in self.ids.items() if tid not in self.expected)

    @property
    def exactly_once(self) -> bool:
        return self.total == len(self.expected) and not (self.duplicates or self.missing or self.unexpected)


def received(label: str, queue_url: str, expected: Sequence[OutboxMessage]) -> Received:
    ids = Counter(str(m["body"].get("transition_id")) for m in drain_queue(queue_url))
    return Received(label, {m.transition_id for m in expected}, ids)


@dataclass
class Result:
    failures: int
    pending: int
    without: Recording
    with_outbox: Recording
    delivery: Pass
    quiet: Pass
    outage: Pass
    recovered: Pass
    quiet_after: Pass
    queues: list[Received]
    total_s: float


def new_store(tools: Instruments, purpose: str) -> StatusStore:
    store = StatusStore(f"statusmon-delivery-bench-{purpose}-{uuid.uuid4().hex[:6]}")
    store.ensure_table()
    tools.attach()
    return store


def run(failure_count: int, pending_count: int, server: ServerTime) -> Result:
    started = time.perf_counter()
    tools = Instruments(DynamoCounter(), TransactionSizes(), PublishCounter(), server)
    dynamodb = boto3.client("dynamodb")
    now = dt.datetime.now(dt.UTC)
    transitions = failures(failure_count, 0, now)
    messages = alerts_of(transitions)

    # The same transitions without the outbox first, on a table of their own, then dropped: moto's
    # transaction copies only the tables it writes, so the two recordings do not slow each other.
    plain = new_store(tools, "plain")
    without = record_all("outbox=[]", plain, transitions, [[] for _ in transitions], tools)
    dynamodb.delete_table(TableName=plain.table_name)
    progress(
        f"recorded {failure_count} without the outbox: median {statistics.median(without.wall_ms):.0f} ms"
    )

    store = new_store(tools, "outbox")
    try:
        with_outbox = record_all("with the outbox", store, transitions, [[m] for m in messages], tools)
        median = statistics.median(with_outbox.wall_ms)
        progress(f"recorded {failure_count} with the outbox: median {median:.0f} ms")

        sns_client = boto3.client("sns")
        topic_arn = sns_client.create_topic(Name=f"statusmon-bench-{uuid.uuid4().hex[:6]}")["TopicArn"]
        queue_url = subscribe_queue(topic_arn)
        settings = load_settings({"STATUSMON_TABLE_NAME": store.table_name, "STATUSMON_TOPIC_ARN": topic_arn})

        delivery = deliver_pass(
            f"deliver the {failure_count} recorded", store, publishers(settings)[SNS_CHANNEL], tools
        )
        first_queue = received("the topic's queue", queue_url, messages)
        progress(f"delivered {delivery.sent} in {delivery.wall_ms / 1000:.1f} s")
        quiet = deliver_pass("redrive, nothing pending", store, publishers(settings)[SNS_CHANNEL], tools)

        # The outage: alerts recorded while their topic does not exist, so every publish fails.
        late_name = f"statusmon-bench-late-{uuid.uuid4().hex[:6]}"
        late_arn = f"{topic_arn.rsplit(':', 1)[0]}:{late_name}"
        late_settings = load_settings(
            {"STATUSMON_TABLE_NAME": store.table_name, "STATUSMON_TOPIC_ARN": late_arn}
        )
        late_transitions = failures(pending_count, failure_count, dt.datetime.now(dt.UTC))
        late_messages = alerts_of(late_transitions)
        for transition, message in zip(late_transitions, late_messages, strict=True):
            if not store.record(transition, retention_days=90, outbox=[message]):
                raise SystemExit(f"{transition.transition_id} was not recorded")
        outage = deliver_pass(
            "redrive during the outage (topic missing)", store, publishers(late_settings)[SNS_CHANNEL], tools
        )
        if sns_client.create_topic(Name=late_name)["TopicArn"] != late_arn:
            raise SystemExit(f"the late topic is not {late_arn}")
        late_queue = subscribe_queue(late_arn)
        recovered = deliver_pass(
            "redrive after the outage", store, publishers(late_settings)[SNS_CHANNEL], tools
        )
        quiet_after = deliver_pass(
            "redrive again, nothing pending", store, publishers(late_settings)[SNS_CHANNEL], tools
        )
        queues = [
            first_queue,
            received("the late topic's queue", late_queue, late_messages),
            received("the topic's queue, after the outage", queue_url, []),
        ]
        progress(f"outage: {outage.failed} failed, then {recovered.sent} sent")
    finally:
        dynamodb.delete_table(TableName=store.table_name)
        settle()
    return Result(
        failures=failure_count,
        pending=pending_count,
        without=without,
        with_outbox=with_outbox,
        delivery=delivery,
        quiet=quiet,
        outage=outage,
        recovered=recovered,
        quiet_after=quiet_after,
        queues=queues,
        total_s=time.perf_counter() - started,
    )


# -- report ------------------------------------------------------------------------------------------


def ms(values: Sequence[float]) -> str:
    return f"{statistics.median(values):,.1f} / {percentile(values, 0.95):,.1f}"


def recording_table(result: Result) -> str:
    w, p = result.with_outbox, result.without

    def row(name: str, with_value: float, without_value: float, fmt: str = "{:,.2f}") -> str:
        extra = with_value - without_value
        sign = "+" if extra >= 0 else "-"
        return (
            f"| {name} | {fmt.format(with_value)} | {fmt.format(without_value)} "
            f"| {sign}{fmt.format(abs(extra))} |"
        )

    rows = [
        f"| per recorded failure (N = {result.failures:,}) | with its alert in the outbox "
        "| without (`outbox=[]`) | the outbox adds |",
        "|---|--:|--:|--:|",
        row(
            "TransactWriteItems calls", w.per_record("TransactWriteItems"), p.per_record("TransactWriteItems")
        ),
        row("other DynamoDB calls", w.other_calls / w.count, p.other_calls / p.count),
        row("items in the transaction", w.transact_items / w.count, p.transact_items / p.count),
        row("item bytes in the transaction (approx.)", w.bytes_per_record, p.bytes_per_record, "{:,.0f}"),
        row(
            "write request units in AWS (2 per KB of each item)",
            w.write_units_per_record,
            p.write_units_per_record,
            "{:,.1f}",
        ),
        row(
            "wall time, median (ms, moto)",
            statistics.median(w.wall_ms),
            statistics.median(p.wall_ms),
            "{:,.1f}",
        ),
        row("wall time, p95 (ms, moto)", percentile(w.wall_ms, 0.95), percentile(p.wall_ms, 0.95), "{:,.1f}"),
        row(
            "of which moto's TransactWriteItems, median (ms)",
            statistics.median(w.transact_ms),
            statistics.median(p.transact_ms),
            "{:,.1f}",
        ),
    ]
    return "\n".join(rows)


def passes(result: Result) -> list[Pass]:
    return [result.delivery, result.quiet, result.outage, result.recovered, result.quiet_after]


def per_alert(delivery: Pass) -> str:
    if not delivery.pending:
        return "-"
    calls = delivery.calls / delivery.pending
    return f"{calls:,.3f}"


def passes_table(result: Result) -> str:
    rows = [
        "| pass | pending | sent | failed | Query pages (items) | UpdateItem | DeleteItem | other DynamoDB "
        "| DynamoDB writes | SNS Publish calls | DynamoDB calls per pending alert | wall (ms) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for p in passes(result):
        other = p.calls - sum(p.ddb.get(op, 0) for op in ("Query", "UpdateItem", "DeleteItem"))
        note = f" ({p.skipped} skipped, {p.unconfirmed} unconfirmed)" if p.skipped or p.unconfirmed else ""
        rows.append(
            f"| {p.label}{note} | {p.pending:,} | {p.sent:,} | {p.failed:,} "
            f"| {p.ddb.get('Query', 0):,} ({p.query_items:,}) | {p.ddb.get('UpdateItem', 0):,} "
            f"| {p.ddb.get('DeleteItem', 0):,} | {other:,} | {p.writes:,} | {p.publishes:,} "
            f"| {per_alert(p)} | {p.wall_ms:,.0f} |"
        )
    return "\n".join(rows)


def window_table(delivery: Pass) -> str:
    stamps = delivery.stamps
    rows = [
        f"| for each of the {len(stamps.keys()):,} deliveries (ms, moto) | median | p95 | max |",
        "|---|--:|--:|--:|",
    ]
    for name, values in (
        ("**the window**: SNS accepted the publish -> the confirm DeleteItem returned", stamps.window_ms()),
        ("of which the confirm call (one conditional DeleteItem)", stamps.confirm_ms()),
        ("the SNS Publish call (before the window)", stamps.publish_ms()),
        ("the whole delivery: claim, publish, confirm", stamps.delivery_ms()),
    ):
        rows.append(
            f"| {name} | {statistics.median(values):,.2f} | {percentile(values, 0.95):,.2f} "
            f"| {max(values):,.2f} |"
        )
    return "\n".join(rows)


def queues_table(result: Result) -> str:
    rows = [
        "| queue | expected | received | distinct transition_ids | duplicates | missing | unexpected | |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for q in result.queues:
        mark = "exactly once" if q.exactly_once else "**not exactly once**"
        rows.append(
            f"| {q.label} | {len(q.expected):,} | {q.total:,} | {len(q.ids):,} | {q.duplicates:,} "
            f"| {q.missing:,} | {q.unexpected:,} | {mark} |"
        )
    return "\n".join(rows)


def render(result: Result, command: str) -> str:
    w, p, d = result.with_outbox, result.without, result.delivery
    outbox_kb = w.mean_size("outbox") / KB
    units = delivery_units(w.sizes("outbox"))
    read_units = query_units(w.sizes("outbox"))
    extra_units = w.write_units_per_record - p.write_units_per_record
    pages = d.ddb.get("Query", 0)
    window = d.stamps.window_ms()
    quiet = result.quiet
    quiet_cost = ", ".join(f"{n} {op}" for op, n in sorted(quiet.ddb.items())) or "no DynamoDB call"
    recovered = result.recovered
    return f"""## Delivery (the outbox)

What the durable outbox costs per alert, and how long its at-least-once window stays open: N failures
recorded with their alerts (`StatusStore.record(..., outbox=[...])`), then delivered to SNS by
`statusmon.logic.deliver.deliver_pending` with the real publisher (`statusmon.logic.run.publisher`),
an SQS queue subscribed to the topic with raw delivery. Local only: moto server (DynamoDB, SNS, SQS)
started in-process. Figures below are from one run of `bench/delivery_bench.py`; rerun it rather than
editing them.

```console
$ make bench    # the sweep benchmark, then this one
$ {command}    # what make bench ran for the figures below
```

Machine: {machine()}; {versions()}. Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {result.total_s:.0f} s
in all. N = {result.failures:,} failures (half Custom Labels datasets, half Personalize import jobs, each
first seen failed, so each alerts), K = {result.pending:,} more during the outage.

### Recording a failure, with and without its alert

{recording_table(result)}

One call either way: the alert rides in the transaction that records the failure (state, history and
outbox item, and an update of the bucket's generation), so a failure is never recorded without its
alert. (A sweep also adds the transition's state-change event, one more outbox item; this benchmark
records alerts alone.) The outbox item (the rendered SNS
message, {outbox_kb:.1f} KB on average) is what it adds; the item sizes are computed from the requests
with DynamoDB's sizing rules, and the write units from them (a transactional write costs 2 write
units per KB of each item). The times are moto's, not AWS's: moto's TransactWriteItems deep-copies
the table once per item of a transaction, so a third item costs it a third copy, of a table that also
holds the outbox items.

### Delivering, and redrives

{passes_table(result)}

Each delivered alert costs one claim (a conditional UpdateItem that sets a {LEASE_SECONDS:.0f} s
lease), one SNS Publish and one confirm (a conditional DeleteItem), plus its share of the strongly
consistent Query that reads what is pending (one page per 1 MB: {pages} for {d.pending:,} alerts
here). In AWS terms, computed from the item sizes: a claim and a confirm cost {units:.1f} write
units each on average (1 per KB of the item, which the claim's lease and owner make slightly
larger), the Query {read_units:.2f} read units per alert (1 per 4 KB, strongly consistent), on top
of the {extra_units:.1f} write units the outbox item adds to the recording transaction. A redrive
with nothing pending costs {quiet_cost}, no write and no Publish: what the scheduled redrive costs
on most runs. During the outage every publish failed (SNS NotFound: the topic did not exist yet);
each pending alert then cost its claim and its release (two UpdateItem, the release setting the
lease to 0 so the next redrive can take it at once) and stayed pending. Once the topic existed, one
redrive delivered {recovered.sent:,} of the {result.pending:,}.

### The at-least-once window

{window_table(d)}

A deliverer that stops between SNS accepting the message and the confirm DeleteItem returning
(a crash, a Lambda timeout, a DeleteItem whose answer is lost) leaves the alert pending, and the
next delivery sends it again once the {LEASE_SECONDS:.0f} s lease has passed: subscribers drop the
copy by `transition_id`. Here the window is {statistics.median(window):,.1f} ms at the median and
{max(window):,.1f} ms at most, moto over loopback; in AWS it is one DynamoDB DeleteItem round trip
(a few milliseconds in the same region). A deliverer that stops before the window leaves an alert
not yet published (sent once, after the lease), one that stops after it an alert already confirmed.
The one other duplicate is not in this window: a Publish that SNS accepted but whose answer never
came back fails, is released, and goes out again on the next delivery.

### What the queues received

{queues_table(result)}

Counted by the `transition_id` of every message the subscribed queues held after the deliveries.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--failures", type=int, default=200, help="failures recorded and delivered (default 200)"
    )
    parser.add_argument(
        "--pending", type=int, default=50, help="failures recorded during the SNS outage (default 50)"
    )
    parser.add_argument(
        "--output",
        default=str(DEFAULT_OUTPUT),
        help="markdown file whose delivery section to rewrite (default docs/benchmarks.md); "
        "'-' only prints it",
    )
    args = parser.parse_args(argv)
    if args.failures < 1 or args.pending < 1:
        parser.error("--failures and --pending must be at least 1")
    return args


def command_line(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return shlex.join([".venv/bin/python", "bench/delivery_bench.py", *args])


def environment(moto_url: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = ServerTime()
    with server.installed(), moto_server() as url, patched_environment(environment(url)):
        sns._client.cache_clear()  # the publisher's cached client must point at this moto server
        try:
            result = run(args.failures, args.pending, server)
        finally:
            sns._client.cache_clear()
    document = render(result, command_line(argv))
    print(document)
    if args.output != "-":
        write_section(Path(args.output), "delivery", document)
        progress(f"wrote its section of {args.output} after {result.total_s:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
