"""`statusmon emulator`: run the Rekognition + Personalize emulator until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import sys
import threading
from types import FrameType

from statusmon_emulator.emulator import Emulator
from statusmon_emulator.malformed import MALFORMED_KINDS, parse_kinds
from statusmon_emulator.settings import DEFAULT_DURATIONS


def _duration(text: str) -> tuple[str, float]:
    name, sep, seconds = text.partition("=")
    if not sep or name not in DEFAULT_DURATIONS:
        raise argparse.ArgumentTypeError(f"expected NAME=SECONDS with NAME in {', '.join(DEFAULT_DURATIONS)}")
    try:
        return name, float(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{seconds!r} is not a number of seconds") from None


def _rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 1:  # nan fails it too
        raise argparse.ArgumentTypeError(f"{text!r} is not a share from 0 to 1 (0.1: one call in ten)")
    return rate


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port from 0 to 65535")
    return int(text)


def _kinds(text: str) -> tuple[str, ...]:
    try:
        return parse_kinds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statusmon emulator",
        description="Local Rekognition Custom Labels and Personalize import job emulator (AWS JSON 1.1).",
        epilog="""example: the emulator on port 4566, S3 on moto server, one call in ten throttled
  statusmon emulator --port 4566 --s3-endpoint-url http://localhost:5000 --throttle-rate 0.1
  export AWS_ENDPOINT_URL_REKOGNITION=http://127.0.0.1:4566 AWS_ENDPOINT_URL_PERSONALIZE=http://127.0.0.1:4566""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 opens it to the network)",
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="port to listen on (default 0: a free one, printed)"
    )
    parser.add_argument(
        "--region",
        default="us-east-1",
        help="the region in the ARNs it makes (default us-east-1; set AWS_REGION to match)",
    )
    parser.add_argument(
        "--account-id",
        default="123456789012",
        metavar="ID",
        help="the 12-digit account id in the ARNs it makes (default 123456789012)",
    )
    parser.add_argument(
        "--s3-endpoint-url", default=None, help="defaults to AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL"
    )
    parser.add_argument("--throttle-rate", type=_rate, default=0.0, help="share of calls throttled (0..1)")
    parser.add_argument(
        "--error-rate", type=_rate, default=0.0, help="share of calls answered with a 5xx (0..1)"
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="latency added to every call")
    parser.add_argument(
        "--malformed-rate",
        type=_rate,
        default=0.0,
        help="share of calls answered with a malformed 200 (0..1)",
    )
    parser.add_argument(
        "--malformed",
        type=_kinds,
        default=None,
        metavar="KIND,...",
        help=f"the malformed kinds to draw from (default: all of {', '.join(MALFORMED_KINDS)})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault injection random stream")
    parser.add_argument("--frozen-clock", action="store_true", help="time moves only through the admin API")
    parser.add_argument(
        "--duration",
        type=_duration,
        action="append",
        default=[],
        metavar="NAME=SECONDS",
        help="override a lifecycle duration (repeatable)",
    )
    return parser


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is in use (another emulator, or moto server?): "
            "pick another with --port, or --port 0 for a free one"
        )
    if exc.errno == errno.EACCES:
        return f"may not listen on port {port} on {host} (ports below 1024 need root): pick one above 1023"
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return f"cannot listen on {host!r}: not an address of this machine (--host, default 127.0.0.1)"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.malformed is not None and not args.malformed_rate:
        parser.error("--malformed needs --malformed-rate")
    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            region=args.region,
            s3_endpoint_url=args.s3_endpoint_url,
            durations=dict(args.duration),
            seed=args.seed,
            account_id=args.account_id,
            frozen_clock=args.frozen_clock,
        )
        if args.throttle_rate or args.error_rate or args.latency_ms or args.malformed_rate:
            emulator.set_faults(
                None,
                args.throttle_rate,
                args.error_rate,
                args.latency_ms,
                malformed_rate=args.malformed_rate,
                malformed=args.malformed,
            )
        emulator.start()
    except OSError as exc:
        print(f"statusmon emulator: error: {_cannot_listen(args.host, args.port, exc)}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"statusmon emulator: error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"statusmon emulator listening on {emulator.url}")
        for name, value in emulator.environment().items():
            print(f"export {name}={value}")
        # The essentials here: a pip install has no docs/ to point to.
        print(
            f"Point AWS clients at it with the lines above. Admin API: {emulator.url}/_emulator/ "
            '(GET health, POST reset, POST seed, POST clock/advance {"seconds": N}, GET calls). '
            "Ctrl-C to stop.",
            flush=True,
        )
        stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        emulator.stop()
    print("statusmon emulator stopped", flush=True)
    return 0
