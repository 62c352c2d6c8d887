"""docs/deploy.md's tables of what the stack deploys, generated from its synthesized templates.

The functions (handler, reserved concurrency, tracing, timeout, the asset they share), each role's
IAM statements, and the alarms, read from the templates of the two profiles the cost model prices
(``bench.cost_model.PROFILES``: the default, and every paid extra on), so that the page cannot
drift from the stack. ``python scripts/template_tables.py`` prints the blocks; ``--write``
replaces them between their markers in docs/deploy.md. tests/infra/test_deploy_doc.py fails when
the page and the templates differ.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "deploy.md"
BLOCKS = ("deploy:functions", "deploy:roles", "deploy:roles-options", "deploy:alarms")

Template = Mapping[str, Any]
_PSEUDO = {"AWS::Partition": "<partition>", "AWS::Region": "<region>", "AWS::AccountId": "<account>"}


def _resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in template["Resources"].items() if res["Type"] == resource_type}


def function_name(function: Mapping[str, Any]) -> str:
    """``statusmon.handlers.poll_rekognition.handler`` -> ``poll_rekognition``."""
    return str(function["Properties"]["Handler"]).split(".")[-2]


def _role_functions(template: Template) -> dict[str, str]:
    """Role logical id -> the name of the function that runs with it."""
    return {
        fn["Properties"]["Role"]["Fn::GetAtt"][0]: function_name(fn)
        for fn in _resources(template, "AWS::Lambda::Function").values()
    }


# What a policy's resource of our own stack is called on the page, by its type.
_NAMES = {
    "AWS::Logs::LogGroup": "its log group",
    "AWS::KMS::Key": "the stack's key",
    "AWS::SQS::Queue": "the DLQ",
}


def _name(template: Template, logical_id: str, attribute: str | None = None) -> str:
    resource = template["Resources"][logical_id]
    kind = resource["Type"]
    if kind == "AWS::DynamoDB::Table":
        return "the table's stream" if attribute == "StreamArn" else "the table"
    if kind == "AWS::SNS::Topic":
        return "the chat topic" if "Chat" in logical_id else "the alert topic"
    if kind == "AWS::Lambda::Function":
        return f"the `{function_name(resource)}` function"
    return _NAMES.get(kind, logical_id)


def render(template: Template, value: Any) -> str:  # noqa: PLR0911 (one return per intrinsic)
    """A policy's Resource in words: our resources by what they are, ARN patterns with placeholders."""
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, list):
        return ", ".join(render(template, item) for item in value)
    if "Ref" in value:
        return _PSEUDO.get(value["Ref"]) or _name(template, value["Ref"])
    if "Fn::GetAtt" in value:
        return _name(template, *value["Fn::GetAtt"])
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        if len(parts) == 2 and isinstance(parts[1], str) and parts[1].startswith("/index/"):
            return f"{render(template, parts[0])}'s `{parts[1].removeprefix('/index/')}` index"
        text = separator.join(p if isinstance(p, str) else render(template, p) for p in parts)
        return f"`{text}`"
    return json.dumps(value)


def _condition(condition: Mapping[str, Any] | None) -> str:
    if not condition:
        return ""
    parts = []
    for operator, keys in condition.items():
        for key, value in keys.items():
            listed = ", ".join(f"`{v}`" for v in (value if isinstance(value, list) else [value]))
            parts.append(
                f"`{key}` is {listed}"
                if operator.endswith("StringEquals")
                else f"{operator} `{key}` {listed}"
            )
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def role_rows(template: Template) -> list[tuple[str, str, str, str]]:
    """(function, actions, on, where) for every statement of every function's role policy."""
    roles = _role_functions(template)
    rows = []
    for policy in _resources(template, "AWS::IAM::Policy").values():
        (role,) = policy["Properties"]["Roles"]
        if role.get("Ref") not in roles:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            rows.append(
                (
                    roles[role["Ref"]],
                    ", ".join(f"`{a}`" for a in sorted(actions)),
                    render(template, statement["Resource"]),
                    _condition(statement.get("Condition")),
                )
            )
    return sorted(rows)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
    lines += [f"| {' | '.join(_cell(cell) for cell in row)} |" for row in rows]
    return "\n".join(lines) + "\n"


_ROLE_HEADER = ("function", "may", "on", "only where")


def roles_block(default: Template) -> str:
    return _table(_ROLE_HEADER, role_rows(default))


