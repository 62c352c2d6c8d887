"""A sweep that takes more than a second shows a progress line at a terminal, and only there."""

import os
import pty
import subprocess
import sys

from tests.e2e.conftest import World, run_statusmon


def test_a_slow_sweep_shows_progress_at_a_terminal_and_not_in_a_log(world: World) -> None:
    # Given a service that answers slowly: a sweep of it takes over a second
    world.emulator.set_faults("DescribeProjects", latency_ms=1500)
    # When the sweep's stderr is a terminal
    terminal, tty = pty.openpty()
    try:
        code = _run_with_stderr(world, tty)
        os.close(tty)
        shown = _read_all(terminal)
    finally:
        os.close(terminal)
    # Then a line rewritten in place said what was going on, and was erased before the summary
    assert code == 0
    assert "\rsweeping rekognition… 1 s" in shown
    assert "rekognition: 0 resources" in shown
    # And piped to a log, the same sweep writes no progress line at all
    logged = run_statusmon("sweep", "--service", "rekognition", env=world.env)
    assert logged.code == 0
    assert "\r" not in logged.err
    assert "sweeping" not in logged.err


def _run_with_stderr(world: World, tty: int) -> int:

    command = [sys.executable, "-m", "statusmon.cli.main", "sweep", "--service", "rekognition"]
    return subprocess.run(
        command, env=world.env, stderr=tty, stdout=subprocess.DEVNULL, timeout=60, check=False
    ).returncode


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other end is closed (Linux reports EIO)
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()
