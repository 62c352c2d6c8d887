"""Alerts as custom notifications of Amazon Q Developer in chat applications (pure rendering)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from statusmon.domain.model import Alert, ServiceMeta
from statusmon.domain.vocabulary import Service
from statusmon.logic.chat import CHAT_CHANNEL, DESCRIPTION_LIMIT, chat_notification, outbox_chat
from statusmon.logic.policy import ERROR, WARNING, AlertPolicy
from statusmon.logic.sweep import sweep
from tests.unit.factories import DATASET_ARN, NOW, dataset, job, transition
from tests.unit.fakes import FakeSource, FakeStore

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "chat.schema.json").read_text())
PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/shoes/1690476084000"
REASON = (
    "ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT: The manifest file extension or contents are invalid."
)


def _failure() -> Alert:
    observation = dataset("CREATE_FAILED", reason=REASON, parent_arn=PROJECT)
    return Alert(transition(observation, previous_status="CREATE_IN_PROGRESS"), ERROR)


def test_a_failure_is_a_titled_threaded_notification_with_the_reason_the_hint_and_links() -> None:
    document = chat_notification(_failure())
    jsonschema.validate(document, SCHEMA)
    content, metadata = document["content"], document["metadata"]
    assert content["title"].startswith(":x: Custom Labels dataset shoes/train failed: CREATE_FAILED")
    assert f"*Why:* {REASON}" in content["description"]
    assert "*What to do:* Check that the manifest's S3 bucket and key exist" in content["description"]
    assert content["nextSteps"][0].startswith("Read <https://docs.aws.amazon.com/rekognition/")
    assert content["nextSteps"][1].startswith("Open <https://us-east-1.console.aws.amazon.com/rekognition/")
    assert content["nextSteps"][2] == f"See its history: `statusmon history {DATASET_ARN}`"
    # One thread per resource; the transition id to drop repeats by
    assert metadata["threadId"] == DATASET_ARN
    assert metadata["relatedResources"] == [DATASET_ARN, PROJECT]
    assert document["id"] == f"{DATASET_ARN}#2"


def test_a_stuck_warning_has_its_own_id_in_the_resources_thread() -> None:
    observation = job("CREATE IN_PROGRESS")
    alert = Alert(transition(observation), WARNING, hint="in CREATE IN_PROGRESS for 7 h", stuck_since=NOW)
    document = chat_notification(alert)
    jsonschema.validate(document, SCHEMA)
    assert document["id"].endswith("#stuck")
    assert document["metadata"]["eventType"] == "statusmon.stuck"
    assert document["content"]["title"].startswith(":warning: Personalize dataset import job")
    assert "*Note:* in CREATE IN_PROGRESS for 7 h" in document["content"]["description"]


def test_a_huge_reason_is_cut_to_what_a_chat_message_shows() -> None:
    observation = dataset("UPDATE_FAILED", reason="x" * 50_000)
    document = chat_notification(Alert(transition(observation, previous_status="UPDATE_IN_PROGRESS"), ERROR))
    jsonschema.validate(document, SCHEMA)
    assert len(document["content"]["description"]) == DESCRIPTION_LIMIT


HOSTILE_REASONS = [
    "Manifest <https://evil.example/login|s3://shoes/train.manifest> is invalid",
    "Entry failed <!channel> <!here> <@U024BE7LH> <!subteam^SAZ94GDB8>",
    "Label [see the fix](https://evil.example) is unknown",
    "Ping @here and @channel and @everyone: label missing",
    "bad line\n> *Resource:* `arn:aws:rekognition:forged`\n&lt;b&gt;",
]


@pytest.mark.parametrize("reason", HOSTILE_REASONS)
def test_a_reason_carrying_markup_is_shown_as_text_never_as_a_link_mention_or_line(reason: str) -> None:
    # Given a failure whose reason quotes user data that chat markdown would act on
    observation = dataset("UPDATE_FAILED", reason=reason, parent_arn=PROJECT)
    document = chat_notification(Alert(transition(observation, previous_status="UPDATE_IN_PROGRESS"), ERROR))
    jsonschema.validate(document, SCHEMA)
    description = document["content"]["description"]
    why = next(line for line in description.split("\n") if line.startswith("*Why:* "))
    # Then the reason stays on its own line, with no Slack control character, markdown link or
    # mention left in it, and no code span of its own
    assert "<" not in why
    assert ">" not in why
    assert "](" not in why
    assert "`" not in why
    assert all(f"@{name}" not in why for name in ("here", "channel", "everyone"))
    assert "&" not in why.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
    # And the description's other lines are only ours
    assert [line.split(":*")[0] for line in description.split("\n")] == ["*Why", "*Resource"]


def test_the_reasons_own_words_survive_escaping() -> None:
    # Given a reason with an ampersand, comparisons and an address
    observation = dataset(
        "UPDATE_FAILED", reason="size > 5 & count < 2 for ops@example.com", parent_arn=PROJECT
    )
    document = chat_notification(Alert(transition(observation, previous_status="UPDATE_IN_PROGRESS"), ERROR))
    # Then Slack shows them as written: entities for its control characters, the address untouched
    assert "*Why:* size &gt; 5 &amp; count &lt; 2 for ops@example.com" in document["content"]["description"]


def test_the_outbox_item_publishes_the_document_as_the_default_message() -> None:
    message = outbox_chat(_failure())
    assert message.channel == CHAT_CHANNEL
    assert json.loads(json.loads(message.body)["default"]) == chat_notification(_failure())


@pytest.mark.parametrize("missing", ["version", "source", "content"])
def test_the_schema_refuses_what_the_service_would_drop(missing: str) -> None:
    document = chat_notification(_failure())
    del document[missing]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_with_a_chat_topic_each_alert_also_waits_for_the_chat_channel_and_events_do_not() -> None:
    store = FakeStore(metas={Service.PERSONALIZE: ServiceMeta(baseline_at=NOW - timedelta(days=1))})
    source = FakeSource(Service.PERSONALIZE, False, [job("CREATE IN_PROGRESS")])
    sweep(source, store, retention_days=30, now=NOW, policy=AlertPolicy(chat=True))
    source.listed = [job("CREATE FAILED", reason="Input CSV is missing the following columns: [USER_ID]")]
    report = sweep(
        source, store, retention_days=30, now=NOW + timedelta(minutes=5), policy=AlertPolicy(chat=True)
    )
    assert sorted(m.channel for m in store.outbox) == ["chat", "events", "events", "sns"]
    assert (report.alerts_queued, report.events_queued) == (1, 1)  # this sweep: the failure
