"""Settings, parsed and validated once from the environment.

Logic never reads ``os.environ``: handlers and the CLI call :func:`get_settings` and pass values on.
The CDK stack sets exactly the variables named by :data:`ENV_PREFIX` + field name (upper case);
``tests/infra`` checks that the two cannot drift.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "STATUSMON_"

_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
_PERSONALIZE_FILTER_ARN = re.compile(
    r"^arn:aws[a-z-]*:personalize:[a-z0-9-]+:\d{12}:(dataset-group|dataset)/[A-Za-z0-9][A-Za-z0-9_./-]*$"
)
_EVENT_BUS_NAME = re.compile(r"^[A-Za-z0-9._/-]{1,256}$")
_EVENT_BUS_ARN = re.compile(r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._/-]{1,256}$")
_PROJECT_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,255}$")


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message says which and how to fix it."""


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every setting statusmon reads, with its default."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore")

    table_name: str = Field(default="", description="DynamoDB status table (required by every command).")
    topic_arn: str = Field(default="", description="SNS topic that receives alerts (required to notify).")
    history_retention_days: int = Field(
        default=90, ge=1, le=3650, description="Days a history item is kept before DynamoDB TTL removes it."
    )
    alert_warnings: bool = Field(
        default=True,
        description="Alert (severity warning) when a dataset completes with error entries.",
    )
    alert_recoveries: bool = Field(
        default=False, description="Alert (severity info) when a failed resource completes again."
    )
    project_names: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Only watch these Custom Labels projects (comma-separated)."
    )
    personalize_filter_arns: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Only watch import jobs of these Personalize dataset groups or datasets (comma list).",
    )
    event_bus_name: str = Field(
        default="default",
        description="EventBridge bus that receives the state-change events (a name or an ARN).",
    )
    sweep_deadline_seconds: int = Field(
        default=0,
        ge=0,
        description="Stop a sweep this long after it started (0: no deadline; Lambda uses its own timeout).",
    )

    @field_validator("project_names", "personalize_filter_arns", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split(value)

    @field_validator("topic_arn")
    @classmethod
    def _topic(cls, value: str) -> str:
        if value and not _TOPIC_ARN.match(value):
            raise ValueError("expected arn:aws:sns:REGION:ACCOUNT:TOPIC")
        return value

    @field_validator("event_bus_name")
    @classmethod
    def _bus(cls, value: str) -> str:
        if not (_EVENT_BUS_NAME.match(value) or _EVENT_BUS_ARN.match(value)):
            raise ValueError(
                "expected an EventBridge bus name (letters, digits, . - _ /; 'default' for the account's "
                "default bus) or arn:aws:events:REGION:ACCOUNT:event-bus/NAME"
            )
        return value

    @field_validator("project_names")
    @classmethod
    def _projects(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not _PROJECT_NAME.match(name)]
        if bad:
            raise ValueError(f"not a Custom Labels project name: {bad[0]!r} (letters, digits, _ . -)")
        return value

    @field_validator("personalize_filter_arns")
    @classmethod
    def _personalize(cls, value: list[str]) -> list[str]:
        bad = [arn for arn in value if not _PERSONALIZE_FILTER_ARN.match(arn)]
        if bad:
            raise ValueError(
                f"not a Personalize dataset group or dataset ARN: {bad[0]!r} "
                "(expected arn:aws:personalize:REGION:ACCOUNT:dataset-group/NAME or .../dataset/GROUP/TYPE)"
            )
        return value

    def require_table(self) -> str:
        if not self.table_name:
            raise SettingsError(
                f"{ENV_PREFIX}TABLE_NAME is not set: export it (the stack's TableName output), "
                "or run `statusmon local-setup` for a local table"
            )
        return self.table_name

    def require_topic(self) -> str:
        if not self.topic_arn:
            raise SettingsError(f"{ENV_PREFIX}TOPIC_ARN is not set: export the stack's TopicArn output")
        return self.topic_arn


def check_endpoints(environ: Mapping[str, str]) -> None:
    """``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>`` must be URLs (botocore fails deep inside)."""
    for name, value in sorted(environ.items()):
        if name != "AWS_ENDPOINT_URL" and not name.startswith("AWS_ENDPOINT_URL_"):
            continue
        if not value:
            continue
        try:
            parts = urlsplit(value)
            usable = parts.scheme in {"http", "https"} and bool(parts.hostname)
            parts.port  # noqa: B018 (a port that is not a number raises here, as it would in botocore)
        except ValueError:
            usable = False
        if not usable:
            raise SettingsError(
                f"{name}={value!r} is not an endpoint URL: expected http(s)://HOST[:PORT], "
                "for example http://127.0.0.1:5000"
            )


def env_names() -> frozenset[str]:
    """The environment variable names the settings model reads."""
    return frozenset(ENV_PREFIX + name.upper() for name in Settings.model_fields)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Parse settings; a bad value raises :class:`SettingsError` with a one-line message."""
    try:
        if environ is None:
            return Settings()
        values = {
            key[len(ENV_PREFIX) :].lower(): value
            for key, value in environ.items()
            if key.upper().startswith(ENV_PREFIX)
        }
        return Settings.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{ENV_PREFIX}{field.upper()}: {message}") from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, parsed once (Lambda cold start, CLI start)."""
    return load_settings()
