"""Hostile 200 answers from the services, over HTTP (the emulator's malformed faults): never data.

Each test here failed before answers were checked: a malformed listing page deleted every resource
(and the next sweep re-alerted every failure), a malformed Describe aborted the sweep with a
traceback, and an endless paging token hung it past its deadline.
"""

from __future__ import annotations

from typing import Any

import pytest

from statusmon.adapters.store import StatusStore
from statusmon.domain.vocabulary import Service
from statusmon.logic.alerts import SNS_CHANNEL
from statusmon.logic.run import run_sweep
from statusmon.settings import load_settings
from statusmon_emulator.malformed import MALFORMED_KINDS

LISTINGS = {Service.REKOGNITION: "DescribeProjects", Service.PERSONALIZE: "ListDatasetImportJobs"}


@pytest.fixture
def account(fresh_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Two projects (one TEST dataset failed) and three import jobs (one failed)."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    fresh_emulator.seed(
        rekognition={
            "projects": [
                {
                    "name": "shoes",
                    "datasets": [{"type": "TRAIN"}, {"type": "TEST", "status": "CREATE_FAILED"}],
                },
                {"name": "hats", "datasets": [{"type": "TRAIN"}]},
            ]
        },
        personalize={
            "dataset_groups": [
                {
                    "name": "shop",
                    "datasets": [
                        {
                            "type": "Interactions",
                            "import_jobs": [
                                {"name": "ok-1"},
                                {"name": "ok-2"},
                                {
                                    "name": "bad",
                                    "status": "CREATE FAILED",
                                    "failure_reason": "missing column",
                                },
                            ],
                        }
                    ],
                }
            ]
        },
    )
    return fresh_emulator


def _baselined(store: StatusStore) -> Any:
    settings = load_settings({"STATUSMON_TABLE_NAME": store.table_name})
    for service in Service:
        assert run_sweep(service, settings).succeeded
    return settings


@pytest.mark.parametrize("service", list(Service))
# endless-token has its own test below: without a deadline it pages up to the page cap (10,000).
@pytest.mark.parametrize("kind", [k for k in MALFORMED_KINDS if k != "endless-token"])
def test_a_malformed_listing_deletes_nothing_and_alerts_nothing(
    account: Any, store: StatusStore, service: Service, kind: str
) -> None:
    # Given a baselined account
    settings = _baselined(store)
    before = store.states(service)
    # When every listing page is malformed in this way, for three sweeps in a row
    account.set_faults(operation=LISTINGS[service], malformed_rate=1.0, malformed=[kind])
    reports = [run_sweep(service, settings) for _ in range(3)]
    # Then nothing is deleted or recorded, each sweep reports a read problem, and nothing is pending
    assert store.states(service) == before
    assert all(r.recorded == [] for r in reports)
    assert all(not r.complete and r.problems for r in reports)
    assert store.pending(SNS_CHANNEL) == []
    # And once the service answers properly again, a sweep is clean and quiet
    account.clear_faults()
    healed = run_sweep(service, settings)
    assert healed.succeeded
    assert healed.recorded == []


@pytest.mark.parametrize("kind", ["empty-object", "item-missing-key", "bad-timestamp", "wrong-type"])
def test_a_malformed_describe_skips_that_resource_and_the_sweep_goes_on(
    account: Any, store: StatusStore, kind: str
) -> None:
    # Given a baselined account, and a dataset that then fails an update
    settings = _baselined(store)
    account.set_faults(operation="DescribeDataset", malformed_rate=1.0, malformed=[kind])
    # When every DescribeDataset answer is malformed
    report = run_sweep(Service.REKOGNITION, settings)
    # Then the sweep finishes, names the problem, and records nothing it could not read
    assert report.problems
    assert all(p.startswith("DescribeDataset") for p in report.problems)
    assert report.recorded == []
    assert report.complete  # the listing itself was fine


def test_an_endless_listing_stops_at_the_sweep_deadline(account: Any, store: StatusStore) -> None:
    # Given a baselined account whose import job listing then never ends
    _baselined(store)
    account.set_faults(operation="ListDatasetImportJobs", malformed_rate=1.0, malformed=["endless-token"])
    settings = load_settings(
        {"STATUSMON_TABLE_NAME": store.table_name, "STATUSMON_SWEEP_DEADLINE_SECONDS": "1"}
    )
    # When a sweep runs
    report = run_sweep(Service.PERSONALIZE, settings)
    # Then it returns, stopped by its deadline, having deleted nothing
    assert report.stopped_early
    assert not report.complete
    assert report.recorded == []
    assert any("deadline" in p for p in report.problems)
    assert account.call_counts()["personalize:ListDatasetImportJobs"] > 2


def test_a_repeated_token_is_a_loop_not_a_hang(account: Any, store: StatusStore) -> None:
    settings = _baselined(store)
    account.set_faults(operation="DescribeProjects", malformed_rate=1.0, malformed=["repeat-token"])
    report = run_sweep(Service.REKOGNITION, settings)
    assert not report.complete
    assert "repeated a paging token" in report.problems[0]
    assert report.recorded == []
