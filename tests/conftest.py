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

# pytester: tests of the suite's own fixtures (tests/book/test_pipeline.py)
pytest_plugins = ["pytester"]

ROOT = pathlib.Path(__file__).resolve().parents[1]
for _path in (ROOT / "scripts", ROOT / "tests" / "book"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


# ------------------------------------------------------------------ warm-run stamps
# A check of the build is a function of its inputs (a page's HTML and the theme's
# assets, a chapter's source and the package, ...). In `make test` (BOOK_STAMPS=1) a
# check that passed before with byte-identical inputs is skipped, with the reason
# shown; `make test-full` and CI=true (BOOK_STAMPS=0) run every check. The stamp is
# written only when the check passes, and its key covers the inputs named by the test,
# the test's own file, this conftest and requirements.txt.
STAMP_DIR = ROOT / "_build" / ".checks-passed"
_SKIP_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache"}


def _files_of(path: pathlib.Path) -> list[pathlib.Path]:
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and not _SKIP_PARTS & set(p.parts)
            and not any(part.endswith(".egg-info") for part in p.parts)
        )
    return [path]


def inputs_digest(paths: list[pathlib.Path]) -> str:
    """SHA-256 over the names and bytes of ``paths`` (folders: every file below them)."""
    import hashlib

    h = hashlib.sha256()
    for top in sorted({pathlib.Path(p).resolve() for p in paths}):
        if not top.exists():
            h.update(f"missing:{top}".encode())
            continue
        for f in _files_of(top):
            h.update(
                str(
                    f.relative_to(ROOT) if f.is_relative_to(ROOT) else f
                ).encode()
            )
            h.update(f.read_bytes())
    return h.hexdigest()


@pytest.fixture
def stamped(request: pytest.FixtureRequest):
    """``stamped(*inputs)``: skip this check if it passed before with the same inputs.

    Call it at the top of a slow check of the build, naming every file or folder the
    check reads. Only `make test` (BOOK_STAMPS=1) skips; the stamp is written when the
    check passes (``pytest_runtest_makereport`` below).
    """
    import hashlib
    import os

    def use(*inputs: pathlib.Path) -> None:
        files = [
            *inputs,
            pathlib.Path(str(request.node.fspath)),
            ROOT / "tests" / "conftest.py",
            ROOT / "requirements.txt",
        ]
        key = inputs_digest(files)
        name = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:20]
        stamp = STAMP_DIR / name
        if (
            os.environ.get("BOOK_STAMPS") == "1"
            and stamp.exists()
            and stamp.read_text().split("\n", 1)[0] == key
        ):
            pytest.skip(
                "passed before with the same inputs (stamp in "
                "_build/.checks-passed; make test-full or CI=true re-runs it)"
            )
        request.node.stash[_STAMP_KEY] = (stamp, key)

    return use


_STAMP_KEY = pytest.StashKey[tuple]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and _STAMP_KEY in item.stash:
        stamp, key = item.stash[_STAMP_KEY]
        if report.passed:
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text(f"{key}\n{item.nodeid}\n")
        else:
            stamp.unlink(missing_ok=True)
