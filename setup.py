"""What pyproject.toml cannot say statically: the ``[local]`` extra is statusmon-local at this very
version. Both distributions are built from this repository and released together (local/setup.py
reads the same version); everything else about the package is in pyproject.toml."""

import re
from pathlib import Path

from setuptools import setup

SOURCE = Path(__file__).resolve().parent / "functions" / "statusmon" / "__init__.py"
VERSION = re.search(r'^__version__ = "([^"]+)"$', SOURCE.read_text(), re.MULTILINE)
if VERSION is None:
    raise SystemExit(f'{SOURCE}: no line __version__ = "X.Y.Z"')

setup(extras_require={"local": [f"statusmon-local=={VERSION[1]}"]})
