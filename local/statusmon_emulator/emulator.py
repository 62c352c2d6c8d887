"""The public in-process handle: start, drive and stop an emulator."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from statusmon_emulator.clock import Clock
from statusmon_emulator.core import EmulatorCore
from statusmon_emulator.faults import FaultInjector
from statusmon_emulator.s3data import S3Reader
from statusmon_emulator.server import EmulatorHTTPServer
from statusmon_emulator.settings import Settings, merge_durations


class Emulator:
    """Rekognition Custom Labels + Personalize import jobs on one local port.

    ``durations`` overrides lifecycle durations in seconds (keys in ``settings.DEFAULT_DURATIONS``).
    ``seed`` makes fault injection reproducible. ``frozen_clock=True`` stops time except through
    ``advance`` (what tests want); by default the clock follows wall time plus advances.
    """

    def __init__(  # noqa: PLR0917 (the positional order is the public API)
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        s3_endpoint_url: str | None = None,
        durations: Mapping[str, float] | None = None,
        seed: int = 0,
        *,
        account_id: str = "123456789012",
        frozen_clock: bool = False,
        max_active_import_jobs: int = 5,
    ) -> None:
        self.host = host
        self.port = port
        self.settings = Settings(
            region=region,
            account_id=account_id,
            durations=merge_durations(durations),
            max_active_import_jobs=max_active_import_jobs,
        )
        self.clock = Clock(frozen=frozen_clock)
        self.faults = FaultInjector(seed)
        self.core = EmulatorCore(self.settings, self.clock, S3Reader(s3_endpoint_url, region), self.faults)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def region(self) -> str:
        return self.settings.region

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._server = EmulatorHTTPServer((self.host, self.port), self.core)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="statusmon-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop()`` is called from elsewhere."""
        if self._server is None:
            self._server = EmulatorHTTPServer((self.host, self.port), self.core)
            self.port = int(self._server.server_address[1])
        self._server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- control -------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> float:
        return self.clock.advance(seconds)

    def set_faults(
        self,
        operation: str | None = None,
        throttle_rate: float = 0.0,
        error_rate: float = 0.0,
        latency_ms: int = 0,
        *,
        malformed_rate: float = 0.0,
        malformed: str | Iterable[str] | None = None,
    ) -> None:
        """Faults for one operation (None: all). ``malformed_rate`` answers a share of calls with a
        corrupted 200, of a kind drawn from ``malformed`` (default: every kind, see docs/emulator.md)."""
        self.core.set_faults(
            operation,
            throttle_rate,
            error_rate,
            latency_ms,
            malformed_rate=malformed_rate,
            malformed=malformed,
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    def call_counts(self) -> dict[str, int]:
        return self.core.call_counts()

    def reset_calls(self) -> None:
        self.core.reset_calls()

    def reset(self) -> None:
        self.core.reset()

    def seed(
        self, rekognition: dict[str, Any] | None = None, personalize: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Bulk-create resources in given states; the format is documented in docs/emulator.md."""
        return self.core.seed(rekognition, personalize)

    def environment(self) -> dict[str, str]:
        """The variables that point boto3 and the AWS CLI at this emulator."""
        return {"AWS_ENDPOINT_URL_REKOGNITION": self.url, "AWS_ENDPOINT_URL_PERSONALIZE": self.url}
