"""Chat channels: alerts as custom notifications of Amazon Q Developer in chat applications.

Amazon Q Developer in chat applications (formerly AWS Chatbot) forwards to a Slack channel or a
Microsoft Teams channel what an SNS topic mapped to it receives, if the message is a *custom
notification*: a JSON document with ``version`` "1.0", ``source`` "custom", a ``content`` (title,
description and next steps in the chat platform's markdown, keywords) and ``metadata`` (a
``threadId`` that threads updates, a summary, related resources); anything else it drops silently.
docs/chat.md has the format and how to connect a channel; ``docs/chat.schema.json`` is the
format's JSON Schema, against which the tests check every document this module renders.

With ``chat_topic`` on, every alert (and stuck warning) also gets a ``chat`` outbox item, recorded
in the same transaction as the alert, delivered like alerts and events and on its own (a chat
topic that fails holds up neither), published to the chat topic. One thread per resource: the
``threadId`` is the resource's ARN, so its failure, its recovery and a stuck warning line up.

``client-markdown`` is rendered in the chat platform's own markdown, and what the services say (a
failure reason can quote a user's manifest, file names or labels) is text, not markup:
:func:`plain` escapes it before it goes into the title or the description. Slack treats ``&``,
``<`` and ``>`` as control characters (``<url|text>`` links, ``<!channel>``/``<!here>``/``<@U…>``
mentions) and wants them as ``&amp;``, ``&lt;``, ``&gt;``; Teams and other markdown make a link of
``[text](url)``; both may notify on a bare ``@here``/``@channel``. So: those three characters become
entities, a zero-width space splits ``](`` and follows an ``@`` that starts a word, line breaks
become spaces (a reason cannot start a quote or forge a line of ours), and a backtick becomes a
look-alike (the reason cannot close our code spans). Bold, italic and strike-through marks are left
as they are: at worst they restyle the reason's own words.
"""

from __future__ import annotations

import json
import re

from statusmon.domain.model import Alert, OutboxMessage
from statusmon.logic.alerts import alert_document, catalogue_hint, headline, history_command, subject

CHAT_CHANNEL = "chat"
# Slack shows at most 3,000 characters in a message section: the description stays within it.
DESCRIPTION_LIMIT = 3000
_EMOJI = {"error": ":x:", "warning": ":warning:", "info": ":white_check_mark:"}
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ZERO_WIDTH_SPACE = "\u200b"
_MENTION = re.compile(r"(?<!\w)@(?=\w)")
_WHITESPACE = re.compile(r"\s+")


def plain(text: str) -> str:
    """``text`` as chat markdown shows it literally: no link, mention, quote or code span of its own."""
    text = _WHITESPACE.sub(" ", text).strip()
    text = "".join(_ENTITIES.get(char, char) for char in text)
    text = text.replace("](", "]" + _ZERO_WIDTH_SPACE + "(").replace("`", "\u02cb")
    return _MENTION.sub("@" + _ZERO_WIDTH_SPACE, text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chat_notification(alert: Alert) -> dict[str, object]:
    """The custom notification of one alert."""
    doc = alert_document(alert)
    state = alert.transition.new
    known = catalogue_hint(alert.transition)
    lines = [f"*Why:* {plain(doc['reason']) if doc['reason'] else '(the service gave none)'}"]
    if alert.hint:
        lines.append(f"*Note:* {plain(alert.hint)}")
    if known:
        lines.append(f"*What to do:* {known.hint}")
    if doc["operation"]:
        lines.append(f"*Operation:* {plain(doc['operation'])}")
    lines.append(f"*Resource:* `{state.resource_arn}`")
    next_steps = []
    if known:
        next_steps.append(f"Read <{known.docs_url}|the documentation on this error>")
    if doc["console_url"]:
        next_steps.append(f"Open <{doc['console_url']}|the resource in the console>")
    next_steps.append(f"See its history: `{history_command(state.resource_arn)}`")
    transition_id = alert.transition.transition_id
    return {
        "version": "1.0",
        "source": "custom",
        "id": f"{transition_id}#stuck" if alert.stuck_since else transition_id,
        "content": {
            "textType": "client-markdown",
            "title": f"{_EMOJI.get(alert.severity, '')} {plain(headline(alert, doc))}".strip(),
            "description": _cut("\n".join(lines), DESCRIPTION_LIMIT),
            "nextSteps": next_steps,
            "keywords": [state.service.value, state.status, alert.severity],
        },
        "metadata": {
            "threadId": state.resource_arn,
            "summary": subject(alert),
            "eventType": "statusmon.stuck" if alert.stuck_since else "statusmon.alert",
            "relatedResources": [arn for arn in (state.resource_arn, state.parent_arn) if arn],
            "additionalContext": {
                "transition_id": transition_id,
                "severity": alert.severity,
                "status": state.status,
                "previous_status": str(doc["previous_status"] or ""),
            },
        },
    }


def outbox_chat(alert: Alert) -> OutboxMessage:
    """The chat notification as it waits in the outbox (published like an alert, to the chat topic)."""
    document = json.dumps(chat_notification(alert), sort_keys=True)
    return OutboxMessage(
        channel=CHAT_CHANNEL,
        transition_id=alert.transition.transition_id,
        detected_at=alert.transition.detected_at,
        severity=alert.severity,
        subject=subject(alert),
        body=json.dumps({"default": document}),
        attributes={"severity": alert.severity, "service": alert.transition.new.service.value},
    )
