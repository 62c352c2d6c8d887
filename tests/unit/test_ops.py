"""The failure summariser's rules (statusmon.logic.ops): at most one message per function an hour while
it keeps failing, the count and the last error in it, one recovery message."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from statusmon.adapters.errors import AwsError
from statusmon.domain.episodes import Episode, FailureRecord
from statusmon.domain.model import OutboxMessage
from statusmon.logic.ops import (
    FAILING,
    RECOVERED,
    STILL_FAILING,
    SUBJECT_LIMIT,
    InvalidRecord,
    check_recoveries,
    parse_failure_record,
    summarise,
)
from tests.unit.factories import NOW

EVENTS = Path(__file__).resolve().parents[1] / "events" / "lambda"
QUIET = timedelta(minutes=10)
WATCH = "statusmon-HotWatchSweepFunction6B1C2D3E-Ab12Cd34Ef56"


def record(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


@dataclass
class MemoryEpisodes:
    """Episodes kept as the table keeps them: a write is refused when the version moved since the read."""

    items: dict[str, Episode] = field(default_factory=dict)
    # Writes to refuse next, as if another writer got there first.
    lost_races: int = 0

    def episode(self, function: str) -> Episode | None:
        return self.items.get(function)

    def open_episodes(self) -> list[Episode]:
        return [e for e in self.items.values() if e.open]

    def save(self, episode: Episode) -> bool:
        stored = self.items.get(episode.function)
        if self.lost_races:
            self.lost_races -= 1
            return False
        if (stored.version if stored else 0) != episode.version:
            return False
        self.items[episode.function] = replace(episode, version=episode.version + 1)
        return True


@dataclass
class Topic:
    sent: list[OutboxMessage] = field(default_factory=list)
    down: bool = False

    def publish(self, message: OutboxMessage) -> str:
        if self.down:
            raise AwsError("publishing to the ops topic: InternalError")
        self.sent.append(message)
        return f"m-{len(self.sent)}"

    def documents(self) -> list[dict[str, Any]]:
        return [json.loads(json.loads(m.body)["default"]) for m in self.sent]


def failure(at: datetime, n: int = 0, function: str = WATCH, error: str = "boom") -> FailureRecord:
    return FailureRecord(
        function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{function}",
        function_name=function,
        region="us-east-1",
        at=at,
        condition="RetriesExhausted",
        request_id=f"req-{function}-{n}",
        attempts=1,
        error_type="AwsError",
        error_message=f"{error} {n}",
    )


def fail(episodes: MemoryEpisodes, topic: Topic, at: datetime, n: int = 0, **kwargs: Any) -> None:
    summarise(failure(at, n, **kwargs), episodes, topic.publish, clock=lambda: at + timedelta(seconds=2))


def check(episodes: MemoryEpisodes, topic: Topic, at: datetime) -> None:
    check_recoveries(episodes, topic.publish, clock=lambda: at, quiet=QUIET, out_of_time=lambda: False)


# -- the record -------------------------------------------------------------------------------------------


def test_a_documented_failure_record_gives_the_function_the_time_and_the_error() -> None:
    # Given Lambda's record of a run that raised
    parsed = parse_failure_record(record("failure-handled-error.json"))
    # Then the function is named without its version qualifier, and the error keeps type and message
    assert parsed.function_name == WATCH
    assert parsed.function_arn == f"arn:aws:lambda:us-east-1:123456789012:function:{WATCH}"
    assert parsed.region == "us-east-1"
    assert parsed.at == datetime.fromisoformat("2026-11-24T12:00:03.112+00:00")
    assert parsed.request_id == "5f0c2a57-1f5e-4c1f-9d0e-6a1b2c3d4e01"
    assert parsed.error.startswith("AwsError: AccessDeniedException: reading the watch list")


def test_a_timeout_and_a_dropped_event_still_say_what_happened() -> None:
    # Given a run stopped at its timeout (no errorType), and an event dropped unrun (no response)
    timeout = parse_failure_record(record("failure-timeout.json"))
    dropped = parse_failure_record(record("failure-event-age.json"))
    # Then the error is Lambda's message, with the kind of failure when the message has no type
    assert timeout.error == (
        "Unhandled: 2026-11-24T12:05:00.950Z a3e1b7c9-2d4f-4a6b-8c0d-1e2f3a4b5c6d "
        "Task timed out after 300.00 seconds"
    )
    assert dropped.condition == "EventAgeExceeded"
    assert "maximum age" in dropped.error


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ([], "expected a JSON object"),
        ({"source": "aws.events"}, "no requestContext"),
        (
            {"requestContext": {"functionArn": "arn:aws:sns:us-east-1:1:t", "condition": "RetriesExhausted"}},
            "functionArn",
        ),
        (
            {
                "timestamp": "2026-11-24T12:00:00Z",
                "requestContext": {
                    "functionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{WATCH}",
                    "condition": "Success",
                },
            },
            "not a failure record",
        ),
        (
            {
                "timestamp": "yesterday",
                "requestContext": {
                    "functionArn": f"arn:aws:lambda:us-east-1:1:function:{WATCH}",
                    "condition": "RetriesExhausted",
                },
            },
            "timestamp",
        ),
    ],
)
def test_what_is_not_a_failure_record_is_refused_in_one_line(event: Any, says: str) -> None:
    with pytest.raises(InvalidRecord, match=says) as raised:
        parse_failure_record(event)
    assert "\n" not in str(raised.value)


# -- the rules --------------------------------------------------------------------------------------------


def test_a_function_failing_every_minute_for_a_day_sends_one_message_an_hour_then_one_recovery() -> None:
    episodes, topic = MemoryEpisodes(), Topic()
    # Given the watch failing at every run for 24 hours
    for minute in range(24 * 60):
        fail(episodes, topic, NOW + timedelta(minutes=minute), minute)
    # Then people got 24 messages, not 1,440: the first failure at once, then one an hour
    docs = topic.documents()
    assert len(docs) == 24
    assert [d["kind"] for d in docs] == [FAILING] + [STILL_FAILING] * 23
    sent = [datetime.fromisoformat(d["sent_at"]) for d in docs]
    assert all(later - earlier >= timedelta(hours=1) for earlier, later in itertools.pairwise(sent))
    # And each says how many failures since the last one, the total, and the last error
    assert docs[0]["new_failures"] == 1
    assert {d["new_failures"] for d in docs[1:]} == {60}
    assert docs[-1]["failures"] == 23 * 60 + 1
    assert docs[-1]["last_error"] == "AwsError: boom 1380"
    last = NOW + timedelta(minutes=24 * 60 - 1)
    # When the redrive looks while the failures are recent
    check(episodes, topic, last + QUIET - timedelta(minutes=1))
    # Then nothing is said
    assert len(topic.sent) == 24
    # When it has been quiet for the quiet period, and the redrive keeps looking
    for minutes in range(10, 120, 5):
        check(episodes, topic, last + timedelta(minutes=minutes))
    # Then one recovery message is sent, with the failures not yet told (those since the last message)
    assert len(topic.sent) == 25
    recovery = topic.documents()[-1]
    assert recovery["kind"] == RECOVERED
    assert recovery["severity"] == "info"
    assert recovery["failures"] == 24 * 60
    assert recovery["new_failures"] == 59


def test_a_failure_told_at_once_recovers_at_once_when_nothing_is_left_untold() -> None:
    episodes, topic = MemoryEpisodes(), Topic()
    # Given one failed run, told at once
    fail(episodes, topic, NOW)
    # When the function is quiet for the quiet period
    check(episodes, topic, NOW + QUIET)
    # Then the recovery is told then, not an hour later
    assert [d["kind"] for d in topic.documents()] == [FAILING, RECOVERED]
    assert episodes.open_episodes() == []


def test_a_function_failing_again_soon_after_its_recovery_waits_for_its_hour() -> None:
    episodes, topic = MemoryEpisodes(), Topic()
    # Given a failure, its recovery told at +10 minutes, then a failure again at +15 and +30
    fail(episodes, topic, NOW)
    check(episodes, topic, NOW + QUIET)
    fail(episodes, topic, NOW + timedelta(minutes=15), 1)
    fail(episodes, topic, NOW + timedelta(minutes=30), 2)
    for minutes in range(35, 70, 5):
        check(episodes, topic, NOW + timedelta(minutes=minutes))
    # Then nothing more is said within the hour after the last message
    assert len(topic.sent) == 2
    # When the hour is up and it is still quiet
    check(episodes, topic, NOW + QUIET + timedelta(hours=1))
    # Then one message says what happened since: two failures, recovered
    assert len(topic.sent) == 3
    third = topic.documents()[-1]
    assert (third["kind"], third["new_failures"], third["failures"]) == (RECOVERED, 2, 2)


def test_each_function_has_its_own_hour() -> None:
    episodes, topic = MemoryEpisodes(), Topic()
    # Given two functions failing in the same minute
    fail(episodes, topic, NOW, function=WATCH)
    fail(episodes, topic, NOW, function="statusmon-PollRekognitionSweepFunction12AB34CD-Zz99Yy88Xx77")
    # Then each is told
    assert [d["function"] for d in topic.documents()] == [
        WATCH,
        "statusmon-PollRekognitionSweepFunction12AB34CD-Zz99Yy88Xx77",
    ]


def test_a_record_delivered_twice_is_counted_once() -> None:
    episodes, topic = MemoryEpisodes(), Topic()
    # Given a failure record, and Lambda delivering it again
    fail(episodes, topic, NOW, 7)
    fail(episodes, topic, NOW, 7)
    # Then it is one failure, told once
    assert episodes.items[WATCH].failures == 1
    assert len(topic.sent) == 1


def test_a_failed_publish_counts_nothing_so_that_lambdas_retry_counts_it_once() -> None:
    episodes, topic = MemoryEpisodes(), Topic(down=True)
    # Given the ops topic down when the first failure arrives
    with pytest.raises(AwsError):
        fail(episodes, topic, NOW)
    # Then nothing is stored
    assert episodes.items == {}
    # When Lambda retries the record and the topic is back
    topic.down = False
    fail(episodes, topic, NOW)
    # Then the failure is counted once and told
    assert episodes.items[WATCH].failures == 1
    assert [d["kind"] for d in topic.documents()] == [FAILING]


def test_a_lost_race_is_decided_again_on_what_the_other_writer_stored() -> None:
    episodes, topic = MemoryEpisodes(), Topic()
    fail(episodes, topic, NOW)
    # Given a write refused because another writer stored the episode since it was read
    episodes.lost_races = 1
    fail(episodes, topic, NOW + timedelta(minutes=1), 1)
    # Then the failure is still counted (read again, decided again, written)
    assert episodes.items[WATCH].failures == 2


def test_a_recovery_whose_publish_fails_stays_open_for_the_next_run() -> None:
    episodes, topic = MemoryEpisodes(), Topic()
    fail(episodes, topic, NOW)
    # Given the topic down when the function has become quiet
    topic.down = True
    check(episodes, topic, NOW + QUIET)
    # Then the episode is still open, and the next run tells the recovery
    assert episodes.open_episodes()
    topic.down = False
    check(episodes, topic, NOW + QUIET + timedelta(minutes=5))
    assert [d["kind"] for d in topic.documents()] == [FAILING, RECOVERED]


# -- the message ------------------------------------------------------------------------------------------


def test_the_message_is_readable_text_for_email_and_json_for_machines() -> None:
    episodes, topic = MemoryEpisodes(), Topic()
    for minute in range(61):
        fail(episodes, topic, NOW + timedelta(minutes=minute), minute)
    message = topic.sent[-1]
    body = json.loads(message.body)
    # Then SNS gets one body per protocol: the JSON document by default, text for email
    assert set(body) == {"default", "email"}
    doc = json.loads(body["default"])
    assert doc["schema"] == "statusmon.ops/v1"
    assert doc["console_url"].startswith("https://us-east-1.console.aws.amazon.com/lambda/")
    email = body["email"]
    assert email.startswith(f"statusmon's function {WATCH} keeps failing: 61 failures since")
    assert "Last error:   AwsError: boom 60" in email
    assert "New:          60 failures since the last message" in email
    assert "{" not in email
    # And the subject names the function and the count, within SNS's limits
    assert message.subject.startswith("[statusmon] OPS: statusmon-HotWatch")
    assert message.subject.endswith("... is still failing (61 failures)")
    assert len(message.subject) <= SUBJECT_LIMIT
    # And its one attribute tells it from an alert (a filter on the alerts' attributes does not match it)
    assert message.attributes == {"ops": STILL_FAILING}


def test_the_console_link_is_in_the_functions_own_partition() -> None:
    episodes, topic = MemoryEpisodes(), Topic()
    # Given a function of the China partition failing
    china = replace(
        failure(NOW),
        function_arn=f"arn:aws-cn:lambda:cn-north-1:123456789012:function:{WATCH}",
        region="cn-north-1",
    )
    summarise(china, episodes, topic.publish, clock=lambda: NOW)
    # Then its message links to that partition's console
    [doc] = topic.documents()
    assert doc["console_url"].startswith(
        "https://cn-north-1.console.amazonaws.cn/lambda/home?region=cn-north-1"
    )
