"""cdk.json context validation: each bad value stops the synth with one line naming its key."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from infra.config import ConfigError, load_config, setting_variable
from tests.infra.conftest import ROOT, cdk_json_context


def test_the_shipped_cdk_json_is_valid_and_matches_the_defaults() -> None:
    # Given the statusmon context of cdk.json
    raw = cdk_json_context()["statusmon"]
    # When it is validated
    config = load_config(raw)
    # Then it lists every option, with the same values as the model's defaults
    assert config == load_config({})
    assert set(raw) == set(type(config).model_fields)
    assert config.rate_seconds == 300


@pytest.mark.parametrize(
    ("options", "key", "hint"),
    [
        ({"schedule_rate": "5 minute"}, "statusmon.schedule_rate", "5 minutes"),
        ({"schedule_rate": "every 5 minutes"}, "statusmon.schedule_rate", "N minutes"),
        ({"schedule_rate": "1 minutes"}, "statusmon.schedule_rate", "singular"),
        ({"schedule_rate": "2 days"}, "statusmon.schedule_rate", "8 hours"),
        ({"services": ["rekognition", "textract"]}, "statusmon.services", "rekognition and/or personalize"),
        ({"services": []}, "statusmon.services", "at least one"),
        ({"alert_emails": ["ops@example"]}, "statusmon.alert_emails", "ops@example.com"),
        ({"alert_emails": "ops@example.com"}, "statusmon.alert_emails", "a list"),
        ({"ops_topic_arn": "arn:aws:sqs:us-east-1:123456789012:q"}, "statusmon.ops_topic_arn", "arn:aws:sns"),
        (
            {"personalize_filter_arns": ["arn:aws:personalize:us-east-1:123456789012:solution/x"]},
            "statusmon.personalize_filter_arns",
            "dataset-group/NAME",
        ),
        ({"project_names": ["my project"]}, "statusmon.project_names", "letters, digits"),
        ({"history_retention_days": 0}, "statusmon.history_retention_days", "greater than or equal to 1"),
        ({"log_retention_days": 10}, "statusmon.log_retention_days", "one of 1, 3, 5"),
        ({"throwaway": "sometimes"}, "statusmon.throwaway", "true or false"),
        ({"stack_name": "9lives"}, "statusmon.stack_name", "starting with a letter"),
        ({"schedule": "5 minutes"}, "statusmon.schedule", "schedule_rate"),
        ({"dashboard": "maybe"}, "statusmon.dashboard", "true or false"),
        ({"custom_metrics": "maybe"}, "statusmon.custom_metrics", "true or false"),
        ({"customer_managed_key": "maybe"}, "statusmon.customer_managed_key", "true or false"),
        ({"alarms": True}, "statusmon.alarms", "customer_managed_key to true, or ops_topic_arn"),
        ({"hot_watch": "often"}, "statusmon.hot_watch", "true or false"),
        ({"cloudtrail_discovery": "yes please"}, "statusmon.cloudtrail_discovery", "true or false"),
        (
            {"stuck_after_minutes": {"CreateDatasetImportJob": 14400}},
            "statusmon.stuck_after_minutes",
            "at most 10020 minutes (a watch entry lives 7 days",
        ),
        ({"hot_watch": False}, "statusmon.cloudtrail_discovery", "set hot_watch to true"),
        ({"deep_check_hours": -1}, "statusmon.deep_check_hours", "greater than or equal to 0"),
        ({"deep_check_hours": "daily"}, "statusmon.deep_check_hours", "Describe every settled"),
        ({"deep_check_hours": 721}, "statusmon.deep_check_hours", "less than or equal to 720"),
        (
            {"schedule_rate": "2 hours", "deep_check_hours": 1},
            "statusmon.deep_check_hours",
            "shorter than schedule_rate '2 hours'",
        ),
        (
            {"alarms": True, "customer_managed_key": "maybe"},
            "statusmon.customer_managed_key",
            "true or false",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key_and_the_fix(
    options: dict[str, object], key: str, hint: str
) -> None:
    # Given a context with one bad value
    # When it is validated
    with pytest.raises(ConfigError) as caught:
        load_config(options)
    # Then the error is one line that starts with the key and says how to fix it
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{key}: ")
    assert hint in message


def test_context_given_on_the_command_line_as_json_text_is_parsed() -> None:
    # Given `-c statusmon={...}` (the CLI passes the value as text)
    # When it is validated
    config = load_config(json.dumps({"schedule_rate": "1 minute", "services": ["rekognition"]}))
    # Then it is read as the object it spells
    assert (config.rate_seconds, [s.value for s in config.services]) == (60, ["rekognition"])
    with pytest.raises(ConfigError, match=r"^statusmon: not a JSON object"):
        load_config("{not json")


def test_function_environment_names_are_settings_fields() -> None:
    # Given filters and flags
    config = load_config({"project_names": ["a", "b"], "alert_recoveries": True})
    # When the function environment is rendered
    environment = config.function_environment(table_name="t")
    # Then lists are comma-joined, booleans lower-case, empty filters left out
    assert environment["STATUSMON_PROJECT_NAMES"] == "a,b"
    assert environment["STATUSMON_ALERT_RECOVERIES"] == "true"
    assert "STATUSMON_PERSONALIZE_FILTER_ARNS" not in environment
    # And the deep check's cadence goes with the sweep's rate, which sets each sweep's share
    assert (environment["STATUSMON_DEEP_CHECK_HOURS"], environment["STATUSMON_SWEEP_INTERVAL_SECONDS"]) == (
        "24",
        "300",
    )
    off = load_config({"deep_check_hours": 0, "schedule_rate": "10 minutes"}).function_environment(
        table_name="t"
    )
    assert (off["STATUSMON_DEEP_CHECK_HOURS"], off["STATUSMON_SWEEP_INTERVAL_SECONDS"]) == ("0", "600")
    with pytest.raises(KeyError):
        setting_variable("no_such_setting")


def test_app_py_prints_one_line_and_exits_1_on_a_bad_value() -> None:
    # Given the CDK CLI's way of passing context to the app, with a bad rate
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"statusmon": {"schedule_rate": "5 minute"}}),
        "CDK_OUTDIR": "/nonexistent/never-written",
    }
    # When app.py runs
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # Then it exits 1 with one line on stderr that names the key, and no traceback
    lines = [line for line in result.stderr.splitlines() if line.startswith("statusmon")]
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(lines) == 1
    assert lines[0].startswith("statusmon: cdk.json context statusmon.schedule_rate: ")


def test_the_paid_extras_are_off_by_default_and_alarms_need_a_topic_cloudwatch_can_use() -> None:
    # Given no options
    config = load_config({})
    # Then no dashboard, no custom metrics (Powertools is told so), no key of our own, no alarms
    assert (config.dashboard, config.custom_metrics, config.customer_managed_key, config.alarms) == (
        False,
        False,
        False,
        False,
    )
    assert config.powertools_environment() == {"POWERTOOLS_METRICS_DISABLED": "true"}
    assert load_config({"custom_metrics": True}).powertools_environment() == {
        "POWERTOOLS_METRICS_DISABLED": "false"
    }
    # And alarms are accepted with either a topic key CloudWatch may use or an ops topic
    assert load_config({"alarms": True, "customer_managed_key": True}).alarms
    assert load_config({"alarms": True, "ops_topic_arn": "arn:aws:sns:us-east-1:123456789012:ops"}).alarms


def test_the_hot_watch_and_discovery_are_on_by_default_and_discovery_alone_is_refused() -> None:
    # Given no options: the watch and discovery are on
    config = load_config({})
    assert (config.hot_watch, config.cloudtrail_discovery) == (True, True)
    # And either may go, the watch only with discovery
    assert load_config({"cloudtrail_discovery": False}).hot_watch is True
    assert load_config({"hot_watch": False, "cloudtrail_discovery": False}).hot_watch is False
    with pytest.raises(ConfigError, match="cloudtrail_discovery: CloudTrail discovery puts resources"):
        load_config({"hot_watch": False, "cloudtrail_discovery": True})
