"""The status table's shape: the single source of truth for its keys, indexes, TTL and stream.

``statusmon local-setup``, the tests and the CDK storage construct all build the table from
:data:`TABLE`; the PynamoDB models in :mod:`statusmon.adapters.store` use these attribute names
(a unit test checks the models and this spec agree).

Key design (one table, five access patterns, no scan):

======================  ==========================  ===============================================
item                    pk / sk                     why
======================  ==========================  ===============================================
current state           ``RES#<arn>`` / ``STATE``   one item per resource, updated in place with a
                                                    version for optimistic concurrency
history                 ``RES#<arn>`` / ``H#<ver>``  same partition as the state: "one resource's
                                                    history oldest first" is a Query on pk with
                                                    ``begins_with(sk, "H#")``; the zero-padded
                                                    version orders it and makes each transition's
                                                    key unique, so two writers cannot both add it
service bookkeeping     ``SVC#<service>`` / ``META``  when the silent baseline completed, what the last
                                                    complete listing missed, unknown statuses seen
bucket marks            ``SVC#<service>`` /         per bucket of resources (256, by ARN hash): a write
                        ``M#<bucket>``              generation and the digest of the listing it was
                                                    last reconciled with; in the bookkeeping's
                                                    partition, so one Query reads both and tells a
                                                    quiet sweep it need not read any state
                                                    (:mod:`statusmon.domain.digest`)
hot watch               ``WATCH`` / ``<arn>``       resources in flight, described every minute until
                                                    they settle: "what is watched" is one Query; put
                                                    or deleted in the transaction that records a
                                                    transition, put by CloudTrail discovery
outbox                  ``OUTBOX`` /                alerts recorded but not yet confirmed published,
                        ``<channel>#<when>#<id>``   oldest first: "what is pending" is one Query;
                                                    written in the transition's own transaction,
                                                    deleted once its publish is confirmed
failure episode         ``OPS`` / ``<function>``    one per statusmon function failing now: first
                                                    and last failure, how many, the last error, when
                                                    and at what count ops were last told
                                                    (:mod:`statusmon.logic.ops`); written by the
                                                    summariser that Lambda sends each failed run's
                                                    record to; closed (with one recovery message)
                                                    by the redrive once the function has been quiet,
                                                    then removed by TTL two hours after its last
                                                    message (``adapters.episodes.CLOSED_TTL``):
                                                    "what is failing" is one Query, and an idle
                                                    stack's partition empties itself
======================  ==========================  ===============================================

Indexes (both sparse: only current-state items carry their keys):

* ``by_service`` (``gsi1pk = SVC#<service>``, ``gsi1sk = <bucket>#<arn>``): the current states
  of one service, all of them (``statusmon status``, a sweep that must diff everything) or one
  bucket's (``begins_with``: what a sweep reads where the listing no longer matches a bucket's
  mark). Layout 1 had the bare ARN as ``gsi1sk``; a sweep that reads a service in full rewrites
  such keys once and then records :data:`LAYOUT` in the bookkeeping.
* ``failed`` (``gsi2pk = FAILED#<service>``, ``gsi2sk = <observed_at>``): set only while the
  resource is failed, so ``statusmon status --failed`` reads failures alone.

History items carry ``expires_at`` (epoch seconds, the table's TTL attribute); current states and
outbox items never expire (an alert waits as long as an outage lasts). The stream carries new
images; the notifier's event source mapping keeps only INSERTs of outbox items, that is, new alerts
to deliver. The outbox is one partition: it holds only alerts in flight, a handful at a time.
The watch is one partition too, for the same reason: it holds only what is in flight. Its items
expire a week after their last write, a safety net for a resource that neither settles nor
vanishes (the full sweep still tracks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expires_at"
STREAM_VIEW_TYPE = "NEW_IMAGE"

STATE_SK = "STATE"
SERVICE_SK = "META"
HISTORY_SK_PREFIX = "H#"
RESOURCE_PK_PREFIX = "RES#"
SERVICE_PK_PREFIX = "SVC#"
FAILED_PK_PREFIX = "FAILED#"
# A bucket's mark: pk SVC#<service>, sk M#<bucket> (next to the bookkeeping, read with it).
MARK_SK_PREFIX = "M#"
# The key layout current code writes: 2 = by_service sort keys start with the resource's bucket.
LAYOUT = 2
# The hot watch: pk WATCH, sk <arn> (what is in flight; logic.watch describes it every minute).
WATCH_PK = "WATCH"
# Deliveries not yet confirmed (the outbox): pk OUTBOX, sk <channel>#<detected_at>#<transition id>.
OUTBOX_PK = "OUTBOX"
# statusmon's own failing functions (logic.ops): pk OPS, sk <function name>.
OPS_PK = "OPS"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class TableSpec:
    partition_key: str
    sort_key: str
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str
    stream_view_type: str

    def matches(self, description: dict[str, Any]) -> bool:
        """Whether a DescribeTable ``Table`` has this key schema and these indexes (statusmon's own)."""
        keys = {(k["AttributeName"], k["KeyType"]) for k in description.get("KeySchema", [])}
        indexes = {
            index["IndexName"]: {(k["AttributeName"], k["KeyType"]) for k in index.get("KeySchema", [])}
            for index in description.get("GlobalSecondaryIndexes", [])
        }
        return keys == {(self.partition_key, "HASH"), (self.sort_key, "RANGE")} and all(
            indexes.get(index.name) == {(index.partition_key, "HASH"), (index.sort_key, "RANGE")}
            for index in self.indexes
        )

    def create_table_kwargs(self, table_name: str) -> dict[str, Any]:
        """boto3 ``create_table`` arguments (on-demand, stream on, every key a string)."""
        key_names = [self.partition_key, self.sort_key]
        for index in self.indexes:
            key_names += [index.partition_key, index.sort_key]
        return {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in key_names],
            "KeySchema": [
                {"AttributeName": self.partition_key, "KeyType": "HASH"},
                {"AttributeName": self.sort_key, "KeyType": "RANGE"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": index.name,
                    "KeySchema": [
                        {"AttributeName": index.partition_key, "KeyType": "HASH"},
                        {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in self.indexes
            ],
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": self.stream_view_type},
            "SSESpecification": {"Enabled": True},
        }


BY_SERVICE_INDEX = IndexSpec(name="by_service", partition_key="gsi1pk", sort_key="gsi1sk")
FAILED_INDEX = IndexSpec(name="failed", partition_key="gsi2pk", sort_key="gsi2sk")

TABLE = TableSpec(
    partition_key=PARTITION_KEY,
    sort_key=SORT_KEY,
    indexes=(BY_SERVICE_INDEX, FAILED_INDEX),
    ttl_attribute=TTL_ATTRIBUTE,
    stream_view_type=STREAM_VIEW_TYPE,
)

# Event source mapping filter of the notifier: new outbox items only.
STREAM_FILTER_PATTERN: dict[str, Any] = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {PARTITION_KEY: {"S": [OUTBOX_PK]}}},
}
