"""cdk-nag AwsSolutions on every synth; each acknowledged finding says why, next to its cause."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PACK = "AwsSolutions"


def add_checks(app: cdk.App) -> None:
    # cdk-nag 3 is a policy-validation plugin (its Aspect API crashes): findings fail the synth.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge ``rule`` (e.g. ``IAM5[Resource::*]``) on ``scope`` and everything under it."""
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=f"{PACK}::{PACK}-{rule}", reason=reason))
