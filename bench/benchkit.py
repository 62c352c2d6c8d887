"""What the benchmarks share: counting DynamoDB calls and their capacity units, timing moto, and
writing docs/benchmarks.md.

Each benchmark owns one section of ``docs/benchmarks.md``, between ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->``, and rewrites only that section, so ``make bench`` can run them one after
the other without one wiping out the other's figures.
"""

from __future__ import annotations

import copy
import gc
import math
import os
import platform
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import moto.dynamodb.models as moto_dynamodb_models
from moto.core.model_instances import reset_model_data
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from statusmon.adapters import table_schema as schema
from statusmon.adapters.store import HistoryItem, MarkItem, OutboxItem, ServiceItem, StateItem, WatchItem
from statusmon_emulator.core import EmulatorCore

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"

DDB_READS = ("Query", "GetItem", "BatchGetItem", "Scan")
DDB_WRITES = ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")
# Every PynamoDB model StatusStore uses (they share one connection, so one botocore client).
MODELS = (StateItem, HistoryItem, ServiceItem, MarkItem, OutboxItem, WatchItem)


# -- capacity units ----------------------------------------------------------------------------------
#
# DynamoDB's documented sizing and capacity rules ("DynamoDB item sizes and formats", "Capacity unit
# consumption for read/write operations", "Capacity management for transactions" in the Developer
# Guide). moto answers every request with a fixed ConsumedCapacity (when asked at all), so the bench
# computes the units from the items the requests carry and the answers return.

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024


def attribute_size(value: Mapping[str, Any]) -> int:
    """Size of one attribute value in DynamoDB's typed form (``{"S": "abc"}``), without its name.

    Strings: their UTF-8 bytes; binaries: their raw bytes; numbers: one byte per two significant
    digits (leading and trailing zeros trimmed) plus one; booleans and nulls: one; sets: the sum of
    their members; lists and maps: three bytes, plus one byte and the size of each element (a map
    element's size includes its key, counted as an attribute name).
    """
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "B":
        return len(data) if isinstance(data, bytes | bytearray) else len(str(data).encode())
    if kind == "N":
        return number_size(str(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: member}) for member in data)
    if kind == "M":
        return 3 + sum(len(key.encode()) + attribute_size(member) + 1 for key, member in data.items())
    if kind == "L":
        return 3 + sum(attribute_size(member) + 1 for member in data)
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


def number_size(text: str) -> int:
    mantissa = text.strip().lstrip("+-").lower().split("e", 1)[0]
    digits = mantissa.replace(".", "").strip("0")
    return math.ceil(len(digits) / 2) + 1


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """An item's size: the UTF-8 bytes of each attribute name plus the size of its value."""
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def read_units(sizes: Iterable[int], *, consistent: bool, each: bool = False) -> float:
    """Read units of one read request returning items of ``sizes`` bytes.

    A Query (or Scan) page is one read: the sizes are summed, then rounded up to the next 4 KB;
    ``each`` rounds every item up on its own (GetItem, BatchGetItem). A read that returns nothing still
    costs one 4 KB unit. One unit per 4 KB strongly consistent, half of it eventually consistent.
    """
    sizes = list(sizes)
    blocks = (
        sum(math.ceil(size / READ_UNIT_BYTES) for size in sizes)
        if each
        else math.ceil(sum(sizes) / READ_UNIT_BYTES)
    )
    return max(1, blocks) * (1.0 if consistent else 0.5)


def write_units(size: int, *, transactional: bool = False) -> float:
    """Write units of writing one item of ``size`` bytes: one per 1 KB (rounded up, at least one);
    twice that inside a transaction (DynamoDB prepares, then commits, every item)."""
    return max(1, math.ceil(size / WRITE_UNIT_BYTES)) * (2.0 if transactional else 1.0)


# Index key attributes: a put item that carries one is also written to that index.
INDEX_KEYS = {
    schema.BY_SERVICE_INDEX.name: "gsi1pk",
    schema.FAILED_INDEX.name: "gsi2pk",
}


def index_write_units(item: Mapping[str, Mapping[str, Any]]) -> float:
    """A lower bound of the index writes a put causes: one write (1 unit per KB, all attributes are
    projected) into each index whose key the item carries. An update that moves an item within an
    index costs two (delete, put), one that takes it out one: not counted here (the bench does not
    read the item as it was)."""
    carried = sum(1 for key in INDEX_KEYS.values() if key in item)
    return carried * write_units(item_size(item))


# -- counting ----------------------------------------------------------------------------------------


