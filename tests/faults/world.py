"""The fault suite's world: both services as statusmon's real clients see them, and every fault.

* The services are an in-memory model of Custom Labels datasets and Personalize import jobs, served
  to real botocore clients through a ``before-send`` hook: botocore's parsing, statusmon's answer
  checks and sources all run as against AWS. The model keeps every state each resource ever had
  (its "episodes"), the ground truth the invariants compare alerts with.
* Faults on the services' answers: throttling, 5xx, malformed 200 answers (every kind), a page that
  silently leaves an item out, a paging token that repeats, a listing that never ends.
* Faults on DynamoDB (the real table, on moto server): errors before a call, and answers lost after
  a call that took effect, injected in botocore's own events of PynamoDB's clients.
* SNS: a recording publisher that can be down, lose its answer after publishing, or be killed
  between publishing and the outbox confirm (the one window where an alert may go out twice).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from statusmon.adapters import aws
from statusmon.adapters.errors import AwsError
from statusmon.adapters.store import HistoryItem, OutboxItem, ServiceItem, StateItem
from statusmon.domain.model import OutboxMessage

ACCOUNT = "123456789012"
REGION = "us-east-1"
PAGE = 2  # the model pages by 2, so listings of a few resources still page

REKOGNITION_STATUSES = {
    "in_flight": ["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"],
    "complete": ["CREATE_COMPLETE", "UPDATE_COMPLETE"],
    "failed": ["CREATE_FAILED", "UPDATE_FAILED"],
    "unknown": ["UPDATE_PAUSED"],
}
PERSONALIZE_STATUSES = {
    "in_flight": ["CREATE PENDING", "CREATE IN_PROGRESS"],
    "complete": ["ACTIVE"],
    "failed": ["CREATE FAILED"],
    "unknown": ["CREATE QUEUED"],
}
STATUSES = {"rekognition": REKOGNITION_STATUSES, "personalize": PERSONALIZE_STATUSES}

# Faults on a service's answer. "drop-item" cannot be detected (a page that looks whole).
SERVICE_FAULTS = (
    "throttle",
    "server-error",
    "empty",
    "empty-object",
    "html",
    "truncated",
    "null-list",
    "wrong-type",
    "item-missing-arn",
    "item-missing-status",
    "bad-timestamp",
    "repeat-token",
    "endless-token",
    "null-nested",
    "drop-item",
)
LISTINGS = {"DescribeProjects": "ProjectDescriptions", "ListDatasetImportJobs": "datasetImportJobs"}


class Killed(BaseException):
    """The process stops here (Lambda timeout, OOM, a deploy): nothing after it runs."""


@dataclass
class Resource:
    service: str
    arn: str
    name: str
    status: str
    reason: str | None
    updated_at: float
    parent: str


@dataclass(frozen=True)
class Episode:
    """One state a resource had: what an alert about it must match."""

    arn: str
    status: str
    reason: str | None
    updated_at: float


@dataclass
class Services:
    """Custom Labels datasets and Personalize import jobs, and the faults of their answers."""

    rng: random.Random
    resources: dict[str, Resource] = field(default_factory=dict)
    episodes: list[Episode] = field(default_factory=list)
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = ()
    calls: Counter[str] = field(default_factory=Counter)
    # Source calls answered after the sweep's deadline said stop (must stay 0).
    calls_past_deadline: int = 0
    # The running sweep's deadline, as a number of calls to the services (None: no deadline).
    budget: int | None = None
    sweep_calls: int = 0
    # Resources a listing leaves out for its next N listings (an eventually consistent glitch).
    hidden: Counter[str] = field(default_factory=Counter)
    _hiding: set[str] = field(default_factory=set)
    overlapped: bool = False
    # Listed by a page of the running sweep that looked whole; counted as "seen" only once statusmon
    # recorded it (its bookkeeping no longer has it missing): a sweep killed before that saw nothing.
    clean_listed: set[str] = field(default_factory=set)
    trace: list[str] = field(default_factory=list)
    serial: int = 0
    # Times an ARN was left out of a listing page that looked whole, since it was last listed: a
    # deletion needs two complete listings without it, so only 2 or more can explain one.
    silently_dropped: Counter[str] = field(default_factory=Counter)
    # A late answer: the running sweep's or watch run's ``late_at``-th listing page or Describe (as
    # ``late_on`` says) is read, then ``meanwhile`` runs (the services move, another run records what
    # they show now), and only then is the answer delivered, older than what was recorded meanwhile.
    late_on: str = "describe"
    late_at: int | None = None
    meanwhile: Callable[[str, dict[str, Any]], None] | None = None

    @property
    def late(self) -> tuple[str, int, Callable[[str, dict[str, Any]], None]] | None:
        if self.meanwhile is None or self.late_at is None:
            return None
        return self.late_on, self.late_at, self.meanwhile

    @late.setter
    def late(self, late: tuple[str, int, Callable[[str, dict[str, Any]], None]] | None) -> None:
        self.late_on, self.late_at, self.meanwhile = late or ("describe", None, None)

    # -- the model ----------------------------------------------------------------------------------

    def create(self, service: str, status: str, reason: str | None, now: float) -> Resource:
        self.serial += 1
        n = self.serial
        if service == "rekognition":
            project = f"p{n % 3}"
            kind = "train" if n % 2 else "test"
            dataset_id = 1_700_000_000_000 + n
            arn = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/{project}/dataset/{kind}/{dataset_id}"
            parent = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/{project}/1690000000000"
            name = f"{project}/{kind}"
        else:
            name = f"job-{n}"
            arn = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-import-job/{name}"
            parent = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/shop/INTERACTIONS"
        resource = Resource(service, arn, name, status, reason, now, parent)
        self.resources[arn] = resource
        self.episodes.append(Episode(arn, status, reason, now))
        return resource

    def change(self, arn: str, status: str, reason: str | None, now: float) -> None:
        resource = self.resources[arn]
        resource.status, resource.reason, resource.updated_at = status, reason, now
        self.episodes.append(Episode(arn, status, reason, now))

    def delete(self, arn: str) -> None:
        del self.resources[arn]

    def of(self, service: str) -> list[Resource]:
        return sorted((r for r in self.resources.values() if r.service == service), key=lambda r: r.arn)

    # -- answering statusmon's real clients ---------------------------------------------------------

    def client(self, service: str) -> Any:
        client = aws.client(service)
        client.meta.events.register(f"before-send.{service}.*", self._send)
        return client

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
        params = json.loads(request.body or b"{}")
        self.calls[operation] += 1
        self.sweep_calls += 1
        if self.budget is not None and self.sweep_calls > self.budget:
            self.calls_past_deadline += 1
        status, body = self._answer(operation, params)
        if self.meanwhile is not None and (operation in LISTINGS) == (self.late_on == "list"):
            self.late_at = (self.late_at or 1) - 1
        if self.meanwhile is not None and self.late_at == 0:
            hold, self.meanwhile = self.meanwhile, None
            self.trace.append(f"  {operation} {params} answer held")
            hold(operation, params)
            self.trace.append(f"  {operation} answer delivered late")
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

    def _answer(self, operation: str, params: dict[str, Any]) -> tuple[int, bytes]:
        faulty = self.fault_kinds and self.rng.random() < self.fault_rate
        fault = self.rng.choice(self.fault_kinds) if faulty else None
        if fault == "throttle":
            return 400, json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        if fault == "server-error":
            return 500, json.dumps({"__type": "InternalServerError", "message": "injected"}).encode()
        try:
            document = self._document(operation, params)
        except _NotFound:
            return 400, json.dumps({"__type": "ResourceNotFoundException", "message": "gone"}).encode()
        listed = _arns(document) if operation in LISTINGS else []
        if operation in LISTINGS:
            self.trace.append(f"  {operation} page={listed} hiding={sorted(self._hiding)} fault={fault}")
        if fault is None:
            # A listing by a sweep that overlaps another clears nothing: the other, older one may
            # still write its own view of what was missing (a known race of overlapping sweeps).
            if not self.overlapped:
                self.clean_listed.update(listed)
            return 200, json.dumps(document).encode()
        self.serial += 1
        body = _corrupt(fault, operation, document, params, self.serial)
        self.trace.append(f"  {operation} {params.get('NextToken') or params.get('nextToken')} fault={fault}")
        if fault == "drop-item":
            still = set(_arns(document))
            for arn in listed:
                if arn in still:
                    if not self.overlapped:
                        self.clean_listed.add(arn)
                else:
                    self.silently_dropped[arn] += 1
        return 200, body

    def _document(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation in LISTINGS:
            service = "rekognition" if operation == "DescribeProjects" else "personalize"
            token = params.get("NextToken") or params.get("nextToken") or "0"
            start = int(token.split(":")[-1]) if token.split(":")[-1].isdigit() else 0
            if not (params.get("NextToken") or params.get("nextToken")):
                # A new listing: a glitch leaves these out of every page of it, looking whole.
                self._hiding = {r.arn for r in self.of(service) if self.hidden[r.arn] > 0}
                for arn in self._hiding:
                    self.hidden[arn] -= 1
                    self.silently_dropped[arn] += 1
            items = [r for r in self.of(service) if r.arn not in self._hiding]
            page = items[start : start + PAGE]
            following = start + PAGE if start + PAGE < len(items) else None
            token_key = "NextToken" if service == "rekognition" else "nextToken"
            document: dict[str, Any] = {LISTINGS[operation]: [_listed(r) for r in page]}
            if following is not None:
                document[token_key] = f"page:{following}"
            return document
        if operation == "DescribeDataset":
            resource = self.resources.get(params["DatasetArn"])
            if resource is None:
                raise _NotFound
            description: dict[str, Any] = {
                "Status": resource.status,
                "LastUpdatedTimestamp": resource.updated_at,
            }
            if resource.reason:
                description["StatusMessage"] = resource.reason
            return {"DatasetDescription": description}
        if operation == "DescribeDatasetImportJob":
            resource = self.resources.get(params["datasetImportJobArn"])
            if resource is None:
                raise _NotFound
            return {"datasetImportJob": _job(resource) | {"datasetArn": resource.parent}}
        raise AssertionError(f"statusmon called {operation}, which the fault suite does not model")


class _NotFound(Exception):
    pass


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def _listed(resource: Resource) -> dict[str, Any]:
    if resource.service == "personalize":
        return _job(resource)
    dataset: dict[str, Any] = {
        "DatasetArn": resource.arn,
        "DatasetType": "TRAIN" if "/train/" in resource.arn else "TEST",
        "Status": resource.status,
    }
    if resource.reason:
        dataset["StatusMessage"] = resource.reason
    return {"ProjectArn": resource.parent, "Datasets": [dataset]}


def _job(resource: Resource) -> dict[str, Any]:
    job: dict[str, Any] = {
        "datasetImportJobArn": resource.arn,
        "jobName": resource.name,
        "status": resource.status,
        "lastUpdatedDateTime": resource.updated_at,
    }
    if resource.reason:
        job["failureReason"] = resource.reason
    return job


def _arns(document: dict[str, Any]) -> list[str]:
    """The resource ARNs a listing page holds."""
    arns = []
    for item in document.get("ProjectDescriptions", []):
        arns += [dataset["DatasetArn"] for dataset in item.get("Datasets", [])]
    arns += [job["datasetImportJobArn"] for job in document.get("datasetImportJobs", [])]
    return arns


def _items(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The first list of the answer, or the answer's one object (a Describe)."""
    for value in document.values():
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return [value]
    return []


