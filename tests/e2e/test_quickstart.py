"""The README's quickstart, run as a newcomer would: every fenced shell command, in order.

In a copy of this checkout (its `.venv` and `node_modules` linked in, so `make setup` finds them
ready), a shell with a fresh home, the system's Python and nothing of this project on its PATH runs
the blocks between the README's ``<!-- quickstart -->`` markers as one script that stops at the
first failure. AWS is a moto server of the test's own, reached through ``AWS_ENDPOINT_URL`` as the
README's "AWS credentials configured" would reach AWS. Exactly two lines are not run as written,
and each must stand in the README verbatim:

- ``make dist``: the wheels come from the session's ``dist`` fixture, which runs the same two
  builds and the twine check (tests/e2e/conftest.py), so they are not built twice;
- ``npx cdk deploy``: gets ``--method=direct`` (moto records no outputs for a stack created through
  a change set, which the ``status --stack`` line reads) and ``--require-approval=never`` (no one
  at the terminal to approve the IAM changes).

The new environment's pip installs as it would for a user, constrained to the tested pins, from a
wheelhouse of those pins that the test downloads once into pytest's cache directory (an index
lookup per package costs a minute on every run otherwise), set in that environment's own
``pip.conf``, so that the CDK's bundling (another pip, for arm64) is left as it is; the statusmon
wheels still come from ``dist/``, as the README says.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.conftest import moto_process
from tests.e2e.conftest import ROOT, ok, run_command, tool_env

MAKE_DIST = "make dist"
DEPLOY = "npx cdk deploy "


def quickstart(readme: str) -> list[str]:
    """The lines of the fenced shell blocks between the quickstart markers, in order."""
    section = readme[readme.index("<!-- quickstart -->") : readme.index("<!-- /quickstart -->")]
    blocks = re.findall(r"```(?:bash|sh|shell)\n(.*?)```", section, re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def timed(lines: list[str]) -> str:
    """The script: stop at the first failure, and stamp each line on stderr (where a slow or failed
    run shows which command it was)."""
    stamped = [
        f'echo "quickstart: $(date +%s)" {shlex.quote(line.split("  #")[0].strip())} >&2\n{as_run_here(line)}'
        for line in lines
    ]
    return "set -euo pipefail\n" + "\n".join(stamped) + '\necho "quickstart: $(date +%s) done" >&2\n'


def _wheelhouse(cache: Path, dist: Path) -> Path:
    """The pinned wheels statusmon[local] needs, downloaded once per requirements-dev.txt."""
    pins = ROOT / "requirements-dev.txt"
    house = cache / hashlib.sha256(pins.read_bytes()).hexdigest()[:16]
    if not (house / ".complete").is_file():
        (wheel,) = dist.glob("statusmon-*.whl")
        download = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", house, "-c", pins]
        ok(
            run_command(
                *download, "--find-links", dist, f"statusmon[local] @ {wheel.as_uri()}", env=tool_env()
            )
        )
        (house / ".complete").touch()
    # statusmon's own wheels come from dist/, never from an earlier run's download
    for own in house.glob("statusmon*"):
        own.unlink()
    return house


def as_run_here(line: str) -> str:
    if line.startswith(MAKE_DIST):
        return ": make dist: the dist fixture built ./dist"
    if line.startswith(DEPLOY):
        return line.replace(DEPLOY, f"{DEPLOY}--method=direct --require-approval=never ", 1)
    return line


def _copy_of_checkout(to: Path) -> Path:
    """The checkout's files as git sees them (tracked and new), with their times kept so that make
    finds the linked environment up to date."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, to / name)
    for environment in (".venv", "node_modules"):
        (to / environment).symlink_to(ROOT / environment)
    return to


@pytest.fixture(scope="module")
def cloud() -> Iterator[str]:
    """A moto server of its own: the deployed stack must not leak into other tests' moto state."""
    with moto_process(host="localhost") as url:
        yield url


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning")  # moto: resource types it skips
def test_the_quickstart_commands_all_succeed(
    cloud: str, dist: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Given the README's quickstart, with the two lines this test runs its own way
    lines = quickstart((ROOT / "README.md").read_text())
    assert len([line for line in lines if line.startswith(MAKE_DIST)]) == 1
    assert len([line for line in lines if line.startswith(DEPLOY)]) == 1
    assert lines[-1].startswith("statusmon status --stack statusmon")
    # And a copy of the checkout with the wheels in dist/, a fresh home, and a shell that has the
    # system's tools only
    checkout = _copy_of_checkout(tmp_path / "statusmon")
    shutil.copytree(dist, checkout / "dist")
    home = tmp_path / "home"
    (home / ".statusmon").mkdir(parents=True)
    house = _wheelhouse(request.config.cache.mkdir("quickstart-wheels"), dist)
    (home / ".statusmon" / "pip.conf").write_text(
        f"[global]\nno-index = true\nfind-links = {house}\nconstraint = {ROOT / 'requirements-dev.txt'}\n"
    )
    env = {k: v for k, v in tool_env().items() if k.startswith(("SSL_", "REQUESTS_", "HTTP", "NO_PROXY"))}
    env |= {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": cloud,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1",
    }
    # When the commands run one after the other
    result = run_command("bash", "-c", timed(lines), env=env, cwd=checkout, timeout=1200)
    print(result.err)  # the stamps: what each command took (pytest -s shows them)

    # Then every one succeeded
    assert result.code == 0, f"{result.out[-3000:]}\n{result.err[-5000:]}"
    # And the command came from the new environment, the demo ran its story, and the stack was
    # deployed with the address subscribed, which the status line then read
    assert (home / ".statusmon" / "bin" / "statusmon").is_file()
    assert "5 alerts and 3 failure events" in result.out
    cloudformation = boto3.client("cloudformation", endpoint_url=cloud, region_name="us-east-1")
    (stack,) = cloudformation.describe_stacks(StackName="statusmon")["Stacks"]
    assert {o["OutputKey"] for o in stack["Outputs"]} >= {"TableName", "TopicArn"}
    body = cloudformation.get_template(StackName="statusmon")["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else body
    subscriptions = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"]
    assert [s["Properties"]["Endpoint"] for s in subscriptions] == ["you@example.com"]
