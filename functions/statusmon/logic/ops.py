"""statusmon's own failures, summarised for people: a quiet ops channel.

Lambda sends a record of each failed asynchronous run of a statusmon function (an error, a timeout,
an event dropped past its maximum age) to the failure summariser (``handlers/ops.py``). A watch that
fails every minute would otherwise put 1,440 raw records a day on the ops topic. Per function, the
summariser keeps one *episode* in the status table (``OPS`` / ``<function name>``): first and last
failure, how many, the last error, and when and at what count people were last told.

The rules, per function:

* **At most one message an hour.** The first failure after a quiet hour is told at once; later
  failures are counted, and the first one an hour or more after the last message is told with the
  count since then and the last error.
* **One recovery message** when the function has had no failure for the quiet period (two schedule
  periods, set by the stack): the redrive, which runs on the polling schedule anyway, checks the open
  episodes (one Query, empty when all is well) and closes those that are quiet. It is sent at once
  when every failure of the episode was already told (good news with nothing new to hide), otherwise
  when the hour since the last message is up, with the failures not yet told.
* A failure record that arrives twice (Lambda's delivery is at least once) is counted once: the
  episode keeps the request id of the last one counted.

Messages are published before the episode is written (``Publish`` then a conditional write): a write
that fails after a publish may repeat that message, never lose it. Nothing here touches the outbox;
with the ``alarms`` option there is no summariser and failures reach people through the alarms.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from statusmon.adapters.errors import AwsError
from statusmon.domain.arns import console_host
from statusmon.domain.episodes import SUMMARY_INTERVAL, Episode, FailureRecord
from statusmon.domain.model import OutboxMessage, iso

SCHEMA = "statusmon.ops/v1"
OPS_CHANNEL = "ops"
SUBJECT_LIMIT = 99

FAILING = "failing"
STILL_FAILING = "still_failing"
RECOVERED = "recovered"


class InvalidRecord(ValueError):
    """An event that is not a Lambda failure record (one line: what is missing)."""


def parse_failure_record(event: Mapping[str, Any]) -> FailureRecord:
    """A Lambda invocation record of a failed asynchronous invocation -> :class:`FailureRecord`.

    Shape (Lambda developer guide, "Capturing records of Lambda asynchronous invocations"):
    ``version``, ``timestamp``, ``requestContext`` {``requestId``, ``functionArn`` (qualified),
    ``condition``, ``approximateInvokeCount``}, ``requestPayload``, and, when the function ran,
    ``responseContext`` {``statusCode``, ``executedVersion``, ``functionError``} and
    ``responsePayload`` (for Python, {``errorMessage``, ``errorType``, ``stackTrace``}).
    """
    if not isinstance(event, Mapping):
        raise InvalidRecord("not a Lambda invocation record: expected a JSON object")
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        raise InvalidRecord("not a Lambda invocation record: no requestContext")
    arn = context.get("functionArn")
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "lambda" or parts[5] != "function":
        raise InvalidRecord(f"not a Lambda invocation record: functionArn {arn!r} is not a function ARN")
    condition = context.get("condition")
    if not isinstance(condition, str) or condition == "Success":
        raise InvalidRecord(f"not a failure record: condition {condition!r}")
    timestamp = event.get("timestamp")
    try:
        at = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRecord(f"not a Lambda invocation record: timestamp {timestamp!r}") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    payload = event.get("responsePayload")
    error_type = error_message = None
    if isinstance(payload, Mapping):
        error_type = _text(payload.get("errorType"))
        error_message = _text(payload.get("errorMessage"))
    elif isinstance(payload, str) and payload:
        error_message = payload
    if error_type is None:
        response = event.get("responseContext")
        if isinstance(response, Mapping):
            error_type = _text(response.get("functionError"))
    attempts = context.get("approximateInvokeCount")
    return FailureRecord(
        function_arn=":".join(parts[:7]),
        function_name=parts[6],
        region=parts[3],
        at=at,
        condition=condition,
        request_id=str(context.get("requestId") or ""),
        attempts=attempts if isinstance(attempts, int) else 0,
        error_type=error_type,
        error_message=error_message,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Notice:
    """A message to publish about one function."""

    kind: str  # FAILING | STILL_FAILING | RECOVERED
    episode: Episode
    new_failures: int
    at: datetime


def _may_tell(episode: Episode | None, now: datetime) -> bool:
    return episode is None or episode.told_at is None or now - episode.told_at >= SUMMARY_INTERVAL


def on_failure(
    episode: Episode | None, failure: FailureRecord, now: datetime
) -> tuple[Episode, Notice | None]:
    """The episode after ``failure``, and the message to send now (None: counted, told later).

    A record already counted (same request id) changes nothing; a closed episode is reopened as a new
    one; the hourly limit counts from the last message of any kind.
    """
    if (
        episode is not None
        and episode.open
        and failure.request_id
        and episode.last_request_id == failure.request_id
    ):
        return episode, None
    if episode is None or not episode.open:
        updated = Episode(
            function=failure.function_name,
            function_arn=failure.function_arn,
            region=failure.region,
            first_at=failure.at,
            last_at=failure.at,
            failures=1,
            last_error=failure.error,
            last_request_id=failure.request_id,
            told_at=episode.told_at if episode else None,
            told_failures=0,
            version=episode.version if episode else 0,
        )
        kind = FAILING
    else:
        updated = replace(
            episode,
            last_at=max(episode.last_at, failure.at),
            failures=episode.failures + 1,
            last_error=failure.error,
            last_request_id=failure.request_id,
        )
        kind = STILL_FAILING if episode.told_failures else FAILING
    if not _may_tell(episode, now):
        return updated, None
    notice = Notice(kind, updated, updated.untold, now)
    return replace(updated, told_at=now, told_failures=updated.failures), notice


def on_check(episode: Episode, now: datetime, quiet: timedelta) -> tuple[Episode, Notice | None] | None:
    """The redrive's look at an open episode: None while it is not quiet (or already closed); else the
    closed episode and its recovery message, or the episode as it is and None while the message must
    wait for its hour (failures not yet told)."""
    if not episode.open or now - episode.last_at < quiet:
        return None
    if episode.untold and not _may_tell(episode, now):
        return episode, None
    notice = Notice(RECOVERED, episode, episode.untold, now)
    return replace(episode, open=False, told_at=now, told_failures=episode.failures), notice


# -- the message -----------------------------------------------------------------------------------------


def console_url(episode: Episode) -> str:
    """The function's monitoring tab (its invocations, errors and logs) in the Lambda console."""
    region, partition = episode.region, episode.function_arn.split(":")[1]
    return (
        f"https://{region}.{console_host(partition)}/lambda/home?region={region}"
        f"#/functions/{episode.function}?tab=monitoring"
    )


