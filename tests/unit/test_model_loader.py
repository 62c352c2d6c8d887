"""The session's data loader: botocore's models, without listing every service on a first client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader, create_loader
from botocore.session import get_session

from statusmon.adapters import aws

# What the functions and the command load: each service's model and endpoint rules.
SERVICES = ("dynamodb", "rekognition", "personalize", "sns", "events", "cloudformation")
KINDS = ("service-2", "endpoint-rule-set-1", "paginators-1")


@pytest.fixture
def listings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every scan of the data directory botocore's loader makes from now on."""
    seen: list[str] = []
    real = Loader.list_available_services

    def counting(self: Loader, type_name: str) -> Any:
        seen.append(type_name)
        return real(self, type_name)

    monkeypatch.setattr(Loader, "list_available_services", counting)
    return seen


@pytest.fixture(autouse=True)
def _own_session() -> Any:
    aws.session.cache_clear()
    yield
    aws.session.cache_clear()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("service", SERVICES)
def test_a_model_loads_as_botocore_loads_it(service: str, kind: str) -> None:
    # Given the session's loader and botocore's own
    ours = aws.session().get_component("data_loader")
    # When each loads the service's model of that kind, then they are the same
    assert isinstance(ours, aws.ModelLoader)
    assert ours.load_service_model(service, kind) == create_loader().load_service_model(service, kind)


def test_extras_are_merged_as_botocore_merges_them() -> None:
    # Given a service whose model botocore completes with an sdk-extras file (docdb's service-2)
    ours = aws.session().get_component("data_loader")
    theirs = create_loader()
    # Then both give the completed model, for the latest and for a named API version
    assert ours.load_service_model("docdb", "service-2") == theirs.load_service_model("docdb", "service-2")
    version = theirs.determine_latest_version("docdb", "service-2")
    assert ours.load_service_model("docdb", "service-2", version) == theirs.load_service_model(
        "docdb", "service-2", version
    )


def test_a_cold_sessions_clients_never_list_every_service(listings: list[str]) -> None:
    # Given a process's first session (as a Lambda's first invocation)
    # When it makes the clients a sweep, a watch and a delivery make
    for service in ("dynamodb", "rekognition", "personalize", "sns", "events"):
        aws.create_client(service, region="us-east-1")
    # Then the data directory was never scanned (botocore's loader scans it once per kind)
    assert listings == []
    # While a plain botocore session does
    get_session().create_client("dynamodb", region_name="us-east-1")
    assert sorted(set(listings)) == ["endpoint-rule-set-1", "service-2"]


def test_an_unknown_service_gets_botocores_own_error() -> None:
    # Given a service name botocore does not know (a typo)
    # When a client is asked for, then botocore's error names it and the services it knows
    with pytest.raises(UnknownServiceError) as raised:
        aws.create_client("rekognitoin", region="us-east-1")
    assert "Unknown service: 'rekognitoin'" in str(raised.value)
    assert "rekognition" in str(raised.value)


def test_models_on_the_aws_data_path_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a model of a service botocore does not ship, on AWS_DATA_PATH (a preview API, say)
    model = create_loader().load_service_model("sns", "service-2")
    model["metadata"]["endpointPrefix"] = "preview"
    (tmp_path / "preview" / "2030-01-01").mkdir(parents=True)
    (tmp_path / "preview" / "2030-01-01" / "service-2.json").write_text(json.dumps(model))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    # When the session's loader loads it, then it is that model, as botocore's loader finds it
    ours = aws.session().get_component("data_loader")
    assert ours.load_service_model("preview", "service-2") == model
    assert ours.search_paths == create_loader(str(tmp_path)).search_paths


def test_a_botocore_without_the_parts_it_uses_loads_its_own_way(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a runtime's botocore whose loader has no _find_extras (its internals changed)
    calls: list[tuple[str, str]] = []

    def botocores_own(self: Loader, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        calls.append((service_name, type_name))
        return {"loaded": "by botocore"}

    monkeypatch.delattr(Loader, "_find_extras")
    monkeypatch.setattr(Loader, "load_service_model", botocores_own)
    # When the session's loader loads a model, then botocore's own loader does it, unchanged
    ours = aws.session().get_component("data_loader")
    assert ours.load_service_model("sns", "service-2") == {"loaded": "by botocore"}
    assert calls == [("sns", "service-2")]
