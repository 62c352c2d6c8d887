"""Settings, parsed and validated once from the environment.

Logic never reads ``os.environ``: handlers and the CLI call :func:`get_settings` and pass values on.
The CDK stack sets exactly the variables named by :data:`ENV_PREFIX` + field name (upper case);
``tests/infra`` checks that the two cannot drift.

A plain dataclass checked by hand rather than pydantic-settings: importing the pydantic stack cost
every cold start 150-340 ms and 7 MB of asset for eight values. The rules (and the messages) are
the ones pydantic applied: integers may be written ``" 90 "``, ``"+5"``, ``"1_000"`` or ``"90.0"``;
booleans as true/false, yes/no, on/off, t/f, y/n or 1/0 in any case; lists comma-separated.
``infra/config.py`` validates the same values in ``cdk.json`` through :meth:`Settings.model_validate`
and :attr:`Settings.model_fields`, so the stack cannot accept what the functions would reject.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit

from statusmon.domain.model import WATCH_LIFETIME

ENV_PREFIX = "STATUSMON_"

_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
_PERSONALIZE_FILTER_ARN = re.compile(
    r"^arn:aws[a-z-]*:personalize:[a-z0-9-]+:\d{12}:(dataset-group|dataset)/[A-Za-z0-9][A-Za-z0-9_./-]*$"
)
_EVENT_BUS_NAME = re.compile(r"^[A-Za-z0-9._/-]{1,256}$")
_EVENT_BUS_ARN = re.compile(r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._/-]{1,256}$")
_PROJECT_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,255}$")
# An integer as text: ASCII digits, optional sign, underscores between digits, a zero fraction.
_INTEGER_TEXT = re.compile(r"[+-]?(?P<digits>[0-9]+(?:_[0-9]+)*)(?:\.0+)?", re.ASCII)
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message says which and how to fix it."""


class InvalidValue(ValueError):
    """One value broke its rule; ``str()`` is the rule's message, without the variable's name."""


# -- how each kind of value is read ----------------------------------------------------------------


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidValue("Input should be a valid string")
    return value


def _integer(value: object) -> int:
    if isinstance(value, int):  # bool included: True is 1, as pydantic read it
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue("Input should be a finite number")
        if not value.is_integer():
            raise InvalidValue("Input should be a valid integer, got a number with a fractional part")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        match = _INTEGER_TEXT.fullmatch(text)
        if match:
            return int(text.partition(".")[0])
        raise InvalidValue("Input should be a valid integer, unable to parse string as an integer")
    raise InvalidValue("Input should be a valid integer")


def _at_least(minimum: int, maximum: int | None = None) -> Callable[[object], int]:
    def parse(value: object) -> int:
        number = _integer(value)
        if number < minimum:
            raise InvalidValue(f"Input should be greater than or equal to {minimum}")
        if maximum is not None and number > maximum:
            raise InvalidValue(f"Input should be less than or equal to {maximum}")
        return number

    return parse


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str | int):
        if str(value).lower() in _TRUE:
            return True
        if str(value).lower() in _FALSE:
            return False
        raise InvalidValue("Input should be a valid boolean, unable to interpret input")
    raise InvalidValue("Input should be a valid boolean")


def _comma_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise InvalidValue("Input should be a valid list")
    return [_text(item) for item in value]


def _topic_arn(value: object) -> str:
    arn = _text(value)
    if arn and not _TOPIC_ARN.match(arn):
        raise InvalidValue("expected arn:aws:sns:REGION:ACCOUNT:TOPIC")
    return arn


def _event_bus(value: object) -> str:
    bus = _text(value)
    if not (_EVENT_BUS_NAME.match(bus) or _EVENT_BUS_ARN.match(bus)):
        raise InvalidValue(
            "expected an EventBridge bus name (letters, digits, . - _ /; 'default' for the account's "
            "default bus) or arn:aws:events:REGION:ACCOUNT:event-bus/NAME"
        )
    return bus


def _project_names(value: object) -> list[str]:
    names = _comma_list(value)
    bad = [name for name in names if not _PROJECT_NAME.match(name)]
    if bad:
        raise InvalidValue(f"not a Custom Labels project name: {bad[0]!r} (letters, digits, _ . -)")
    return names


