"""The AWS CLI's conventions on every command that talks to AWS: --region, --profile, --stack and
--output, the standard variables still working, one line and the documented exit code when wrong."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest

from statusmon_local import pipeline
from tests.e2e.conftest import World, one_line_error, run_statusmon

PROFILE = "statusmon-e2e"
# Every command that reads or writes the deployed table (local-setup makes one: no --stack there).
DEPLOYED = [["status"], ["history", "opts/test"], ["sweep"], ["redrive"]]
EVERY = [*DEPLOYED, ["local-setup"]]


@pytest.fixture
def tracked(world: World) -> World:
    """A world whose table tracks one dataset, opts/test (recorded by a first sweep)."""
    pipeline.create_dataset(pipeline.create_project("opts"), "TEST")
    world.emulator.advance(3600)
    world.sweep()
    return world


def _without(env: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in names}


@pytest.mark.parametrize("command", EVERY, ids=" ".join)
def test_region_flag_wins_over_the_environment(tracked: World, command: list[str]) -> None:
    # Given a shell whose region is not the one the table, topic and datasets are in
    env = {**tracked.env, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}
    # When the command is given --region
    result = run_statusmon(*command, "--region", "us-east-1", env=env)
    # Then every client (DynamoDB, SNS, the sources) went to that region
    assert result.code == 0, result.err
    if command == ["local-setup"]:
        assert "already there" in result.err
        assert ":sns:us-east-1:" in result.out


def test_without_the_flag_the_environment_region_is_used(tracked: World) -> None:
    env = {**tracked.env, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}
    result = run_statusmon("status", env=env)
    assert result.code == 1
    assert f"table {env['STATUSMON_TABLE_NAME']!r} not found" in one_line_error(result)


def test_options_before_the_command_work_too(tracked: World) -> None:
    env = {**tracked.env, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}
    result = run_statusmon("--region", "us-east-1", "--output", "text", "status", env=env)
    assert result.code == 0, result.err
    assert result.out.split("\t")[:2] == ["opts/test", "rekognition"]


def test_a_region_that_cannot_be_one_is_a_usage_error(tracked: World) -> None:
    result = run_statusmon("status", "--region", "eu west 1", env=tracked.env)
    assert result.code == 2
    assert "--region 'eu west 1' is not a region name" in one_line_error(result)


@pytest.fixture
def profile_env(tracked: World, tmp_path: Path) -> dict[str, str]:
    """No credentials or region in the environment: only a named profile in the files has them."""
    (tmp_path / "config").write_text(f"[profile {PROFILE}]\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text(
        f"[{PROFILE}]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    return {
        **_without(
            tracked.env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"
        ),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.mark.parametrize("command", EVERY, ids=" ".join)
def test_profile_flag_gives_every_client_its_credentials_and_region(
    profile_env: dict[str, str], command: list[str]
) -> None:
    result = run_statusmon(*command, "--profile", PROFILE, env=profile_env)
    assert result.code == 0, result.err


def test_aws_profile_variable_still_works_and_nothing_is_found_without_it(
    profile_env: dict[str, str],
) -> None:
    assert run_statusmon("status", env={**profile_env, "AWS_PROFILE": PROFILE}).code == 0
    assert "no AWS" in one_line_error(run_statusmon("status", env=profile_env))


def test_an_unknown_profile_is_one_line(profile_env: dict[str, str]) -> None:
    # Given on the command line: a usage error
    flag = run_statusmon("status", "--profile", "nope", env=profile_env)
    assert flag.code == 2
    assert "--profile 'nope' is not in the config or credentials file" in one_line_error(flag)
    # Given in the environment: a configuration problem
    variable = run_statusmon("status", env={**profile_env, "AWS_PROFILE": "nope"})
    assert variable.code == 1
    assert "AWS profile 'nope' (AWS_PROFILE) is not in the config" in one_line_error(variable)


@pytest.fixture
def stack(tracked: World) -> str:
    """A deployed stack (CloudFormation on moto server) whose outputs name the world's table and topic."""
    name = f"statusmon-{uuid.uuid4().hex[:8]}"
    outputs = {
        "TableName": {"Value": tracked.env["STATUSMON_TABLE_NAME"]},
        "TopicArn": {"Value": tracked.env["STATUSMON_TOPIC_ARN"]},
    }
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": outputs}
    boto3.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name


@pytest.mark.parametrize("command", DEPLOYED, ids=" ".join)
def test_stack_names_the_table_and_topic(tracked: World, stack: str, command: list[str]) -> None:
    # Given a shell that names neither the table nor the topic
    env = _without(tracked.env, "STATUSMON_TABLE_NAME", "STATUSMON_TOPIC_ARN")
    # When the command is given the stack
    result = run_statusmon(*command, "--stack", stack, "--json", env=env)
    # Then it found both in the stack's outputs
    assert result.code == 0, result.err
    if command == ["status"]:
        assert [row["id"] for row in json.loads(result.out)] == ["opts/test"]


def test_stack_flag_wins_over_the_variables(tracked: World, stack: str) -> None:
    env = {**tracked.env, "STATUSMON_TABLE_NAME": "somebody-elses", "STATUSMON_TOPIC_ARN": "x"}
    result = run_statusmon("history", "opts/test", "--stack", stack, "--output", "text", env=env)
    assert result.code == 0, result.err
    assert result.out.split("\t")[2] == "CREATE_COMPLETE"


def test_a_missing_stack_is_one_line(tracked: World) -> None:
    result = run_statusmon("sweep", "--stack", "no-such-stack", env=tracked.env)
    assert result.code == 1
    assert "stack 'no-such-stack' not found" in one_line_error(result)


def test_operate_commands_in_each_output_form(tracked: World) -> None:
    env = tracked.env
    # sweep: a record per service, or every figure as JSON
    text = run_statusmon("sweep", "--output", "text", env=env)
    assert text.code == 0, text.err
    rows = [line.split("\t") for line in text.out.splitlines()]
    assert [row[0] for row in rows] == ["rekognition", "personalize"]
    assert all(len(row) == 6 and all(field.isdigit() for field in row[1:]) for row in rows)
    assert {"sweeps", "delivery", "alerts_sent"} <= set(
        json.loads(run_statusmon("sweep", "--json", env=env).out)
    )
    hot = run_statusmon("sweep", "--hot", "--output", "text", env=env)
    assert len(hot.out.split("\t")) == 6
    # redrive: alerts sent, events sent, still pending
    assert run_statusmon("redrive", "--output", "text", env=env).out == "0\t0\t0\n"
    assert json.loads(run_statusmon("redrive", "--output", "json", env=env).out)["failed"] == 0
    # local-setup: export lines by default, the names as text or JSON
    assert run_statusmon("local-setup", env=env).out.startswith("export STATUSMON_TABLE_NAME=")
    table, topic = run_statusmon("local-setup", "--output", "text", env=env).out.rstrip("\n").split("\t")
    assert (table, topic) == (env["STATUSMON_TABLE_NAME"], env["STATUSMON_TOPIC_ARN"])
    setup = json.loads(run_statusmon("local-setup", "--output", "json", env=env).out)
    assert setup == {"table_name": table, "topic_arn": topic, "table_created": False}
    # And a form that does not exist is argparse's usage error
    assert run_statusmon("status", "--output", "yaml", env=env).code == 2
