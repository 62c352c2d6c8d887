"""The ``statusmon`` command: local setup, sweeps, and queries of the status table.

Every failure a user can fix ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from statusmon import __version__
from statusmon.adapters import sns
from statusmon.adapters.errors import AwsError, environment_problem
from statusmon.adapters.stack_outputs import TABLE_NAME, outputs_of
from statusmon.adapters.store import StatusStore
from statusmon.domain.arns import MalformedArnError, parse_resource_arn
from statusmon.domain.vocabulary import Service
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.deliver import FAILED, SENT, SKIPPED, DeliveryReport
from statusmon.logic.events import EVENTS_CHANNEL
from statusmon.logic.run import run_redrive, sweep_and_deliver, watch_and_deliver
from statusmon.settings import Settings, SettingsError, check_endpoints, load_settings

from . import render

STACK_HELP = "find the table from this deployed stack's outputs (when STATUSMON_TABLE_NAME is unset)"
DEFAULT_TABLE = "statusmon-status"
DEFAULT_TOPIC = "statusmon-alerts"


class UsageError(Exception):
    """The command line or the environment is not usable as given; the message says what to fix."""


def _settings() -> Settings:
    # botocore reads AWS_DEFAULT_REGION only; the contract also honours AWS_REGION (as Lambda sets).
    if os.environ.get("AWS_REGION") and not os.environ.get("AWS_DEFAULT_REGION"):
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"]
    check_endpoints(os.environ)
    return load_settings(dict(os.environ))


def cmd_local_setup(args: argparse.Namespace, settings: Settings) -> int:
    table_name = settings.table_name or DEFAULT_TABLE
    topic_name = settings.topic_arn.rsplit(":", 1)[-1] if settings.topic_arn else DEFAULT_TOPIC
    created = StatusStore(table_name).ensure_table()
    topic_arn = sns.ensure_topic(topic_name)
    _say(f"table {table_name}: {'created' if created else 'already there'}")
    _say(f"topic {topic_arn}: ready")
    print(f"export STATUSMON_TABLE_NAME={table_name}")
    print(f"export STATUSMON_TOPIC_ARN={topic_arn}")
    return 0


def _table(args: argparse.Namespace, settings: Settings) -> str:
    """The table from STATUSMON_TABLE_NAME, or from a deployed stack's TableName output."""
    if getattr(args, "stack", None) and not settings.table_name:
        return outputs_of(args.stack)[TABLE_NAME]
    return settings.require_table()


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    store = StatusStore(_table(args, settings))
    service = Service(args.service) if args.service else None
    states = store.states(service, failed_only=args.failed)
    if args.json:
        print(json.dumps([render.state_record(s) for s in states], indent=2, default=str))
    elif states:
        print(render.states_table(states))
    else:
        what = "failed resources" if args.failed else "tracked resources"
        _say(f"no {what} (has a sweep run yet?)")
    return 0


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    arn = parse_resource_arn(args.arn).arn
    transitions = StatusStore(_table(args, settings)).history(arn)
    if args.json:
        print(json.dumps([render.history_record(t) for t in transitions], indent=2, default=str))
        return 0
    if not transitions:
        _say(f"no history for {arn}: it is not tracked (see `statusmon status`)")
        return 1
    print(render.history_table(transitions))
    return 0


def cmd_hot_watch(args: argparse.Namespace, settings: Settings) -> int:
    if args.service:
        raise UsageError("--hot describes whatever is in flight, of every service: drop --service")
    outcome = watch_and_deliver(settings)
    _report_alerts_sent(outcome.delivery)
    summary = outcome.report.summary()
    _say(
        f"hot watch: {_count(summary['watched'], 'resource')} in flight, "
        f"{_count(summary['described'], 'Describe call')}, {_count(summary['transitions'], 'change')}, "
        f"{summary['duration_ms']} ms"
    )
    if summary["left_to_sweep"]:
        _say(f"  {summary['left_to_sweep']} left to the next full sweep (`statusmon sweep`)")
    for problem in outcome.report.problems:
        _say(f"  warning: {problem}")
    _report_delivery(outcome.delivery)
    if args.json:
        print(json.dumps({"watch": summary, "delivery": outcome.delivery.summary()}))
    _raise_undelivered(outcome.delivery, outcome.delivery_error)
    return 0


def _report_alerts_sent(delivery: DeliveryReport) -> None:
    for sent in delivery.deliveries:
        if sent.message_id and sent.message.channel == SNS_CHANNEL:
            _say(f"alert {sent.message.severity}: {sent.message.subject}")


def _raise_undelivered(delivery: DeliveryReport, error: str | None) -> None:
    if error:
        raise UsageError(f"alerts not delivered: {error}")
    if delivery.failures:
        raise UsageError(
            f"{_pending(delivery)} not delivered yet (they stay pending): {delivery.failures[0].error}"
        )


