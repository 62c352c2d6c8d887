"""`statusmon demo` as a new user runs it: the story, its alerts, the table and a history."""

import os
import re
import subprocess
import sys

from tests.e2e.conftest import ROOT


def test_demo_tells_the_story_and_exits_cleanly() -> None:
    # Given a shell with no AWS configuration at all
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(ROOT),
        "PYTHONPATH": f"{ROOT / 'functions'}:{ROOT / 'local'}",
    }
    env |= {k: v for k, v in os.environ.items() if k.startswith("COVERAGE_")}  # measure the subprocess too
    # When the user runs the demo
    result = subprocess.run(
        [sys.executable, "-m", "statusmon.cli.main", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Then it exits 0 having printed each alert as the subscribed queue received it
    assert result.returncode == 0, result.stderr
    alerts = re.findall(r"ALERT \[(\w+)\] (\w+) (.+)", result.stdout)
    assert alerts == [
        ("ERROR", "rekognition", "dataset demo-shoes/test"),
        ("WARNING", "rekognition", "dataset demo-shoes/train"),
        ("ERROR", "rekognition", "dataset demo-shoes/train"),
        ("ERROR", "personalize", "dataset import job demo-import-missing-column"),
        ("WARNING", "personalize", "dataset import job demo-import-hangs"),
    ]
    assert "Input CSV is missing the following columns: [TIMESTAMP]" in result.stdout
    assert "2 of 37 entries have errors" in result.stdout
    # each with what to do about it, from the hints catalogue
    # And the job that hangs warned once, by the hot watch, past its threshold (at 7 h, not at 8 h again)
    assert re.search(r"stuck in CREATE IN_PROGRESS since 20\S+Z", result.stdout)
    assert "what to do: in CREATE IN_PROGRESS for 7 h (statusmon warns after 6 h)" in result.stdout
    assert "hot watch, 8 h later: 1 in flight, 1 described, 0 stuck warning(s)" in result.stdout
    assert result.stdout.count("what to do: ") == 5
    assert "what to do: Add the missing columns to the CSV's header row" in result.stdout
    assert "read more: https://docs.aws.amazon.com/personalize/latest/dg/data-prep-importing.html" in (
        result.stdout
    )
    # And the status table and a dataset's history at the end
    assert re.search(r"^ID\s+SERVICE\s+STATUS\s+UPDATED\s+REASON$", result.stdout, re.MULTILINE)
    assert re.search(r"^demo-retail/demo-import-ok\s+personalize\s+ACTIVE", result.stdout, re.MULTILINE)
    assert re.search(r"^demo-boots/test\s+rekognition\s+UPDATE_COMPLETE", result.stdout, re.MULTILINE)
    after = result.stdout.split("statusmon history demo-shoes/train")[1]
    history = after.split("DETECTED")[1].splitlines()[1:]
    statuses = [re.split(r"\s{2,}", line)[2] for line in history if line.startswith("20")]
    assert statuses == [
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_FAILED",
    ]
    assert "What to do:" in result.stdout.split("statusmon history")[1]
    assert "everything stopped" in result.stdout
    assert "Traceback" not in result.stderr
