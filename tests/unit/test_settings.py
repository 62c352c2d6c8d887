from datetime import timedelta

import pytest

from statusmon.domain.model import WATCH_LIFETIME
from statusmon.settings import InvalidValue, Settings, SettingsError, env_names, get_settings, load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.history_retention_days == 90
    assert settings.alert_warnings is True
    assert settings.alert_recoveries is False
    assert settings.project_names == []


def test_reads_prefixed_variables_only() -> None:
    settings = load_settings(
        {
            "STATUSMON_TABLE_NAME": "t",
            "STATUSMON_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
            "STATUSMON_PROJECT_NAMES": "shoes, hats,",
            "STATUSMON_PERSONALIZE_FILTER_ARNS": (
                "arn:aws:personalize:us-east-1:123456789012:dataset-group/retail"
            ),
            "STATUSMON_ALERT_RECOVERIES": "true",
            "TABLE_NAME": "ignored",
        }
    )
    assert settings.require_table() == "t"
    assert settings.require_topic().endswith(":alerts")
    assert settings.project_names == ["shoes", "hats"]
    assert settings.alert_recoveries is True
    assert len(settings.personalize_filter_arns) == 1


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("STATUSMON_HISTORY_RETENTION_DAYS", "soon", "STATUSMON_HISTORY_RETENTION_DAYS"),
        ("STATUSMON_HISTORY_RETENTION_DAYS", "0", "greater than or equal to 1"),
        ("STATUSMON_TOPIC_ARN", "alerts", "expected arn:aws:sns"),
        ("STATUSMON_PROJECT_NAMES", "my project", "not a Custom Labels project name"),
        ("STATUSMON_PERSONALIZE_FILTER_ARNS", "arn:aws:s3:::bucket", "not a Personalize"),
        ("STATUSMON_ALERT_WARNINGS", "perhaps", "STATUSMON_ALERT_WARNINGS"),
        ("STATUSMON_EVENT_BUS_NAME", "my bus", "expected an EventBridge bus name"),
        ("STATUSMON_EVENT_BUS_NAME", "arn:aws:sns:us-east-1:123456789012:bus", "event-bus/NAME"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_variable(name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({name: value})
    message = str(raised.value)
    assert expected in message
    assert message.startswith(name)
    assert "\n" not in message


def test_missing_table_and_topic_say_what_to_set() -> None:
    settings = load_settings({})
    with pytest.raises(SettingsError, match="STATUSMON_TABLE_NAME is not set"):
        settings.require_table()
    with pytest.raises(SettingsError, match="STATUSMON_TOPIC_ARN is not set"):
        settings.require_topic()


def test_env_names_are_the_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "STATUSMON_TABLE_NAME" in env_names()
    assert "STATUSMON_TOPIC_ARN" in env_names()
    assert all(name.startswith("STATUSMON_") for name in env_names())
    # get_settings reads the real environment once
    monkeypatch.setenv("STATUSMON_TABLE_NAME", "from-env")
    get_settings.cache_clear()
    try:
        assert get_settings().table_name == "from-env"
    finally:
        get_settings.cache_clear()


# -- the rules, one by one (the same pydantic-settings applied before the dataclass replaced it) ----

TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
GROUP = "arn:aws:personalize:us-east-1:123456789012:dataset-group/retail"
DATASET = "arn:aws:personalize:us-east-1:123456789012:dataset/retail/INTERACTIONS"


def test_every_setting_and_default() -> None:
    # Given nothing set, then exactly these settings, with these defaults
    settings = load_settings({})
    assert {name: getattr(settings, name) for name in Settings.model_fields} == {
        "table_name": "",
        "topic_arn": "",
        "chat_topic_arn": "",
        "event_bus_name": "default",
        "ops_topic_arn": "",
        "ops_recovery_minutes": 0,
        "history_retention_days": 90,
        "alert_warnings": True,
        "alert_recoveries": False,
        "project_names": [],
        "personalize_filter_arns": [],
        "stuck_after_minutes": {
            "CreateDataset": 120,
            "UpdateDatasetEntries": 120,
            "DistributeDatasetEntries": 120,
            "CreateDatasetImportJob": 360,
        },
        "deep_check_hours": 24,
        "sweep_interval_seconds": 300,
        "sweep_deadline_seconds": 0,
    }
    assert env_names() == {f"STATUSMON_{name.upper()}" for name in Settings.model_fields}
    assert all(spec.description for spec in Settings.model_fields.values())


def test_the_longest_stuck_threshold_fires_before_its_watch_entry_expires() -> None:
    # Given the largest threshold accepted
    read = load_settings({"STATUSMON_STUCK_AFTER_MINUTES": "CreateDatasetImportJob=10020"})
    # Then its warning is due an hour before an entry written at the episode's start expires
    minutes = read.stuck_after_minutes["CreateDatasetImportJob"]
    assert timedelta(minutes=minutes) + timedelta(hours=1) == WATCH_LIFETIME


def test_the_deep_check_cadence_is_hours_from_zero_to_thirty_days() -> None:
    assert load_settings({"STATUSMON_DEEP_CHECK_HOURS": "0"}).deep_check_hours == 0
    assert load_settings({"STATUSMON_DEEP_CHECK_HOURS": "168"}).deep_check_hours == 168
    with pytest.raises(
        SettingsError, match=r"^STATUSMON_DEEP_CHECK_HOURS: Input should be less than or equal to 720$"
    ):
        load_settings({"STATUSMON_DEEP_CHECK_HOURS": "721"})
    with pytest.raises(SettingsError, match=r"^STATUSMON_SWEEP_INTERVAL_SECONDS: Input should be greater"):
        load_settings({"STATUSMON_SWEEP_INTERVAL_SECONDS": "5"})


def test_stuck_thresholds_override_the_defaults_one_operation_at_a_time() -> None:
    read = load_settings({"STATUSMON_STUCK_AFTER_MINUTES": " CreateDatasetImportJob = 30, CreateDataset=0 "})
    assert read.stuck_after_minutes["CreateDatasetImportJob"] == 30
    assert read.stuck_after_minutes["CreateDataset"] == 0
    assert read.stuck_after_minutes["UpdateDatasetEntries"] == 120


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "CreateDataset",
            "STATUSMON_STUCK_AFTER_MINUTES: expected Operation=minutes pairs, got 'CreateDataset'",
        ),
        (
            "DeleteDataset=5",
            "STATUSMON_STUCK_AFTER_MINUTES: unknown operation 'DeleteDataset': use CreateDataset, "
            "UpdateDatasetEntries, DistributeDatasetEntries, CreateDatasetImportJob",
        ),
        ("CreateDataset=-1", "STATUSMON_STUCK_AFTER_MINUTES: Input should be greater than or equal to 0"),
        (
            "CreateDatasetImportJob=10021",
            "STATUSMON_STUCK_AFTER_MINUTES: CreateDatasetImportJob=10021: at most 10020 minutes (a watch "
            "entry lives 7 days, and the warning must come while it is watched); 0 never warns",
        ),
    ],
)
def test_a_bad_stuck_threshold_is_one_line(value: str, message: str) -> None:
    # Given a threshold that is malformed, unknown, negative, or longer than a watch entry lives
    # Then reading it fails with one line saying what to fix
    with pytest.raises(SettingsError) as raised:
        load_settings({"STATUSMON_STUCK_AFTER_MINUTES": value})
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90", 90),
        (" 90 ", 90),
        ("\t7\n", 7),
        ("+5", 5),
        ("1_000", 1000),
        ("00090", 90),
        ("90.0", 90),
        ("90.00", 90),
        ("3650", 3650),
    ],
)
def test_whole_numbers_are_read_as_pydantic_read_them(value: str, expected: int) -> None:
    assert load_settings({"STATUSMON_HISTORY_RETENTION_DAYS": value}).history_retention_days == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "HISTORY_RETENTION_DAYS",
            "",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "HISTORY_RETENTION_DAYS",
            "90.5",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "HISTORY_RETENTION_DAYS",
            "9e1",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "HISTORY_RETENTION_DAYS",
            "1__0",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "HISTORY_RETENTION_DAYS",
            "٣",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        ("HISTORY_RETENTION_DAYS", "-0", "Input should be greater than or equal to 1"),
        ("HISTORY_RETENTION_DAYS", "3651", "Input should be less than or equal to 3650"),
        ("SWEEP_DEADLINE_SECONDS", "-1", "Input should be greater than or equal to 0"),
        (
            "SWEEP_DEADLINE_SECONDS",
            "soon",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        ("ALERT_RECOVERIES", " true", "Input should be a valid boolean, unable to interpret input"),
        ("ALERT_RECOVERIES", "", "Input should be a valid boolean, unable to interpret input"),
        ("TOPIC_ARN", f" {TOPIC}", "expected arn:aws:sns:REGION:ACCOUNT:TOPIC"),
        ("TOPIC_ARN", "arn:aws:sqs:us-east-1:123456789012:q", "expected arn:aws:sns:REGION:ACCOUNT:TOPIC"),
        ("PROJECT_NAMES", "shoes,a b", "not a Custom Labels project name: 'a b' (letters, digits, _ . -)"),
        ("PROJECT_NAMES", "x" * 256, "not a Custom Labels project name"),
        (
            "PERSONALIZE_FILTER_ARNS",
            f"{GROUP},arn:aws:personalize:us-east-1:123456789012:solution/x",
            "solution/x",
        ),
    ],
)
def test_each_rule_fails_with_its_one_line_message(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({f"STATUSMON_{name}": value})
    text = str(raised.value)
    assert text.startswith(f"STATUSMON_{name}: ")
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(v, True) for v in ("true", "TRUE", "True", "yes", "Y", "on", "oN", "1", "t")]
    + [(v, False) for v in ("false", "FALSE", "no", "N", "off", "0", "f")],
)
def test_booleans_in_every_spelling_pydantic_took(value: str, expected: bool) -> None:
    settings = load_settings({"STATUSMON_ALERT_WARNINGS": value, "STATUSMON_ALERT_RECOVERIES": value})
    assert (settings.alert_warnings, settings.alert_recoveries) == (expected, expected)