def _corrupt(
    fault: str, operation: str, document: dict[str, Any], params: dict[str, Any], serial: int
) -> bytes:
    body = json.dumps(document).encode()
    token_key = next((k for k in ("NextToken", "nextToken") if k in document or k in params), None)
    listing = operation in LISTINGS
    items = _items(document)
    if listing and operation == "DescribeProjects":
        items = [d for project in items for d in project.get("Datasets", [])]
    if fault == "empty":
        return b""
    if fault == "empty-object":
        return b"{}"
    if fault == "html":
        return b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    if fault == "truncated":
        return body[: len(body) // 2]
    if fault == "null-list":
        return json.dumps(dict.fromkeys(document)).encode() if document else b"{}"
    if fault == "wrong-type":
        return json.dumps(dict.fromkeys(document, "oops")).encode() if document else b'{"x": 1}'
    if fault in {"item-missing-arn", "item-missing-status"} and items:
        target = items[0]
        for key in list(target):
            if (fault == "item-missing-arn" and key.endswith("Arn")) or (
                fault == "item-missing-status" and key.lower() == "status"
            ):
                del target[key]
        return json.dumps(document).encode()
    if fault == "bad-timestamp" and items:
        for key in list(items[0]):
            if "Timestamp" in key or "DateTime" in key:
                items[0][key] = "not-a-date"
                return json.dumps(document).encode()
        items[0]["LastUpdatedTimestamp" if "DatasetArn" in items[0] else "lastUpdatedDateTime"] = "not-a-date"
        return json.dumps(document).encode()
    if fault == "repeat-token" and listing and token_key:
        document[token_key] = params.get(token_key) or "page:0"
        return json.dumps(document).encode()
    if fault == "endless-token" and listing and token_key:
        document[token_key] = f"endless:{serial}:{params.get(token_key) or 'page:0'}"
        return json.dumps(document).encode()
    if fault == "null-nested" and operation == "DescribeProjects" and document["ProjectDescriptions"]:
        # A JSON null botocore would silently turn into "no datasets": only the raw check sees it.
        document["ProjectDescriptions"][0]["Datasets"] = None
        return json.dumps(document).encode()
    if fault == "drop-item" and listing:
        key = LISTINGS[operation]
        if document.get(key):
            document[key] = document[key][1:]
        return json.dumps(document).encode()
    return b"{}"


# -- DynamoDB ---------------------------------------------------------------------------------------


@dataclass
class DynamoFaults:
    """Errors before a DynamoDB call, or a call that took effect whose answer is lost."""

    rng: random.Random
    rate: float = 0.0
    lost_answer_rate: float = 0.0
    injected: Counter[str] = field(default_factory=Counter)

    def attach(self) -> None:
        for model in (StateItem, HistoryItem, ServiceItem, OutboxItem):
            events = model._get_connection().connection.client.meta.events
            events.register("before-call.dynamodb.*", self._before, unique_id="statusmon-faults-before")
            events.register("after-call.dynamodb.*", self._after, unique_id="statusmon-faults-after")

    def _before(self, model: Any, **_: Any) -> Any:
        if self.rate and self.rng.random() < self.rate:
            self.injected[f"error:{model.name}"] += 1
            code = self.rng.choice(["InternalServerError", "ProvisionedThroughputExceededException"])
            return _Status(500 if code == "InternalServerError" else 400), {
                "Error": {"Code": code, "Message": "injected"},
                "ResponseMetadata": {"HTTPStatusCode": 500},
            }
        return None

    def _after(self, model: Any, http_response: Any, parsed: Any, **_: Any) -> None:
        if (
            http_response.status_code < 300
            and self.lost_answer_rate
            and self.rng.random() < self.lost_answer_rate
        ):
            self.injected[f"lost:{model.name}"] += 1
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "answer lost"}}, model.name
            )


