"""Deterministic fault injection per operation: throttling, server errors, malformed 200 answers, latency."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

from statusmon_emulator.malformed import MALFORMED_KINDS, parse_kinds

ALL = "*"


@dataclass(frozen=True)
class FaultSpec:
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency_ms: int = 0
    malformed_rate: float = 0.0
    malformed: tuple[str, ...] = MALFORMED_KINDS  # the kinds a malformed answer is drawn from

    def __post_init__(self) -> None:
        # A list or a comma-separated string is accepted too (admin JSON, CLI); stored as a tuple.
        object.__setattr__(self, "malformed", parse_kinds(self.malformed))
        for name in ("throttle_rate", "error_rate", "malformed_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")


@dataclass(frozen=True)
class Decision:
    latency_ms: int
    outcome: str | None  # None, "throttle", "error" or "malformed"
    malformed: str | None = None  # the kind, when the outcome is "malformed"


class FaultInjector:
    """Faults keyed by operation: "DescribeProjects" (either service), "rekognition:DescribeProjects", or "*".

    The most specific key wins. One seeded random stream drives every decision, so a given
    sequence of calls meets the same faults on every run: one draw picks the outcome (the rates
    stack in the order throttle, error, malformed), and a malformed outcome takes one more draw
    to pick its kind.
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
            if draw < spec.throttle_rate + spec.error_rate + spec.malformed_rate:
                kinds = spec.malformed
                index = min(int(self._random.random() * len(kinds)), len(kinds) - 1)
                return Decision(spec.latency_ms, "malformed", kinds[index])
            return Decision(spec.latency_ms, None)
