"""Chat channels over moto: each alert reaches the chat topic once as a valid custom notification of
Amazon Q Developer in chat applications, and a chat topic that fails holds up no alert."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest

from statusmon.adapters.store import StatusStore
from statusmon.domain.vocabulary import Service
from statusmon.handlers import redrive
from statusmon.logic.chat import CHAT_CHANNEL
from statusmon.logic.deliver import DROPPED
from statusmon.logic.run import deliver_one, run_redrive, run_sweep, sweep_and_deliver
from statusmon.settings import get_settings, load_settings
from statusmon_local.pipeline import drain_queue, subscribe_queue

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "chat.schema.json").read_text())
REASON = "Input CSV is missing the following columns: [USER_ID]"


@pytest.fixture
def account(fresh_emulator: Any) -> Any:
    jobs = [
        {
            "name": "breaks",
            "status": "CREATE IN_PROGRESS",
            "next": {"after": 60, "status": "CREATE FAILED", "failure_reason": REASON},
        },
        {"name": "works", "status": "CREATE IN_PROGRESS", "next": {"after": 60, "status": "ACTIVE"}},
    ]
    fresh_emulator.seed(
        personalize={
            "dataset_groups": [{"name": "shop", "datasets": [{"type": "Interactions", "import_jobs": jobs}]}]
        }
    )
    return fresh_emulator


def _topic(prefix: str) -> str:
    return str(boto3.client("sns").create_topic(Name=f"{prefix}-{uuid.uuid4().hex[:8]}")["TopicArn"])


def _settings(store: StatusStore, alerts: str, chat: str) -> Any:
    bus = f"statusmon-{uuid.uuid4().hex[:8]}"
    boto3.client("events").create_event_bus(Name=bus)
    return load_settings(
        {
            "STATUSMON_TABLE_NAME": store.table_name,
            "STATUSMON_TOPIC_ARN": alerts,
            "STATUSMON_CHAT_TOPIC_ARN": chat,
            "STATUSMON_EVENT_BUS_NAME": bus,
        }
    )


def test_each_alert_reaches_the_chat_topic_once_as_a_valid_custom_notification(
    account: Any, store: StatusStore
) -> None:
    # Given a chat topic with a queue standing in for the chat channel's subscription
    alerts_topic, chat_topic = _topic("alerts"), _topic("chat")
    alerts, chat = subscribe_queue(alerts_topic), subscribe_queue(chat_topic)
    settings = _settings(store, alerts_topic, chat_topic)
    sweep_and_deliver(settings)
    # When one job fails and the other completes
    account.advance(61)
    sweep_and_deliver(settings)
    sweep_and_deliver(settings)
    # Then the failure is one alert and one chat notification, in the documented format
    [alert] = drain_queue(alerts)
    [message] = drain_queue(chat)
    notification = message["body"]
    jsonschema.validate(notification, SCHEMA)
    assert notification["id"] == alert["body"]["transition_id"]
    assert notification["metadata"]["threadId"] == alert["body"]["resource_arn"]
    assert f"*Why:* {REASON}" in notification["content"]["description"]
    assert "*What to do:* Add the missing columns" in notification["content"]["description"]


def test_a_chat_topic_that_fails_holds_up_no_alert_and_its_notification_waits(
    account: Any, store: StatusStore
) -> None:
    # Given a chat topic that does not exist yet
    alerts_topic = _topic("alerts")
    alerts = subscribe_queue(alerts_topic)
    missing_chat = alerts_topic.rsplit(":", 1)[0] + f":chat-{uuid.uuid4().hex[:8]}"
    settings = _settings(store, alerts_topic, missing_chat)
    sweep_and_deliver(settings)
    account.advance(61)
    outcome = sweep_and_deliver(settings)
    # Then the alert went out, and the chat notification is pending
    assert len(drain_queue(alerts)) == 1
    assert outcome.delivery.count("failed", CHAT_CHANNEL) == 1
    assert len(store.pending(CHAT_CHANNEL)) == 1
    # When the topic exists, the redrive delivers it, and the alert is not sent again
    boto3.client("sns").create_topic(Name=missing_chat.rsplit(":", 1)[1])
    chat = subscribe_queue(missing_chat)
    assert run_redrive(settings).count("sent", CHAT_CHANNEL) == 1
    assert len(drain_queue(chat)) == 1
    assert drain_queue(alerts) == []


def test_chat_items_pending_when_the_chat_topic_is_turned_off_are_dropped_by_the_stacks_deliverers(
    account: Any, store: StatusStore, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    # Given two chat notifications left pending (their topic failed), and an alert delivered
    alerts_topic = _topic("alerts")
    alerts = subscribe_queue(alerts_topic)
    missing_chat = alerts_topic.rsplit(":", 1)[0] + f":chat-{uuid.uuid4().hex[:8]}"
    settings = _settings(store, alerts_topic, missing_chat)
    sweep_and_deliver(settings)
    account.advance(61)
    sweep_and_deliver(settings)
    [pending] = store.pending(CHAT_CHANNEL)
    assert len(drain_queue(alerts)) == 1
    # When the chat topic is turned off, and a shell without it runs `statusmon redrive`
    without_chat = replace(settings, chat_topic_arn="")
    assert run_redrive(without_chat).count("dropped") == 0
    # Then that shell leaves the chat item pending (its settings are not the stack's)
    assert store.pending(CHAT_CHANNEL) == [pending]
    # When the redrive Lambda runs with the stack's settings, which no longer have a chat topic
    for name, value in {
        "STATUSMON_TABLE_NAME": store.table_name,
        "STATUSMON_TOPIC_ARN": alerts_topic,
        "STATUSMON_EVENT_BUS_NAME": settings.event_bus_name,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    scheduled = json.loads((Path(__file__).parents[1] / "events" / "scheduled.json").read_text())
    summary = redrive.handler(scheduled, lambda_context)
    # Then it deletes the chat item unsent and counts it; nothing else is sent or dropped
    assert (summary["dropped"], summary["sent"], summary["failed"]) == (1, 0, 0)
    assert store.pending(CHAT_CHANNEL) == []
    assert drain_queue(alerts) == []


def test_the_notifier_drops_a_chat_item_when_there_is_no_chat_topic(account: Any, store: StatusStore) -> None:
    # Given a chat notification recorded while the chat topic was on, not delivered yet
    alerts_topic = _topic("alerts")
    settings = _settings(store, alerts_topic, alerts_topic.rsplit(":", 1)[0] + ":chat-gone")
    sweep_and_deliver(settings)
    account.advance(61)
    run_sweep(Service.PERSONALIZE, settings, store=store)
    [pending] = store.pending(CHAT_CHANNEL)
    # When the stream brings it to the notifier after the chat topic was turned off
    delivery = deliver_one(pending, replace(settings, chat_topic_arn=""), outbox=store)
    # Then it is dropped: deleted unsent, not left pending
    assert delivery.outcome == DROPPED
    assert store.pending(CHAT_CHANNEL) == []
