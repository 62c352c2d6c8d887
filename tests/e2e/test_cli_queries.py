"""`statusmon status` and `history` as a user runs them: short ids, the three output forms."""

import json
import re
import uuid
from dataclasses import replace

import pytest

from statusmon.adapters.store import StatusStore
from statusmon.logic.changes import detect_changes
from tests.e2e.conftest import base_env, one_line_error, run_statusmon
from tests.unit.factories import DATASET_ARN, JOB_ARN, NOW, dataset, job

TEST_ARN = DATASET_ARN.replace("/train/", "/test/")
INTERACTIONS = "arn:aws:personalize:eu-west-1:123456789012:dataset/retail/INTERACTIONS"
JOB_ID = "retail/interactions-2026-11-24"


def _exports(stdout: str) -> dict[str, str]:
    pairs = [
        line.removeprefix("export ").split("=", 1)
        for line in stdout.splitlines()
        if line.startswith("export ")
    ]
    return dict(pairs)


@pytest.fixture(scope="module")
def configured(moto_url: str) -> dict[str, str]:
    """local-setup run by the user, then a few transitions recorded in the table it made:
    shoes/train (failed), shoes/test (complete), the import job retail/interactions-2026-11-24.
    The tests only read it."""
    env = {**base_env(moto_url), "STATUSMON_TABLE_NAME": f"cli-{uuid.uuid4().hex[:8]}"}
    result = run_statusmon("local-setup", env=env)
    assert result.code == 0, result.err
    env.update(_exports(result.out))
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
        _record(StatusStore(env["STATUSMON_TABLE_NAME"]))
    return env


def _record(store: StatusStore) -> None:
    for observations in (
        [
            dataset("CREATE_IN_PROGRESS"),
            replace(dataset("CREATE_COMPLETE", arn=TEST_ARN), name="shoes/test"),
            job("CREATE PENDING", parent_arn=INTERACTIONS),
        ],
        [dataset("CREATE_FAILED", reason="The manifest file is not valid JSON Lines.")],
        [job("ACTIVE", parent_arn=INTERACTIONS)],
    ):
        service = observations[0].service
        for change in detect_changes(
            observations, store.load_service(service), now=NOW, complete_listing=False
        ):
            assert store.record(change, retention_days=7)


def test_local_setup_is_idempotent(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "STATUSMON_TABLE_NAME": f"idem-{uuid.uuid4().hex[:8]}"}
    first = run_statusmon("local-setup", env=env)
    second = run_statusmon("local-setup", env=env)
    assert (first.code, second.code) == (0, 0)
    assert "created" in first.err
    assert "already there" in second.err
    assert _exports(first.out) == _exports(second.out)
    assert _exports(first.out)["STATUSMON_TOPIC_ARN"].startswith("arn:aws:sns:us-east-1:")


def test_status_table_shows_the_short_id_of_each_resource(configured: dict[str, str]) -> None:
    # When the user lists what is tracked
    result = run_statusmon("status", env=configured)
    # Then each row starts with an id made of names, never an ARN
    assert result.code == 0, result.err
    header, *rows = result.out.splitlines()
    assert header.split() == ["ID", "SERVICE", "STATUS", "UPDATED", "REASON"]
    assert [row.split()[:3] for row in rows] == [
        [JOB_ID, "personalize", "ACTIVE"],
        ["shoes/test", "rekognition", "CREATE_COMPLETE"],
        ["shoes/train", "rekognition", "CREATE_FAILED"],
    ]
    assert "arn:" not in result.out
    assert "The manifest file is not valid JSON Lines." in rows[2]


def test_status_json_lists_every_resource_with_the_contract_fields(configured: dict[str, str]) -> None:
    result = run_statusmon("status", "--output", "json", env=configured)
    assert result.code == 0, result.err
    rows = {row["resource_arn"]: row for row in json.loads(result.out)}
    assert set(rows) == {DATASET_ARN, TEST_ARN, JOB_ARN}
    for row in rows.values():
        assert {"id", "resource_arn", "service", "resource_type", "status", "reason", "updated_at"} <= set(
            row
        )
    assert rows[DATASET_ARN]["id"] == "shoes/train"
    assert rows[DATASET_ARN]["status"] == "CREATE_FAILED"
    assert rows[DATASET_ARN]["reason"] == "The manifest file is not valid JSON Lines."
    assert rows[JOB_ARN]["id"] == JOB_ID
    assert rows[JOB_ARN]["resource_type"] == "dataset_import_job"
    # And --json is the short form of the same output
    assert run_statusmon("status", "--json", env=configured).out == result.out


