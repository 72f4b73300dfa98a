"""The strict build of the whole book: `jupyter-book build . -n -W --keep-going`.

``make test`` runs the build in its own stage (``make build``: the chapters are executed
first, two at a time, into the jupyter-cache by ``scripts/cache_guard.py --execute``,
then the strict build reads them from the cache) and this test reads its log
(``BOOK_BUILD_DONE=1``). Run on its own, the test does both steps itself. Any Sphinx
warning (a broken reference, an unknown citation, a failing cell) fails; so does a
chapter executed by the build itself instead of coming from the cache (the build must
not execute a chapter a second time).

With ``BOOK_ENFORCE_BUDGET=1`` every chapter must also have executed within the
budget of 45 s (the seconds of the last execution, ``_build/.execution-seconds.json``).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from chapters import code_chapters

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
LOG = ROOT / "_build" / "build.log"
BUDGET_S = 45.0


def _build() -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "cache_guard.py"),
            "--execute",
        ],
        check=True,
        cwd=ROOT,
    )
    proc = subprocess.run(
        [
            str(BIN / "jupyter-book"),
            "build",
            ".",
            "-n",
            "-W",
            "--keep-going",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    LOG.parent.mkdir(exist_ok=True)
    LOG.write_text(proc.stdout + proc.stderr)


@pytest.mark.build
def test_strict_build_has_no_warnings():
    if os.environ.get("BOOK_BUILD_DONE") != "1" or not LOG.exists():
        _build()
    log = LOG.read_text()
    warnings = [
        l
        for l in log.splitlines()
        if ("WARNING" in l or "ERROR" in l) and "IPKernelApp" not in l
    ]
    assert not warnings, "strict build failed:\n" + "\n".join(
        warnings[:40]
    )
    assert "build succeeded" in log, (
        "the build did not finish:\n" + "\n".join(log.splitlines()[-40:])
    )
    assert (ROOT / "_build" / "html" / "index.html").exists()
    # every chapter came from the cache filled by scripts/cache_guard.py --execute
    executed = [l for l in log.splitlines() if "Executing notebook" in l]
    assert not executed, (
        "the build executed chapters itself (not from the cache):\n"
        + "\n".join(executed)
    )


@pytest.mark.build
def test_chapters_within_budget():
    if os.environ.get("BOOK_ENFORCE_BUDGET") != "1":
        pytest.skip(
            "set BOOK_ENFORCE_BUDGET=1 to enforce the 45 s budget per chapter"
        )
    seconds = json.loads(
        (ROOT / "_build" / ".execution-seconds.json").read_text()
    )
    for src in code_chapters():
        rel = str(src.relative_to(ROOT))
        assert seconds.get(rel, 0.0) <= BUDGET_S, (
            f"{rel}: {seconds[rel]:.1f} s exceeds the {BUDGET_S} s budget"
        )
