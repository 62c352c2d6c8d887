"""The hot watch and CloudTrail discovery as synthesized: schedule, retries, the rule's bus and pattern."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from statusmon.settings import load_settings
from tests.infra.conftest import Synth, synthesize

WATCH_HANDLER = "statusmon.handlers.watch.handler"
DISCOVER_HANDLER = "statusmon.handlers.discover.handler"
CLOUDTRAIL_EVENTS = Path(__file__).parents[1] / "events" / "cloudtrail"


def _function(synth: Synth, handler: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, fn["Properties"])
        for logical_id, fn in synth.resources("AWS::Lambda::Function").items()
        if fn["Properties"]["Handler"] == handler
    ]
    return found


def _rules_targeting(synth: Synth, logical_id: str) -> list[dict[str, Any]]:
    return [
        rule["Properties"]
        for rule in synth.resources("AWS::Events::Rule").values()
        if any(t["Arn"] == {"Fn::GetAtt": [logical_id, "Arn"]} for t in rule["Properties"]["Targets"])
    ]


def _invoke_config(synth: Synth, logical_id: str) -> dict[str, Any]:
    (config,) = [
        c["Properties"]
        for c in synth.resources("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": logical_id}
    ]
    return config


def test_the_watch_runs_every_minute_one_run_at_a_time_and_never_retries(synth: Synth) -> None:
    # Given the watch function of the default profile
    logical_id, props = _function(synth, WATCH_HANDLER)
    # Then one rule invokes it every minute
    (rule,) = _rules_targeting(synth, logical_id)
    assert rule["ScheduleExpression"] == "rate(1 minute)"
    # And a run ends before the next is due, never overlaps another, and is not retried (the next is)
    assert props["Timeout"] == 60
    assert props["ReservedConcurrentExecutions"] == 1
    config = _invoke_config(synth, logical_id)
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 60)


def _discovery_rule(synth: Synth) -> dict[str, Any]:
    logical_id, _ = _function(synth, DISCOVER_HANDLER)
    (rule,) = _rules_targeting(synth, logical_id)
    return rule


def test_discovery_listens_on_the_default_bus_whatever_bus_statusmons_events_use(tmp_path: Path) -> None:
    # Given statusmon's own events configured onto another bus
    synth = synthesize(tmp_path, event_bus="pipelines")
    rule = _discovery_rule(synth)
    # Then the CloudTrail rule is still on the default bus (no EventBusName): AWS service events only
    # reach that one
    assert "EventBusName" not in rule
    assert "ScheduleExpression" not in rule


def test_discovery_keeps_lambdas_two_retries(synth: Synth) -> None:
    logical_id, props = _function(synth, DISCOVER_HANDLER)
    # Then a failed discovery (a throttled write) is retried twice, as Lambda does by default
    config = _invoke_config(synth, logical_id)
    assert config["MaximumRetryAttempts"] == 2
    assert "ReservedConcurrentExecutions" not in props


def _event(name: str, **detail: Any) -> dict[str, Any]:
    event = json.loads((CLOUDTRAIL_EVENTS / f"{name}.json").read_text())
    event["detail"].update(detail)
    return dict(event)


@pytest.mark.parametrize("name", sorted(path.stem for path in CLOUDTRAIL_EVENTS.glob("*.json")))
def test_the_rule_matches_every_recorded_call_of_the_samples(synth: Synth, name: str) -> None:
    # Given the rule's pattern, as EventBridge would match it (moto's implementation of the matching)
    pattern = EventPattern.load(json.dumps(_discovery_rule(synth)["EventPattern"]))
    # Then each sample record of a watched call matches (the failed one too: the function logs it)
    assert pattern.matches_event(_event(name))


@pytest.mark.parametrize(
    "event",
    [
        _event("create_dataset", eventName="DeleteDataset"),
        _event("create_dataset_import_job", eventName="CreateDatasetGroup"),
        {**_event("create_dataset"), "detail-type": "AWS Service Event via CloudTrail"},
        {**_event("create_dataset"), "source": "statusmon"},
    ],
)
def test_the_rule_matches_no_other_call(synth: Synth, event: dict[str, Any]) -> None:
    pattern = EventPattern.load(json.dumps(_discovery_rule(synth)["EventPattern"]))
    assert not pattern.matches_event(event)


def test_with_the_options_off_there_is_no_watch_and_no_discovery(tmp_path: Path) -> None:
    # Given both options off
    synth = synthesize(tmp_path, hot_watch=False, cloudtrail_discovery=False)
    handlers = {fn["Properties"]["Handler"] for fn in synth.resources("AWS::Lambda::Function").values()}
    # Then neither function, nor their rules, exist
    assert WATCH_HANDLER not in handlers
    assert DISCOVER_HANDLER not in handlers
    rules = synth.resources("AWS::Events::Rule").values()
    assert [r["Properties"]["ScheduleExpression"] for r in rules] == ["rate(5 minutes)"] * 3


def test_the_sweeps_the_watch_and_discovery_all_read_the_same_filters(tmp_path: Path) -> None:
    # Given filters in cdk.json
    group = "arn:aws:personalize:us-east-1:111122223333:dataset-group/shop"
    synth = synthesize(tmp_path, project_names=["shoes", "hats"], personalize_filter_arns=[group])
    # When we read the environment of every function that lets a resource in
    handlers = (
        WATCH_HANDLER,
        DISCOVER_HANDLER,
        "statusmon.handlers.poll_rekognition.handler",
        "statusmon.handlers.poll_personalize.handler",
    )
    for handler in handlers:
        variables = _function(synth, handler)[1]["Environment"]["Variables"]
        # Then each carries both filters, as the settings model reads them
        settings = load_settings({name: value for name, value in variables.items() if isinstance(value, str)})
        assert settings.project_names == ["shoes", "hats"], handler
        assert settings.personalize_filter_arns == [group], handler
