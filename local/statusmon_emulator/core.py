"""Transport-independent request handling: AWS JSON 1.1 operations and the admin API."""

from __future__ import annotations

import functools
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel

from statusmon_emulator import personalize, rekognition
from statusmon_emulator.clock import Clock
from statusmon_emulator.errors import AwsError
from statusmon_emulator.faults import FaultInjector, FaultSpec
from statusmon_emulator.malformed import JSON_11, corrupt, parse_kinds, unwrap_token
from statusmon_emulator.s3data import S3Reader
from statusmon_emulator.settings import Settings
from statusmon_emulator.validation import validate


class RouteNotFound(Exception):
    pass


@dataclass(frozen=True)
class Service:
    name: str
    validation_error: str
    internal_error: str
    message_key: str


SERVICES = {
    "RekognitionService": Service(
        "rekognition", "InvalidParameterException", "InternalServerError", "Message"
    ),
    "AmazonPersonalize": Service("personalize", "InvalidInputException", "InternalFailure", "message"),
}


@functools.cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


@functools.cache
def token_key(service: str, operation: str) -> str | None:
    """The paging member (NextToken / nextToken) of an operation that pages, else None."""
    model = service_model(service).operation_model(operation)
    inputs = model.input_shape.members if model.input_shape else {}
    outputs = model.output_shape.members if model.output_shape else {}
    return next((key for key in ("NextToken", "nextToken") if key in inputs and key in outputs), None)


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]


