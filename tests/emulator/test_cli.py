"""`statusmon emulator` CLI: flags, printed exports, clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.request

import pytest

from statusmon_emulator import cli
from statusmon_local.services import free_port


def _stop_when_up(port: int, seen: dict[str, object]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/faults", timeout=1) as response:
                seen["faults"] = json.loads(response.read())["faults"]
            break
        except OSError:
            time.sleep(0.01)
    os.kill(os.getpid(), signal.SIGTERM)


def test_cli_serves_prints_exports_and_stops_on_sigterm(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a free port and a thread that sends SIGTERM once the emulator answers
    port = free_port()
    seen: dict[str, object] = {}
    stopper = threading.Thread(target=_stop_when_up, args=(port, seen))
    stopper.start()

    # When the CLI runs with fault flags
    code = cli.main(
        [
            "--port",
            str(port),
            "--throttle-rate",
            "0.25",
            "--latency-ms",
            "1",
            "--malformed-rate",
            "0.1",
            "--malformed",
            "html,endless-token",
            "--seed",
            "3",
            "--frozen-clock",
            "--duration",
            "personalize_import_pending=0.5",
        ]
    )
    stopper.join()

    # Then it printed the URL and the exports, applied the faults, and exited cleanly
    out = capsys.readouterr().out
    assert code == 0
    assert f"export AWS_ENDPOINT_URL_REKOGNITION=http://127.0.0.1:{port}" in out
    assert f"export AWS_ENDPOINT_URL_PERSONALIZE=http://127.0.0.1:{port}" in out
    assert "stopped" in out
    # And its banner gives the admin API's address and essentials inline: a pip install has no docs/
    assert f"Admin API: http://127.0.0.1:{port}/_emulator/ (GET health, POST reset" in out
    assert "docs/" not in out
    assert seen["faults"] == {
        "*": {
            "throttle_rate": 0.25,
            "error_rate": 0.0,
            "latency_ms": 1,
            "malformed_rate": 0.1,
            "malformed": ["html", "endless-token"],
        }
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["--duration", "nope=1"],
        ["--duration", "personalize_import_pending=soon"],
        ["--duration", "x"],
        ["--malformed-rate", "0.5", "--malformed", "html,nope"],
        ["--malformed", "html"],
    ],
)
def test_cli_rejects_bad_durations_and_malformed_kinds(argv: list[str]) -> None:
    # Given / When bad duration or malformed flags (an unknown kind, kinds without a rate) are
    # parsed / Then argparse exits with usage error 2
    with pytest.raises(SystemExit) as excinfo:
        cli.main(argv)
    assert excinfo.value.code == 2


def test_cli_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a port someone already listens on
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]

        # When the CLI is asked to listen on it
        code = cli.main(["--port", str(port)])

    # Then one line names the port and says what to do, and the exit code is 1 (not a usage error)
    assert code == 1
    assert capsys.readouterr().err.splitlines() == [
        f"statusmon emulator: error: port {port} on 127.0.0.1 is in use (another emulator, or moto "
        "server?): pick another with --port, or --port 0 for a free one"
    ]


@pytest.mark.parametrize(
    "argv", [["--error-rate", "2"], ["--throttle-rate", "nan"], ["--port", "70000"], ["--port", "-1"]]
)
def test_cli_refuses_a_rate_or_port_out_of_range_as_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given / When a share of calls outside 0..1 or a port outside 0..65535
    with pytest.raises(SystemExit) as excinfo:
        cli.main(argv)
    # Then argparse refuses it (exit 2) naming the option, before anything listens
    assert excinfo.value.code == 2
    assert f"argument {argv[0]}: {argv[1]!r} is not a" in capsys.readouterr().err


def test_every_option_has_help() -> None:
    # Given the emulator's parser, as `statusmon emulator --help` shows it
    parser = cli.build_parser()
    # Then every option says what it does
    undocumented = [a.option_strings for a in parser._actions if a.option_strings and not a.help]
    assert undocumented == []
