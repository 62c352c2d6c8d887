"""The package as a new user installs it: the wheel into a fresh virtual environment.

Built from this checkout with the pinned setuptools (``--no-isolation``: nothing to download) and
checked with twine as PyPI would; installed with uv from its cache, constrained to the pinned
versions (only index pages are fetched), without the ``[local]`` extra first, then with it.
"""

from __future__ import annotations

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
    # And the local commands say in one line what to install, and exit 2
    for command in ("demo", "emulator"):
        result = _run(statusmon, command, cwd=tmp_path)
        assert result.code == 2, result.err
        assert result.err.splitlines() == [
            f"statusmon: error: `statusmon {command}` is local mode, which needs the local extra: "
            "pip install 'statusmon[local]' (pipx: pipx install --force 'statusmon[local]')"
        ]
    assert _run(python, "-c", "import moto").code != 0

    # When the extra is added (statusmon-local found next to the wheel, as on an index)
    extra = f"statusmon[local] @ {wheel.as_uri()}"
    _ok(_tool(*install, "--find-links", wheel.parent, "-c", ROOT / "requirements-dev.txt", extra))
    # Then the demo runs its whole story from the installed package
    demo = _ok(_run(statusmon, "demo", cwd=tmp_path))
    assert "5 alerts and 3 failure events" in demo.out
    assert str(ROOT) not in demo.out + demo.err
