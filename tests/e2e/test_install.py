"""The package as a new user installs it: the wheel into a fresh virtual environment.

Built from this checkout with the pinned setuptools (``--no-isolation``: nothing to download) and
checked with twine as PyPI would; installed with uv from its cache, constrained to the pinned
versions (only index pages are fetched), without the ``[local]`` extra first, then with it.
"""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import pytest

from statusmon import __version__
from tests.e2e.conftest import ROOT, Result, run_command, tool_env
from tests.e2e.conftest import ok as _ok

UV = Path(sys.executable).with_name("uv")  # installed into the project's venv by `make setup`


def _tool(*command: str | Path) -> Result:
    return _run(*command, env=tool_env())


def _run(
    *command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> Result:
    # By default a shell with no AWS configuration and nothing of this checkout on the path
    env = env or {"PATH": "/usr/bin:/bin", "HOME": str(cwd or ROOT), "LANG": "C.UTF-8"}
    return run_command(*command, env=env, cwd=cwd, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    return dist / f"statusmon-{__version__}-py3-none-any.whl"


def _metadata(wheel: Path) -> str:
    name, version = wheel.name.split("-")[:2]
    return zipfile.ZipFile(wheel).read(f"{name}-{version}.dist-info/METADATA").decode()


def test_the_wheel_holds_the_command_only(wheel: Path) -> None:
    # Given the built wheel, named with the version written in statusmon/__init__.py
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    # And it holds statusmon only: no local mode, tests, benchmarks, scripts or CDK code
    assert top == {"statusmon", f"statusmon-{__version__}.dist-info"}
    assert "statusmon/cli/main.py" in names
    assert not [name for name in names if "local" in name.split("/")[1]]
    # And its [local] extra is statusmon-local at this very version
    metadata = _metadata(wheel)
    assert "Provides-Extra: local" in metadata
    assert f'Requires-Dist: statusmon-local=={__version__}; extra == "local"' in metadata
    assert not [line for line in metadata.splitlines() if line.startswith("Requires-Dist: moto")]


def test_the_local_extra_is_a_distribution_of_the_same_version(dist: Path) -> None:
    # Given the local extra's wheel and sdist, built from local/ (the wheel from the sdist)
    wheel = dist / f"statusmon_local-{__version__}-py3-none-any.whl"
    assert (dist / f"statusmon_local-{__version__}.tar.gz").is_file()
    names = zipfile.ZipFile(wheel).namelist()
    # Then it holds the emulator and the local wiring, nothing of the base package
    assert {name.split("/")[0] for name in names} == {
        "statusmon_emulator",
        "statusmon_local",
        f"statusmon_local-{__version__}.dist-info",
    }
    assert "statusmon_local/demo.py" in names
    assert "statusmon_emulator/server.py" in names
    # And it requires statusmon at exactly its own version, and moto server
    metadata = _metadata(wheel)
    assert f"Requires-Dist: statusmon=={__version__}" in metadata
    assert "Requires-Dist: moto[server]" in metadata


@pytest.mark.slow
def test_install_without_then_with_the_local_extra(wheel: Path, tmp_path: Path) -> None:
    # Given a fresh virtual environment with the wheel installed, without the extra
    venv = tmp_path / "venv"
    _ok(_tool(UV, "venv", "--quiet", "--python", sys.executable, venv))
    python, statusmon = venv / "bin" / "python", venv / "bin" / "statusmon"
    install = [UV, "pip", "install", "--quiet", "--python", python]
    _ok(_tool(*install, "-c", ROOT / "requirements.txt", "-c", ROOT / "requirements-cli.txt", wheel))
    # Then the query and operate commands are there
    assert _ok(_run(statusmon, "--version", cwd=tmp_path)).out.strip() == f"statusmon {__version__}"
    assert "--stack NAME" in _ok(_run(statusmon, "status", "--help", cwd=tmp_path)).out
    assert "--once" in _ok(_run(statusmon, "watch", "--help", cwd=tmp_path)).out
    assert "complete" in _ok(_run(statusmon, "completion", "bash", cwd=tmp_path)).out
    # And the local commands say in one line what to install, both ways, and exit 2
    for command in ("demo", "emulator"):
        result = _run(statusmon, command, cwd=tmp_path)
        assert result.code == 2, result.err
        [line] = result.err.splitlines()
        _, wheels = _install_commands(line, command)
    assert _run(python, "-c", "import moto").code != 0

    # When the user runs the wheels' command from where `make dist` left dist/
    assert wheels == (
        f'pip install --find-links dist "statusmon[local] @ file://$PWD/dist/statusmon-{__version__}-py3-none-any.whl"'
    )
    where = tmp_path / "checkout"
    (where / "dist").mkdir(parents=True)
    for built in wheel.parent.glob("*.whl"):
        (where / "dist" / built.name).symlink_to(built)
    _ok(_as_pip(wheels, python, where))
    # Then the demo runs its whole story from the installed package
    demo = _ok(_run(statusmon, "demo", cwd=tmp_path))
    assert "5 alerts and 3 failure events" in demo.out
    assert str(ROOT) not in demo.out + demo.err


def _install_commands(line: str, command: str) -> tuple[str, str]:
    """The two install commands of the local extra's message: from a checkout, from the wheels."""
    prefix = (
        f"statusmon: error: `statusmon {command}` is local mode, which needs the local extra "
        "(statusmon-local, not on PyPI): in a checkout of statusmon, "
    )
    assert line.startswith(prefix), line
    checkout, wheels = line.removeprefix(prefix).split("; or from its wheels (make dist), ")
    return checkout, wheels


def _as_pip(command: str, python: Path, cwd: Path) -> Result:
    """``command``, a ``pip install`` line, run by a shell in ``cwd`` with uv standing in for pip
    (the same arguments; uv installs from its cache, constrained to the tested versions). pip
    itself was checked by hand to take both of the message's lines."""
    assert command.startswith("pip install ")
    uv = f"{UV} pip install --quiet --python {python} -c {ROOT}/requirements-dev.txt"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "STATUSMON_", "PYTHON", "VIRTUAL_ENV"))
    }
    return run_command(
        "bash",
        "-c",
        uv + command.removeprefix("pip install"),
        env=env | {"PWD": str(cwd)},
        cwd=cwd,
        timeout=600,
    )


@pytest.mark.slow
def test_the_extra_installs_from_a_checkout_as_its_message_says(wheel: Path, tmp_path: Path) -> None:
    # Given the message of a local command run without the extra
    venv = tmp_path / "venv"
    _ok(_tool(UV, "venv", "--quiet", "--python", sys.executable, venv))
    python, statusmon = venv / "bin" / "python", venv / "bin" / "statusmon"
    _ok(
        _tool(UV, "pip", "install", "--quiet", "--python", python, "-c", ROOT / "requirements-dev.txt", wheel)
    )
    checkout, _ = _install_commands(_run(statusmon, "demo", cwd=tmp_path).err.strip(), "demo")
    assert checkout == "pip install . ./local"
    # When its checkout command runs at the root of this checkout
    _ok(_as_pip(checkout, python, ROOT))
    # Then local mode is there, installed (not linked to the checkout)
    assert "--s3-endpoint-url" in _ok(_run(statusmon, "emulator", "--help", cwd=tmp_path)).out
    located = _ok(_run(python, "-c", "import statusmon_local; print(statusmon_local.__file__)", cwd=tmp_path))
    assert located.out.startswith(str(venv))
