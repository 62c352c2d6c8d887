"""The statusmon command with hostile input: bad endpoint settings, somebody else's table, and
service text that carries terminal escape sequences."""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Iterator

import boto3
import pytest

from statusmon.adapters import table_schema
from tests.e2e.conftest import World, one_line_error, run_statusmon

DONE = 3600  # longer than every emulated lifecycle
# What a service could hand back as a failure reason: a colour, a window-title change, a bidi
# override (the rest reads backwards), and a line break that would forge a table row.
HOSTILE_REASON = "bad \x1b[31mred\x1b[0m \x1b]0;pwned\x07 \u202eevil\u202c\nsecond line"


def _assert_printable(text: str) -> None:
    """No control or format character anywhere, line breaks aside."""
    bad = [char for char in text if char != "\n" and unicodedata.category(char) in {"Cc", "Cf"}]
    assert bad == [], repr(text)


# --- endpoint settings ----------------------------------------------------------------------------

BAD_ENDPOINTS = [
    ("AWS_ENDPOINT_URL", "not a url"),
    ("AWS_ENDPOINT_URL_REKOGNITION", "ftp://x"),
    ("AWS_ENDPOINT_URL_PERSONALIZE", "127.0.0.1:4599"),  # the scheme forgotten
    ("AWS_ENDPOINT_URL", "http://[::1:5000"),  # an IPv6 address with its closing bracket forgotten
    ("AWS_ENDPOINT_URL", "http://127.0.0.1:port"),  # a port that is not a number
]


@pytest.mark.parametrize("command", ["status", "sweep"])
@pytest.mark.parametrize(("variable", "value"), BAD_ENDPOINTS)
def test_an_endpoint_that_is_not_a_url_is_named_in_one_line(
    cli_env: dict[str, str], command: str, variable: str, value: str
) -> None:
    # Given a configuration that is complete but for one endpoint variable set to something else
    env = {
        **cli_env,
        "STATUSMON_TABLE_NAME": "t",
        "STATUSMON_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
        "AWS_MAX_ATTEMPTS": "1",
        variable: value,
    }
    # When the user runs the command
    result = run_statusmon(command, env=env)
    # Then one line names the variable (and nothing is attempted with it)
    line = one_line_error(result)
    assert f"{variable}=" in line
    assert "not an endpoint URL" in line


# --- local-setup on somebody else's table ---------------------------------------------------------


def _key(name: str, kind: str) -> dict[str, str]:
    return {"AttributeName": name, "KeyType": kind}


FOREIGN_TABLES = {
    "other-keys": {
        "KeySchema": [_key("id", "HASH")],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    },
    # Same key names as statusmon's, none of its indexes: a look-alike is still not ours.
    "same-keys-no-indexes": {
        "KeySchema": [
            _key(table_schema.TABLE.partition_key, "HASH"),
            _key(table_schema.TABLE.sort_key, "RANGE"),
        ],
        "AttributeDefinitions": [
            {"AttributeName": table_schema.TABLE.partition_key, "AttributeType": "S"},
            {"AttributeName": table_schema.TABLE.sort_key, "AttributeType": "S"},
        ],
    },
}


@pytest.fixture(params=sorted(FOREIGN_TABLES))
def foreign_table(request: pytest.FixtureRequest, moto_url: str) -> Iterator[tuple[str, dict]]:
    """Somebody else's table, one item in it, no stream, no TTL."""
    dynamodb = boto3.client("dynamodb", endpoint_url=moto_url)
    name = f"not-ours-{uuid.uuid4().hex[:8]}"
    spec = FOREIGN_TABLES[request.param]
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **spec)
    item = {key["AttributeName"]: {"S": f"their-{key['AttributeName']}"} for key in spec["KeySchema"]}
    dynamodb.put_item(TableName=name, Item=item)
    yield name, item
    dynamodb.delete_table(TableName=name)


def test_local_setup_refuses_a_table_that_is_not_a_statusmon_table(
    cli_env: dict[str, str], moto_url: str, foreign_table: tuple[str, dict]
) -> None:
    name, item = foreign_table
    # When the user points local-setup at it
    result = run_statusmon("local-setup", env={**cli_env, "STATUSMON_TABLE_NAME": name})
    # Then one line says it is not statusmon's, and nothing is exported for a shell to eval
    assert "is not a statusmon table" in one_line_error(result)
    assert result.out == ""
    # And the table is as it was: no stream turned on, no TTL, its one item alone
    dynamodb = boto3.client("dynamodb", endpoint_url=moto_url)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert not table.get("StreamSpecification", {}).get("StreamEnabled")
    assert not table.get("GlobalSecondaryIndexes")
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"
    assert dynamodb.scan(TableName=name)["Items"] == [item]


# --- service text shown in a terminal -------------------------------------------------------------


def test_a_hostile_failure_reason_is_shown_clean_and_kept_whole(world: World) -> None:
    # Given a baseline
    world.emulator.advance(DONE)
    world.sweep()
    # When an import job fails with a reason full of terminal escape sequences
    world.emulator.advance(DONE)  # after the baseline, so it is news
    [group] = world.emulator.seed(
        personalize={
            "dataset_groups": [
                {
                    "name": "hostile",
                    "datasets": [
                        {
                            "type": "Interactions",
                            "import_jobs": [
                                {
                                    "name": "escapes",
                                    "status": "CREATE FAILED",
                                    "failure_reason": HOSTILE_REASON,
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    )["personalize"]
    [job] = group["datasets"]["Interactions"]["import_jobs"]
    swept = world.sweep()
    _assert_printable(swept.err)
    # Then the alert subscribers get carries the reason exactly
    [alert] = world.alerts()
    assert alert["resource_arn"] == job
    assert alert["reason"] == HOSTILE_REASON
    # And the text views show it without a control or format character, on one row
    for args in (("status",), ("status", "--failed"), ("history", job)):
        text = run_statusmon(*args, env=world.env)
        assert text.code == 0, text.err
        _assert_printable(text.out)
        _assert_printable(text.err)
        [row] = [line for line in text.out.splitlines() if "evil" in line]
        assert "second line" in row
    # And the JSON views keep it whole, for scripts
    status = json.loads(run_statusmon("status", "--json", env=world.env).out)
    assert [row["reason"] for row in status if row["resource_arn"] == job] == [HOSTILE_REASON]
    history = json.loads(run_statusmon("history", job, "--json", env=world.env).out)
    assert history[-1]["reason"] == HOSTILE_REASON


@pytest.mark.parametrize(
    ("args", "setting", "expected"),
    [
        (
            ("history", "arn:aws:personalize:us-east-1:123456789012:\x1b]0;pwned\x07\u202e"),
            "t",
            "malformed ARN",
        ),
        (("status",), "status\x1b[2J\u202etable", "not found"),
    ],
)
def test_an_error_line_quoting_user_input_is_clean(
    cli_env: dict[str, str], args: tuple[str, ...], setting: str, expected: str
) -> None:
    # Given an argument or a setting pasted with escape sequences in it
    env = {**cli_env, "STATUSMON_TABLE_NAME": setting, "AWS_MAX_ATTEMPTS": "1"}
    # When the command refuses it
    line = one_line_error(run_statusmon(*args, env=env))
    # Then the one error line quotes it without a control or format character
    assert expected in line
    _assert_printable(line)
