"""The package as a wheel, and a downloaded chapter run as a hosted kernel runs it.

``make dist`` builds ``_build/dist/dynapprox-<version>-py3-none-any.whl``. The tests check

* that the wheel holds every module of ``lib/dynapprox`` and nothing else of the
  repository (no chapters, tests or scripts), with the package's metadata;
* (after the build, marker ``html``) that one downloaded chapter notebook
  (``_build/html/_notebooks/...``, the chapter :data:`test_lab.FAST_CHAPTER`) runs from
  top to bottom in a fresh virtual environment that has *only* that wheel and the
  pinned requirements: a new venv gets the wheel (``pip install --no-deps``) and sees
  the third-party packages of the book's environment through a ``.pth`` line (the
  pinned requirements, already installed; the book's own editable install of the
  package is not visible there, since ``.pth`` files of an added directory are not
  processed). The kernel runs that venv's Python in an empty temporary folder, with no
  ``PYTHONPATH``; a last cell added to the notebook asserts that ``dynapprox`` was
  imported from the wheel and that nothing of the repository is on ``sys.path``.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import sysconfig
import zipfile

import nbformat
import pytest

from ci import skip_or_fail
from test_lab import FAST_CHAPTER

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
HTML_DIR = pathlib.Path(
    os.environ.get("BOOK_HTML_DIR", ROOT / "_build" / "html")
).resolve()


@pytest.fixture(scope="module")
def wheel() -> pathlib.Path:
    try:
        import build  # noqa: F401
    except ImportError:
        skip_or_fail(
            "the package `build` is not installed (pip install -r requirements.txt)"
        )
    env = {k: v for k, v in os.environ.items() if k != "MAKEFLAGS"}
    proc = subprocess.run(
        ["make", "--no-print-directory", "dist", f"BIN={BIN}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = sorted(
        (ROOT / "_build" / "dist").glob("dynapprox-*-py3-none-any.whl")
    )
    assert len(wheels) == 1, wheels
    assert not (ROOT / "build").exists(), (
        "make dist left setuptools' build/ folder behind"
    )
    return wheels[0]


def test_wheel_holds_the_package_and_nothing_else(
    wheel: pathlib.Path,
) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = zf.read(
            next(n for n in names if n.endswith(".dist-info/METADATA"))
        ).decode()
    modules = {
        f"dynapprox/{p.name}"
        for p in (ROOT / "lib" / "dynapprox").glob("*.py")
    }
    assert modules <= set(names), sorted(modules - set(names))
    outside = [
        n
        for n in names
        if not (n.startswith("dynapprox/") or ".dist-info/" in n)
    ]
    assert not outside, outside
    assert "Name: dynapprox" in meta
    for dep in ("numpy", "scipy", "matplotlib", "torch"):
        assert f"Requires-Dist: {dep}" in meta, dep


def _fresh_env(tmp: pathlib.Path, wheel: pathlib.Path) -> pathlib.Path:
    venv = tmp / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True,
    )
    py = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    site = pathlib.Path(
        subprocess.run(
            [
                str(py),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # the pinned requirements, as installed in the book's environment (not its editable dynapprox)
    (site / "book-requirements.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    return py


@pytest.mark.html
def test_downloaded_notebook_runs_with_only_the_wheel(
    wheel: pathlib.Path, tmp_path, stamped
) -> None:
    download = (
        HTML_DIR / "_notebooks" / "chapters" / f"{FAST_CHAPTER}.ipynb"
    )
    if not download.exists():
        skip_or_fail(
            f"no downloaded notebook at {download}: run `make book` first"
        )
    stamped(download, ROOT / "lib", ROOT / "pyproject.toml")
    py = _fresh_env(tmp_path, wheel)
    nb = nbformat.read(download, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import pathlib, sys\n"
            "import dynapprox\n"
            "_where = pathlib.Path(dynapprox.__file__).resolve()\n"
            "assert _where.is_relative_to(pathlib.Path(sys.prefix).resolve()), _where\n"
            f"_repo = pathlib.Path({str(ROOT.resolve())!r})\n"
            # the book's site-packages (the pinned requirements) may live inside the clone (.venv)
            f"_reqs = pathlib.Path({str(pathlib.Path(sysconfig.get_paths()['purelib']).resolve())!r})\n"
            "assert not any(p and pathlib.Path(p).resolve().is_relative_to(_repo)\n"
            "               and pathlib.Path(p).resolve() != _reqs for p in sys.path), sys.path\n"
            "print('dynapprox from', _where)\n"
        )
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    nb_path = work / download.name
    nbformat.write(nb, nb_path)
    kernels = tmp_path / "share" / "jupyter" / "kernels" / "wheel-env"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(py),
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "wheel only",
                "language": "python",
            }
        )
    )
    runner = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "NotebookClient(nb, timeout=300, kernel_name='wheel-env', allow_errors=False,\n"
        "               resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
        "print(nb.cells[-1].outputs[0]['text'].strip())\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "JUPYTER_PATH", "VIRTUAL_ENV")
    }
    env.update(
        {
            "JUPYTER_PATH": str(tmp_path / "share" / "jupyter"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    proc = subprocess.run(
        [str(py), "-c", runner, str(nb_path), str(work)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, (
        f"the downloaded notebook failed with only the wheel:\n{proc.stderr[-4000:]}"
    )
    assert (
        f"dynapprox from {(tmp_path / 'venv').resolve()}" in proc.stdout
    ), proc.stdout
