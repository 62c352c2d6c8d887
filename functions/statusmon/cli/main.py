"""The ``statusmon`` command: local setup, sweeps, and queries of the status table.

Every failure a user can fix ends in one line on stderr and a non-zero exit, never a traceback.
Exit codes (docs/cli.md, "Exit codes", lists them too):

- 0: done;
- 1: statusmon could not do the work: AWS or configuration (credentials, region, a table or stack
  that is not there, access denied), a sweep that could read nothing or left alerts pending, a hot
  sweep that could describe nothing of what is in flight, a redrive with alerts still pending, a
  resource with no recorded history (in every output form); when the region is not one botocore
  knows, the line names it first (AWS has no host there and moto answers 500, neither says so);
- 1 from ``wait``: the resource failed or was deleted (``statusmon: failed:`` / ``deleted:``);
- 2: the command line is wrong: an unknown option (the command's own usage, argparse's code), an
  id that matches no tracked resource or several, a malformed ARN, an unknown ``--profile``, a
  region that cannot be one, a number no clock takes (nan, 1e300), a local-mode command without
  the ``statusmon[local]`` extra, ``local-setup`` aimed at AWS itself without ``--aws``; every
  such message starts ``statusmon: error:`` (argparse's: ``statusmon COMMAND: error:``);
- 2 from ``wait``: the timeout passed, the one line starting ``statusmon: timeout:``;
- 130: interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta

from statusmon import __version__
from statusmon.adapters import aws, sns
from statusmon.adapters.errors import AwsError, environment_problem
from statusmon.adapters.stack_outputs import TABLE_NAME, TOPIC_ARN, outputs_of
from statusmon.adapters.store import StatusStore
from statusmon.domain.arns import MalformedArnError, parse_resource_arn
from statusmon.domain.vocabulary import Service
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.deliver import FAILED, SENT, SKIPPED, DeliveryReport
from statusmon.logic.events import EVENTS_CHANNEL
from statusmon.logic.run import run_redrive, run_sweep, sweep_and_deliver, watch_and_deliver
from statusmon.settings import ENV_PREFIX, Settings, SettingsError, check_endpoints, load_settings

from . import completion, ids, render, watchview
from . import wait as waiting
from .examples import add_examples
from .progress import Progress
from .render import Output

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_TABLE = "statusmon-status"
DEFAULT_TOPIC = "statusmon-alerts"
# botocore's own rule for a region name (what it would reject deep inside, with a traceback).
_REGION = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
# What `pip install statusmon[local]` adds: the statusmon-local distribution (the emulator, the
# local wiring and the demo) and the moto server it runs.
LOCAL_MODULES = ("statusmon_local", "statusmon_emulator", "moto", "flask", "werkzeug")
LOCAL_COMMANDS = ("demo", "emulator")


class UsageError(Exception):
    """The command line is not usable as given (exit 2); the message says what to fix."""


class CommandFailed(Exception):
    """The command ran but could not do its work (exit 1); the message says why."""


def _use_aws(args: argparse.Namespace) -> None:
    """``--profile`` and ``--region``, checked, for every client and model of this run."""
    profile, region = getattr(args, "profile", None), getattr(args, "region", None)
    if region is not None and not _REGION.match(region):
        raise UsageError(f"--region {region!r} is not a region name (for example us-east-1)")
    if profile is not None and profile not in aws.profiles():
        raise UsageError(
            f"--profile {profile!r} is not in the config or credentials file: "
            "`aws configure list-profiles` lists them"
        )
    aws.use(profile=profile, region=region)


def _settings(args: argparse.Namespace) -> Settings:
    # botocore reads AWS_DEFAULT_REGION only; the contract also honours AWS_REGION (as Lambda sets).
    if os.environ.get("AWS_REGION") and not os.environ.get("AWS_DEFAULT_REGION"):
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"]
    check_endpoints(os.environ)
    environ = dict(os.environ)
    stack = getattr(args, "stack", None)
    if stack:
        # The flag wins over the variables, as a command line does over the environment.
        outputs = outputs_of(stack)
        named = {f"{ENV_PREFIX}TABLE_NAME": outputs[TABLE_NAME], f"{ENV_PREFIX}TOPIC_ARN": outputs[TOPIC_ARN]}
        environ = {k: v for k, v in environ.items() if k.upper() not in named} | named
    return load_settings(environ)


def _output(args: argparse.Namespace) -> Output:
    return Output(getattr(args, "output", None) or Output.TABLE)


def _missing_local_extra(command: str) -> str | None:
    """The one line to print when ``command`` needs the ``[local]`` extra and it is not installed.

    The extra is the statusmon-local distribution, which is not on PyPI: both ways that work name
    the distributions explicitly (the checkout's two projects, or the wheel with the directory that
    holds statusmon-local's next to it), so that no index is asked for a package it does not have.
    """
    if all(importlib.util.find_spec(name) for name in LOCAL_MODULES):
        return None
    wheel = f"statusmon-{__version__}-py3-none-any.whl"
    return (
        f"`statusmon {command}` is local mode, which needs the local extra (statusmon-local, not on "
        f"PyPI): in a checkout of statusmon, pip install . ./local; or from its wheels (make dist), "
        f'pip install --find-links dist "statusmon[local] @ file://$PWD/dist/{wheel}"'
    )


def cmd_local_setup(args: argparse.Namespace, settings: Settings) -> int:
    # Made for moto server: against AWS it would create a table and a topic in the account of
    # whatever credentials are about, so that takes a word of its own (--aws).
    if not args.aws:
        remote = [f"{name} ({url})" for name in ("dynamodb", "sns") if (url := aws.aws_endpoint(name))]
        if remote:
            raise UsageError(
                f"local-setup is for local endpoints, and {' and '.join(remote)} would be AWS itself: "
                "export AWS_ENDPOINT_URL=http://127.0.0.1:5000 (moto server), or pass --aws to create "
                "the table and topic in your AWS account"
            )
    table_name = settings.table_name or DEFAULT_TABLE
    topic_name = settings.topic_arn.rsplit(":", 1)[-1] if settings.topic_arn else DEFAULT_TOPIC
    created = StatusStore(table_name).ensure_table()
    topic_arn = sns.ensure_topic(topic_name)
    _say(f"table {table_name}: {'created' if created else 'already there'}")
    _say(f"topic {topic_arn}: ready")
    output = _output(args)
    if output is Output.JSON:
        print(render.as_json({"table_name": table_name, "topic_arn": topic_arn, "table_created": created}))
    elif output is Output.TEXT:
        print(render.text([[table_name, topic_arn]]))
    else:
        print(f"export {ENV_PREFIX}TABLE_NAME={table_name}")
        print(f"export {ENV_PREFIX}TOPIC_ARN={topic_arn}")
    return EXIT_OK


def _table(settings: Settings, *, topic: bool = False) -> str:
    """The table (and, with ``topic``, a check that the topic is named), or what to do about it."""
    if topic and not settings.topic_arn:
        raise SettingsError(
            f"no alert topic: pass --stack NAME (the deployed stack) or export {ENV_PREFIX}TOPIC_ARN "
            "(its TopicArn output)"
        )
    if not settings.table_name:
        raise SettingsError(
            f"no table: pass --stack NAME (the deployed stack) or export {ENV_PREFIX}TABLE_NAME "
            "(its TableName output); `statusmon local-setup` makes a local one"
        )
    return settings.table_name


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    store = StatusStore(_table(settings))
    service = Service(args.service) if args.service else None
    states = store.states(service, failed_only=args.failed)
    output = _output(args)
    if states or output is not Output.TABLE:
        view = render.states_view(states, output)
        if view:
            print(view)
    else:
        what = "failed resources" if args.failed else "tracked resources"
        _say(f"no {what} (has a sweep run yet?)")
    return EXIT_OK


def resolve_id(store: StatusStore, text: str) -> ids.Resolved:
    """The resource an id names, for every command that takes one (the whole table is read unless
    ``text`` is an ARN)."""
    if ids.is_arn(text):
        return ids.resolve(text, [])
    return ids.resolve(text, store.states())


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    store = StatusStore(_table(settings))
    arn = resolve_id(store, args.id).arn
    transitions = store.history(arn)
    # The same outcome whatever the form: a script reading JSON learns of an untracked ARN from
    # the exit code, as a person does from the line.
    if not transitions:
        raise CommandFailed(f"no history for {arn}: it is not tracked (see `statusmon status`)")
    print(render.history_view(transitions, _output(args)))
    return EXIT_OK


def cmd_wait(args: argparse.Namespace, settings: Settings) -> int:
    if args.direct:
        if not ids.is_arn(args.id):
            raise UsageError(
                "--direct asks the service, not the status table, which is what knows short ids: "
                "give the resource's ARN (`statusmon status --output text` prints it)"
            )
        follower: waiting.Follower = waiting.DirectFollower.of(parse_resource_arn(args.id))
    else:
        store = StatusStore(_table(settings))
        sweep = args.sweep if args.sweep is not None else aws.aws_endpoint("dynamodb") is None
        if not sweep:
            follower = waiting.TableFollower(store, resolve_id(store, args.id))
        else:
            services = [parse_resource_arn(args.id).service] if ids.is_arn(args.id) else list(Service)
            _sweep_for_wait(settings, services)  # first, so that a resource just created has an id
            table = waiting.TableFollower(store, resolved := resolve_id(store, args.id))
            service = resolved.state.service if resolved.state else services[0]
            follower = waiting.SweepingFollower(table, lambda: _sweep_for_wait(settings, [service]))
    stream = waiting.Stream(_output(args), _say, interval=args.interval, timeout=args.timeout)
    outcome, state = waiting.wait(
        follower, stream, interval=args.interval, timeout=args.timeout, new_only=args.new
    )
    return stream.finish(outcome, state)


def _sweep_for_wait(settings: Settings, services: Sequence[Service]) -> None:
    """One sweep of ``services`` (and delivery, when there is a topic), as `statusmon sweep` runs it;
    an ``AwsError`` when it could read no source, which `wait` reports and tries again."""
    if settings.topic_arn:
        outcome = sweep_and_deliver(settings, services)
        reports = outcome.reports
    else:
        reports = [run_sweep(service, settings) for service in services]
    unreadable = [r for r in reports if not r.complete and r.seen == 0 and not r.recorded]
    if len(unreadable) == len(reports):
        problems = unreadable[0].problems or ["nothing listed"]
        raise AwsError(f"the sweep could read no source: {problems[0]}")


def cmd_hot_watch(args: argparse.Namespace, settings: Settings) -> int:
    if args.service:
        raise UsageError("--hot describes whatever is in flight, of every service: drop --service")
    with Progress("hot watch: describing what is in flight"):
        outcome = watch_and_deliver(settings)
    _report_alerts_sent(outcome.delivery)
    summary = outcome.report.summary()
    _say(
        f"hot watch: {_count(summary['watched'], 'resource')} in flight, "
        f"{_count(summary['described'], 'Describe call')}, {_count(summary['transitions'], 'change')}, "
        f"{summary['duration_ms']} ms"
    )
    if not summary["watched"]:
        # Nothing asked of any service: this run says nothing about whether they can be reached.
        _say("  nothing in flight, so no service was asked; `statusmon sweep` reads every source")
    if summary["left_to_sweep"]:
        _say(f"  {summary['left_to_sweep']} left to the next full sweep (`statusmon sweep`)")
    for problem in outcome.report.problems:
        _say(f"  warning: {problem}")
    _report_delivery(outcome.delivery)
    output = _output(args)
    if output is Output.JSON:
        print(json.dumps({"watch": summary, "delivery": outcome.delivery.summary()}))
    elif output is Output.TEXT:
        fields = ("watched", "described", "transitions", "aws_calls", "throttles", "duration_ms")
        print(render.text([[str(summary[name]) for name in fields]]))
    if summary["watched"] and not summary["described"] and outcome.report.problems:
        # As `sweep` when no source could be read: the run could not do its work.
        raise CommandFailed(f"no resource in flight could be described: {outcome.report.problems[0]}")
    _raise_undelivered(outcome.delivery, outcome.delivery_error)
    return 0


def _report_alerts_sent(delivery: DeliveryReport) -> None:
    for sent in delivery.deliveries:
        if sent.message_id and sent.message.channel == SNS_CHANNEL:
            _say(f"alert {sent.message.severity}: {sent.message.subject}")


def _raise_undelivered(delivery: DeliveryReport, error: str | None) -> None:
    if error:
        raise CommandFailed(f"alerts not delivered: {error}")
    if delivery.failures:
        raise CommandFailed(
            f"{_pending(delivery)} not delivered yet (they stay pending): {delivery.failures[0].error}"
        )


def cmd_sweep(args: argparse.Namespace, settings: Settings) -> int:
    _table(settings, topic=True)
    if args.hot:
        return cmd_hot_watch(args, settings)
    services = [Service(args.service)] if args.service else list(Service)
    with Progress(f"sweeping {', '.join(s.value for s in services)}"):
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
    output = _output(args)
    if output is Output.TEXT:
        fields = ("service", "seen", "transitions", "aws_calls", "throttles", "duration_ms")
        print(render.text([[str(r.summary()[name]) for name in fields] for r in outcome.reports]))
    if output is Output.JSON:
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
        raise CommandFailed(f"no source could be read: {unreadable[0].problems[0]}")
    _raise_undelivered(outcome.delivery, outcome.delivery_error)
    return 0


def cmd_redrive(args: argparse.Namespace, settings: Settings) -> int:
    _table(settings, topic=True)
    report = run_redrive(settings)
    _report_delivery(report)
    output = _output(args)
    if output is Output.JSON:
        print(json.dumps(report.summary()))
    elif output is Output.TEXT:
        summary = report.summary()
        print(render.text([[str(summary[name]) for name in ("alerts_sent", "events_sent", "failed")]]))
    if report.failures:
        raise CommandFailed(
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


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    # Written so that nan fails them too: it would reach a sleep or a timedelta, with a traceback.
    if not watchview.MIN_INTERVAL <= args.interval <= watchview.MAX_INTERVAL:
        raise UsageError(
            f"--interval is in seconds, from {watchview.MIN_INTERVAL:g} to {watchview.MAX_INTERVAL:g}"
        )
    if not 0 < args.failed_within <= watchview.MAX_FAILED_WITHIN_HOURS:
        raise UsageError(
            f"--failed-within is in hours, more than 0 and at most {watchview.MAX_FAILED_WITHIN_HOURS:g}"
        )
    table_name = _table(settings)
    store = StatusStore(table_name)
    within = timedelta(hours=args.failed_within)
    watchview.show(
        lambda: watchview.read_frame(store, failed_within=within),
        table_name=table_name,
        output=_output(args),
        interval=args.interval,
        once=args.once,
    )
    # Ctrl-C is how a watch ends, as it is for top: 0 (`--once` interrupted is 130, as any command).
    return EXIT_OK


def cmd_completion(args: argparse.Namespace, settings: Settings | None) -> int:
    print(completion.script(args.shell))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings | None) -> int:
    # Local mode only: moto server and the emulator, imported when asked for.
    from statusmon_local.demo import run_demo  # noqa: PLC0415

    return run_demo()


def _options(*, stack: bool = True, top: bool = False) -> argparse.ArgumentParser:
    """The AWS CLI's options, for the top level and each command (``statusmon --region X status``
    and ``statusmon status --region X`` both work; a command's own value wins)."""
    # At a command, an absent option must not overwrite what the top level parsed.
    default = None if top else argparse.SUPPRESS
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("AWS options")
    group.add_argument(
        "--region",
        default=default,
        help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)",
    )
    group.add_argument(
        "--profile",
        default=default,
        help="named profile of ~/.aws/config and credentials (default: AWS_PROFILE)",
    )
    if stack:
        group.add_argument(
            "--stack",
            metavar="NAME",
            default=default,
            help="the deployed statusmon stack: its TableName and TopicArn outputs name the table and topic "
            "(instead of STATUSMON_TABLE_NAME and STATUSMON_TOPIC_ARN)",
        )
    group.add_argument(
        "--output",
        choices=[o.value for o in Output],
        default=default,
        help="table (default): columns for people; json: every field; text: tab-separated, no header",
    )
    group.add_argument(
        "--json",
        dest="output",
        action="store_const",
        const=Output.JSON.value,
        default=default,
        help="short for --output json",
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statusmon",
        description="Status monitor for Rekognition Custom Labels datasets and Personalize import jobs.",
        epilog="exit codes: 0 done, 1 could not do the work (AWS, configuration, alerts pending; "
        "`wait`: the resource failed), 2 a wrong command line (unknown or ambiguous id, unknown option "
        "or profile; `wait`: the timeout passed, `statusmon: timeout:`)",
        parents=[_options(stack=False, top=True)],
    )
    parser.add_argument("--version", action="version", version=f"statusmon {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    deployed, local_only = [_options()], [_options(stack=False)]

    setup = commands.add_parser(
        "local-setup",
        help="create the status table and alert topic on the configured endpoints",
        parents=local_only,
    )
    setup.add_argument(
        "--aws",
        action="store_true",
        help="create them in AWS itself when no local endpoint is configured (the default refuses: "
        "a deployed stack has its own table and topic)",
    )
    setup.set_defaults(func=cmd_local_setup)

    status = commands.add_parser(
        "status", help="current state of every tracked resource, with its id", parents=deployed
    )
    status.add_argument("--failed", action="store_true", help="only resources that are failed now")
    status.add_argument("--service", choices=[s.value for s in Service], help="only one service")
    status.set_defaults(func=cmd_status)

    history = commands.add_parser(
        "history", help="one resource's transitions, oldest first", parents=deployed
    )
    history.add_argument(
        "id", metavar="ID", help="an id from `statusmon status` (PROJECT/TYPE, DATASET_GROUP/JOB) or an ARN"
    )
    history.set_defaults(func=cmd_history)

    wait = commands.add_parser(
        "wait",
        help="block until one resource completes (exit 0), fails (1) or the timeout passes (2)",
        parents=deployed,
    )
    wait.add_argument(
        "id", metavar="ID", help="an id from `statusmon status`, or an ARN (with --direct: an ARN)"
    )
    wait.add_argument(
        "--interval",
        type=waiting.seconds,
        default=waiting.DEFAULT_INTERVAL,
        metavar="DURATION",
        help="how often to look: 30, 30s, 2m (default: 10s)",
    )
    wait.add_argument(
        "--timeout",
        type=waiting.seconds,
        metavar="DURATION",
        help="give up after this long: exit 2, `statusmon: timeout:` (default: no limit): 90s, 15m, 2h",
    )
    wait.add_argument(
        "--direct",
        action="store_true",
        help="ask the service (DescribeDataset, DescribeDatasetImportJob) instead of the status table: "
        "works without a deployed monitor",
    )
    wait.add_argument(
        "--sweep",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="sweep the resource's service before each look, as `statusmon sweep` does (default: "
        "only when the table is on a local endpoint, where no deployed monitor sweeps; --no-sweep "
        "when something else sweeps it)",
    )
    wait.add_argument(
        "--new",
        action="store_true",
        help="a resource settled now does not end the wait, only a transition after it starts does "
        "(wait for an update you just started)",
    )
    wait.set_defaults(func=cmd_wait)

    sweep = commands.add_parser(
        "sweep", help="one sweep of every source, then deliver the alerts it caused", parents=deployed
    )
    sweep.add_argument("--service", choices=[s.value for s in Service], help="only one service")
    sweep.add_argument(
        "--hot",
        action="store_true",
        help="only describe what is in flight, as the deployed one-minute hot watch does",
    )
    sweep.set_defaults(func=cmd_sweep)

    redrive = commands.add_parser(
        "redrive", help="deliver every alert still pending (after an SNS outage)", parents=deployed
    )
    redrive.set_defaults(func=cmd_redrive)

    watch = commands.add_parser(
        "watch",
        help="what is in flight and what failed recently, refreshed in place (Ctrl-C to quit)",
        description="What is in flight and what failed recently, from the status table, refreshed "
        "in place on a terminal; plain frames, one each refresh, when stdout is not a terminal. "
        "NO_COLOR turns colours off. Ctrl-C quits (exit 0).",
        parents=deployed,
    )
    watch.add_argument(
        "--interval",
        type=float,
        default=watchview.DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between refreshes (default {watchview.DEFAULT_INTERVAL:g})",
    )
    watch.add_argument(
        "--failed-within",
        type=float,
        default=watchview.DEFAULT_FAILED_WITHIN_HOURS,
        metavar="HOURS",
        help=f"list failures of the last HOURS (default {watchview.DEFAULT_FAILED_WITHIN_HOURS:g}); "
        "older ones are counted",
    )
    watch.add_argument("--once", action="store_true", help="print one frame and exit")
    watch.set_defaults(func=cmd_watch)

    shell_completion = commands.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh or fish)",
        description="Print the completion script of SHELL; to install it: "
        + "; ".join(completion.install_hint(shell) for shell in completion.SHELLS),
    )
    shell_completion.add_argument(
        "shell", choices=completion.SHELLS, metavar="SHELL", help="bash, zsh or fish"
    )
    shell_completion.set_defaults(func=cmd_completion, offline=True)

    demo = commands.add_parser(
        "demo", help="the whole monitor locally, with a scripted story of failures (statusmon[local])"
    )
    demo.set_defaults(func=cmd_demo, offline=True)

    commands.add_parser(
        "emulator",
        help="run the local Rekognition/Personalize emulator (statusmon[local]; statusmon emulator --help)",
        add_help=False,
    )
    add_examples(commands)
    return parser


