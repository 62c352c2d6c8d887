"""Each role's ``dynamodb:LeadingKeys`` patterns (infra/leading_keys.py) cover every key its store code sends.

The store is the real one (its key builders, its PynamoDB models and transactions); its requests are
answered offline at botocore's ``before-call`` event and recorded item by item, as IAM authorises
them (each item of a TransactWriteItems as its own PutItem, UpdateItem or DeleteItem). Which store
methods a role calls comes from the protocol its logic is typed against (mypy holds the logic to it):
a method added to a protocol without a driver here fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.utils import formatdate
from pathlib import Path
from typing import Any, Generic, Protocol

import pytest

from infra import leading_keys
from infra.leading_keys import DELETE, GET, PUT, QUERY, UPDATE, KeyGrants, allows
from statusmon.adapters import store as store_module
from statusmon.adapters.episodes import EpisodeStore
from statusmon.adapters.store import StateItem, StatusStore
from statusmon.adapters.table_schema import BY_SERVICE_INDEX, OUTBOX_PK, PARTITION_KEY
from statusmon.domain.episodes import Episode
from statusmon.domain.model import BucketMark, OutboxMessage, ServiceMeta, WatchEntry
from statusmon.domain.vocabulary import Service
from statusmon.logic.deliver import Outbox
from statusmon.logic.discover import discover
from statusmon.logic.ops import FailureLog, OpenEpisodes
from statusmon.logic.run import run_discover
from statusmon.logic.sweep import Store
from statusmon.logic.watch import WatchStore
from statusmon.settings import load_settings
from tests.unit.factories import DATASET_ARN, JOB_ARN, NOW, dataset, job, state, transition

IN_FLIGHT = {
    Service.REKOGNITION: dataset("UPDATE_IN_PROGRESS"),
    Service.PERSONALIZE: job("CREATE IN_PROGRESS"),
}
SETTLED = {Service.REKOGNITION: dataset("UPDATE_COMPLETE"), Service.PERSONALIZE: job("ACTIVE")}
CLOUDTRAIL = Path(__file__).resolve().parents[1] / "events" / "cloudtrail"
SAMPLE_ARN = {Service.REKOGNITION: DATASET_ARN, Service.PERSONALIZE: JOB_ARN}
# What TransactWriteItems' item kinds are authorised as.
TRANSACT_ACTIONS = {
    "Put": PUT,
    "Update": UPDATE,
    "Delete": DELETE,
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


@dataclass(frozen=True)
class Request:
    action: str
    partition_key: str
    index: str | None = None


@dataclass
class _Status:
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""


class Recorder:
    """Answers the store's DynamoDB requests offline and records what each one touches."""

    def __init__(self, store: StatusStore) -> None:
        self.requests: list[Request] = []
        client = StateItem._get_connection().connection.client
        client.meta.events.register_first("before-call.dynamodb.*", self._answer, unique_id="leading-keys")
        self._events = client.meta.events

    def close(self) -> None:
        self._events.unregister("before-call.dynamodb.*", unique_id="leading-keys")

    def _answer(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        # The (response, parsed) pair botocore uses instead of sending the request.
        body = json.loads(params["body"] or b"{}")
        operation = model.name
        if operation == "TransactWriteItems":
            for entry in body["TransactItems"]:
                ((kind, item),) = entry.items()
                self.requests.append(
                    Request(TRANSACT_ACTIONS[kind], _pk(item["Key"] if "Key" in item else item["Item"]))
                )
            return _Status(), {}
        if operation == "Query":
            return _Status(), self._query(body)
        key = body["Item"] if operation == "PutItem" else body["Key"]
        self.requests.append(Request(f"dynamodb:{operation}", _pk(key)))
        return _Status(), {"Attributes": key} if operation == "UpdateItem" else {}

    def _query(self, body: dict[str, Any]) -> dict[str, Any]:
        names = body.get("ExpressionAttributeNames", {})
        values = body.get("ExpressionAttributeValues", {})
        hash_name = _hash_key(body.get("IndexName"))
        (partition,) = [
            values[token]["S"]
            for token in values
            if any(
                names.get(name) == hash_name and f"{name} = {token}" in body["KeyConditionExpression"]
                for name in names
            )
        ]
        index = body.get("IndexName")
        self.requests.append(Request(QUERY, partition, index))
        if index != BY_SERVICE_INDEX.name or "begins_with" in body["KeyConditionExpression"]:
            # With the table's time, as DynamoDB's answers carry it (the store's lease clock reads it).
            metadata = {"HTTPHeaders": {"date": formatdate(usegmt=True)}}
            return {"Items": [], "Count": 0, "ScannedCount": 0, "ResponseMetadata": metadata}
        # A full read of a service finds one state under the old index layout (its sort key the bare
        # ARN), so that the sweep's key upgrade has something to rewrite.
        service = partition.removeprefix("SVC#")
        arn = SAMPLE_ARN[Service(service)]
        old = StateItem(store_module.resource_pk(arn), "STATE")
        store_module._fill(old, state(SETTLED[Service(service)]))
        old.gsi1pk, old.gsi1sk, old.version = partition, arn, 1
        return {"Items": [old.serialize()], "Count": 1, "ScannedCount": 1}


def _pk(key: dict[str, Any]) -> str:
    return str(key[PARTITION_KEY]["S"])


def _hash_key(index: str | None) -> str:
    return BY_SERVICE_INDEX.partition_key if index == BY_SERVICE_INDEX.name else PARTITION_KEY


def _message(channel: str = "sns") -> OutboxMessage:
    return OutboxMessage(channel, "t-1", NOW, "error", "subject", "{}")


def _episode() -> Episode:
    return Episode(
        function="statusmon-HotWatchSweepFunction",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:statusmon-HotWatchSweepFunction",
        region="us-east-1",
        first_at=NOW,
        last_at=NOW,
        failures=1,
        last_error="boom",
        last_request_id="r-1",
        told_at=NOW,
        told_failures=1,
    )


def _entry(service: Service, **kwargs: Any) -> WatchEntry:
    observation = IN_FLIGHT[service]
    return WatchEntry(
        service=service,
        resource_arn=observation.resource_arn,
        since=NOW,
        resource_type=observation.resource_type,
        name=observation.name,
        **kwargs,
    )


# One call of each store method a role may make, for one service (reads included: they are Query and
# GetItem requests, which the roles are granted by partition too).
Driver = Callable[[StatusStore, EpisodeStore, Service], object]
DRIVERS: dict[str, Driver] = {
    "load_service": lambda s, e, svc: (s.load_service(svc), s.load_service(svc, buckets=["00", "a7"])),
    "service_meta": lambda s, e, svc: s.service_meta(svc),
    "save_service_meta": lambda s, e, svc: (
        s.save_service_meta(svc, ServiceMeta()),
        s.save_service_meta(svc, ServiceMeta(baseline_at=NOW, version=3)),
    ),
    "save_marks": lambda s, e, svc: s.save_marks(
        svc, {"00": BucketMark(1, "d", 1), "a7": BucketMark(0, "e", None)}
    ),
    # After a full read that found an old-layout key (the recorder's answer to load_service).
    "upgrade_keys": lambda s, e, svc: (s.load_service(svc), s.upgrade_keys(svc)),
    "get": lambda s, e, svc: s.get(SAMPLE_ARN[svc]),
    "record": lambda s, e, svc: (
        s.record(transition(IN_FLIGHT[svc]), retention_days=90, outbox=[_message(), _message("events")]),
        s.record(transition(SETTLED[svc], version=3), retention_days=90, outbox=[_message()], watched=True),
    ),
    "watched": lambda s, e, svc: s.watched(),
    "unwatch": lambda s, e, svc: (s.unwatch(_entry(svc)), s.unwatch(_entry(svc, version=2, status="X"))),
    "mirror": lambda s, e, svc: s.mirror(state(IN_FLIGHT[svc], 2)),
    "warn_stuck": lambda s, e, svc: s.warn_stuck(
        _entry(svc, version=2, status="X"), [_message()], at=NOW + timedelta(hours=3)
    ),
    "watch": lambda s, e, svc: s.watch([_entry(svc, operation="CreateDatasetImportJob")]),
    "pending": lambda s, e, svc: s.pending("sns"),
    "claim": lambda s, e, svc: s.claim(_message(), owner="me", now=NOW.timestamp(), lease_seconds=60),
    "confirm": lambda s, e, svc: s.confirm(_message(), owner="me"),
    "release": lambda s, e, svc: s.release(_message(), owner="me", error="boom"),
    "discard": lambda s, e, svc: s.discard(_message("chat")),
    "service_time": lambda s, e, svc: s.service_time(),
    "note_denial": lambda s, e, svc: s.note_denial(_entry(svc)),
    "episode": lambda s, e, svc: e.episode("statusmon-HotWatchSweepFunction"),
    "open_episodes": lambda s, e, svc: e.open_episodes(),
    "save": lambda s, e, svc: (e.save(_episode()), e.save(replace(_episode(), version=3, open=False))),
}


def discover_calls(store: StatusStore, episodes: EpisodeStore) -> None:
    """What the discover handler does with every CloudTrail sample: the real run_discover, not a list."""
    settings = load_settings({"STATUSMON_TABLE_NAME": store.table_name})
    for path in sorted(CLOUDTRAIL.glob("*.json")):
        run_discover(discover(json.loads(path.read_text())), settings, store=store)


def members(protocol: type) -> set[str]:
    """The methods a protocol declares, its bases' included."""
    return {
        name
        for klass in protocol.__mro__
        if klass not in (object, Protocol, Generic)
        for name in vars(klass)
        if not name.startswith("_")
    }


@dataclass(frozen=True)
class Role:
    # The store methods its logic is typed against (each driven for each service), or, for a handler
    # whose store calls are not typed apart, its real code path over sample events.
    protocol: type | None
    services: tuple[Service, ...]
    grants: KeyGrants
    scenario: Callable[[StatusStore, EpisodeStore], None] | None = None


BOTH = (Service.REKOGNITION, Service.PERSONALIZE)
ROLES = {
    "poll rekognition": Role(Store, (Service.REKOGNITION,), leading_keys.poller("rekognition")),
    "poll personalize": Role(Store, (Service.PERSONALIZE,), leading_keys.poller("personalize")),
    "watch": Role(WatchStore, BOTH, leading_keys.watcher(s.value for s in BOTH)),
    "discover": Role(None, BOTH, leading_keys.discoverer(), scenario=discover_calls),
    "notify and redrive": Role(Outbox, BOTH, leading_keys.deliverer()),
    "ops summaries": Role(FailureLog, BOTH, leading_keys.summariser()),
    "redrive's recovery check": Role(OpenEpisodes, BOTH, leading_keys.ops_reader()),
}


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Role], list[Request]]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = StatusStore("statusmon-leading-keys", region="us-east-1")
    episodes = EpisodeStore("statusmon-leading-keys", region="us-east-1")
    recorder = Recorder(store)

    def run(role: Role) -> list[Request]:
        recorder.requests.clear()
        if role.scenario is not None:
            role.scenario(store, episodes)
        for method in sorted(members(role.protocol) if role.protocol else ()):
            for service in role.services:
                DRIVERS[method](store, episodes, service)
        return list(recorder.requests)

    yield run
    recorder.close()