def document(notice: Notice) -> dict[str, Any]:
    episode = notice.episode
    return {
        "schema": SCHEMA,
        "kind": notice.kind,
        "severity": "info" if notice.kind == RECOVERED else "error",
        "function": episode.function,
        "function_arn": episode.function_arn,
        "first_failure_at": iso(episode.first_at),
        "last_failure_at": iso(episode.last_at),
        "failures": episode.failures,
        "new_failures": notice.new_failures,
        "last_error": episode.last_error,
        "previous_message_at": iso(episode.told_at),
        "sent_at": iso(notice.at),
        "console_url": console_url(episode),
    }


def subject(notice: Notice) -> str:
    """``[statusmon] OPS: <function> is failing`` (or still failing, with the count, or OPS OK: recovered);
    a long function name is cut, never what happened."""
    episode = notice.episode
    what = {
        FAILING: "is failing",
        STILL_FAILING: f"is still failing ({episode.failures} failures)",
        RECOVERED: f"recovered after {_failures(episode.failures)}",
    }[notice.kind]
    head = "[statusmon] OPS OK:" if notice.kind == RECOVERED else "[statusmon] OPS:"
    name = episode.function.encode("ascii", "replace").decode("ascii")
    room = SUBJECT_LIMIT - len(head) - len(what) - 2
    if len(name) > room:
        name = name[: max(room - 3, 0)] + "..."
    return f"{head} {name} {what}"[:SUBJECT_LIMIT]


def _failures(count: int) -> str:
    return f"{count} failure{'' if count == 1 else 's'}"