def _json_reply(status: int, doc: Any, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(doc, separators=(",", ":")).encode()
    base = {"Content-Type": JSON_11, "x-amzn-RequestId": str(uuid.uuid4())}
    base.update(headers or {})
    return Reply(status, body, base)


class EmulatorCore:
    def __init__(self, settings: Settings, clock: Clock, s3: S3Reader, faults: FaultInjector) -> None:
        self.settings = settings
        self.clock = clock
        self.faults = faults
        self.rekognition = rekognition.RekognitionBackend(settings, clock, s3)
        self.personalize = personalize.PersonalizeBackend(settings, clock, s3)
        self._handlers: dict[str, dict[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
            "rekognition": rekognition.operations(self.rekognition),
            "personalize": personalize.operations(self.personalize),
        }
        self._calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()

    # ---- AWS operations ------------------------------------------------------------------

    def handle_aws(self, target: str, body: bytes) -> Reply:
        prefix, _, operation = target.partition(".")
        service = SERVICES.get(prefix)
        if service is None or not operation:
            return self._error(None, AwsError("UnknownOperationException", f"Unknown target {target!r}"))
        with self._calls_lock:
            self._calls[f"{service.name}:{operation}"] += 1
        decision = self.faults.decide(service.name, operation)
        if decision.latency_ms:
            time.sleep(decision.latency_ms / 1000)
        if decision.outcome == "throttle":
            return self._error(service, AwsError("ThrottlingException", "Rate exceeded"))
        if decision.outcome == "error":
            return self._error(
                service, AwsError(service.internal_error, "Internal server error (injected)", 500)
            )
        try:
            doc, sent_token = self._call(service, operation, body)
        except AwsError as exc:
            return self._error(service, exc)
        if decision.outcome == "malformed" and decision.malformed:
            return self._malformed(decision.malformed, doc, token_key(service.name, operation), sent_token)
        return _json_reply(200, doc)

    def _call(self, service: Service, operation: str, body: bytes) -> tuple[dict[str, Any], str | None]:
        """The operation's reply, and the paging token as the request carried it."""
        handler = self._handlers[service.name].get(operation)
        if handler is None:
            raise AwsError(
                "UnknownOperationException", f"{operation} is not implemented by the statusmon emulator"
            )
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            raise AwsError("SerializationException", "The request body is not valid JSON") from None
        key = token_key(service.name, operation)
        sent_token = params.get(key) if key and isinstance(params, dict) else None
        if key and isinstance(sent_token, str):
            # Tokens from repeat-token / endless-token answers stand for a backend token (or none),
            # and keep working after the faults are cleared.
            original = unwrap_token(sent_token)
            if original is None:
                del params[key]
            else:
                params[key] = original
        model: OperationModel = service_model(service.name).operation_model(operation)
        problem = validate(model.input_shape, params)
        if problem:
            raise AwsError(service.validation_error, problem)
        return handler(params), sent_token if isinstance(sent_token, str) else None

    def _malformed(self, kind: str, doc: dict[str, Any], key: str | None, sent_token: str | None) -> Reply:
        bad = corrupt(kind, doc, token_key=key, sent_token=sent_token)
        headers = {
            "Content-Type": bad.content_type,
            "x-amzn-RequestId": str(uuid.uuid4()),
            "x-statusmon-emulator-fault": f"malformed:{bad.kind}",
        }
        return Reply(200, bad.body, headers)

    @staticmethod
    def _error(service: Service | None, exc: AwsError) -> Reply:
        key = service.message_key if service else "message"
        return _json_reply(exc.status, {"__type": exc.code, key: exc.message}, {"x-amzn-ErrorType": exc.code})

    # ---- state and admin -----------------------------------------------------------------

    def call_counts(self) -> dict[str, int]:
        with self._calls_lock:
            return dict(self._calls)

    def reset_calls(self) -> None:
        with self._calls_lock:
            self._calls.clear()

    def reset(self) -> None:
        self.rekognition.reset()
        self.personalize.reset()
        self.faults.clear()
        self.reset_calls()

    def seed(
        self, rekognition: dict[str, Any] | None = None, personalize: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if rekognition:
            result["rekognition"] = self.rekognition.seed(rekognition.get("projects", []))
        if personalize:
            result["personalize"] = self.personalize.seed(personalize.get("dataset_groups", []))
        return result

    def set_faults(
        self,
        operation: str | None = None,
        throttle_rate: float = 0.0,
        error_rate: float = 0.0,
        latency_ms: int = 0,
        *,
        malformed_rate: float = 0.0,
        malformed: str | Iterable[str] | None = None,
    ) -> None:
        """``malformed``: the kinds to draw from (names, or one comma-separated string); None: all."""
        self.faults.set(
            operation,
            FaultSpec(throttle_rate, error_rate, latency_ms, malformed_rate, parse_kinds(malformed)),
        )

    def handle_admin(self, method: str, path: str, body: bytes) -> Reply:
        try:
            doc = json.loads(body) if body.strip() else {}
            if not isinstance(doc, dict):
                raise ValueError("the request body must be a JSON object")
            return _json_reply(200, self._admin(method, path.rstrip("/"), doc))
        except RouteNotFound as exc:
            return _json_reply(404, {"error": str(exc)})
        except KeyError as exc:
            return _json_reply(400, {"error": f"missing field {exc}"})
        except (ValueError, TypeError, AwsError) as exc:
            return _json_reply(400, {"error": str(exc)})

    def _admin(self, method: str, path: str, doc: dict[str, Any]) -> dict[str, Any]:
        routes: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
            ("GET", "/health"): lambda _: {
                "status": "ok",
                **self.rekognition.counts(),
                **self.personalize.counts(),
            },
            ("POST", "/reset"): self._admin_reset,
            ("POST", "/seed"): lambda d: self.seed(d.get("rekognition"), d.get("personalize")),
            ("GET", "/clock"): lambda _: {
                "now": self.clock.now(),
                "offset": self.clock.offset,
                "frozen": self.clock.frozen,
            },
            ("POST", "/clock/advance"): lambda d: {"now": self.clock.advance(float(d["seconds"]))},
            ("GET", "/faults"): lambda _: {"faults": self.faults.snapshot()},
            ("POST", "/faults"): self._admin_faults,
            ("DELETE", "/faults"): lambda _: self._admin_faults({"clear": True}),
            ("GET", "/calls"): lambda _: self.call_counts(),
            ("POST", "/calls/reset"): self._admin_reset_calls,
        }
        route = routes.get((method, path.removeprefix("/_emulator")))
        if route is None:
            raise RouteNotFound(f"no admin route {method} {path}")
        return route(doc)

    def _admin_reset(self, doc: dict[str, Any]) -> dict[str, Any]:
        self.reset()
        return {"reset": True}

    def _admin_reset_calls(self, doc: dict[str, Any]) -> dict[str, Any]:
        self.reset_calls()
        return {"reset": True}

    def _admin_faults(self, doc: dict[str, Any]) -> dict[str, Any]:
        if doc.get("clear"):
            self.faults.clear(doc.get("seed"))
        else:
            self.set_faults(
                doc.get("operation"),
                float(doc.get("throttle_rate", 0.0)),
                float(doc.get("error_rate", 0.0)),
                int(doc.get("latency_ms", 0)),
                malformed_rate=float(doc.get("malformed_rate", 0.0)),
                malformed=doc.get("malformed"),
            )
        return {"faults": self.faults.snapshot()}
