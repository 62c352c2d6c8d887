"""What the benchmarks share: counting DynamoDB calls, timing moto, and writing docs/benchmarks.md.

Each benchmark owns one section of ``docs/benchmarks.md``, between ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->``, and rewrites only that section, so ``make bench`` can run them one after
the other without one wiping out the other's figures.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from moto.core.model_instances import reset_model_data
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

from statusmon.adapters.store import HistoryItem, OutboxItem, ServiceItem, StateItem
from statusmon_emulator.core import EmulatorCore

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"

DDB_READS = ("Query", "GetItem", "BatchGetItem", "Scan")
DDB_WRITES = ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")
# Every PynamoDB model StatusStore uses (they share one connection, so one botocore client).
MODELS = (StateItem, HistoryItem, ServiceItem, OutboxItem)


# -- counting ----------------------------------------------------------------------------------------


class DynamoCounter:
    """DynamoDB API calls by operation (one per call, retries apart), from botocore's before-call.

    Also counts items: those a TransactWriteItems or BatchWriteItem call carries (``items_written``)
    and those a Query page returns (``items_read``).
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_written: Counter[str] = Counter()
        self.items_read: Counter[str] = Counter()
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
        client.meta.events.register("before-call.dynamodb.*", self._on_call)
        client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", self._on_transact)
        client.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", self._on_batch)
        client.meta.events.register("after-call.dynamodb.Query", self._on_query)
        self._clients.append(client)

    def _on_call(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def _on_transact(self, params: dict[str, Any], **_: Any) -> None:
        self.items_written["TransactWriteItems"] += len(params.get("TransactItems", ()))

    def _on_batch(self, params: dict[str, Any], **_: Any) -> None:
        requests = params.get("RequestItems", {}).values()
        self.items_written["BatchWriteItem"] += sum(len(r) for r in requests)

    def _on_query(self, parsed: dict[str, Any], **_: Any) -> None:
        self.items_read["Query"] += int(parsed.get("Count", 0))

    def reset(self) -> None:
        self.calls.clear()
        self.items_written.clear()
        self.items_read.clear()

    def snapshot(self) -> dict[str, int]:
        return dict(self.calls)

    @property
    def reads(self) -> int:
        return sum(self.calls.get(op, 0) for op in DDB_READS)

    @property
    def writes(self) -> int:
        return sum(self.calls.get(op, 0) for op in DDB_WRITES)


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
