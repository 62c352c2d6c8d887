import pytest

from tests.e2e.conftest import one_line_error, run_statusmon


@pytest.mark.parametrize("command", [["status"], ["history", "shoes/train"]])
def test_missing_table_setting(cli_env: dict[str, str], command: list[str]) -> None:
    line = one_line_error(run_statusmon(*command, env=cli_env))
    assert "no table: pass --stack NAME (the deployed stack) or export STATUSMON_TABLE_NAME" in line


def test_missing_table(cli_env: dict[str, str]) -> None:
    line = one_line_error(run_statusmon("status", env={**cli_env, "STATUSMON_TABLE_NAME": "nope"}))
    assert "table 'nope' not found" in line


def test_malformed_arn(cli_env: dict[str, str]) -> None:
    result = run_statusmon("history", "arn:aws:s3:::bucket", env={**cli_env, "STATUSMON_TABLE_NAME": "t"})
    assert "malformed ARN" in one_line_error(result)
    assert result.code == 2


def test_broken_setting(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "STATUSMON_TABLE_NAME": "t", "STATUSMON_HISTORY_RETENTION_DAYS": "forever"}
    assert "STATUSMON_HISTORY_RETENTION_DAYS" in one_line_error(run_statusmon("status", env=env))


@pytest.mark.parametrize(
    ("drop", "expected"),
    [
        (("AWS_REGION",), "no AWS region"),
        (("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "no AWS credentials"),
    ],
)
def test_missing_region_or_credentials(cli_env: dict[str, str], tmp_path, drop, expected) -> None:
    env = {k: v for k, v in cli_env.items() if k not in drop}
    # No shared config or credentials files, no instance metadata: nothing else to fall back on
    env.update(
        STATUSMON_TABLE_NAME="t",
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    assert expected in one_line_error(run_statusmon("status", env=env))


def test_unreachable_endpoint(cli_env: dict[str, str]) -> None:
    env = {
        **cli_env,
        "STATUSMON_TABLE_NAME": "t",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_MAX_ATTEMPTS": "1",
    }
    assert "cannot reach" in one_line_error(run_statusmon("status", env=env))


@pytest.mark.parametrize("command", ["sweep", "redrive"])
def test_sweep_that_cannot_run_says_why(cli_env: dict[str, str], command: str) -> None:
    assert "no alert topic: pass --stack" in one_line_error(run_statusmon(command, env=cli_env))
    env = {**cli_env, "STATUSMON_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts"}
    assert "no table: pass --stack" in one_line_error(run_statusmon(command, env=env))
    env["STATUSMON_TABLE_NAME"] = "t"
    env["STATUSMON_TOPIC_ARN"] = "arn:aws:sns:us-east-1:123456789012:alerts"
    assert "table 't' not found" in one_line_error(run_statusmon(command, env=env))
