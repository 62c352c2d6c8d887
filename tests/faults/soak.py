"""`make soak`: the fault suite's long profile, until at least N sweeps ran; prints what it found.

    python -m tests.faults.soak [--sweeps 1000] [--seed S]

Exit 0 when no invariant broke: lost, duplicate, unexpected, reversal and mismatch are all 0. Repeats after a
publish whose success statusmon could not see (SNS's own at-least-once) are counted apart.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from statusmon_local.services import moto_server
from tests.faults.machine import TALLY, StatusmonMachine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="soak", description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps", type=int, default=1000, help="run until at least this many sweeps")
    parser.add_argument("--steps", type=int, default=100, help="steps per run of the machine")
    args = parser.parse_args(argv)
    profile = settings(
        max_examples=10**6,
        stateful_step_count=args.steps,
        deadline=None,
        database=None,
        # Shrinking a failure of a long run takes long; the first failure, as found, is reported.
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    started = time.monotonic()
    failure: BaseException | None = None
    with moto_server() as url:
        os.environ.update(
            AWS_ENDPOINT_URL=url,
            AWS_MAX_ATTEMPTS="1",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
        )
        while TALLY.sweeps < args.sweeps and failure is None:
            try:
                run_state_machine_as_test(StatusmonMachine, settings=settings(profile, max_examples=5))
            except BaseException as exc:  # reported below, with the counts
                failure = exc
    elapsed = time.monotonic() - started
    print(
        f"soak: {TALLY.sweeps} sweeps ({TALLY.clean_sweeps} clean, {TALLY.killed_sweeps} killed, "
        f"{TALLY.sweeps_not_run} could not read the table, {TALLY.overlapping_sweeps} overlapping, "
        f"{TALLY.late_answers} answers delivered late; "
        f"{TALLY.transitions} transitions recorded), "
        f"{TALLY.deliveries} deliveries ({TALLY.overlapping_deliveries} overlapping, {TALLY.publish_refused} "
        f"publishes refused), {TALLY.settles} settle "
        f"points, {TALLY.steps} steps in {TALLY.examples} runs, {elapsed:.0f} s"
    )
    print(
        f"soak: {TALLY.watch_runs} hot watch runs ({TALLY.killed_watch_runs} killed; "
        f"{TALLY.watch_described} described, {TALLY.watch_transitions} transitions recorded, "
        f"{TALLY.watch_left_to_sweep} left to the sweep, {TALLY.watch_problems} read problems, "
        f"{TALLY.stuck_warnings} stuck warnings), "
        f"{TALLY.discoveries} CloudTrail discoveries, {TALLY.quick_operations} quick operations between "
        f"two looks ({TALLY.quick_operations_reported} reported by CloudTrail, "
        f"{TALLY.quick_operations_checked} checked as recorded at a settle point)"
    )
    print(
        f"soak: {TALLY.failure_transitions} failure transitions recorded, {TALLY.failures_required} failures "
        f"the services held at settle points, {TALLY.alerts} alerts published, {TALLY.events} events put, "
        f"{TALLY.chat_notifications} chat notifications, "
        f"{TALLY.unknown_status_warnings} unknown-status warnings"
    )
    print(
        f"soak: lost {TALLY.lost} / duplicate {TALLY.duplicate} / unexpected {TALLY.unexpected} / "
        f"reversal {TALLY.reversal} / table mismatch {TALLY.mismatch} / "
        f"calls past a deadline {TALLY.deadline}"
    )
    print(
        f"soak: repeats after a publish statusmon could not confirm (SNS at-least-once, counted apart): "
        f"{TALLY.repeats_after_unseen_publish}"
    )
    print("soak: faults drawn: " + ", ".join(f"{k} {v}" for k, v in sorted(TALLY.faults.items())))
    if failure is not None:
        print(f"soak: FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
