"""Deterministic fault injection: throttling, server errors and latency per operation."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

ALL = "*"


@dataclass(frozen=True)
class FaultSpec:
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency_ms: int = 0

    def __post_init__(self) -> None:
        for name in ("throttle_rate", "error_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")


@dataclass(frozen=True)
class Decision:
    latency_ms: int
    outcome: str | None  # None, "throttle" or "error"


class FaultInjector:
    """Faults keyed by operation: "DescribeProjects" (either service), "rekognition:DescribeProjects", or "*".

    The most specific key wins. One seeded random stream drives every decision, so a given
    sequence of calls meets the same faults on every run.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._specs: dict[str, FaultSpec] = {}
        self._seed = seed
        self._random = random.Random(seed)  # noqa: S311 (reproducible, not secret)

    def set(self, operation: str | None, spec: FaultSpec) -> None:
        with self._lock:
            self._specs[operation or ALL] = spec

    def clear(self, seed: int | None = None) -> None:
        with self._lock:
            self._specs.clear()
            self._seed = self._seed if seed is None else seed
            self._random = random.Random(self._seed)  # noqa: S311

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {key: asdict(spec) for key, spec in self._specs.items()}

    def decide(self, service: str, operation: str) -> Decision:
        with self._lock:
            spec = (
                self._specs.get(f"{service}:{operation}")
                or self._specs.get(operation)
                or self._specs.get(ALL)
            )
            if spec is None:
                return Decision(0, None)
            draw = self._random.random()
        if draw < spec.throttle_rate:
            return Decision(spec.latency_ms, "throttle")
        if draw < spec.throttle_rate + spec.error_rate:
            return Decision(spec.latency_ms, "error")
        return Decision(spec.latency_ms, None)