def _personalize_filter_arns(value: object) -> list[str]:
    arns = _comma_list(value)
    bad = [arn for arn in arns if not _PERSONALIZE_FILTER_ARN.match(arn)]
    if bad:
        raise InvalidValue(
            f"not a Personalize dataset group or dataset ARN: {bad[0]!r} "
            "(expected arn:aws:personalize:REGION:ACCOUNT:dataset-group/NAME or .../dataset/GROUP/TYPE)"
        )
    return arns


# How long a resource may stay in flight before its one stuck warning, by the operation that started
# it (minutes; 0: never warn). Neither service documents a duration ("takes a while", "importing
# takes time"): these are well above what these jobs take for typical data sizes (minutes), so a
# warning means something is wrong; raise them for very large datasets. A dataset update whose
# operation CloudTrail did not report counts as UpdateDatasetEntries.
STUCK_AFTER_MINUTES: Mapping[str, int] = MappingProxyType(
    {
        "CreateDataset": 120,
        "UpdateDatasetEntries": 120,
        "DistributeDatasetEntries": 120,
        "CreateDatasetImportJob": 360,
    }
)


# A threshold must end an hour before the watch entry can expire (its lifetime counts from its last
# write, never earlier than the episode's start, from which thresholds count), or the warning could
# never fire. Refused rather than the lifetime stretched to fit:
# the lifetime bounds what a forgotten entry costs (a Describe a minute), and a week in flight is far
# past the point where a warning helps; 0 turns a warning off.
MAX_STUCK_AFTER_MINUTES = int(WATCH_LIFETIME.total_seconds() // 60) - 60


def _stuck_after(value: object) -> dict[str, int]:
    """``Operation=minutes`` pairs (comma-separated text, or a mapping), over the defaults."""
    if isinstance(value, str):
        pairs: list[tuple[str, object]] = []
        for part in (p.strip() for p in value.split(",") if p.strip()):
            name, sep, text = part.partition("=")
            if not sep:
                raise InvalidValue(f"expected Operation=minutes pairs, got {part!r}")
            pairs.append((name.strip(), text.strip()))
    elif isinstance(value, Mapping):
        pairs = [(str(name), minutes) for name, minutes in value.items()]
    else:
        raise InvalidValue("Input should be Operation=minutes pairs or an object of them")
    thresholds = dict(STUCK_AFTER_MINUTES)
    for name, given in pairs:
        if name not in thresholds:
            raise InvalidValue(f"unknown operation {name!r}: use {', '.join(STUCK_AFTER_MINUTES)}")
        minutes = _at_least(0)(given)
        if minutes > MAX_STUCK_AFTER_MINUTES:
            raise InvalidValue(
                f"{name}={minutes}: at most {MAX_STUCK_AFTER_MINUTES} minutes (a watch entry lives "
                f"{WATCH_LIFETIME.days} days, and the warning must come while it is watched); 0 never warns"
            )
        thresholds[name] = minutes
    return thresholds


class FieldSpec(NamedTuple):
    """What a setting is for and how its value is read."""

    description: str
    parse: Callable[[object], Any]


def _spec(description: str, parse: Callable[[object], Any]) -> dict[str, FieldSpec]:
    return {"spec": FieldSpec(description, parse)}


# -- the settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Every setting statusmon reads, with its default."""

    table_name: str = field(
        default="", metadata=_spec("DynamoDB status table (required by every command).", _text)
    )
    topic_arn: str = field(
        default="", metadata=_spec("SNS topic that receives alerts (required to notify).", _topic_arn)
    )
    chat_topic_arn: str = field(
        default="",
        metadata=_spec(
            "SNS topic mapped to a Slack or Teams channel in Amazon Q Developer (empty: no chat).", _topic_arn
        ),
    )
    event_bus_name: str = field(
        default="default",
        metadata=_spec(
            "EventBridge bus that receives the state-change events (a name or an ARN).", _event_bus
        ),
    )
    ops_topic_arn: str = field(
        default="",
        metadata=_spec(
            "SNS topic for statusmon's own failure summaries (empty: the alert topic).", _topic_arn
        ),
    )
    ops_recovery_minutes: int = field(
        default=0,
        metadata=_spec(
            "Minutes without a failure before a failing statusmon function is reported recovered "
            "(0: no failure summaries to check).",
            _at_least(0, 60 * 24 * 7),
        ),
    )
    history_retention_days: int = field(
        default=90,
        metadata=_spec("Days a history item is kept before DynamoDB TTL removes it.", _at_least(1, 3650)),
    )
    alert_warnings: bool = field(
        default=True,
        metadata=_spec("Alert (severity warning) when a dataset completes with error entries.", _boolean),
    )
    alert_recoveries: bool = field(
        default=False,
        metadata=_spec("Alert (severity info) when a failed resource completes again.", _boolean),
    )
    project_names: list[str] = field(
        default_factory=list,
        metadata=_spec("Only watch these Custom Labels projects (comma-separated).", _project_names),
    )
    personalize_filter_arns: list[str] = field(
        default_factory=list,
        metadata=_spec(
            "Only watch import jobs of these Personalize dataset groups or datasets (comma list).",
            _personalize_filter_arns,
        ),
    )
    stuck_after_minutes: dict[str, int] = field(
        default_factory=lambda: dict(STUCK_AFTER_MINUTES),
        metadata=_spec(
            "Minutes in flight before one stuck warning, by operation "
            "(Operation=minutes, comma-separated; 0: never).",
            _stuck_after,
        ),
    )
    deep_check_hours: int = field(
        default=24,
        metadata=_spec(
            "Describe every settled Custom Labels dataset once in this many hours, a slice per sweep, "
            "to find updates that started and ended between two sweeps (0: never).",
            _at_least(0, 24 * 30),
        ),
    )
    sweep_interval_seconds: int = field(
        default=300,
        metadata=_spec(
            "Seconds between two scheduled sweeps (the stack sets it from schedule_rate): the share "
            "of the deep check one sweep takes.",
            _at_least(60, 8 * 3600),
        ),
    )
    sweep_deadline_seconds: int = field(
        default=0,
        metadata=_spec(
            "Stop a sweep this long after it started (0: no deadline; Lambda uses its own timeout).",
            _at_least(0),
        ),
    )

    # Field name -> FieldSpec, in declaration order (the name infra/config.py reads it by).
    model_fields: ClassVar[Mapping[str, FieldSpec]]

    @classmethod
    def model_validate(cls, values: Mapping[str, object]) -> Settings:
        """Settings from field names to values (text or already typed); unknown names are ignored.

        A bad value raises :class:`InvalidValue` (a ``ValueError``) with the rule's message, the
        first field in declaration order first; a wrong type or range also says what the setting is
        for, since ``cdk.json`` names it by its key rather than its variable.
        """
        parsed: dict[str, Any] = {}
        for name, spec in cls.model_fields.items():
            if name not in values:
                continue
            try:
                parsed[name] = spec.parse(values[name])
            except InvalidValue as exc:
                if str(exc).startswith("Input should be"):
                    raise InvalidValue(f"{exc} ({spec.description})") from None
                raise
        return cls(**parsed)

    def require_table(self) -> str:
        if not self.table_name:
            raise SettingsError(
                f"{ENV_PREFIX}TABLE_NAME is not set: export it (the stack's TableName output), "
                "or run `statusmon local-setup` for a local table"
            )
        return self.table_name

    def require_ops_topic(self) -> str:
        """Where failure summaries go: the ops topic, or else the alert topic."""
        return self.ops_topic_arn or self.require_topic()

    def require_topic(self) -> str:
        if not self.topic_arn:
            raise SettingsError(f"{ENV_PREFIX}TOPIC_ARN is not set: export the stack's TopicArn output")
        return self.topic_arn


Settings.model_fields = MappingProxyType({f.name: f.metadata["spec"] for f in fields(Settings)})


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


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Parse settings (from ``os.environ`` by default); a bad value raises :class:`SettingsError`
    with a one-line message naming the variable.

    Names are matched without regard to case; when two spellings of one name are set, the last in
    the environment's order wins.
    """
    source = os.environ if environ is None else environ
    values: dict[str, Any] = {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in source.items()
        if key.upper().startswith(ENV_PREFIX)
    }
    for name, spec in Settings.model_fields.items():
        if name in values:
            try:
                values[name] = spec.parse(values[name])
            except InvalidValue as exc:
                raise SettingsError(f"{ENV_PREFIX}{name.upper()}: {exc}") from None
    return Settings(**{name: values[name] for name in Settings.model_fields if name in values})


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, parsed once (Lambda cold start, CLI start)."""
    return load_settings()
