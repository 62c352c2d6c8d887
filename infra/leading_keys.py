"""Which partitions of the status table each function may touch, as ``dynamodb:LeadingKeys`` patterns.

The key design is in :mod:`statusmon.adapters.table_schema`. A role gets, per item action, the
partition keys its store code reads or writes with that action, and nothing else: a poller cannot
rewrite another service's states or bookkeeping, and no function but the deliverers can claim,
release or delete an outbox item (the sweeps and the watch only put new ones, in the transaction
that records a transition).

IAM authorises each item of a TransactWriteItems as its own PutItem, UpdateItem, DeleteItem or
ConditionCheckItem (there is no TransactWriteItems action to grant), so these grants cover the
transactions too. Patterns follow IAM's ``StringLike`` (``*`` matches any run of characters, ``?``
one): resource partitions are ``RES#<arn>``, and an ARN names its service in its third field
whatever its partition, account and region, so ``RES#arn:*:rekognition:*`` is every Custom Labels
resource of any target and no Personalize one.

Plain Python, no CDK: ``tests/unit/test_leading_keys.py`` drives the store code of each role and checks
that every key it sends matches these patterns; ``tests/infra`` checks the synthesized policies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from statusmon.adapters.table_schema import (
    OPS_PK,
    OUTBOX_PK,
    RESOURCE_PK_PREFIX,
    SERVICE_PK_PREFIX,
    WATCH_PK,
)

GET = "dynamodb:GetItem"
PUT = "dynamodb:PutItem"
UPDATE = "dynamodb:UpdateItem"
DELETE = "dynamodb:DeleteItem"
QUERY = "dynamodb:Query"

# Action -> the partition key patterns it may touch.
KeyGrants = Mapping[str, tuple[str, ...]]


def resource_keys(service: str) -> str:
    """Every state and history partition of ``service`` (the ``RES#<arn>`` partitions)."""
    return f"{RESOURCE_PK_PREFIX}arn:*:{service}:*"


def bookkeeping_key(service: str) -> str:
    """The service's bookkeeping and bucket marks."""
    return f"{SERVICE_PK_PREFIX}{service}"


def _merge(*grants: KeyGrants) -> dict[str, tuple[str, ...]]:
    merged: dict[str, tuple[str, ...]] = {}
    for grant in grants:
        for action, keys in grant.items():
            merged[action] = tuple(dict.fromkeys((*merged.get(action, ()), *keys)))
    return merged


def _recorder(service: str) -> KeyGrants:
    """What recording a transition of ``service`` needs (statusmon.logic.sweep.Store): read the state
    (GetItem); put state, history and outbox items, and the bookkeeping (PutItem); move the bucket's
    generation and marks, the watch entry, and rewrite an old index key (UpdateItem); take a settled
    resource off the watch (DeleteItem); read the bookkeeping with its marks and the watch list (Query)."""
    states, bookkeeping = resource_keys(service), bookkeeping_key(service)
    return {
        GET: (states,),
        PUT: (states, bookkeeping, OUTBOX_PK),
        UPDATE: (states, bookkeeping, WATCH_PK),
        DELETE: (WATCH_PK,),
        QUERY: (bookkeeping, WATCH_PK),
    }


def poller(service: str) -> dict[str, tuple[str, ...]]:
    """One service's sweep: its own service's partitions, the watch list, new outbox items."""
    return _merge(_recorder(service))


def watcher(services: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The hot watch (statusmon.logic.watch.WatchStore, a sweep's Store and more): every configured
    service's partitions, the watch list (mirrored and stuck marks too), new outbox items."""
    return _merge(*(_recorder(service) for service in services))


def discoverer() -> dict[str, tuple[str, ...]]:
    """CloudTrail discovery: one UpdateItem per named resource, on the watch list."""
    return {UPDATE: (WATCH_PK,)}


def deliverer() -> dict[str, tuple[str, ...]]:
    """The notifier and the redrive: list, claim, release and confirm outbox items."""
    return {QUERY: (OUTBOX_PK,), UPDATE: (OUTBOX_PK,), DELETE: (OUTBOX_PK,)}


def ops_reader() -> dict[str, tuple[str, ...]]:
    """The redrive's recovery check of the failure episodes (statusmon.logic.ops): read them all, close
    one (a conditional put)."""
    return {QUERY: (OPS_PK,), PUT: (OPS_PK,)}


def summariser() -> dict[str, tuple[str, ...]]:
    """The failure summariser: one function's failure episode, read and written (a conditional put)."""
    return {GET: (OPS_PK,), PUT: (OPS_PK,)}


def condition(keys: Sequence[str]) -> dict[str, Mapping[str, object]]:
    """The IAM condition: every item the request touches has a partition key among ``keys``."""
    wildcard = any("*" in key or "?" in key for key in keys)
    operator = "ForAllValues:StringLike" if wildcard else "ForAllValues:StringEquals"
    return {operator: {"dynamodb:LeadingKeys": list(keys)}}


def statements(grants: KeyGrants) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(actions, keys) pairs, one per distinct set of keys, both sorted: one policy statement each."""
    by_keys: dict[tuple[str, ...], list[str]] = {}
    for action, keys in grants.items():
        by_keys.setdefault(tuple(sorted(set(keys))), []).append(action)
    return [(tuple(sorted(actions)), keys) for keys, actions in by_keys.items()]


def allows(grants: KeyGrants, action: str, partition_key: str) -> bool:
    """Whether ``grants`` let ``action`` touch an item with this partition key (IAM StringLike)."""
    return any(_like(pattern, partition_key) for pattern in grants.get(action, ()))


def _like(pattern: str, value: str) -> bool:
    # IAM's StringLike: "*" any run of characters, "?" one character, everything else literal
    # (fnmatch would also read "[" as a character class).
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None