def test_topics_lists_and_arns_that_pass() -> None:
    settings = load_settings(
        {
            "STATUSMON_TOPIC_ARN": "arn:aws-cn:sns:cn-north-1:123456789012:alerts.fifo",
            "STATUSMON_PROJECT_NAMES": " shoes , ,hats.v2,",
            "STATUSMON_PERSONALIZE_FILTER_ARNS": f"{GROUP}, {DATASET}",
            "STATUSMON_TABLE_NAME": " spaced ",
        }
    )
    assert settings.topic_arn.endswith(".fifo")
    assert settings.project_names == ["shoes", "hats.v2"]
    assert settings.personalize_filter_arns == [GROUP, DATASET]
    assert settings.table_name == " spaced "  # taken as given, as before
    assert load_settings({"STATUSMON_PROJECT_NAMES": ","}).project_names == []


def test_names_are_matched_without_regard_to_case_and_unknown_ones_are_ignored() -> None:
    settings = load_settings(
        {"statusmon_table_name": "lower", "STATUSMON_NO_SUCH_SETTING": "x", "TABLE_NAME": "y"}
    )
    assert settings.table_name == "lower"


def test_the_first_bad_variable_in_declaration_order_is_reported() -> None:
    with pytest.raises(SettingsError, match=r"^STATUSMON_HISTORY_RETENTION_DAYS: "):
        load_settings({"STATUSMON_PROJECT_NAMES": "a b", "STATUSMON_HISTORY_RETENTION_DAYS": "soon"})


