"""The cost model's arithmetic and template reading, on small hand-made templates (no CDK here)."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench import cost_model as cm
from statusmon import metric_names

HANDLERS = Path(__file__).resolve().parents[2] / "functions" / "statusmon" / "handlers"
POLL_REKOGNITION = "statusmon.handlers.poll_rekognition.handler"
POLL_PERSONALIZE = "statusmon.handlers.poll_personalize.handler"
NOTIFY = "statusmon.handlers.notify.handler"
REDRIVE = "statusmon.handlers.redrive.handler"


def _function(
    handler: str, *, metrics: bool = True, memory: int = 512, traced: bool = True
) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Handler": handler,
            "MemorySize": memory,
            "Architectures": ["arm64"],
            "TracingConfig": {"Mode": "Active"} if traced else {"Mode": "PassThrough"},
            "Environment": {"Variables": {"POWERTOOLS_METRICS_DISABLED": str(not metrics).lower()}},
        },
    }


def _rule(target: str, expression: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "ScheduleExpression": expression,
            "Targets": [{"Arn": {"Fn::GetAtt": [target, "Arn"]}}],
        },
    }


def _alarm(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def template(
    *, metrics: bool = True, extras: dict[str, Any] | None = None, table_kms: bool = False
) -> dict[str, Any]:
    """Two pollers and the redrive every 5 minutes, the notifier on no schedule, a table and a topic."""
    resources: dict[str, Any] = {
        "PollRek": _function(POLL_REKOGNITION, metrics=metrics),
        "PollPer": _function(POLL_PERSONALIZE, metrics=metrics),
        "Notify": _function(NOTIFY, metrics=metrics),
        "Redrive": _function(REDRIVE, metrics=metrics),
        "RuleRek": _rule("PollRek", "rate(5 minutes)"),
        "RulePer": _rule("PollPer", "rate(5 minutes)"),
        "RuleRedrive": _rule("Redrive", "rate(5 minutes)"),
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "SSESpecification": {"SSEEnabled": table_kms},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            },
        },
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}},
    }
    return {"Resources": {**resources, **(extras or {})}}


WORKLOAD = cm.Workload(
    resources=1_000,
    sweep_read_units=86,
    sweep_dynamodb_requests=4,
    sweep_aws_calls=15,
    poll_seconds=1.5,
    redrive_seconds=0.5,
    notify_seconds=0.5,
    transitions_per_month=1_000,
    alerts_per_month=100,
)


def test_facts_read_from_a_template_count_what_has_a_price() -> None:
    # Given a template with custom metrics on, three alarms (one reading two metrics by metric math, one
    # high resolution), a dashboard and a key
    extras = {
        "Errors": _alarm(MetricName="Errors", Period=300),
        "Math": _alarm(
            Metrics=[
                {"Id": "a", "MetricStat": {"Period": 300}},
                {"Id": "b", "MetricStat": {"Period": 300}},
                {"Id": "e", "Expression": "a + b"},
            ]
        ),
        "Fast": _alarm(MetricName="Errors", Period=10),
        "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
    }
    # When the model reads it
    facts = cm.StackFacts.from_template(template(extras=extras, table_kms=True))
    # Then it finds four functions, the pollers by their source, and each one's schedule
    assert [fn.source for fn in facts.pollers] == ["personalize", "rekognition"]
    schedules = {fn.handler: fn.schedule_seconds for fn in facts.functions}
    assert schedules == {POLL_REKOGNITION: 300, POLL_PERSONALIZE: 300, REDRIVE: 300, NOTIFY: None}
    # And 7 sweep metrics per watched service plus one AlertsSent shared by both deliverers
    assert facts.metric_series == 7 * 2 + 1
    # And what CloudWatch bills for alarms: each metric an alarm reads, high resolution apart
    assert (facts.alarms, facts.alarm_metrics, facts.high_resolution_alarm_metrics) == (3, 3, 1)
    assert (facts.dashboards, facts.kms_keys, facts.table_key_billed, facts.topic_key_billed) == (
        1,
        1,
        True,
        True,
    )
    assert facts.pitr is True


def test_with_metrics_disabled_no_series_is_counted_and_an_unknown_handler_is_refused() -> None:
    # Given functions told not to emit metrics
    facts = cm.StackFacts.from_template(template(metrics=False))
    # Then none is counted
    assert facts.metric_series == 0
    # And a new handler that emits metrics must first be described to the model
    unknown = cm.FunctionFacts("X", "statusmon.handlers.new.handler", 512, True, True, True, None)
    with pytest.raises(ValueError, match="unknown handler"):
        _ = unknown.metric_series


def test_the_month_is_priced_line_by_line() -> None:
    # Given the default-like stack (no metrics, alarms, dashboard or key) at 1,000 resources
    facts = cm.StackFacts.from_template(template(metrics=False))
    prices = cm.Prices()
    # When a 30-day month is priced
    bill = cm.monthly_cost(facts, WORKLOAD, prices)
    # Then Lambda: 8,640 runs of each scheduled function and one notifier run per alert and per event
    # (one event per transition), at 0.5 GB
    sweeps = 30 * 86400 / 300
    deliveries = 100 + 1_000
    invocations = 3 * sweeps + deliveries
    gb_seconds = (2 * sweeps * 1.5 + sweeps * 0.5 + deliveries * 0.5) * 0.5
    expected_lambda = invocations * prices.lambda_request + gb_seconds * prices.lambda_gb_second_arm64
    assert bill.dollars(cm.LAMBDA) == pytest.approx(expected_lambda)
    # And DynamoDB: the sweeps' read units, one per redrive run and a bucket per transition; writes
    # per transition, alert and event
    reads = sweeps * 86 + sweeps * 1 + 1_000 * 1
    assert bill.dollars(cm.DYNAMODB_READS) == pytest.approx(reads * prices.dynamodb_read_unit)
    writes = 1_000 * 7 + 100 * 14 + 1_000 * 8
    assert bill.dollars(cm.DYNAMODB_WRITES) == pytest.approx(writes * prices.dynamodb_write_unit)
    # And a trace per traced run, the log bytes of every run, two KMS requests per alert under aws/sns
    assert bill.dollars(cm.XRAY) == pytest.approx(invocations * prices.xray_trace_recorded)
    assert bill.dollars(cm.LOGS) == pytest.approx(invocations * 750 / 1024**3 * prices.logs_ingestion_gb)
    assert bill.dollars(cm.KMS) == pytest.approx(200 * prices.kms_request)
    # And a dollar per million events
    assert bill.dollars(cm.EVENTBRIDGE) == pytest.approx(1_000 * 1.00 / 1e6)
    # And nothing for metrics, alarms or dashboards
    assert bill.dollars(cm.METRICS) == bill.dollars(cm.ALARMS) == bill.dollars(cm.DASHBOARD) == 0
    assert bill.total == pytest.approx(sum(line.dollars for line in bill.lines))
    assert [line.item for line in bill.lines] == list(cm.ITEMS)


def test_the_extras_add_their_monthly_prices() -> None:
    # Given the same stack with metrics, one alarm, a dashboard, a key and the table under KMS
    extras = {
        "Errors": _alarm(MetricName="Errors", Period=300),
        "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
    }
    lean = cm.monthly_cost(cm.StackFacts.from_template(template(metrics=False)), WORKLOAD)
    rich = cm.monthly_cost(cm.StackFacts.from_template(template(extras=extras, table_kms=True)), WORKLOAD)
    # Then each adds its price: 15 metrics, an alarm, a dashboard, a key and the table's KMS requests
    assert rich.dollars(cm.METRICS) == pytest.approx(15 * 0.30)
    assert rich.dollars(cm.ALARMS) == pytest.approx(0.10)
    assert rich.dollars(cm.DASHBOARD) == pytest.approx(3.00)
    sweeps = 30 * 86400 / 300
    table_requests = 3 * sweeps + sweeps  # each scheduled run, and the stream reader every 5 minutes
    assert rich.dollars(cm.KMS) == pytest.approx(1.00 + (table_requests + 200) * 0.03 / 1e4)
    # And the pollers' metrics documents add to the logs
    assert rich.dollars(cm.LOGS) > lean.dollars(cm.LOGS)


def test_schedule_and_memory_inputs_override_the_templates() -> None:
    facts = cm.StackFacts.from_template(template(metrics=False))
    every_5 = cm.monthly_cost(facts, WORKLOAD)
    every_1 = cm.monthly_cost(facts, replace(WORKLOAD, schedule_minutes=1))
    bigger = cm.monthly_cost(facts, replace(WORKLOAD, memory_mb=1024))
    # A 1-minute schedule sweeps (and redrives) five times as often; the changes' reads stay the same
    changes = 1_000 * WORKLOAD.read_units_per_transition * cm.PRICES.dynamodb_read_unit
    swept = every_5.dollars(cm.DYNAMODB_READS) - changes
    assert every_1.dollars(cm.DYNAMODB_READS) == pytest.approx(5 * swept + changes)
    # Twice the memory bills twice the GB-s
    assert bigger.dollars(cm.LAMBDA) > every_5.dollars(cm.LAMBDA)


@pytest.mark.parametrize(
    ("items", "size", "consistent", "units"),
    [
        (0, 700, False, 0.0),
        (1, 100, False, 0.5),  # rounded up to 4 KB
        (1, 100, True, 1.0),
        (500, 760, False, 46.5),  # 380,000 bytes: 93 blocks of 4 KB
        (2_000, 1_000, False, 244.5),  # two pages (1 MB each at most), each rounded up on its own
    ],
)
def test_query_read_units(items: int, size: int, consistent: bool, units: float) -> None:
    assert cm.query_read_units(items, size, consistent=consistent) == units


def test_the_table_renders_every_item_per_column_and_the_totals() -> None:
    facts = cm.StackFacts.from_template(template(metrics=False))
    bill = cm.monthly_cost(facts, WORKLOAD)
    text = cm.cost_table([("a", bill), ("b", bill)])
    lines = text.splitlines()
    assert lines[0] == "| item | a | b |"
    assert len(lines) == 2 + len(cm.ITEMS) + 1
    assert lines[-1] == f"| **total** | **${bill.total:,.2f}** | **${bill.total:,.2f}** |"
    assert "| CloudWatch dashboard | - | - |" in lines
    assert "invocations" in cm.cost_table([("a", bill)], with_basis=True)


def test_the_cost_block_is_replaced_between_its_markers() -> None:
    text = f"before\n{cm.BEGIN}\nold\n{cm.END}\nafter\n"
    updated = cm.replace_block(text, "new\n")
    assert updated == f"before\n{cm.BEGIN}\nnew\n{cm.END}\nafter\n"
    assert cm.current_block(updated) == "new\n"


def _emitted(path: Path) -> set[str]:
    """The metric_names constants a module passes to add_metric(name=...)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_metric":
            (name,) = [k.value for k in node.keywords if k.arg == "name"]
            constant = name.attr if isinstance(name, ast.Attribute) else getattr(name, "id", None)
            found.add(getattr(metric_names, str(constant)))
    return found