class DynamoCounter:
    """DynamoDB API calls by operation (one per call, retries apart), and what they read and wrote.

    Calls are counted by botocore's ``before-call``. ``items_written``: items a TransactWriteItems or
    BatchWriteItem call carries; ``items_read``: items a Query page returns; ``bytes_read``: the size
    of the items a read returns (:func:`item_size`). ``read_units`` and
    ``write_units`` (by operation) follow DynamoDB's rules (:func:`read_units`, :func:`write_units`),
    from the request (what is written) and the answer (what is read); ``index_write_units`` is the
    lower bound of :func:`index_write_units` over every put. Items updated by an UpdateItem (in or out
    of a transaction) are sized as PynamoDB's ALL_NEW answer returns them, else from their key and the
    values the update sets (enough here: marks are under 100 bytes). Safe to use from several threads.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_written: Counter[str] = Counter()
        self.items_read: Counter[str] = Counter()
        self.bytes_read: Counter[str] = Counter()
        self.read_units: defaultdict[str, float] = defaultdict(float)
        self.write_units: defaultdict[str, float] = defaultdict(float)
        self.index_write_units = 0.0
        self._lock = threading.Lock()
        # The clients themselves, not their ids: a client dropped when a model is rebound to another
        # table could otherwise leave its id to a new one, which would then go uncounted.
        self._clients: list[Any] = []

    def attach_models(self) -> None:
        """Hook the botocore client of every PynamoDB model the store uses (idempotent)."""
        for model in MODELS:
            self.attach(model._get_connection().connection.client)

    def attach(self, client: Any) -> None:
        if any(client is known for known in self._clients):
            return
        client.meta.events.register("before-parameter-build.dynamodb.*", self._on_params)
        client.meta.events.register("before-call.dynamodb.*", self._on_call)
        client.meta.events.register("after-call.dynamodb.*", self._on_answer)
        self._clients.append(client)

    def _on_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = params

    def _on_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def _on_answer(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        params: dict[str, Any] = context.get("bench_params") or {}
        operation = model.name
        consistent = bool(params.get("ConsistentRead"))
        read = write = index = 0.0
        read_items = written_items = read_bytes = 0
        if operation in ("Query", "Scan"):
            items = parsed.get("Items") or []
            read_items = len(items) if "Items" in parsed else int(parsed.get("Count", 0))
            sizes = [item_size(i) for i in items]
            read, read_bytes = read_units(sizes, consistent=consistent), sum(sizes)
        elif operation == "GetItem":
            sizes = [item_size(parsed["Item"])] if parsed.get("Item") else []
            read, read_bytes = read_units(sizes, consistent=consistent, each=True), sum(sizes)
        elif operation == "BatchGetItem":
            for items in (parsed.get("Responses") or {}).values():
                sizes = [item_size(i) for i in items]
                read += read_units(sizes, consistent=consistent, each=True)
                read_bytes += sum(sizes)
        elif operation == "PutItem":
            item = params.get("Item", {})
            write, index = write_units(item_size(item)), index_write_units(item)
        elif operation in ("UpdateItem", "DeleteItem"):
            write = write_units(_updated_size(params, parsed.get("Attributes")))
        elif operation == "BatchWriteItem":
            for requests in (params.get("RequestItems") or {}).values():
                for request in requests:
                    item = (request.get("PutRequest") or {}).get("Item")
                    key = (request.get("DeleteRequest") or {}).get("Key", {})
                    write += write_units(item_size(item if item is not None else key))
                    index += index_write_units(item) if item is not None else 0.0
                    written_items += 1
        elif operation == "TransactWriteItems":
            for entry in params.get("TransactItems", ()):
                ((kind, action),) = entry.items()
                item = action.get("Item") if kind == "Put" else None
                size = item_size(item) if item is not None else _updated_size(action, None)
                write += write_units(size, transactional=True)
                index += index_write_units(item) if item is not None else 0.0
                written_items += 1
        with self._lock:
            if read_items:
                self.items_read[operation] += read_items
            if read_bytes:
                self.bytes_read[operation] += read_bytes
            if written_items:
                self.items_written[operation] += written_items
            if read:
                self.read_units[operation] += read
            if write:
                self.write_units[operation] += write
            self.index_write_units += index

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.items_written.clear()
            self.items_read.clear()
            self.bytes_read.clear()
            self.read_units.clear()
            self.write_units.clear()
            self.index_write_units = 0.0

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.calls)

    @property
    def reads(self) -> int:
        return sum(self.calls.get(op, 0) for op in DDB_READS)

    @property
    def writes(self) -> int:
        return sum(self.calls.get(op, 0) for op in DDB_WRITES)

    @property
    def total_read_units(self) -> float:
        return float(sum(self.read_units.values()))

    @property
    def total_write_units(self) -> float:
        return float(sum(self.write_units.values()))


def _updated_size(action: Mapping[str, Any], returned: Mapping[str, Mapping[str, Any]] | None) -> int:
    """The size of an updated (or deleted) item: as the answer returned it, else its key and the values
    the request sets (a lower bound)."""
    if returned:
        return item_size(returned)
    key_size = item_size(action.get("Key") or {})
    values = action.get("ExpressionAttributeValues") or {}
    return key_size + sum(attribute_size(value) for value in values.values())


class ServerTime:
    """Time spent inside the local servers' request handlers (they run in this process's threads).

    ``moto_dynamodb``: every DynamoDB request moto serves; ``moto_transact``: of which moto's
    TransactWriteItems (its deep copy of the table); ``emulator``: every Rekognition/Personalize
    request. What is left of a sweep's wall time is the client side: botocore, PynamoDB, statusmon.

    moto also keeps every model instance it ever creates in a registry for its dashboard, the deep
    copies of each transaction included, and never frees them (gigabytes at 10,000 resources). The
    bench empties that registry with moto's own ``reset_model_data`` after each TransactWriteItems
    and between sweeps; it changes nothing moto stores or answers.
    """

    KEYS = ("moto_dynamodb", "moto_transact", "emulator")

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(self.KEYS, 0.0)
        self._lock = threading.Lock()

    def _add(self, key: str, seconds: float) -> None:
        with self._lock:
            self.seconds[key] += seconds

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self.seconds)

    def _timed(self, key: str, original: Any, after: Any = None) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._add(key, time.perf_counter() - started)
                if after is not None:
                    after()

        return wrapper

    @contextmanager
    def installed(self) -> Iterator[None]:
        with (
            mock.patch.object(
                DynamoHandler, "call_action", self._timed("moto_dynamodb", DynamoHandler.call_action)
            ),
            mock.patch.object(
                DynamoDBBackend,
                "transact_write_items",
                self._timed("moto_transact", DynamoDBBackend.transact_write_items, reset_model_data),
            ),
            mock.patch.object(EmulatorCore, "handle_aws", self._timed("emulator", EmulatorCore.handle_aws)),
        ):
            yield


@contextmanager
def dynamodb_latency(milliseconds: float) -> Iterator[None]:
    """Every DynamoDB request moto serves first waits ``milliseconds`` (a network round trip), outside
    the time :class:`ServerTime` counts as moto's. moto server serves each request in its own thread,
    so concurrent requests wait side by side, as they would in AWS."""
    if milliseconds <= 0:
        yield
        return
    serve = DynamoHandler.call_action

    def delayed(*args: Any, **kwargs: Any) -> Any:
        time.sleep(milliseconds / 1000)
        return serve(*args, **kwargs)

    with mock.patch.object(DynamoHandler, "call_action", delayed):
        yield


@contextmanager
def latency(emulator: Any, milliseconds: int) -> Iterator[None]:
    """``milliseconds`` added to every AWS call: the emulator's and moto's DynamoDB."""
    emulator.set_faults(latency_ms=milliseconds)
    try:
        with dynamodb_latency(milliseconds):
            yield
    finally:
        emulator.clear_faults()


class _LeanCopy:
    """``copy`` as moto's DynamoDB backend module sees it: a table is not copied inside a transaction."""

    active = threading.local()

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table) and getattr(self.active, "on", False):
            return value
        return copy.deepcopy(value, memo)


