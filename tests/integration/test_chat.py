"""Chat channels over moto: each alert reaches the chat topic once as a valid custom notification of
Amazon Q Developer in chat applications, and a chat topic that fails holds up no alert."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest

from statusmon.adapters.store import StatusStore
from statusmon.logic.chat import CHAT_CHANNEL
from statusmon.logic.run import run_redrive, sweep_and_deliver
from statusmon.settings import load_settings
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
