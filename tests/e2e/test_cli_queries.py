import json
import uuid

import pytest

from statusmon.adapters.store import StatusStore
from statusmon.logic.changes import detect_changes
from tests.e2e.conftest import run_statusmon
from tests.unit.factories import DATASET_ARN, JOB_ARN, NOW, dataset, job


def _exports(stdout: str) -> dict[str, str]:
    pairs = [
        line.removeprefix("export ").split("=", 1)
        for line in stdout.splitlines()
        if line.startswith("export ")
    ]
    return dict(pairs)


@pytest.fixture
def configured(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """local-setup run by the user, then a few transitions recorded in the table it made."""
    env = {**cli_env, "STATUSMON_TABLE_NAME": f"cli-{uuid.uuid4().hex[:8]}"}
    result = run_statusmon("local-setup", env=env)
    assert result.code == 0, result.err
    env.update(_exports(result.out))
    monkeypatch.setenv("AWS_ENDPOINT_URL", cli_env["AWS_ENDPOINT_URL"])
    store = StatusStore(env["STATUSMON_TABLE_NAME"])
    for observations in (
        [dataset("CREATE_IN_PROGRESS"), job("CREATE PENDING")],
        [dataset("CREATE_FAILED", reason="The manifest file is not valid JSON Lines.")],
        [job("ACTIVE")],
    ):
        service = observations[0].service
        for change in detect_changes(
            observations, store.load_service(service), now=NOW, complete_listing=False
        ):
            assert store.record(change, retention_days=7)
    return env


def test_local_setup_is_idempotent(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "STATUSMON_TABLE_NAME": f"idem-{uuid.uuid4().hex[:8]}"}
    first = run_statusmon("local-setup", env=env)
    second = run_statusmon("local-setup", env=env)
    assert (first.code, second.code) == (0, 0)
    assert "created" in first.err
    assert "already there" in second.err
    assert _exports(first.out) == _exports(second.out)
    assert _exports(first.out)["STATUSMON_TOPIC_ARN"].startswith("arn:aws:sns:us-east-1:")


def test_status_json_lists_every_resource_with_the_contract_fields(configured: dict[str, str]) -> None:
    result = run_statusmon("status", "--json", env=configured)
    assert result.code == 0, result.err
    rows = {row["resource_arn"]: row for row in json.loads(result.out)}
    assert set(rows) == {DATASET_ARN, JOB_ARN}
    for row in rows.values():
        assert {"resource_arn", "service", "resource_type", "status", "reason", "updated_at"} <= set(row)
    assert rows[DATASET_ARN]["status"] == "CREATE_FAILED"
    assert rows[DATASET_ARN]["reason"] == "The manifest file is not valid JSON Lines."
    assert rows[JOB_ARN]["status"] == "ACTIVE"
    assert rows[JOB_ARN]["resource_type"] == "dataset_import_job"


def test_status_filters_and_text_table(configured: dict[str, str]) -> None:
    failed = run_statusmon("status", "--failed", "--json", env=configured)
    assert [row["resource_arn"] for row in json.loads(failed.out)] == [DATASET_ARN]
    personalize = run_statusmon("status", "--service", "personalize", env=configured)
    assert personalize.code == 0
    header, *lines = personalize.out.splitlines()
    assert header.split() == ["SERVICE", "NAME", "STATUS", "UPDATED", "REASON"]
    assert len(lines) == 1
    assert "ACTIVE" in lines[0]


def test_history_lists_statuses_oldest_first(configured: dict[str, str]) -> None:
    result = run_statusmon("history", DATASET_ARN, "--json", env=configured)
    assert result.code == 0, result.err
    history = json.loads(result.out)
    assert [(h["previous_status"], h["status"]) for h in history] == [
        (None, "CREATE_IN_PROGRESS"),
        ("CREATE_IN_PROGRESS", "CREATE_FAILED"),
    ]
    assert {"status", "previous_status", "reason", "detected_at"} <= set(history[0])
    text = run_statusmon("history", DATASET_ARN, env=configured)
    assert text.out.splitlines()[0].split() == ["DETECTED", "FROM", "TO", "REASON"]


def test_history_of_an_untracked_resource_says_so(configured: dict[str, str]) -> None:
    result = run_statusmon("history", DATASET_ARN.replace("train", "test"), env=configured)
    assert result.code == 1
    assert "not tracked" in result.err
