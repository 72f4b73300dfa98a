"""Shared fixtures of the test-suite.

The tests mirror the repository: ``tests/lib/`` holds the unit tests of the package
(``tests/lib/test_<module>.py``, ``tests/lib/<subpackage>/test_<module>.py``) and
``tests/book/`` the checks of the book (structure, build, browser, PDF, JupyterLab,
wheel, assignments, pipeline). pytest imports test files by their path
(``--import-mode=importlib`` in ``pyproject.toml``), so two test files may share a
basename in different folders; ``scripts/`` and ``tests/book/`` are on ``sys.path`` for
the helpers the tests import (``chapters``, ``ci``, the page checks' fixtures).
"""

from __future__ import annotations

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
for _path in (ROOT / "scripts", ROOT / "tests" / "book"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT
