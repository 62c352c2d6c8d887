"""AWS clients: the process's one botocore session, and the sources' clients made from it.

Every client statusmon makes (sources, SNS, CloudFormation, the table's setup) and every PynamoDB
model's connection come from :func:`session`: a session registers its handlers and reads botocore's
endpoint data once, for its first client (most of a first invocation's 40-50 ms of setup, measured
by bench/coldstart_bench.py; :class:`ModelLoader` spares it botocore's listing of every service
model), and PynamoDB alone would open one per model. The clients are
botocore's, made the way ``boto3.client`` makes them (boto3 adds only resources and S3 transfers,
which statusmon does not use), so a Lambda never imports boto3 or s3transfer. They honour
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` and the rest of the standard configuration
exactly as boto3's do.

The source clients: adaptive retries, every answer checked, calls and throttles counted.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.config import Config
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader, create_loader, instance_cache
from botocore.session import Session, get_session
from pynamodb.connection import Connection

from statusmon.adapters.answers import guard
from statusmon.adapters.errors import THROTTLING_CODES

TIMEOUTS = Config(connect_timeout=5, read_timeout=20)
# Adaptive retries (client-side rate limiting on throttles) unless the user chose otherwise with
# botocore's own AWS_RETRY_MODE / AWS_MAX_ATTEMPTS, which then apply as usual.
ADAPTIVE = TIMEOUTS.merge(Config(retries={"mode": "adaptive", "max_attempts": 8}))


def _config() -> Config:
    chosen = os.environ.get("AWS_RETRY_MODE") or os.environ.get("AWS_MAX_ATTEMPTS")
    return TIMEOUTS if chosen else ADAPTIVE


class CallCounter:
    """Counts API calls (one per operation, retries apart) and throttled attempts."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.throttles = 0
        # A sweep's Describe calls run in threads.
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def attach(self, client: Any) -> Any:
        events = client.meta.events
        service = client.meta.service_model.service_name
        events.register("before-call.*.*", self._on_call)
        events.register(f"needs-retry.{service}.*", self._on_response)
        return client

    def _on_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def _on_response(self, response: Any = None, **_: Any) -> None:
        if response is None:
            return
        parsed = response[1] if isinstance(response, tuple) else {}
        code = (parsed or {}).get("Error", {}).get("Code")
        if code in THROTTLING_CODES:
            with self._lock:
                self.throttles += 1


class ServiceClock:
    """A service's own time, read from the ``Date`` header of its answers (RFC 9110: the moment the
    answer was made, to the second), carried forward by this process's monotonic clock.

    For decisions two processes must agree on (outbox leases), whatever either's wall clock says. A
    reading older than ``max_age`` (by the monotonic or the wall clock: a paused or resumed process
    may stop one of them) is not used: :meth:`now` is then None until the next answer.
    """

    def __init__(self, max_age: float = 60.0) -> None:
        self.max_age = max_age
        # (the service's epoch seconds, our monotonic and wall clocks) when the answer arrived
        self._seen: tuple[float, float, float] | None = None

    def attach(self, client: Any) -> Any:
        client.meta.events.register("after-call.*.*", self._on_answer)
        return client

    def _on_answer(self, parsed: Any = None, **_: Any) -> None:
        headers = (parsed or {}).get("ResponseMetadata", {}).get("HTTPHeaders", {})
        try:
            moment = parsedate_to_datetime(headers["date"]).timestamp()
        except (KeyError, TypeError, ValueError):
            return
        self._seen = (moment, time.monotonic(), time.time())

    def now(self) -> float | None:
        """The service's time now (epoch seconds), or None without a recent enough answer."""
        if self._seen is None:
            return None
        moment, monotonic, wall = self._seen
        elapsed = time.monotonic() - monotonic
        if max(elapsed, abs(time.time() - wall)) > self.max_age:
            return None
        return moment + elapsed


# botocore makes clients from one session safely one at a time only (PynamoDB gives each thread a
# session of its own for that reason); the CLI's tests and the demo have threads, a Lambda has none.
_CREATING = threading.RLock()