def test_the_models_metric_catalogue_is_what_the_handlers_emit() -> None:
    # Given the handlers' source
    # Then the pollers' shared code emits the sweep metrics (and the occasional one);
    # the deliverers emit AlertsSent
    assert _emitted(HANDLERS / "poll.py") == set(cm.SWEEP_METRICS) | set(cm.OCCASIONAL_METRICS)
    assert _emitted(HANDLERS / "notify.py") == _emitted(HANDLERS / "redrive.py") == set(cm.DELIVERY_METRICS)
    # And no other handler module emits any
    others = {p.name for p in HANDLERS.glob("*.py")} - {"poll.py", "notify.py", "redrive.py"}
    assert all(not _emitted(HANDLERS / name) for name in others)


def test_the_hot_watch_and_discovery_are_priced_from_the_template() -> None:
    # Given the default-like stack, then the same with the watch (every minute, untraced) and discovery
    plain = cm.StackFacts.from_template(template(metrics=False))
    extras = {
        "Watch": _function(cm.WATCH_HANDLER, metrics=False, traced=False),
        "RuleWatch": _rule("Watch", "rate(1 minute)"),
        "Discover": _function(cm.DISCOVER_HANDLER, metrics=False),
    }
    watched = cm.StackFacts.from_template(template(metrics=False, extras=extras))
    prices = cm.Prices()
    # When both months are priced, with the sweeps' schedule changed (it does not move the watch's)
    workload = replace(WORKLOAD, schedule_minutes=10)
    before, after = cm.monthly_cost(plain, workload, prices), cm.monthly_cost(watched, workload, prices)

    def added(item: str) -> float:
        return after.dollars(item) - before.dollars(item)

    # Then the watch runs 43,200 times a month at 0.1 s, discovery 1,000 times at 0.5 s (0.5 GB each)
    runs, discoveries = 30 * 1440, 1_000
    gb_seconds = (runs * 0.1 + discoveries * 0.5) * 0.5
    expected_lambda = (
        runs + discoveries
    ) * prices.lambda_request + gb_seconds * prices.lambda_gb_second_arm64
    assert added(cm.LAMBDA) == pytest.approx(expected_lambda)
    # And each watch run reads half a unit, each discovery writes one
    assert added(cm.DYNAMODB_READS) == pytest.approx(runs * 0.5 * prices.dynamodb_read_unit)
    assert added(cm.DYNAMODB_WRITES) == pytest.approx(discoveries * prices.dynamodb_write_unit)
    # And only discovery is traced; idle watch runs log nothing, busy ones and discoveries one line each
    assert added(cm.XRAY) == pytest.approx(discoveries * prices.xray_trace_recorded)
    log_bytes = (discoveries + workload.watch_busy_runs_per_month) * workload.log_bytes_per_invocation
    assert added(cm.LOGS) == pytest.approx(log_bytes / cm.GIB * prices.logs_ingestion_gb)
    # And neither emits a custom metric, even with metrics on
    loud = {
        **extras,
        "Watch": _function(cm.WATCH_HANDLER, traced=False),
        "Discover": _function(cm.DISCOVER_HANDLER),
    }
    assert cm.StackFacts.from_template(template(extras=loud)).metric_series == 7 * 2 + 1