def test_status_text_is_tab_separated_with_the_arn_for_scripts(configured: dict[str, str]) -> None:
    result = run_statusmon("status", "--failed", "--output", "text", env=configured)
    assert result.code == 0, result.err
    (line,) = result.out.splitlines()
    fields = line.split("\t")
    assert fields[:3] == ["shoes/train", "rekognition", "CREATE_FAILED"]
    assert fields[3].startswith("2026-11-24T12:00:00")
    assert fields[4:] == [DATASET_ARN, "The manifest file is not valid JSON Lines."]


def test_status_filters_by_service(configured: dict[str, str]) -> None:
    personalize = run_statusmon("status", "--service", "personalize", "--output", "text", env=configured)
    assert [line.split("\t")[0] for line in personalize.out.splitlines()] == [JOB_ID]


@pytest.mark.parametrize("given", ["shoes/train", DATASET_ARN])
def test_history_takes_the_short_id_or_the_arn(configured: dict[str, str], given: str) -> None:
    result = run_statusmon("history", given, "--json", env=configured)
    assert result.code == 0, result.err
    history = json.loads(result.out)
    assert [(h["previous_status"], h["status"]) for h in history] == [
        (None, "CREATE_IN_PROGRESS"),
        ("CREATE_IN_PROGRESS", "CREATE_FAILED"),
    ]
    assert {"status", "previous_status", "reason", "detected_at"} <= set(history[0])


@pytest.mark.parametrize("given", [JOB_ID, "interactions-2026-11-24", "retail"])
def test_history_of_a_job_by_its_id_its_name_or_its_only_dataset_group(
    configured: dict[str, str], given: str
) -> None:
    result = run_statusmon("history", given, "--output", "text", env=configured)
    assert result.code == 0, result.err
    assert [line.split("\t")[1:3] for line in result.out.splitlines()] == [
        ["-", "CREATE PENDING"],
        ["CREATE PENDING", "ACTIVE"],
    ]


def test_history_table_form(configured: dict[str, str]) -> None:
    # When the history is shown as a table, in a zone nine hours ahead of UTC
    text = run_statusmon(
        "history", "shoes/train", "--output", "table", env={**configured, "TZ": "Asia/Tokyo"}
    )
    header, *rows = text.out.splitlines()
    # Then each transition was detected at a local time, with its age
    assert header.split() == ["DETECTED", "FROM", "TO", "REASON"]
    detected, *change = re.split(r"\s{2,}", rows[-1])
    assert re.fullmatch(r"2026-11-24 21:00:00 JST \(\d+ (h|days) ago\)", detected)
    assert change[:2] == ["CREATE_IN_PROGRESS", "CREATE_FAILED"]


def test_an_ambiguous_id_lists_the_candidates_and_exits_2(configured: dict[str, str]) -> None:
    # Given two datasets of project shoes; When the user names the project alone
    result = run_statusmon("history", "shoes", env=configured)
    # Then one line lists both ids, and the exit code says the command line was wrong
    assert result.code == 2
    line = one_line_error(result)
    assert "'shoes' matches 2 tracked resources: shoes/test, shoes/train" in line
    assert result.out == ""


def test_an_unknown_id_says_where_ids_come_from_and_exits_2(configured: dict[str, str]) -> None:
    result = run_statusmon("history", "boots/train", env=configured)
    assert result.code == 2
    assert "no tracked resource has the id 'boots/train'" in one_line_error(result)
    assert "statusmon status" in result.err


def test_history_of_an_untracked_arn_says_so(configured: dict[str, str]) -> None:
    result = run_statusmon("history", DATASET_ARN.replace("shoes", "boots"), env=configured)
    assert result.code == 1
    assert "not tracked" in one_line_error(result)