def test_every_store_method_of_every_role_has_a_driver() -> None:
    # Given the store protocols the roles' logic is typed against
    # Then each of their methods is driven below (a new one needs its driver, and maybe a new key)
    needed = set().union(*(members(role.protocol) for role in ROLES.values() if role.protocol))
    assert needed - set(DRIVERS) == set()


@pytest.mark.parametrize("name", sorted(ROLES))
def test_every_key_a_role_sends_is_within_its_leading_keys(
    name: str, recorded: Callable[[Role], list[Request]]
) -> None:
    role = ROLES[name]
    # Given every store method the role's logic may call, for each service it handles
    # When they run against the (offline) table
    requests = recorded(role)
    # Then they touched the table, and each item request is allowed by the role's partition patterns
    assert requests
    outside = [r for r in requests if r.index is None and not allows(role.grants, r.action, r.partition_key)]
    assert outside == []
    # And each of its patterns is used by some request: the role is granted nothing its code never sends
    unused = [
        (action, pattern)
        for action, patterns in role.grants.items()
        for pattern in patterns
        if not any(
            r.index is None and allows({action: (pattern,)}, r.action, r.partition_key) for r in requests
        )
    ]
    assert unused == []
    # And index reads go to the by_service index only, for the role's own services
    for request in (r for r in requests if r.index is not None):
        assert (request.action, request.index) == (QUERY, BY_SERVICE_INDEX.name)
        assert request.partition_key in {f"SVC#{s.value}" for s in role.services}