def test_settings_are_frozen_and_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings({})
    with pytest.raises(AttributeError):
        settings.table_name = "other"  # type: ignore[misc]
    monkeypatch.setenv("STATUSMON_TABLE_NAME", "first")
    get_settings.cache_clear()
    try:
        first = get_settings()
        monkeypatch.setenv("STATUSMON_TABLE_NAME", "second")
        assert get_settings() is first
        assert first.table_name == "first"
    finally:
        get_settings.cache_clear()


# -- typed values: how infra/config.py validates cdk.json with the same rules ----------------------


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("history_retention_days", 30, 30),
        ("history_retention_days", 30.0, 30),
        ("history_retention_days", True, 1),
        ("alert_warnings", 0, False),
        ("alert_warnings", 1.0, True),
        ("project_names", ["shoes", "hats"], ["shoes", "hats"]),
        ("project_names", ("shoes",), ["shoes"]),
        ("personalize_filter_arns", [GROUP], [GROUP]),
        ("topic_arn", TOPIC, TOPIC),
    ],
)
def test_model_validate_takes_typed_values(field: str, value: object, expected: object) -> None:
    assert getattr(Settings.model_validate({field: value}), field) == expected


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("history_retention_days", 0, "Input should be greater than or equal to 1 (Days a history item"),
        ("history_retention_days", 1.5, "got a number with a fractional part (Days a history item"),
        ("history_retention_days", None, "Input should be a valid integer (Days"),
        ("history_retention_days", float("nan"), "Input should be a finite number (Days"),
        ("alert_warnings", 2, "Input should be a valid boolean, unable to interpret input (Alert"),
        ("alert_warnings", 1.5, "Input should be a valid boolean (Alert"),
        ("project_names", "shoes", None),
        ("project_names", 5, "Input should be a valid list (Only watch"),
        ("project_names", [1], "Input should be a valid string (Only watch"),
        ("project_names", ["a b"], "not a Custom Labels project name: 'a b'"),
        ("topic_arn", 5, "Input should be a valid string (SNS topic"),
    ],
)
def test_model_validate_says_what_is_wrong_in_one_line(
    field: str, value: object, message: str | None
) -> None:
    if message is None:
        assert Settings.model_validate({field: value}).project_names == ["shoes"]
        return
    with pytest.raises(InvalidValue) as raised:
        Settings.model_validate({field: value})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_the_event_bus_is_the_default_one_unless_named() -> None:
    assert load_settings({}).event_bus_name == "default"
    arn = "arn:aws:events:eu-west-1:123456789012:event-bus/ml-pipelines"
    assert load_settings({"STATUSMON_EVENT_BUS_NAME": arn}).event_bus_name == arn
    assert load_settings({"STATUSMON_EVENT_BUS_NAME": "ml-pipelines"}).event_bus_name == "ml-pipelines"


def test_failure_summaries_go_to_the_ops_topic_or_else_the_alert_topic() -> None:
    # Given the alert topic alone, then with an ops topic
    alone = load_settings({"STATUSMON_TOPIC_ARN": TOPIC})
    with_ops = load_settings(
        {"STATUSMON_TOPIC_ARN": TOPIC, "STATUSMON_OPS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:ops"}
    )
    # Then summaries go to the alert topic, then to the ops topic
    assert alone.require_ops_topic() == TOPIC
    assert with_ops.require_ops_topic() == "arn:aws:sns:us-east-1:123456789012:ops"
    # And a recovery period is whole minutes, at most a week, with a one-line reason otherwise
    assert load_settings({"STATUSMON_OPS_RECOVERY_MINUTES": "10"}).ops_recovery_minutes == 10
    with pytest.raises(
        SettingsError, match=r"^STATUSMON_OPS_RECOVERY_MINUTES: .*less than or equal to 10080"
    ):
        load_settings({"STATUSMON_OPS_RECOVERY_MINUTES": "20000"})
