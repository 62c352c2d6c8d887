"""State-change events end to end: the sweep's transitions reach an EventBridge rule's queue, once each,
independently of the SNS alerts."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest

from statusmon.adapters.store import StatusStore
from statusmon.domain.arns import console_url
from statusmon.logic.events import EVENTS_CHANNEL
from statusmon.logic.run import run_redrive, sweep_and_deliver
from statusmon.settings import load_settings
from statusmon_local.pipeline import drain_queue, route_events, subscribe_queue

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "events.schema.json").read_text())
ALL_OURS = {"source": ["statusmon"]}


@pytest.fixture
def account(fresh_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An import job that failed before statusmon came, and two in flight: one fails, one completes."""
    jobs = [
        {"name": "old", "status": "CREATE FAILED", "failure_reason": "from before"},
        {
            "name": "breaks",
            "status": "CREATE IN_PROGRESS",
            "next": {
                "after": 60,
                "status": "CREATE FAILED",
                "failure_reason": "Input CSV is missing column USER_ID",
            },
        },
        {"name": "works", "status": "CREATE IN_PROGRESS", "next": {"after": 60, "status": "ACTIVE"}},
    ]
    fresh_emulator.seed(
        personalize={
            "dataset_groups": [{"name": "shop", "datasets": [{"type": "Interactions", "import_jobs": jobs}]}]
        }
    )
    return fresh_emulator


@pytest.fixture
def bus(aws_endpoint: str) -> str:
    """A bus of this test's own: the session's moto server is shared, and a rule another test left on
    the default bus (a deployed stack's schedules, with Lambda targets) makes moto fail every put."""
    name = f"statusmon-{uuid.uuid4().hex[:8]}"
    boto3.client("events").create_event_bus(Name=name)
    return name


def _settings(store: StatusStore, topic_arn: str, bus: str) -> Any:
    return load_settings(
        {
            "STATUSMON_TABLE_NAME": store.table_name,
            "STATUSMON_TOPIC_ARN": topic_arn,
            "STATUSMON_EVENT_BUS_NAME": bus,
        }
    )


def _topic(name: str = "alerts") -> str:
    return str(boto3.client("sns").create_topic(Name=name)["TopicArn"])


def test_one_event_per_transition_on_a_rules_queue_and_none_for_the_baseline(
    account: Any, store: StatusStore, bus: str
) -> None:
    # Given a rule on the bus routing statusmon's events to a queue, and alerts to another
    events = route_events(ALL_OURS, bus=bus)
    topic = _topic()
    alerts = subscribe_queue(topic)
    settings = _settings(store, topic, bus)
    # When the first sweep records the baseline
    sweep_and_deliver(settings)
    # Then nothing is sent
    assert drain_queue(events) == []
    assert drain_queue(alerts) == []
    # When one job fails and the other completes
    account.advance(61)
    sweep_and_deliver(settings)
    # Then each transition is one event, with the documented detail; the failure is also an alert
    received = {e["body"]["detail"]["name"].rsplit("/", 1)[-1]: e["body"] for e in drain_queue(events)}
    assert sorted(received) == ["breaks", "works"]
    for event in received.values():
        assert event["source"] == "statusmon"
        assert event["detail-type"] == "Personalize Dataset Import Job State Change"
        assert event["resources"] == [event["detail"]["resource_arn"]]
        jsonschema.validate(event["detail"], SCHEMA)
    assert received["breaks"]["detail"]["phase"] == "failed"
    assert received["breaks"]["detail"]["reason"] == "Input CSV is missing column USER_ID"
    assert received["works"]["detail"]["status"] == "ACTIVE"
    assert received["works"]["detail"]["previous_status"] == "CREATE IN_PROGRESS"
    [alert] = drain_queue(alerts)
    assert alert["body"]["transition_id"] == received["breaks"]["detail"]["transition_id"]
    # And a sweep with nothing new sends nothing more
    sweep_and_deliver(settings)
    assert drain_queue(events) == []
    assert drain_queue(alerts) == []