def cmd_sweep(args: argparse.Namespace, settings: Settings) -> int:
    if args.hot:
        return cmd_hot_watch(args, settings)
    services = [Service(args.service)] if args.service else list(Service)
    outcome = sweep_and_deliver(settings, services)
    unreadable = [r for r in outcome.reports if not r.complete and r.seen == 0 and not r.recorded]
    _report_alerts_sent(outcome.delivery)
    for report in outcome.reports:
        summary = report.summary()
        note = " (baseline: recorded silently)" if report.baseline and report.recorded else ""
        _say(
            f"{summary['service']}: {_count(summary['seen'], 'resource')}, "
            f"{_count(summary['transitions'], 'change')}{note}, "
            f"{_count(summary['aws_calls'], 'AWS call')} ({summary['throttles']} throttled), "
            f"{summary['duration_ms']} ms"
        )
        for status in sorted(report.unknown_statuses):
            _say(f"  warning: status {status!r} is not in statusmon's vocabulary (recorded as given)")
        for problem in report.problems:
            _say(f"  warning: {problem}")
        if report.problems or not report.complete or report.stopped_early:
            _say("  the next sweep catches up on what this one could not read")
    _report_delivery(outcome.delivery)
    if args.json:
        print(
            json.dumps(
                {
                    "sweeps": [r.summary() for r in outcome.reports],
                    "delivery": outcome.delivery.summary(),
                    "alerts_sent": outcome.delivery.count(SENT, SNS_CHANNEL),
                    "events_sent": outcome.delivery.count(SENT, EVENTS_CHANNEL),
                }
            )
        )
    if len(unreadable) == len(outcome.reports):
        raise UsageError(f"no source could be read: {unreadable[0].problems[0]}")
    _raise_undelivered(outcome.delivery, outcome.delivery_error)
    return 0


def cmd_redrive(args: argparse.Namespace, settings: Settings) -> int:
    report = run_redrive(settings)
    _report_delivery(report)
    if args.json:
        print(json.dumps(report.summary()))
    if report.failures:
        raise UsageError(
            f"{_pending(report)} still pending: {report.failures[0].error}; run redrive again later"
        )
    if not report.deliveries:
        _say("nothing pending: every recorded alert and event has been delivered")
    return 0


def _pending(report: DeliveryReport) -> str:
    alerts, events = report.count(FAILED, SNS_CHANNEL), report.count(FAILED, EVENTS_CHANNEL)
    return " and ".join(
        text for n, text in ((alerts, _count(alerts, "alert")), (events, _count(events, "event"))) if n
    )


def _report_delivery(report: DeliveryReport) -> None:
    summary = report.summary()
    if report.deliveries:
        _say(
            f"delivery: {_count(report.count(SENT, SNS_CHANNEL), 'alert')} and "
            f"{_count(report.count(SENT, EVENTS_CHANNEL), 'state-change event')} sent, "
            f"{report.count(FAILED)} still pending, {report.count(SKIPPED)} taken by another deliverer"
        )
    if summary["unconfirmed"]:
        _say(
            f"  warning: {summary['unconfirmed']} sent but not confirmed in the table: "
            "they go out once more after the lease (subscribers can drop them by transition_id)"
        )


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    # Local mode only: moto and the emulator are development dependencies.
    from statusmon.local.demo import run_demo  # noqa: PLC0415

    return run_demo()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statusmon",
        description="Status monitor for Rekognition Custom Labels datasets and Personalize import jobs.",
    )
    parser.add_argument("--version", action="version", version=f"statusmon {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    setup = commands.add_parser(
        "local-setup", help="create the status table and alert topic on the configured endpoints"
    )
    setup.set_defaults(func=cmd_local_setup)

    status = commands.add_parser("status", help="current state of every tracked resource")
    status.add_argument("--failed", action="store_true", help="only resources that are failed now")
    status.add_argument("--service", choices=[s.value for s in Service], help="only one service")
    status.add_argument("--json", action="store_true", help="a JSON list, for scripts")
    status.add_argument("--stack", metavar="NAME", help=STACK_HELP)
    status.set_defaults(func=cmd_status)

    sweep = commands.add_parser("sweep", help="one sweep of every source, then deliver the alerts it caused")
    sweep.add_argument("--service", choices=[s.value for s in Service], help="only one service")
    sweep.add_argument(
        "--hot",
        action="store_true",
        help="only describe what is in flight, as the deployed one-minute hot watch does",
    )
    sweep.add_argument("--json", action="store_true", help="print what each sweep did as JSON, for scripts")
    sweep.set_defaults(func=cmd_sweep)

    redrive = commands.add_parser(
        "redrive", help="deliver every alert still pending (after an SNS outage); needs STATUSMON_TOPIC_ARN"
    )
    redrive.add_argument("--json", action="store_true", help="print what was delivered as JSON")
    redrive.set_defaults(func=cmd_redrive)

    history = commands.add_parser("history", help="one resource's transitions, oldest first")
    history.add_argument("arn", help="dataset or dataset import job ARN")
    history.add_argument("--json", action="store_true", help="a JSON list, for scripts")
    history.add_argument("--stack", metavar="NAME", help=STACK_HELP)

    demo = commands.add_parser("demo", help="the whole monitor locally, with a scripted story of failures")
    demo.set_defaults(func=cmd_demo)

    commands.add_parser(
        "emulator",
        help="run the local Rekognition/Personalize emulator (statusmon emulator --help)",
        add_help=False,
    )
    history.set_defaults(func=cmd_history)
    return parser


Command = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["emulator"]:
        # A development tool: imported only when asked for (not shipped to Lambda).
        from statusmon_emulator.cli import main as emulator_main  # noqa: PLC0415

        return emulator_main(arguments[1:])
    args = build_parser().parse_args(arguments)
    command: Command = args.func
    try:
        return command(args, _settings())
    except (SettingsError, MalformedArnError, AwsError, UsageError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        problem = environment_problem(exc)
        if problem is None:
            raise
        return _fail(problem)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _say(text: str) -> None:
    print(render.clean(text), file=sys.stderr)


def _fail(message: str) -> int:
    _say(f"statusmon: error: {message}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
