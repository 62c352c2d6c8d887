#!/usr/bin/env python3
"""CDK entry point (`npx cdk synth|deploy`): a bad `statusmon` context value is one line on stderr."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT / "functions")]  # infra/ and the statusmon package, installed or not

import aws_cdk as cdk  # noqa: E402

from infra.application import build_app  # noqa: E402
from infra.config import ConfigError  # noqa: E402


def main() -> int:
    app = cdk.App()
    try:
        build_app(app)
    except ConfigError as exc:
        print(f"statusmon: cdk.json context {exc}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