@dataclass
class _Status:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""


# -- SNS --------------------------------------------------------------------------------------------


STUCK = "#stuck"  # the key suffix of a stuck warning's delivery in Subscriber.received


@dataclass
class Subscriber:
    """What SNS (or EventBridge) delivered, by transition id, and how each at-least-once repeat came about."""

    rng: random.Random
    down_rate: float = 0.0
    lost_answer_rate: float = 0.0
    kill_after_publish_rate: float = 0.0
    received: Counter[str] = field(default_factory=Counter)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Publishes SNS accepted but statusmon could not know about: each may be repeated, once.
    unacknowledged: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    # Another deliverer that runs while this publish is in flight (once).
    during_next_publish: Callable[[], None] | None = None

    @staticmethod
    def key_of(message: OutboxMessage) -> tuple[str, dict[str, Any]]:
        """What a delivery is counted under (its transition id; a stuck warning's apart), and its document."""
        # An alert's JSON document is its SNS "default" body; an event's detail is the whole body.
        body = json.loads(message.body)
        document = json.loads(body["default"]) if "default" in body else body
        # A stuck warning carries its in-flight transition's id: it is counted apart, under its own key.
        stuck = document.get("stuck_since") or str(document.get("id", "")).endswith(STUCK)
        return (f"{message.transition_id}{STUCK}" if stuck else message.transition_id), document

    def publish(self, message: OutboxMessage) -> str:
        if self.during_next_publish is not None:
            other, self.during_next_publish = self.during_next_publish, None
            other()
        if self.down_rate and self.rng.random() < self.down_rate:
            self.refused += 1
            raise AwsError("publishing to topic failed: InternalError (SNS is down)")
        key, document = self.key_of(message)
        self.received[key] += 1
        self.bodies[key] = document
        if self.lost_answer_rate and self.rng.random() < self.lost_answer_rate:
            self.unacknowledged[key] += 1
            raise AwsError("publishing to topic failed: the answer was lost (read timeout)")
        if self.kill_after_publish_rate and self.rng.random() < self.kill_after_publish_rate:
            self.unacknowledged[key] += 1
            raise Killed
        return f"msg-{key}-{self.received[key]}"


Deadline = Callable[[], bool]
