"""The command's own dependencies (the live view, shell completion): pinned, declared, not shipped."""

from __future__ import annotations

import tomllib

from infra.bundling import asset_requirements, pins
from tests.infra.conftest import ROOT

CLI_ONLY = {"rich", "argcomplete"}


def _names(requirements_in: str) -> set[str]:
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / requirements_in).read_text().splitlines())
    return {line for line in lines if line and not line.startswith("-")}


def test_the_command_s_dependencies_are_pinned_declared_and_kept_out_of_the_lambda_asset() -> None:
    # Given the command's own requirements and their lock
    assert _names("requirements-cli.in") == CLI_ONLY
    cli_lock = pins(ROOT / "requirements-cli.txt")
    # Then each is pinned there, with what it pulls in, and the dev lock (the tests' venv) agrees
    assert set(cli_lock) >= CLI_ONLY
    dev_lock = pins(ROOT / "requirements-dev.txt")
    assert {name: dev_lock.get(name) for name in cli_lock} == cli_lock
    # And the wheel declares them
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert {spec.split(">=")[0] for spec in declared} >= CLI_ONLY
    # And the functions' lock, which the Lambda asset ships, has none of them
    assert not set(cli_lock) & set(pins(ROOT / "requirements.txt"))
    shipped = {pin.split("==")[0].lower() for pin in asset_requirements()}
    assert not set(cli_lock) & shipped
