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

        # When the CLI tries to use it
        code = cli.main(["--port", str(port), "--error-rate", "2"])

    # Then it fails with a one-line error
    assert code == 1
    assert capsys.readouterr().err.startswith("statusmon emulator:")
