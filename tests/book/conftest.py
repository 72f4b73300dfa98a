"""Fixtures shared by the checks of the built book.

The page checks of ``test_browser.py`` define the local server of the built HTML
(``server``) and the headless Chromium (``browser``); the phone and animation checks
use the same two, through this file.

``assignment_of(chapter)`` is the chapter's generated assignment (``otter assign``:
master, student notebook, autograder), made once per test run and shared by the
assignment self-checks and the student-notebook checks, also across pytest-xdist
workers: the recipe of pytest-xdist's documentation for a session fixture that runs
once, a folder beside the workers' own temporary folders and a ``filelock`` per
chapter. Each ``otter assign`` takes about 6 s; the tests only read what it wrote.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable

import pytest
from filelock import FileLock

from test_browser import browser, server  # noqa: F401


@pytest.fixture(scope="session")
def assignment_of(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Callable[[pathlib.Path], pathlib.Path | None]:
    """``assignment_of(chapter)``: the folder of its assignment, or None (no graded exercise)."""
    from assignments import generate

    if worker_id == "master":  # no xdist: this process's own folder
        shared = tmp_path_factory.mktemp("assignments")
    else:  # the run's folder, above every worker's own basetemp
        shared = tmp_path_factory.getbasetemp().parent / "assignments"
        shared.mkdir(exist_ok=True)

    def get(chapter: pathlib.Path) -> pathlib.Path | None:
        stem = pathlib.Path(chapter).stem
        done = shared / f"{stem}.done"
        with FileLock(str(shared / f"{stem}.lock")):
            if not done.exists():
                made = generate(shared, [pathlib.Path(chapter)])
                done.write_text("made\n" if made else "none\n")
        return shared / stem if done.read_text() == "made\n" else None

    return get
