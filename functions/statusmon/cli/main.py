"""The ``statusmon`` command: local setup, sweeps, and queries of the status table.

Every failure a user can fix ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from statusmon import __version__
from statusmon.adapters import sns
from statusmon.adapters.errors import AwsError, environment_problem
from statusmon.adapters.store import StatusStore
from statusmon.domain.arns import MalformedArnError, parse_resource_arn
from statusmon.domain.vocabulary import Service
from statusmon.settings import Settings, SettingsError, load_settings

from . import render

DEFAULT_TABLE = "statusmon-status"
DEFAULT_TOPIC = "statusmon-alerts"


class UsageError(Exception):
    """The command line or the environment is not usable as given; the message says what to fix."""


def _settings() -> Settings:
    # botocore reads AWS_DEFAULT_REGION only; the contract also honours AWS_REGION (as Lambda sets).
    if os.environ.get("AWS_REGION") and not os.environ.get("AWS_DEFAULT_REGION"):
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"]
    return load_settings(dict(os.environ))


def cmd_local_setup(args: argparse.Namespace, settings: Settings) -> int:
    table_name = settings.table_name or DEFAULT_TABLE
    topic_name = settings.topic_arn.rsplit(":", 1)[-1] if settings.topic_arn else DEFAULT_TOPIC
    created = StatusStore(table_name).ensure_table()
    topic_arn = sns.ensure_topic(topic_name)
    print(f"table {table_name}: {'created' if created else 'already there'}", file=sys.stderr)
    print(f"topic {topic_arn}: ready", file=sys.stderr)
    print(f"export STATUSMON_TABLE_NAME={table_name}")
    print(f"export STATUSMON_TOPIC_ARN={topic_arn}")
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    store = StatusStore(settings.require_table())
    service = Service(args.service) if args.service else None
    states = store.states(service, failed_only=args.failed)
    if args.json:
        print(json.dumps([render.state_record(s) for s in states], indent=2, default=str))
    elif states:
        print(render.states_table(states))
    else:
        what = "failed resources" if args.failed else "tracked resources"
        print(f"no {what} (has a sweep run yet?)", file=sys.stderr)
    return 0


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    arn = parse_resource_arn(args.arn).arn
    transitions = StatusStore(settings.require_table()).history(arn)
    if args.json:
        print(json.dumps([render.history_record(t) for t in transitions], indent=2, default=str))
        return 0
    if not transitions:
        print(f"no history for {arn}: it is not tracked (see `statusmon status`)", file=sys.stderr)
        return 1
    print(render.history_table(transitions))
    return 0


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
    status.set_defaults(func=cmd_status)

    history = commands.add_parser("history", help="one resource's transitions, oldest first")
    history.add_argument("arn", help="dataset or dataset import job ARN")
    history.add_argument("--json", action="store_true", help="a JSON list, for scripts")
    history.set_defaults(func=cmd_history)
    return parser


Command = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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


def _fail(message: str) -> int:
    print(f"statusmon: error: {message}", file=sys.stderr)
    return 1


def _json_default(value: Any) -> str:
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
