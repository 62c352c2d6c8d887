"""Builds the CDK app from its context: config validation, the stack, cdk-nag."""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from infra.config import CONTEXT_KEY, load_config
from infra.nag import add_checks
from infra.stack import StatusmonStack


def build_app(app: cdk.App, *, code: lambda_.Code | None = None) -> StatusmonStack:
    """Add the statusmon stack to ``app``; raises :class:`infra.config.ConfigError` on a bad context."""
    config = load_config(app.node.try_get_context(CONTEXT_KEY))
    # No AWS calls at synth: the CLI fills these from the profile when it has one; otherwise the
    # stack is environment-agnostic.
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    stack = StatusmonStack(
        app,
        config.stack_name,
        config=config,
        code=code,
        env=env,
        description="statusmon: watches Rekognition Custom Labels datasets and Personalize import jobs",
    )
    add_checks(app)
    return stack
