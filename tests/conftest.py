"""Shared fixtures of the test-suite.

The tests mirror the repository: ``tests/lib/`` holds the unit tests of the package
(``tests/lib/test_<module>.py``, ``tests/lib/<subpackage>/test_<module>.py``) and
``tests/book/`` the checks of the book (structure, build, browser, PDF, JupyterLab,
wheel, assignments, pipeline). There is no ``__init__.py``: pytest puts the folder of
each test file on ``sys.path`` (so a test imports its folder's helpers by name, e.g.
``from ci import skip_or_fail``), and test basenames must be unique across folders
(``tests/book/test_layout.py`` checks it; a subpackage's tests may be named
``test_<subpackage>_<module>.py``). ``scripts/`` and ``tests/book/`` are on ``sys.path``
for every test (``chapters``, ``lint_chapters``, ``ci``).
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