@contextmanager
def lean_transactions() -> Iterator[None]:
    """moto's TransactWriteItems with an item-level rollback instead of a deep copy of the table.

    moto snapshots the whole table (every item and stream record) once per item of every transaction,
    to restore it if the transaction is cancelled: at 30,000 resources that is seconds per transition,
    hours for a sweep with 1% changed. Here the snapshot is what the transaction can touch: a copy of
    each of its items as it was, and the length of the table's stream. A cancelled transaction puts
    those items back (or removes the ones it created) and drops the stream records it added; moto's own
    code does everything else (conditions, writes, cancellation reasons), so what it stores and answers
    is the same.
    """
    lean = _LeanCopy()
    transact = DynamoDBBackend.transact_write_items

    def lean_transact(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        try:
            saved = _touched(backend, transact_items)
        except Exception:  # a malformed request: moto's own path answers it
            transact(backend, transact_items)
            return
        lean.active.on = True
        try:
            transact(backend, transact_items)
        except Exception:
            _put_back(saved)
            raise
        finally:
            lean.active.on = False

    with (
        mock.patch.object(moto_dynamodb_models, "copy", lean),
        mock.patch.object(DynamoDBBackend, "transact_write_items", lean_transact),
    ):
        yield


@contextmanager
def lean_sorting() -> Iterator[None]:
    """moto's Query, with its sorts done on the key strings instead of its typed key objects.

    On every Query moto sorts the whole table (then the index entries it matched) with Python-level
    comparisons of its typed values: at 30,000 items that is most of a sweep's time in moto, and it
    grows with the table, not with what is read. When every key being sorted on is a string (all of
    statusmon's keys are), sorting on the strings themselves gives the same order (moto compares
    strings as Python strings); anything else goes to moto's own sort.
    """
    all_items = Table.all_items
    sorted_items = Table.sorted_items

    def lean_all_items(table: Table) -> list[Any]:
        if not table.range_key_attr:
            return all_items(table)
        # list() copies in one step: a write served in another thread cannot change it under us.
        items = [item for hash_set in list(table.items.values()) for item in list(hash_set.values())]
        keys = [key for item in items if (key := _string_key(item.hash_key, item.range_key))]
        if len(keys) != len(items):
            return all_items(table)
        order = sorted(range(len(items)), key=keys.__getitem__)
        return [items[i] for i in order]

    def lean_sorted_items(
        table: Table, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Any]
    ) -> list[Any]:
        attrs = table._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        keys = [key for item in items if (key := _string_key(*(item.attrs.get(a) for a in attrs)))]
        if len(keys) != len(items):
            return sorted_items(table, hash_key_attrs, range_key_attrs, items)
        order = sorted(range(len(items)), key=keys.__getitem__)
        items[:] = [items[i] for i in order]
        return items

    with (
        mock.patch.object(Table, "all_items", lean_all_items),
        mock.patch.object(Table, "sorted_items", lean_sorted_items),
    ):
        yield


