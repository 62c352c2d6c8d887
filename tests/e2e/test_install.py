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
from tests.e2e.conftest import ROOT, Result, run_command

UV = Path(sys.executable).with_name("uv")  # installed into the project's venv by `make setup`


def _tool(*command: str | Path) -> Result:
    """Build and install tools: this machine's environment (certificates, proxies), no venv's."""
    skip = ("AWS_", "STATUSMON_", "PYTHON", "VIRTUAL_ENV", "COVERAGE", "PIP_FIND_LINKS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    return _run(*command, env=env)


def _run(
    *command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> Result:
    # By default a shell with no AWS configuration and nothing of this checkout on the path
    env = env or {"PATH": "/usr/bin:/bin", "HOME": str(cwd or ROOT), "LANG": "C.UTF-8"}
    return run_command(*command, env=env, cwd=cwd, timeout=timeout)


def _ok(result: Result) -> Result:
    assert result.code == 0, result.out + result.err
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _ok(_tool(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT))
    _ok(_tool(Path(sys.executable).with_name("twine"), "check", "--strict", *sorted(dist.iterdir())))
    (built,) = dist.glob("*.whl")
    return built


def test_the_wheel_holds_the_command_and_the_emulator_only(wheel: Path) -> None:
    # Given the built wheel; Then it is the version written in statusmon/__init__.py
    assert wheel.name == f"statusmon-{__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    # And it holds statusmon and the emulator, no tests, benchmarks, scripts or CDK code
    assert top == {"statusmon", "statusmon_emulator", f"statusmon-{__version__}.dist-info"}
    assert "statusmon/cli/main.py" in names
    assert "statusmon/local/demo.py" in names
    metadata = zipfile.ZipFile(wheel).read(f"statusmon-{__version__}.dist-info/METADATA").decode()
    assert "Provides-Extra: local" in metadata
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

    # When the extra is added
    _ok(_tool(*install, "-c", ROOT / "requirements-dev.txt", f"statusmon[local] @ {wheel.as_uri()}"))
    # Then the demo runs its whole story from the installed package
    demo = _ok(_run(statusmon, "demo", cwd=tmp_path))
    assert "5 alerts and 3 failure events" in demo.out
    assert str(ROOT) not in demo.out + demo.err