class ModelLoader(Loader):
    """botocore's data loader, without the scan of its whole data directory on a first client.

    Before it loads a service's first model of a kind (``service-2``, ``endpoint-rule-set-1``),
    botocore's loader lists every service it holds that has one, a directory listing and a stat for
    each of some 440, only to check that the one asked for is among them: 16-21 ms of a cold
    start's first client here, for an answer the service's own directory gives (botocore/botocore
    pull request 3687 proposes the same change upstream). This loader looks in that directory
    first and loads the model as botocore does, extras included; a service it does not find is left
    to botocore, whose ``UnknownServiceError`` names the services it knows. A botocore whose loader
    no longer has the parts it uses (the Lambda runtime provides botocore) is left to itself.
    """

    @instance_cache
    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        find_extras = getattr(self, "_find_extras", None)
        extras = getattr(self, "_extras_processor", None)
        if find_extras is None or extras is None:
            return super().load_service_model(service_name, type_name, api_version)
        try:
            version = api_version or self.determine_latest_version(service_name, type_name)
            model = self.load_data(os.path.join(service_name, version, type_name))
        except DataNotFoundError:
            return super().load_service_model(service_name, type_name, api_version)
        extras.process(model, find_extras(service_name, type_name, version))
        return model


def _data_loader(made: Session) -> ModelLoader:
    # Where botocore's own loader would look: AWS_DATA_PATH / data_path, ~/.aws/models, botocore's.
    paths = create_loader(made.get_config_variable("data_path")).search_paths
    return ModelLoader(extra_search_paths=list(paths), include_default_search_paths=False)


@functools.cache
def session() -> Session:
    """The process's botocore session (credentials, region and endpoint data resolved once)."""
    made = get_session()
    made.lazy_register_component("data_loader", lambda: _data_loader(made))
    return made


def use(*, profile: str | None = None, region: str | None = None) -> None:
    """The command line's ``--profile`` and ``--region``, for every client and model made from now
    on: set on the session, they win over ``AWS_PROFILE``/``AWS_REGION`` and the config files (and
    a profile over ``AWS_ACCESS_KEY_ID``), as in the AWS CLI."""
    if profile:
        session().set_config_variable("profile", profile)
    if region:
        session().set_config_variable("region", region)


def profiles() -> list[str]:
    """The named profiles of the shared config and credentials files."""
    return list(session().available_profiles)


def create_client(service: str, *, region: str | None = None, config: Config | None = None) -> Any:
    """A plain botocore client of :func:`session` (what ``boto3.client`` returns)."""
    with _CREATING:
        return session().create_client(service, region_name=region, config=config)


class _Boto3Clients:
    """``boto3.client(name, region_name=...)``, answered by :func:`create_client`: for code written
    against boto3's module API, so that it shares the session and boto3 is never imported."""

    def client(self, service_name: str, region_name: str | None = None, config: Config | None = None) -> Any:
        return create_client(service_name, region=region_name, config=config)


boto3_clients = _Boto3Clients()


class SessionConnection(Connection):
    """A PynamoDB connection whose DynamoDB client is made from :func:`session`.

    PynamoDB 6.1 gives every ``Connection`` a botocore session of its own (its ``session``
    property calls ``botocore.session.get_session()``) and takes none as a parameter: overriding
    that property is the one place to share ours. One connection serves every model of a table.
    ``clock`` is DynamoDB's own time, as its answers on this connection tell it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = ServiceClock()
        self._clocked: Any = None

    @property
    def session(self) -> Session:
        return session()

    @property
    def client(self) -> Any:
        with _CREATING:
            made = super().client
            if made is not self._clocked:
                # PynamoDB makes a new client when the old one lost its credentials.
                self._clocked = self.clock.attach(made)
            return made


def client(service: str, counter: CallCounter | None = None, *, region: str | None = None) -> Any:
    return prepare(create_client(service, region=region, config=_config()), counter)


def prepare(client: Any, counter: CallCounter | None = None) -> Any:
    """Every answer of ``client`` checked before it is parsed (idempotent), its calls counted."""
    guard(client)
    return counter.attach(client) if counter else client


def aws_endpoint(service: str) -> str | None:
    """The endpoint of ``service`` when it is AWS's own, else None (a local one is configured).

    "AWS's own" is what botocore resolves when configured endpoints are ignored: no
    ``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>`` nor config-file ``endpoint_url`` applies,
    or one that names AWS itself.
    """
    configured = create_client(service).meta.endpoint_url
    # botocore has the option since 1.31; its type stubs do not list it yet.
    ignore = Config(ignore_configured_endpoint_urls=True)  # type: ignore[call-arg]
    own = create_client(service, config=ignore).meta.endpoint_url
    return str(configured) if configured == own else None


def known_region(region: str) -> bool:
    """Whether ``region`` is one botocore's endpoint data knows, in any partition (DynamoDB is in
    every region). A region newer than the installed botocore is not known, yet may work."""
    made = session()
    return any(region in made.get_available_regions("dynamodb", p) for p in made.get_available_partitions())