def _string_key(*values: Any) -> tuple[str, ...] | None:
    """The strings of string-typed key values, or None if any is missing or not a string."""
    if any(value is None or value.type != "S" for value in values):
        return None
    return tuple(value.value for value in values)


@contextmanager
def lean_moto() -> Iterator[None]:
    """:func:`lean_transactions` and :func:`lean_sorting`: what moto stores and answers is unchanged."""
    with lean_transactions(), lean_sorting():
        yield


@dataclass
class _Snapshot:
    """What a transaction can change: each of its items as it was, and each table's stream length."""

    items: list[tuple[Table, DynamoType, DynamoType | None, Any]] = field(default_factory=list)
    streams: dict[int, tuple[Table, int]] = field(default_factory=dict)


def _touched(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> _Snapshot:
    snapshot = _Snapshot()
    for entry in transact_items:
        ((kind, action),) = entry.items()
        table = backend.tables.get(action.get("TableName"))
        if table is None:
            continue
        key = action["Item"] if kind == "Put" else action["Key"]
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        before = copy.deepcopy(table.get_item(hash_value, range_value))
        snapshot.items.append((table, hash_value, range_value, before))
        if table.stream_shard is not None:
            snapshot.streams.setdefault(id(table), (table, len(table.stream_shard.items)))
    return snapshot


def _put_back(snapshot: _Snapshot) -> None:
    for table, hash_value, range_value, before in reversed(snapshot.items):
        if range_value is None:
            if before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before
        elif before is None:
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items[hash_value][range_value] = before
    for table, length in snapshot.streams.values():
        if table.stream_shard is not None:
            del table.stream_shard.items[length:]


def settle() -> None:
    """Between measurements: drop moto's registry of dead instances and collect garbage."""
    reset_model_data()
    gc.collect()


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0.5 = median of an odd count, 0.95 = p95)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


# -- the machine -------------------------------------------------------------------------------------


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.system()} {platform.machine()}, nproc {cpus}, Python {platform.python_version()}"


def versions() -> str:
    import importlib.metadata as md  # noqa: PLC0415

    return ", ".join(f"{name} {md.version(name)}" for name in ("boto3", "pynamodb", "moto"))


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- docs/benchmarks.md ------------------------------------------------------------------------------

DOCUMENT_HEAD = """# Benchmarks

Local measurements of statusmon against moto server and the statusmon emulator, both started
in-process. `make bench` runs every benchmark; each rewrites only its own section of this file
(between its `bench:` markers), so rerun them rather than editing the figures.
"""

_ANY_MARKER = re.compile(r"^<!-- /?bench:[a-z_-]+ -->$", re.MULTILINE)


def write_section(path: Path, name: str, text: str) -> None:
    """Put ``text`` in ``path`` as section ``name``: in place of its last run, else at the end.

    A file with no sections at all is the old single-benchmark output and is started afresh.
    """
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{begin}\n{text.strip()}\n{end}"
    current = path.read_text() if path.exists() else ""
    if not _ANY_MARKER.search(current):
        current = DOCUMENT_HEAD
    start, stop = current.find(begin), current.find(end)
    if start >= 0 and stop > start:
        updated = current[:start] + block + current[stop + len(end) :]
    else:
        updated = current.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(updated)
