"""The cost model on the real templates: what each profile creates, the issue's budget, docs/costs.md."""

from __future__ import annotations

import dataclasses

from bench import cost_model as cm
from tests.infra.conftest import EVERYTHING_ON, Synth

# Issue 10: the default profile, 1,000 resources, 5-minute schedule.
DEFAULT_BUDGET = 0.50


def test_the_default_profile_creates_nothing_with_a_monthly_fee(synth: Synth) -> None:
    # Given the default profile's template, as the cost model reads it
    facts = cm.StackFacts.from_template(synth.json)
    # Then no custom metric, alarm, dashboard or key, and the table under DynamoDB's own key
    assert (facts.metric_series, facts.alarms, facts.dashboards, facts.kms_keys) == (0, 0, 0, 0)
    assert facts.table_key_billed is False
    # And the model knows every function: two pollers, the notifier, the redrive, the watch, discovery
    # and the failure summariser, arm64 at 512 MB; all traced but the two that may run every minute
    assert len(facts.functions) == 7
    assert sorted(fn.handler for fn in facts.functions if not fn.traced) == [cm.OPS_HANDLER, cm.WATCH_HANDLER]
    assert [fn.source for fn in facts.pollers] == ["personalize", "rekognition"]
    assert {(fn.arm64, fn.memory_mb) for fn in facts.functions} == {(True, 512)}


def test_everything_on_is_the_stack_of_old(everything: Synth) -> None:
    # Given every extra on, as docs/costs.md prices it
    assert cm.PROFILES["everything on"] == EVERYTHING_ON
    facts = cm.StackFacts.from_template(everything.json)
    # Then 7 sweep metrics per service and AlertsSent, 9 alarms (6 functions, DLQ, 2 stale), a
    # dashboard and a key
    assert facts.metric_series == 15
    assert (facts.alarms, facts.alarm_metrics, facts.high_resolution_alarm_metrics) == (9, 9, 0)
    assert (facts.dashboards, facts.kms_keys, facts.table_key_billed) == (1, 1, True)


def test_the_default_profile_costs_at_most_fifty_cents_at_1000_resources(synth: Synth) -> None:
    # Given the published 1,000-resource workload on the default profile (5-minute schedule, and the
    # hot watch's minute)
    (workload,) = [w for w in cm.PUBLISHED_WORKLOADS if w.resources == 1_000]
    assert workload.schedule_minutes is None
    facts = cm.StackFacts.from_template(synth.json)
    assert {fn.schedule_seconds for fn in facts.functions} == {60, 300, None}
    # When the month is priced
    bill = cm.monthly_cost(facts, workload)
    # Then it is within the budget, the watch's 43,200 runs and 1,000 discoveries included
    assert bill.total <= DEFAULT_BUDGET
    assert "43,200 watch runs" in next(line.basis for line in bill.lines if line.item == cm.DYNAMODB_READS)


def test_the_published_cost_table_is_what_the_model_computes(synth: Synth, everything: Synth) -> None:
    # Given both profiles' templates (the fixtures add email subscriptions, which the model does not read)
    profiles = {
        "default": cm.StackFacts.from_template(synth.json),
        "everything on": cm.StackFacts.from_template(everything.json),
    }
    assert list(profiles) == list(cm.PROFILES)
    # Then docs/costs.md's generated block is the model's output: rerun `python bench/cost_model.py --write`
    page = cm.PAGE.read_text()
    assert cm.current_block(page) == cm.page_block(profiles), (
        "docs/costs.md's cost table is stale: run `python bench/cost_model.py --write`"
    )


def test_failure_summaries_add_nothing_to_a_month_without_failures(synth: Synth) -> None:
    # Given the default profile at 1,000 resources, with its failure summariser, and the same without it
    (workload,) = [w for w in cm.PUBLISHED_WORKLOADS if w.resources == 1_000]
    facts = cm.StackFacts.from_template(synth.json)
    without = dataclasses.replace(
        facts, functions=tuple(fn for fn in facts.functions if fn.handler != cm.OPS_HANDLER)
    )
    assert len(without.functions) == len(facts.functions) - 1
    # When a month without a failed run is priced
    bill, baseline = cm.monthly_cost(facts, workload), cm.monthly_cost(without, workload)
    # Then the summariser never runs, and the redrive's recovery check (one Query of the empty OPS
    # partition a run: 8,640 read units) costs about a tenth of a cent
    assert 0 < bill.total - baseline.total < 0.002
    # And a month in which the watch failed at every run (43,200 records, 720 messages) costs less than
    # a quarter more: the summariser's runs and log lines, untraced
    failing = cm.monthly_cost(facts, dataclasses.replace(workload, failure_records_per_month=43_200))
    assert failing.total - bill.total < 0.25
