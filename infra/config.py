"""The deployment's configuration: `cdk.json` context under the key ``statusmon``, validated at synth.

A bad value stops the synth with one line naming the key and the fix (:class:`ConfigError`), never a
traceback. Values that the functions also read (filters, history retention, an SNS topic ARN) are
validated by :class:`statusmon.settings.Settings` itself, so the stack cannot accept a value the
functions would then reject at run time.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from statusmon.settings import ENV_PREFIX, Settings

CONTEXT_KEY = "statusmon"

_RATE = re.compile(r"^(?P<value>[1-9]\d*) (?P<unit>minute|minutes|hour|hours|day|days)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
# The staleness alarm looks at three schedule periods; CloudWatch caps an alarm's whole evaluation
# window (period x evaluation periods) at one day, so a period may be at most eight hours.
_MAX_RATE_SECONDS = 8 * 3600
# A deliberately plain check: SNS itself confirms the address by mail.
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
# The retentions CloudWatch Logs accepts, by the name of aws_logs.RetentionDays member.
LOG_RETENTION = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
    1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}  # fmt: skip
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")


class ServiceName(StrEnum):
    REKOGNITION = "rekognition"
    PERSONALIZE = "personalize"


class ConfigError(ValueError):
    """A context value is malformed; ``str()`` is one line: the key, what is wrong, how to fix it."""


def _via_settings(field: str, value: object) -> Any:
    """Validate one value with the runtime settings model and return it parsed."""
    try:
        return getattr(Settings.model_validate({field: value}), field)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        if message.startswith("Input should be"):
            message += f" ({Settings.model_fields[field].description})"
        raise ValueError(message) from None


class StatusmonConfig(BaseModel):
    """Every option of ``cdk.json`` → ``context`` → ``statusmon``, with its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack_name: str = "statusmon"
    schedule_rate: str = "5 minutes"
    services: tuple[ServiceName, ...] = (ServiceName.REKOGNITION, ServiceName.PERSONALIZE)
    alert_emails: tuple[str, ...] = ()
    ops_topic_arn: str | None = None
    # Where the state-change events go: the account's default bus, another bus's name, or its ARN.
    event_bus: str = "default"
    history_retention_days: int = 90
    alert_warnings: bool = True
    alert_recoveries: bool = False
    project_names: tuple[str, ...] = ()
    personalize_filter_arns: tuple[str, ...] = ()
    log_retention_days: int = 30
    throwaway: bool = False
    # Event-driven tracking: the one-minute watch of what is in flight, and CloudTrail discovery of new
    # work (which only the watch acts on). Their cost is in docs/configuration.md.
    # A second SNS topic carrying alerts as Amazon Q Developer custom notifications (Slack, Teams).
    chat_topic: bool = False
    hot_watch: bool = True
    # Minutes in flight before the hot watch's one stuck warning, by operation (overrides of the
    # defaults in statusmon.settings.STUCK_AFTER_MINUTES; 0 turns one off).
    stuck_after_minutes: dict[str, int] = Field(default_factory=dict)
    # Checked even when left to its default: turning the watch off alone leaves discovery on.
    cloudtrail_discovery: bool = Field(default=True, validate_default=True)
    # Hours in which the sweeps describe every settled dataset once, a slice per sweep, to find
    # updates that started and ended between two sweeps (0: never). Cost: docs/costs.md.
    deep_check_hours: int = 24
    # The paid extras, off by default; their prices are in docs/configuration.md.
    dashboard: bool = False
    custom_metrics: bool = False
    customer_managed_key: bool = False
    alarms: bool = False

    @field_validator("stack_name")
    @classmethod
    def _stack_name(cls, value: str) -> str:
        if not _STACK_NAME.match(value):
            raise ValueError("use letters, digits and hyphens, starting with a letter (at most 128)")
        return value

    @field_validator("schedule_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        match = _RATE.match(value.strip())
        hint = 'use "N minutes", "N hours" or "N days" (singular for 1: "1 hour"), 1 minute to 8 hours'
        if not match:
            raise ValueError(f"{value!r} is not a rate; {hint}")
        amount, unit = int(match["value"]), match["unit"]
        if (amount == 1) != (not unit.endswith("s")):
            fixed = f"{amount} {unit.rstrip('s')}{'' if amount == 1 else 's'}"
            raise ValueError(
                f"{value!r}: EventBridge wants the singular for 1, the plural otherwise: write {fixed!r}"
            )
        if amount * _UNIT_SECONDS[unit.rstrip("s")] > _MAX_RATE_SECONDS:
            raise ValueError(f"{value!r} is longer than 8 hours (the staleness alarm's limit); {hint}")
        return value.strip()

    @field_validator("services", mode="before")
    @classmethod
    def _services(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            known = [service.value for service in ServiceName]
            for name in value:
                if name not in known:
                    raise ValueError(f"unknown service {name!r}; use a list of {' and/or '.join(known)}")
            if len(set(value)) != len(value):
                raise ValueError("a service is listed twice; list each at most once")
            if not value:
                raise ValueError("no service enabled; list at least one of rekognition, personalize")
        return value

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for email in value:
            if not _EMAIL.match(email):
                raise ValueError(f'{email!r} is not an email address; use a list like ["ops@example.com"]')
        return value

    @field_validator("ops_topic_arn")
    @classmethod
    def _ops_topic(cls, value: str | None) -> str | None:
        if value:
            _via_settings("topic_arn", value)
        return value or None

    @field_validator("history_retention_days", "project_names", "personalize_filter_arns", mode="before")
    @classmethod
    def _runtime_setting(cls, value: object, info: ValidationInfo) -> object:
        parsed = _via_settings(str(info.field_name), list(value) if isinstance(value, tuple) else value)
        return tuple(parsed) if isinstance(parsed, list) else parsed

    @field_validator("stuck_after_minutes", mode="before")
    @classmethod
    def _stuck_after(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, dict):
            raise ValueError('expected an object such as {"CreateDatasetImportJob": 720}')
        if value and info.data.get("hot_watch") is False:
            raise ValueError("stuck warnings come from the hot watch, which is off: set hot_watch to true")
        _via_settings("stuck_after_minutes", value)
        return value

    @field_validator("deep_check_hours", mode="before")
    @classmethod
    def _deep_check(cls, value: object, info: ValidationInfo) -> object:
        hours = _via_settings("deep_check_hours", value)
        rate = info.data.get("schedule_rate")
        match = _RATE.match(rate) if isinstance(rate, str) else None
        if hours and match and hours * 3600 < int(match["value"]) * _UNIT_SECONDS[match["unit"].rstrip("s")]:
            raise ValueError(
                f"{hours} hour(s) is shorter than schedule_rate {rate!r}: every sweep would describe every "
                "dataset; use at least the sweep's rate (24 is the default), or 0 to turn the deep check off"
            )
        return hours

    @field_validator("event_bus")
    @classmethod
    def _event_bus(cls, value: str) -> str:
        return str(_via_settings("event_bus_name", value))

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, value: int) -> int:
        if value not in LOG_RETENTION:
            raise ValueError(
                f"{value} is not a CloudWatch Logs retention; use one of {', '.join(map(str, LOG_RETENTION))}"
            )
        return value

    @field_validator("cloudtrail_discovery")
    @classmethod
    def _discovery(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("hot_watch") is False:
            raise ValueError(
                "CloudTrail discovery puts resources on the hot watch, which is off: "
                "set hot_watch to true, or cloudtrail_discovery to false"
            )
        return value

    @field_validator("alarms")
    @classmethod
    def _alarms(cls, value: bool, info: ValidationInfo) -> bool:
        # Validated after the fields above, so their values are in info.data.
        if value and not (info.data.get("customer_managed_key") or info.data.get("ops_topic_arn")):
            raise ValueError(
                "CloudWatch alarms cannot publish to the alert topic under the AWS-managed key aws/sns; "
                "also set customer_managed_key to true, or ops_topic_arn to a topic CloudWatch may publish to"
            )
        return value

    @property
    def rate_seconds(self) -> int:
        match = _RATE.match(self.schedule_rate)
        assert match is not None  # validated above
        return int(match["value"]) * _UNIT_SECONDS[match["unit"].rstrip("s")]

    def function_environment(self, *, table_name: str) -> dict[str, str]:
        """The ``STATUSMON_*`` variables of a function: names come from the settings model's fields."""
        values: dict[str, object] = {
            "table_name": table_name,
            "event_bus_name": self.event_bus,
            "history_retention_days": self.history_retention_days,
            "alert_warnings": self.alert_warnings,
            "alert_recoveries": self.alert_recoveries,
            "project_names": self.project_names,
            "personalize_filter_arns": self.personalize_filter_arns,
            "stuck_after_minutes": tuple(f"{name}={n}" for name, n in self.stuck_after_minutes.items()),
            "deep_check_hours": self.deep_check_hours,
            "sweep_interval_seconds": self.rate_seconds,
        }
        environment: dict[str, str] = {}
        for field, value in values.items():
            if value == ():
                continue  # an unset filter means "watch everything"
            if isinstance(value, tuple):
                text = ",".join(value)
            elif isinstance(value, bool):
                text = str(value).lower()
            else:
                text = str(value)
            environment[setting_variable(field)] = text
        return environment

    def powertools_environment(self) -> dict[str, str]:
        """The Powertools switches a function needs beyond its service name and metrics namespace."""
        # Without custom metrics the handlers still call add_metric; Powertools then prints nothing.
        return {"POWERTOOLS_METRICS_DISABLED": str(not self.custom_metrics).lower()}


def setting_variable(field: str) -> str:
    """The environment variable the functions read ``field`` of their settings from."""
    if field not in Settings.model_fields:
        raise KeyError(f"statusmon.settings.Settings has no field {field!r}")
    return ENV_PREFIX + field.upper()


def load_config(raw: object) -> StatusmonConfig:
    """Validate the ``statusmon`` context value (a dict, or JSON text from ``-c statusmon=...``)."""
    if raw is None:
        raw = {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise ConfigError(f"{CONTEXT_KEY}: not a JSON object; pass -c '{CONTEXT_KEY}={{...}}'") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{CONTEXT_KEY}: expected an object of options in cdk.json context")
    try:
        return StatusmonConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = [str(part) for part in error["loc"] if not isinstance(part, int)]
    key = ".".join([CONTEXT_KEY, *location]) if location else CONTEXT_KEY
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        known = ", ".join(StatusmonConfig.model_fields)
        message = f"unknown option; known options: {known}"
    elif error["type"] in {"bool_type", "bool_parsing"}:
        message = "expected true or false"
    elif error["type"] in {"int_type", "int_parsing", "int_from_float"}:
        message = "expected a whole number"
    elif error["type"] in {"tuple_type", "list_type"}:
        message = 'expected a list, e.g. ["a", "b"]'
    elif error["type"] == "string_type":
        message = "expected a string"
    return f"{key}: {message}"