def email_body(notice: Notice) -> str:
    doc = document(notice)
    episode = notice.episode
    if notice.kind == RECOVERED:
        since = doc["last_failure_at"]
        headline = f"statusmon's function {episode.function} has recovered: no failure since {since}."
    elif notice.kind == FAILING and episode.failures == 1:
        headline = f"statusmon's function {episode.function} failed at {doc['last_failure_at']}."
    else:
        headline = (
            f"statusmon's function {episode.function} keeps failing: {_failures(episode.failures)} "
            f"since {doc['first_failure_at']}."
        )
    lines = [
        headline,
        "",
        f"Last error:   {episode.last_error}",
        f"Failures:     {episode.failures} since {doc['first_failure_at']}, "
        f"the last at {doc['last_failure_at']}",
    ]
    if doc["previous_message_at"] and notice.new_failures:
        lines.append(
            f"New:          {_failures(notice.new_failures)} since the last message "
            f"({doc['previous_message_at']})"
        )
    lines += [
        f"Logs:         {doc['console_url']}",
        "",
        "What statusmon missed while it failed, the next successful sweep catches up on; pending alerts",
        "stay in the outbox until they are delivered.",
    ]
    if notice.kind != RECOVERED:
        lines += ["", "You get at most one message an hour while it keeps failing, and one when it recovers."]
    lines += ["", "-- statusmon"]
    return "\n".join(lines)


def ops_message(notice: Notice) -> OutboxMessage:
    """The notice as one SNS publish: JSON for machines (``default``), text for email."""
    doc = document(notice)
    body = json.dumps({"default": json.dumps(doc, sort_keys=True), "email": email_body(notice)})
    return OutboxMessage(
        channel=OPS_CHANNEL,
        transition_id=f"{notice.episode.function}#{iso(notice.at)}",
        detected_at=notice.at,
        severity=doc["severity"],
        subject=subject(notice),
        body=body,
        # Not the alerts' attributes: a subscription filtering alerts by severity or service keeps
        # getting alerts only, as it did when these were Lambda's raw records (no attributes).
        attributes={"ops": notice.kind},
    )


# -- orchestration ---------------------------------------------------------------------------------------


class FailureLog(Protocol):
    """What the summariser does with the episodes: one function's, read and written."""

    def episode(self, function: str) -> Episode | None: ...
    def save(self, episode: Episode) -> bool: ...


class OpenEpisodes(Protocol):
    """What the recovery check does with them: read the open ones, close one."""

    def open_episodes(self) -> list[Episode]: ...
    def save(self, episode: Episode) -> bool: ...


Publisher = Callable[[OutboxMessage], str]
# A lost race re-reads and decides again; more than this many in a row is not a race.
ATTEMPTS = 3


@dataclass
class OpsReport:
    told: list[str] = field(default_factory=list)  # the kinds of the messages sent
    counted: int = 0
    recovered: int = 0
    waiting: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "told": self.told,
            "counted": self.counted,
            "recovered": self.recovered,
            "waiting": self.waiting,
            "problems": self.problems[:20],
        }


def summarise(
    failure: FailureRecord,
    episodes: FailureLog,
    publish: Publisher,
    *,
    clock: Callable[[], datetime],
) -> OpsReport:
    """Count one failure record in its function's episode and publish what the rules say to.

    Raises :class:`AwsError` when the table or the topic fails (Lambda then retries the record)."""
    report = OpsReport()
    for _ in range(ATTEMPTS):
        current = episodes.episode(failure.function_name)
        updated, notice = on_failure(current, failure, clock())
        if updated == current:
            return report
        if notice is not None:
            publish(ops_message(notice))
        if episodes.save(updated):
            report.counted += 1
            if notice is not None:
                report.told.append(notice.kind)
            return report
    raise AwsError(f"the failure episode of {failure.function_name} kept changing; Lambda retries the record")


def check_recoveries(
    episodes: OpenEpisodes,
    publish: Publisher,
    *,
    clock: Callable[[], datetime],
    quiet: timedelta,
    out_of_time: Callable[[], bool],
) -> OpsReport:
    """Close the open episodes that are quiet, with their recovery message (one Query when there are
    none). An episode whose publish or write fails stays open for the next run."""
    report = OpsReport()
    for episode in episodes.open_episodes():
        if out_of_time():
            break
        decided = on_check(episode, clock(), quiet)
        if decided is None:
            continue
        closed, notice = decided
        if notice is None:
            report.waiting += 1
            continue
        try:
            publish(ops_message(notice))
            # A failure counted since the read makes this false: the summariser's episode stands.
            if episodes.save(closed):
                report.recovered += 1
                report.told.append(notice.kind)
        except AwsError as exc:
            report.problems.append(str(exc))
    return report
