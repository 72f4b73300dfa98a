"""The strict build of the whole book: `jupyter-book build . -n -W --keep-going`.

Run last by `make test` (marker `build`), after the unit tests and nbval. Any Sphinx
warning (a broken reference, an unknown citation, a failing cell) fails the build.
"""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent


@pytest.mark.build
def test_strict_build_has_no_warnings():
    subprocess.run([sys.executable, str(ROOT / "scripts" / "cache_guard.py")], check=True, cwd=ROOT)
    proc = subprocess.run(
        [str(BIN / "jupyter-book"), "build", ".", "-n", "-W", "--keep-going"],
        cwd=ROOT, capture_output=True, text=True,
    )
    log = proc.stdout + proc.stderr
    (ROOT / "_build").mkdir(exist_ok=True)
    (ROOT / "_build" / "build.log").write_text(log)
    warnings = [l for l in log.splitlines() if "WARNING" in l and "IPKernelApp" not in l]
    assert proc.returncode == 0 and not warnings, "strict build failed:\n" + "\n".join(warnings[:40] or log.splitlines()[-40:])
    assert (ROOT / "_build" / "html" / "index.html").exists()
