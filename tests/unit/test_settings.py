import pytest

from statusmon.settings import SettingsError, env_names, get_settings, load_settings


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