def roles_options_block(default: Template, everything: Template) -> str:
    """The statements the paid extras add to the default roles, and those they take away."""
    base, extras = set(role_rows(default)), set(role_rows(everything))
    rows = [(fn, "+", *rest) for fn, *rest in extras - base] + [
        (fn, "-", *rest) for fn, *rest in base - extras
    ]
    return _table(("function", "+/-", *_ROLE_HEADER[1:]), sorted(rows))


def _failures_go_to(template: Template) -> dict[str, str]:
    """Function logical id -> where Lambda sends its failed runs (async invoke config) or failed
    stream batches (event source mapping)."""
    found = {}
    for kind in ("AWS::Lambda::EventInvokeConfig", "AWS::Lambda::EventSourceMapping"):
        for resource in _resources(template, kind).values():
            destination = resource["Properties"].get("DestinationConfig", {}).get("OnFailure", {})
            if "Destination" in destination:
                found[resource["Properties"]["FunctionName"]["Ref"]] = render(
                    template, destination["Destination"]
                )
    return found


def functions_block(template: Template) -> str:
    failures = _failures_go_to(template)
    functions = sorted(
        _resources(template, "AWS::Lambda::Function").items(), key=lambda item: function_name(item[1])
    )
    rows = [
        (
            f"`{function_name(fn)}`",
            f"`{fn['Properties']['Handler']}`",
            str(fn["Properties"].get("ReservedConcurrentExecutions", "-")),
            "yes" if fn["Properties"].get("TracingConfig", {}).get("Mode") == "Active" else "no",
            f"{fn['Properties'].get('Timeout', 3)} s",
            f"{fn['Properties'].get('MemorySize', 128)} MB",
            failures.get(logical_id, "-"),
        )
        for logical_id, fn in functions
    ]
    functions_only = [fn for _, fn in functions]
    assets = {json.dumps(fn["Properties"]["Code"], sort_keys=True) for fn in functions_only}
    reserving = [fn for fn in functions_only if "ReservedConcurrentExecutions" in fn["Properties"]]
    reserved = sum(int(fn["Properties"]["ReservedConcurrentExecutions"]) for fn in reserving)
    return (
        _table(
            ("function", "handler", "reserved concurrency", "traced", "timeout", "memory", "failures go to"),
            rows,
        )
        + f"\n{len(functions)} functions in {len(assets)} asset{'s' if len(assets) > 1 else ''}; "
        f"{len(reserving)} of them reserve {reserved} concurrent execution{'s' if reserved > 1 else ''} "
        f"in all, so the account's concurrency limit must be at least {100 + reserved} "
        f"(100 unreserved + {reserved}).\n"
    )


def alarms_block(template: Template) -> str:
    names = {lid: function_name(fn) for lid, fn in _resources(template, "AWS::Lambda::Function").items()}
    lines = []
    for alarm in _resources(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        dimensions = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
        function = dimensions.get("FunctionName", {})
        if (
            props.get("MetricName") == "Errors"
            and isinstance(function, dict)
            and function.get("Ref") in names
        ):
            lines.append(f"- errors of `{names[function['Ref']]}`")
        else:
            lines.append(f"- {re.sub(r'^statusmon: ', '', props['AlarmDescription'])}")
    return "\n".join(sorted(lines)) + "\n"


def blocks(default: Template, everything: Template) -> dict[str, str]:
    return {
        "deploy:functions": functions_block(default),
        "deploy:roles": roles_block(default),
        "deploy:roles-options": roles_options_block(default, everything),
        "deploy:alarms": alarms_block(everything),
    }


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name} -->", f"<!-- /{name} -->"


def current_block(text: str, name: str) -> str:
    begin, end = _markers(name)
    return text[text.index(begin) + len(begin) : text.index(end)].strip("\n") + "\n"


def replace_block(text: str, name: str, block: str) -> str:
    begin, end = _markers(name)
    start, stop = text.index(begin) + len(begin), text.index(end)
    return f"{text[:start]}\n{block}{text[stop:]}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help=f"replace the blocks of {PAGE.name}")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.cost_model import PROFILES, synthesize_profile  # noqa: PLC0415 (the CDK loads in seconds)

    generated = blocks(synthesize_profile(PROFILES["default"]), synthesize_profile(PROFILES["everything on"]))
    if args.write:
        text = PAGE.read_text()
        for name, block in generated.items():
            text = replace_block(text, name, block)
        PAGE.write_text(text)
    else:
        for name, block in generated.items():
            print(f"{_markers(name)[0]}\n{block}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
