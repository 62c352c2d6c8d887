"""Start moto server (DynamoDB + streams, SNS, SQS, S3) and the emulator on free loopback ports."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalServices:
    moto_url: str
    emulator: Any  # statusmon_emulator.Emulator

    def environment(self) -> dict[str, str]:
        """What points every boto3 and PynamoDB client at the local services."""
        return {
            "AWS_ENDPOINT_URL": self.moto_url,
            **self.emulator.environment(),
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
            "AWS_DEFAULT_REGION": self.emulator.region,
            "AWS_REGION": self.emulator.region,
        }


_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_WRITE_LOCK = threading.RLock()


def _isolate_transactions() -> None:
    """Run moto's DynamoDB writes one at a time (once per process).

    A TransactWriteItems that fails in moto puts back a copy of the whole table taken when it began,
    undoing whatever other requests wrote meanwhile; DynamoDB isolates transactions. Two sweeps (the
    two services of `statusmon sweep`, or tests that race writers on purpose) would otherwise lose
    each other's writes in local mode.
    """
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415

    for name in _WRITES:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "_statusmon_isolated", False):
            continue

        def isolated(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with _WRITE_LOCK:
                return _original(self, *args, **kwargs)

        isolated._statusmon_isolated = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, isolated)


@contextmanager
def moto_server(host: str = "127.0.0.1") -> Iterator[str]:
    """moto server on a free loopback port; yields its URL (``host`` as given: CloudFormation wants
    "localhost", since moto reads "127" in a template URL as an S3 bucket name)."""
    # A development dependency, imported only in local mode.
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    _isolate_transactions()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextmanager
def local_services(
    *, region: str = "us-east-1", durations: Mapping[str, float] | None = None, frozen_clock: bool = True
) -> Iterator[LocalServices]:
    """moto server and the emulator, stopped on exit (nothing is left running)."""
    # A development dependency, imported only in local mode.
    from statusmon_emulator import Emulator  # noqa: PLC0415

    with (
        moto_server() as moto_url,
        Emulator(
            region=region, s3_endpoint_url=moto_url, durations=durations, frozen_clock=frozen_clock
        ) as emulator,
    ):
        yield LocalServices(moto_url, emulator)


@contextmanager
def patched_environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, restoring the previous values."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
