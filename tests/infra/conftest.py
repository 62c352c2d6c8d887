"""One synthesized statusmon stack per session (a synth costs 2-4 s), with asset bundling skipped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.application import build_app

ROOT = Path(__file__).resolve().parents[2]
ALERT_EMAILS = ["ops@example.com", "ml-team@example.com"]
# The paid extras, all on: the stack as it was before they became options (README: "everything on").
EVERYTHING_ON = {"dashboard": True, "custom_metrics": True, "customer_managed_key": True, "alarms": True}
PROFILES = ("default", "everything")


@dataclass(frozen=True)
class Synth:
    template: Template
    outdir: Path

    @property
    def json(self) -> dict[str, Any]:
        return dict(self.template.to_json())

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.json["Resources"].items()
            if resource["Type"] == resource_type
        }

    def only(self, resource_type: str) -> dict[str, Any]:
        (resource,) = self.resources(resource_type).values()
        return resource


def cdk_json_context() -> dict[str, Any]:
    return dict(json.loads((ROOT / "cdk.json").read_text())["context"])


def synthesize(outdir: Path, **overrides: Any) -> Synth:
    context = cdk_json_context()
    context["statusmon"] = {**context["statusmon"], **overrides}
    # No bundling: these tests read the template; tests/infra/test_bundling.py builds the asset.
    context["aws:cdk:bundling-stacks"] = []
    app = cdk.App(outdir=str(outdir), context=context)
    stack = build_app(app)
    app.synth()
    return Synth(template=Template.from_stack(stack), outdir=outdir)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The stack of the shipped cdk.json (the default profile), plus two alert email subscriptions."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"), alert_emails=ALERT_EMAILS)


@pytest.fixture(scope="session")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The shipped cdk.json with every paid extra on, plus the same two subscriptions."""
    return synthesize(
        tmp_path_factory.mktemp("cdk.out.everything"), alert_emails=ALERT_EMAILS, **EVERYTHING_ON
    )


@pytest.fixture(scope="session", params=PROFILES)
def profile(request: pytest.FixtureRequest) -> Synth:
    """Each of the two profiles in turn, for what must hold in both."""
    return request.getfixturevalue("synth" if request.param == "default" else "everything")