def test_an_eventbridge_outage_delays_events_without_holding_up_or_repeating_alerts(
    account: Any, store: StatusStore
) -> None:
    # Given statusmon pointed at a bus that does not exist yet
    topic = _topic()
    alerts = subscribe_queue(topic)
    late_bus = f"late-{uuid.uuid4().hex[:8]}"
    settings = _settings(store, topic, late_bus)
    sweep_and_deliver(settings)
    account.advance(61)
    # When the sweep records the changes
    outcome = sweep_and_deliver(settings)
    # Then the alert went out, and the events wait in the outbox
    assert len(drain_queue(alerts)) == 1
    assert outcome.delivery.summary()["failed"] == 2
    assert len(store.pending(EVENTS_CHANNEL)) == 2
    # When the bus exists and the redrive runs
    boto3.client("events").create_event_bus(Name=late_bus)
    events = route_events(ALL_OURS, bus=late_bus)
    report = run_redrive(settings)
    # Then the two events are delivered, and no alert is sent again
    assert report.summary()["sent"] == 2
    assert len(drain_queue(events)) == 2
    assert drain_queue(alerts) == []
    assert store.pending(EVENTS_CHANNEL) == []


def test_an_sns_outage_delays_alerts_without_holding_up_or_repeating_events(
    account: Any, store: StatusStore, bus: str
) -> None:
    # Given a topic that does not exist yet (its name is known)
    events = route_events(ALL_OURS, bus=bus)
    late = f"late-alerts-{uuid.uuid4().hex[:8]}"
    settings = _settings(store, f"arn:aws:sns:us-east-1:123456789012:{late}", bus)
    sweep_and_deliver(settings)
    account.advance(61)
    # When the sweep records the changes
    sweep_and_deliver(settings)
    # Then both events went out, and the alert waits
    assert len(drain_queue(events)) == 2
    assert len(store.pending("sns")) == 1
    # When the topic exists and the redrive runs
    alerts = subscribe_queue(_topic(late))
    run_redrive(settings)
    # Then the alert is delivered once, and no event is sent again
    assert len(drain_queue(alerts)) == 1
    assert drain_queue(events) == []


def _documented() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """docs/events.md's example events, and its rule patterns by heading."""
    text = (Path(__file__).parents[2] / "docs" / "events.md").read_text()
    examples, rules = [], {}
    for section in text.split("\n### ")[1:]:
        heading, _, rest = section.partition("\n")
        block = json.loads(rest.split("```json\n", 1)[1].split("```", 1)[0])
        if heading.startswith("Rule: "):
            rules[heading.removeprefix("Rule: ")] = block
        else:
            examples.append(block)
    return examples, rules


def test_the_documented_examples_follow_the_schema() -> None:
    examples, _ = _documented()
    assert len(examples) == 2
    for example in examples:
        jsonschema.validate(example["detail"], SCHEMA)
        assert example["resources"] == [example["detail"]["resource_arn"]]
        assert console_url(example["detail"]["resource_arn"]) == example["detail"]["console_url"]


def test_the_documented_rules_match_what_they_say(account: Any, store: StatusStore, bus: str) -> None:
    # Given each rule of docs/events.md routing to its own queue, and a project "shoes" whose TRAIN
    # dataset fails, next to the import jobs (in group "shop": one fails, one completes)
    _, rules = _documented()
    queues = {name: route_events(pattern, bus=bus) for name, pattern in rules.items()}
    account.seed(
        rekognition={
            "projects": [
                {
                    "name": "shoes",
                    "datasets": [
                        {
                            "type": "TRAIN",
                            "status": "CREATE_IN_PROGRESS",
                            "next": {
                                "after": 60,
                                "status": "CREATE_FAILED",
                                "status_message": "bad manifest",
                            },
                        }
                    ],
                },
                {
                    "name": "boots",
                    "datasets": [
                        {
                            "type": "TRAIN",
                            "status": "CREATE_IN_PROGRESS",
                            "next": {"after": 60, "status": "CREATE_COMPLETE"},
                        }
                    ],
                },
            ]
        }
    )
    settings = _settings(store, _topic(), bus)
    sweep_and_deliver(settings)
    account.advance(61)
    sweep_and_deliver(settings)
    # Then each rule got what its heading says
    got = {
        name: sorted(e["body"]["detail"]["name"] for e in drain_queue(url)) for name, url in queues.items()
    }
    assert got == {
        "every failure, both services": ["breaks", "shoes/train"],
        "everything about the datasets of one Custom Labels project": ["shoes/train"],
        "import jobs of one dataset group that completed": ["works"],
    }