def test_a_poller_cannot_touch_another_services_items_or_take_over_the_outbox(
    recorded: Callable[[Role], list[Request]],
) -> None:
    # Given what the Personalize sweep sends
    personalize = recorded(ROLES["poll personalize"])
    rekognition_grants = ROLES["poll rekognition"].grants
    # Then none of its item requests is allowed to the Rekognition poller
    items = [
        r
        for r in personalize
        if r.index is None and r.partition_key != OUTBOX_PK and r.partition_key != "WATCH"
    ]
    assert items
    assert not any(allows(rekognition_grants, r.action, r.partition_key) for r in items)
    # And neither poller may claim, release or delete an outbox item: only put a new one
    for role in ("poll rekognition", "poll personalize", "watch"):
        grants = ROLES[role].grants
        assert allows(grants, PUT, OUTBOX_PK)
        assert not allows(grants, UPDATE, OUTBOX_PK)
        assert not allows(grants, DELETE, OUTBOX_PK)
        assert not allows(grants, GET, OUTBOX_PK)


def test_string_like_matches_as_iam_does() -> None:
    # Given IAM's StringLike: "*" any run, "?" one character, "[" literal
    assert allows({GET: ("RES#arn:*:rekognition:*",)}, GET, f"RES#{DATASET_ARN}")
    assert not allows({GET: ("RES#arn:*:rekognition:*",)}, GET, f"RES#{JOB_ARN}")
    assert not allows({GET: ("RES#arn:*:rekognition:*",)}, PUT, f"RES#{DATASET_ARN}")
    assert allows({GET: ("a?c",)}, GET, "abc")
    assert not allows({GET: ("a?c",)}, GET, "ac")
    assert allows({GET: ("[x]",)}, GET, "[x]")
    assert not allows({GET: ("[x]",)}, GET, "x")
    # And a pattern matches the whole key, not a part of it
    assert not allows({GET: ("WATCH",)}, GET, "WATCHED")
    assert not allows({GET: ("SVC#rekognition",)}, GET, "SVC#rekognition#2")
