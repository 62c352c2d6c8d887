"""``statusmon demo``: the whole monitor on this machine, telling a short story of failures.

moto server (DynamoDB, streams, SNS, SQS, S3) and the emulator run in-process on 127.0.0.1. An
SQS queue is subscribed to the alert topic as a user would; the pipeline acts through real boto3
calls; the sweep runs on a short schedule against an accelerated clock; every alert is printed as
the queue receives it. Everything stops when the story ends.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from statusmon.adapters import events, sns
from statusmon.adapters.store import StatusStore
from statusmon.cli import render
from statusmon.domain.model import utcnow
from statusmon.logic.run import make_source, run_redrive, sweep_and_deliver
from statusmon.logic.watch import watch
from statusmon.settings import Settings, load_settings
from statusmon_local import pipeline
from statusmon_local.services import LocalServices, local_services, patched_environment

TICK_SECONDS = 0.25  # real time between scheduled sweeps
CLOCK_STEP = 2.0  # emulated seconds that pass between two sweeps
MAX_TICKS = 40

# The demo's EventBridge rule: statusmon's failure events, whatever the service.
FAILURE_RULE = {"source": ["statusmon"], "detail": {"phase": ["failed"]}}
EXPECTED_FAILURE_EVENTS = [
    ("rekognition", "CREATE_FAILED"),
    ("rekognition", "UPDATE_FAILED"),
    ("personalize", "CREATE FAILED"),
]
EXPECTED_ALERTS = [
    ("rekognition", "CREATE_FAILED", "error"),
    ("rekognition", "UPDATE_COMPLETE", "warning"),
    ("rekognition", "UPDATE_FAILED", "error"),
    ("personalize", "CREATE FAILED", "error"),
    ("personalize", "CREATE IN_PROGRESS", "warning"),
]


@dataclass
class Demo:
    services: LocalServices
    settings: Settings
    store: StatusStore
    queue_url: str
    events_url: str
    out: TextIO
    received: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    sweeps: int = 0

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def step(self, title: str) -> None:
        self.say()
        self.say(f"==> {title}")

    def tick(self) -> None:
        """One scheduled sweep (the Lambda's work), then whatever the subscriber received."""
        time.sleep(TICK_SECONDS)
        self.services.emulator.advance(CLOCK_STEP)
        outcome = sweep_and_deliver(self.settings)
        self.sweeps += 1
        if outcome.delivery_error:
            self.say(f"    ! alerts not delivered: {outcome.delivery_error}")
        for failed in outcome.delivery.failures:
            self.say(f"    ! alert not delivered yet: {failed.error}")
        self.receive()

    def receive(self) -> None:
        for message in pipeline.drain_queue(self.queue_url):
            self.received.append(message["body"])
            self.print_alert(message["body"])
        for message in pipeline.drain_queue(self.events_url):
            detail = message["body"]["detail"]
            self.events.append(detail)
            self.say(
                f"    EVENT {message['body']['detail-type']}: {detail['name']} is {detail['status']} "
                "(an EventBridge rule on failures routed it to a queue)"
            )

    def print_alert(self, alert: dict[str, Any]) -> None:
        kind = alert["resource_type"].replace("_", " ")
        self.say(f"    ALERT [{alert['severity'].upper()}] {alert['service']} {kind} {alert['name']}")
        if alert.get("stuck_since"):
            self.say(f"          stuck in {alert['status']} since {alert['stuck_since']}")
        else:
            self.say(f"          {alert['previous_status'] or '(new)'} -> {alert['status']}")
        if alert.get("reason"):
            self.say(f"          reason: {alert['reason']}")
        stats = alert.get("details", {}).get("stats")
        if alert["severity"] == "warning" and stats:
            self.say(
                f"          {stats.get('ErrorEntries')} of {stats.get('TotalEntries', '?')} "
                "entries have errors"
            )
        for entry in alert.get("details", {}).get("error_entries", [])[:2]:
            codes = ", ".join(str(e.get("code", e)) for e in entry.get("errors", []) if isinstance(e, dict))
            self.say(f"          e.g. {entry.get('source-ref')}: {codes or json.dumps(entry)[:80]}")
        if alert.get("hint"):
            self.say(f"          what to do: {alert['hint']}")
        if alert.get("docs_url"):
            self.say(f"          read more: {alert['docs_url']}")

    def watch(self, *, hours_later: float) -> None:
        """One run of the hot watch as if ``hours_later`` hours had passed on statusmon's clock (the
        demo's story takes seconds; the stuck thresholds are hours), then the deliveries."""
        report = watch(
            lambda service: make_source(service, self.settings),
            self.store,
            retention_days=self.settings.history_retention_days,
            now=utcnow() + timedelta(hours=hours_later),
            stuck_after=self.settings.stuck_after_minutes,
        )
        self.say(
            f"    hot watch, {hours_later:g} h later: {report.watched} in flight, "
            f"{report.described} described, {report.stuck_warnings} stuck warning(s)"
        )
        run_redrive(self.settings, outbox=self.store)
        self.receive()

    def until(self, description: str, done: Callable[[], bool]) -> None:
        for _ in range(MAX_TICKS):
            self.tick()
            if done():
                return
        raise RuntimeError(f"the demo story stalled waiting for {description}")

    def status_is(self, arn: str, *statuses: str) -> Callable[[], bool]:
        def check() -> bool:
            state = self.store.get(arn)
            return state is not None and state.status in statuses

        return check


def _story(demo: Demo) -> None:
    bad_line = {
        "source-ref": "https://example.com/not-in-s3.jpg",
        **{k: v for k, v in pipeline.manifest_line("x.jpg").items() if k != "source-ref"},
    }

    demo.step("Custom Labels: project demo-shoes, TRAIN from a good manifest, TEST from a broken one")
    pipeline.put_object(pipeline.IMAGE_BUCKET, "shoes/train.manifest", pipeline.good_manifest(30))
    pipeline.put_object(pipeline.IMAGE_BUCKET, "shoes/test.manifest", b"{not json\nstill not json\n")
    shoes = pipeline.create_project("demo-shoes")
    train = pipeline.create_dataset(shoes, "TRAIN", "shoes/train.manifest")
    test = pipeline.create_dataset(shoes, "TEST", "shoes/test.manifest")
    demo.until(
        "the datasets to settle",
        lambda: demo.status_is(train, "CREATE_COMPLETE")() and demo.status_is(test, "CREATE_FAILED")(),
    )

    demo.step("UpdateDatasetEntries on demo-shoes/train: 5 good lines, 2 with a source-ref outside S3")
    good = [pipeline.manifest_line(f"more/{i}.jpg") for i in range(5)]
    pipeline.update_entries(
        train, pipeline.jsonl([*good, bad_line, {**bad_line, "source-ref": "ftp://x/2.jpg"}])
    )
    demo.until("the update to complete", demo.status_is(train, "UPDATE_COMPLETE"))

    demo.step("UpdateDatasetEntries on demo-shoes/train where every line is invalid")
    pipeline.update_entries(
        train, pipeline.jsonl([{"source-ref": "s3://statusmon-demo-images/y.jpg", "shoe-type": 0}])
    )
    demo.until("the update to fail", demo.status_is(train, "UPDATE_FAILED"))

    demo.step("Custom Labels: project demo-boots, then DistributeDatasetEntries (20% of TRAIN to TEST)")
    pipeline.put_object(pipeline.IMAGE_BUCKET, "boots/train.manifest", pipeline.good_manifest(40))
    boots = pipeline.create_project("demo-boots")
    boots_train = pipeline.create_dataset(boots, "TRAIN", "boots/train.manifest")
    boots_test = pipeline.create_dataset(boots, "TEST")
    demo.until("the datasets to be created", demo.status_is(boots_train, "CREATE_COMPLETE"))
    pipeline.distribute(boots_train, boots_test)
    demo.until(
        "the distribution to complete",
        lambda: (
            demo.status_is(boots_train, "UPDATE_COMPLETE")()
            and demo.status_is(boots_test, "UPDATE_COMPLETE")()
        ),
    )
    demo.say("    (both datasets UPDATE_COMPLETE: no alert)")

    demo.step("Personalize: an import job from a CSV without its TIMESTAMP column, and a good one")
    dataset = pipeline.create_interactions_dataset("demo-retail")
    missing = pipeline.put_object(
        pipeline.DATA_BUCKET, "interactions-missing.csv", pipeline.interactions_csv(with_timestamp=False)
    )
    complete = pipeline.put_object(pipeline.DATA_BUCKET, "interactions.csv", pipeline.interactions_csv())
    bad_job = pipeline.import_job("demo-import-missing-column", dataset, missing)
    good_job = pipeline.import_job("demo-import-ok", dataset, complete)
    demo.until(
        "the import jobs to finish",
        lambda: demo.status_is(bad_job, "CREATE FAILED")() and demo.status_is(good_job, "ACTIVE")(),
    )
    demo.say("    (demo-import-ok is ACTIVE: no alert)")
    demo.tick()  # one more scheduled sweep: nothing new, nothing more alerted

    demo.step("Personalize: an import job that hangs in CREATE IN_PROGRESS, and the one-minute hot watch")
    demo.services.emulator.seed(
        personalize={
            "dataset_groups": [
                {
                    "name": "demo-slow",
                    "datasets": [
                        {
                            "type": "Interactions",
                            "import_jobs": [{"name": "demo-import-hangs", "status": "CREATE IN_PROGRESS"}],
                        }
                    ],
                }
            ]
        }
    )
    demo.tick()  # the sweep sees it in flight: it goes on the hot watch
    demo.watch(hours_later=1)  # described, nothing to say yet
    demo.watch(hours_later=7)  # past the 6 h threshold of import jobs: one stuck warning
    demo.watch(hours_later=8)  # and only one

    # Ages from the emulated clock, which runs ahead of statusmon's: its timestamps are the services'.
    now = max(utcnow(), datetime.fromtimestamp(demo.services.emulator.now(), UTC))
    demo.step("statusmon status")
    demo.say(render.states_table(demo.store.states(), now=now))
    demo.step("statusmon history demo-shoes/train")
    demo.say(render.history_table(demo.store.history(train), now=now))


def run_demo(out: TextIO = sys.stdout) -> int:
    started = time.monotonic()
    print(
        "statusmon demo: starting moto server and the Rekognition/Personalize emulator on 127.0.0.1", file=out
    )
    with local_services(frozen_clock=True) as services:
        suffix = uuid.uuid4().hex[:6]
        environment = {
            **services.environment(),
            "STATUSMON_TABLE_NAME": f"statusmon-demo-{suffix}",
        }
        with patched_environment(environment):
            store = StatusStore(environment["STATUSMON_TABLE_NAME"])
            store.ensure_table()
            sns._client.cache_clear()
            events._client.cache_clear()
            topic_arn = sns.ensure_topic("statusmon-demo-alerts")
            settings = load_settings({**environment, "STATUSMON_TOPIC_ARN": topic_arn})
            queues = pipeline.subscribe_queue(topic_arn), pipeline.route_events(FAILURE_RULE)
            demo = Demo(services, settings, store, *queues, out)
            demo.say(f"  table {store.table_name}, topic {topic_arn}, an SQS queue subscribed to it")
            demo.say(
                f"  an EventBridge rule on the default bus sends failure events to a queue: {FAILURE_RULE}"
            )
            demo.say(f"  a sweep every {TICK_SECONDS}s; the emulated clock moves {CLOCK_STEP}s per sweep")
            demo.step("First sweep: an empty account, recorded as the silent baseline")
            demo.tick()
            _story(demo)
            sns._client.cache_clear()
            events._client.cache_clear()
    received = [(a["service"], a["status"], a["severity"]) for a in demo.received]
    failure_events = [(e["service"], e["status"]) for e in demo.events]
    demo.say()
    demo.say(
        f"{len(received)} alerts and {len(failure_events)} failure events in {demo.sweeps} sweeps, "
        f"{time.monotonic() - started:.1f}s; everything stopped."
    )
    if failure_events != EXPECTED_FAILURE_EVENTS:
        print(
            f"statusmon: error: the demo expected failure events {EXPECTED_FAILURE_EVENTS}, "
            f"got {failure_events}",
            file=sys.stderr,
        )
        return 1
    if received != EXPECTED_ALERTS:
        print(
            f"statusmon: error: the demo expected alerts {EXPECTED_ALERTS}, got {received}", file=sys.stderr
        )
        return 1
    return 0
