"""The progress line of a long sweep: at a terminal after a while, erased at the end; never in a log."""

import io
import time

from statusmon.cli.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_slow_step_at_a_terminal_shows_a_line_rewritten_in_place_then_erased() -> None:
    terminal = Terminal()
    with Progress("sweeping rekognition", terminal, after=0.05, every=0.02):
        time.sleep(0.3)
    written = terminal.getvalue()
    assert written.startswith("\rsweeping rekognition… 0 s")
    assert written.count("\r") > 2  # rewritten in place
    assert written.endswith("\r" + " " * len("sweeping rekognition… 0 s") + "\r")  # erased


def test_a_quick_step_shows_nothing() -> None:
    terminal = Terminal()
    with Progress("sweeping rekognition", terminal, after=5):
        pass
    assert terminal.getvalue() == ""


def test_nothing_is_written_when_stderr_is_not_a_terminal() -> None:
    log = io.StringIO()
    with Progress("sweeping rekognition", log, after=0, every=0.01):
        time.sleep(0.05)
    assert log.getvalue() == ""