def test_the_deep_check_is_priced_from_the_pollers_environment() -> None:
    # Given the same stack, its Rekognition poller with a daily deep check, at 1,000 resources (500 datasets)
    plain = template(metrics=False)
    deep = template(metrics=False)
    deep["Resources"]["PollRek"]["Properties"]["Environment"]["Variables"]["STATUSMON_DEEP_CHECK_HOURS"] = (
        "24"
    )
    without = cm.monthly_cost(cm.StackFacts.from_template(plain), WORKLOAD)
    bill = cm.monthly_cost(cm.StackFacts.from_template(deep), WORKLOAD)
    # Then each sweep describes its share of the datasets (5 minutes and a one-minute margin of a day)
    share = 360 / 86400
    sweeps = 30 * 86400 / 300
    describes, seconds, read_units = cm.deep_check(bill.facts.pollers[1], WORKLOAD, 300)
    assert bill.facts.pollers[1].source == "rekognition"
    assert describes == pytest.approx(500 * share)
    # In one round of 8 calls at a time, and one Query of its share of the buckets (2 states each)
    assert seconds == pytest.approx(0.1)
    assert read_units == pytest.approx(256 * share * 0.5)
    added_lambda = sweeps * seconds * 0.5 * cm.PRICES.lambda_gb_second_arm64
    assert bill.dollars(cm.LAMBDA) - without.dollars(cm.LAMBDA) == pytest.approx(added_lambda)
    added_reads = sweeps * read_units * cm.PRICES.dynamodb_read_unit
    assert bill.dollars(cm.DYNAMODB_READS) - without.dollars(cm.DYNAMODB_READS) == pytest.approx(added_reads)
    # And the Personalize poller has none, whatever its environment says
    assert cm.deep_check(bill.facts.pollers[0], WORKLOAD, 300) == (0.0, 0.0, 0.0)
