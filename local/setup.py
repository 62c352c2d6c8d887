"""statusmon-local takes statusmon's version, written once in functions/statusmon/__init__.py, and
requires statusmon at exactly that version (the two are released together).

From the repository the version is read from that file; from this distribution's sdist, which does
not hold it, from the PKG-INFO setuptools wrote when it made the sdist."""

import re
from email.parser import Parser
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "functions" / "statusmon" / "__init__.py"


def version() -> str:
    if SOURCE.is_file():
        found = re.search(r'^__version__ = "([^"]+)"$', SOURCE.read_text(), re.MULTILINE)
        if found is None:
            raise SystemExit(f'{SOURCE}: no line __version__ = "X.Y.Z"')
        return found[1]
    pkg_info = HERE / "PKG-INFO"
    if not pkg_info.is_file():
        raise SystemExit(f"build statusmon-local from the statusmon repository or its sdist: no {SOURCE}")
    return Parser().parsestr(pkg_info.read_text())["Version"]


VERSION = version()
setup(version=VERSION, install_requires=[f"statusmon=={VERSION}", "moto[server]>=5.1"])
