"""boto3 clients for the sources: adaptive retries, every answer checked, calls and throttles counted."""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Any

import boto3
from botocore.config import Config

from statusmon.adapters.answers import guard
from statusmon.adapters.errors import THROTTLING_CODES

TIMEOUTS = Config(connect_timeout=5, read_timeout=20)
# Adaptive retries (client-side rate limiting on throttles) unless the user chose otherwise with
# botocore's own AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, which then apply as usual.
ADAPTIVE = TIMEOUTS.merge(Config(retries={"mode": "adaptive", "max_attempts": 8}))


def _config() -> Config:
    chosen = os.environ.get("AWS_RETRY_MODE") or os.environ.get("AWS_MAX_ATTEMPTS")
    return TIMEOUTS if chosen else ADAPTIVE


class CallCounter:
    """Counts API calls (one per operation, retries apart) and throttled attempts."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.throttles = 0
        # A sweep's Describe calls run in threads.
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def attach(self, client: Any) -> Any:
        events = client.meta.events
        service = client.meta.service_model.service_name
        events.register("before-call.*.*", self._on_call)
        events.register(f"needs-retry.{service}.*", self._on_response)
        return client

    def _on_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def _on_response(self, response: Any = None, **_: Any) -> None:
        if response is None:
            return
        parsed = response[1] if isinstance(response, tuple) else {}
        code = (parsed or {}).get("Error", {}).get("Code")
        if code in THROTTLING_CODES:
            with self._lock:
                self.throttles += 1


def client(service: str, counter: CallCounter | None = None, *, region: str | None = None) -> Any:
    created = boto3.client(service, region_name=region, config=_config())  # type: ignore[call-overload]
    return prepare(created, counter)


def prepare(client: Any, counter: CallCounter | None = None) -> Any:
    """Every answer of ``client`` checked before it is parsed (idempotent), its calls counted."""
    guard(client)
    return counter.attach(client) if counter else client