Command = Callable[[argparse.Namespace, Settings | None], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    completion.complete(parser)  # answers a shell's TAB and exits; returns at once otherwise
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] and arguments[0] in LOCAL_COMMANDS and (problem := _missing_local_extra(arguments[0])):
        _say(f"statusmon: error: {problem}")
        return EXIT_USAGE
    if arguments[:1] == ["emulator"]:
        from statusmon_emulator.cli import main as emulator_main  # noqa: PLC0415

        return emulator_main(arguments[1:])
    args, unknown = parser.parse_known_args(arguments)
    if unknown:
        # argparse leaves them to the top level, whose usage does not list the command's options.
        command = _subcommands(parser)[args.command]
        command.error(
            f"unrecognized arguments: {' '.join(unknown)} "
            f"(`statusmon {args.command} --help` lists its options)"
        )
    return _run(args)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def _run(args: argparse.Namespace) -> int:
    command: Command = args.func
    try:
        if getattr(args, "offline", False):
            return command(args, None)
        _use_aws(args)
        return command(args, _settings(args))
    except (UsageError, MalformedArnError, ids.UnknownIdError, ids.AmbiguousIdError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except (SettingsError, AwsError, CommandFailed) as exc:
        # A setting's own message is right whatever the region; the rest may be the region's doing.
        return _fail(str(exc) if isinstance(exc, SettingsError) else _blame_region(args, str(exc)))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        problem = environment_problem(exc)
        if problem is None:
            raise
        return _fail(_blame_region(args, problem))


def _blame_region(args: argparse.Namespace, problem: str) -> str:
    """``problem``, led by the region when it is not one botocore knows: AWS has no endpoint there
    (the host does not resolve) and moto server answers 500, neither of which names the region.
    A region newer than the installed botocore is not blamed unless something failed."""
    try:
        region = aws.session().get_config_variable("region")
    except Exception:  # the profile it would be read from is what failed: the problem says so
        return problem
    if not region or aws.known_region(region):
        return problem
    if getattr(args, "region", None):
        where = "--region"
    else:
        where = next(
            (name for name in ("AWS_REGION", "AWS_DEFAULT_REGION") if os.environ.get(name) == region),
            "the profile's region",
        )
    return (
        f"region {region!r} ({where}) is not a known AWS region: use one such as us-east-1 "
        f"(`aws account list-regions` lists your account's); what failed: {problem}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _say(text: str) -> None:
    print(render.clean(text), file=sys.stderr)


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    _say(f"statusmon: error: {message}")
    return code


if __name__ == "__main__":
    sys.exit(main())
