"""The chapters of the book, read from ``_toc.yml``; the second execution of each chapter.

``python scripts/chapters.py list``
    prints the chapter files that contain code.
``python scripts/chapters.py notebooks OUTDIR``
    converts each MyST chapter to an ``.ipynb`` in OUTDIR with jupytext.
``python scripts/chapters.py compare [--all] [--jobs N]``
    the reproducibility check of ``make test``: it takes the notebooks executed by the
    build (from the build's jupyter-cache: the notebook the HTML page was rendered from,
    with every output, glue records included), copies them into a new temporary
    folder outside the repository, and runs nbval's comparing mode there
    (``pytest --nbval --nbval-current-env``, ``N`` chapters at a time). nbval executes
    each chapter once more in a fresh kernel started in that folder and compares every
    cell's text outputs with the build's, after the rules of
    ``tests/nbval_sanitize.cfg`` (memory addresses, IPython's temporary file names,
    ``%time`` lines, PNG bytes). A chapter whose second run prints different text
    fails, and nbval shows the cell and both outputs.

    The same run is the check that the notebook a reader downloads runs elsewhere:
    ``check_same_code`` asserts that the download
    (``_build/html/_notebooks/chapters/<name>.ipynb``), the notebook the page was
    rendered from (``_build/jupyter_execute/chapters/<name>.ipynb``) and the notebook
    nbval executes have the same code cells, in the same order. That assertion is a
    check of the HTML build (``tests/book/test_notebook_downloads.py``, in ``make
    checks``): ``compare`` reads only the execution cache, so ``make test`` runs it
    beside the strict build.

    Rule for warm runs: a chapter is compared again only when its key changed. The key
    hashes the build's executed notebook (code and outputs), ``lib/``, the pinned
    requirements and the sanitize rules; after a chapter passes, its key is written to
    ``_build/.nbval-compared/<name>``. An edited chapter is re-executed by the build, so
    its executed notebook and key change and it is compared again; a change of ``lib/``
    or ``requirements.txt`` changes every key. ``--all`` (used by ``make test-full``
    and whenever ``CI=true``) ignores the stamps and compares every chapter of
    ``_toc.yml``.
``python scripts/chapters.py ledger``
    prints how many times each chapter was executed since the ledger
    ``_build/executions.log`` was reset, and fails when a chapter ran more than twice.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from typing import Any

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
STAMPS = BUILD / ".nbval-compared"
LEDGER = BUILD / "executions.log"
#: One BLAS / OpenMP thread per kernel, as in the build (scripts/cache_guard.py).
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def toc_files(toc_path: str | pathlib.Path | None = None) -> list[str]:
    """Every ``file:`` entry of a table of contents (without suffix), in reading order.

    ``toc_path`` defaults to the book's ``_toc.yml``.
    """
    path = (
        pathlib.Path(toc_path)
        if toc_path is not None
        else ROOT / "_toc.yml"
    )
    toc = yaml.safe_load(path.read_text())
    out: list[str] = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                out.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(toc)
    return out


def built_pages() -> list[str]:
    """The pages of the book being checked: ``$BOOK_TOC`` (a partial book built with
    ``--toc``) when that is set, otherwise ``_toc.yml``."""
    return toc_files(os.environ.get("BOOK_TOC") or None)


def source_of(entry: str) -> pathlib.Path:
    """The source file of a TOC entry (``.md`` or ``.ipynb``); raises if none exists."""
    for suffix in (".md", ".ipynb"):
        p = ROOT / f"{entry}{suffix}"
        if p.exists():
            return p
    raise FileNotFoundError(
        f"_toc.yml lists '{entry}' but neither {entry}.md nor {entry}.ipynb exists"
    )


def is_notebook(path: pathlib.Path) -> bool:
    """A chapter is executable when it carries a jupytext header with a kernelspec."""
    text = path.read_text()
    return (
        text.startswith("---") and "kernelspec:" in text.split("---", 2)[1]
    )


def code_chapters() -> list[pathlib.Path]:
    """The executable chapters listed in ``_toc.yml``, in order."""
    return [p for p in map(source_of, toc_files()) if is_notebook(p)]


def to_notebook(src: pathlib.Path, outdir: pathlib.Path) -> pathlib.Path:
    import jupytext

    outdir.mkdir(parents=True, exist_ok=True)
    nb = jupytext.read(src)
    dest = outdir / (src.stem + ".ipynb")
    jupytext.write(nb, dest, fmt="ipynb")
    return dest


# ------------------------------------------------------------ the build's executions
def code_sources(nb: Any) -> list[str]:
    """The sources of the code cells of a notebook, in order."""
    return [c.source for c in nb.cells if c.cell_type == "code"]


def executed_notebook(
    src: pathlib.Path, cache_dir: pathlib.Path | None = None
) -> Any:
    """The notebook of chapter ``src`` as the build executed it, with every output.

    Read from the build's jupyter-cache (``_build/.jupyter_cache``), which keys a
    notebook on its code cells: the chapter is read with myst-nb's reader (as the build
    reads it) and matched there. Unlike ``_build/jupyter_execute/``, the cached copy
    keeps the outputs of ``glue`` cells (the numbers quoted in the prose), so the
    comparison covers them too. Raises ``LookupError`` when the build has not executed
    the current version of the chapter.
    """
    from jupyter_cache import get_cache
    from myst_nb.core.read import myst_nb_reader_plugin

    cache_dir = cache_dir or BUILD / ".jupyter_cache"
    if not cache_dir.exists():
        raise LookupError(
            f"no execution cache at {cache_dir}: build the book first (make build)"
        )
    nb = myst_nb_reader_plugin(str(src.resolve()))
    cache = get_cache(str(cache_dir))
    try:
        _, merged = cache.merge_match_into_notebook(nb)
    except KeyError as exc:
        raise LookupError(
            f"{src.relative_to(ROOT)}: the build's cache has no execution of this version "
            "of the chapter (build the book first: make build)"
        ) from exc
    return merged


def check_same_code(
    src: pathlib.Path, executed: Any, html_dir: pathlib.Path | None = None
) -> None:
    """Assert that the download, the rendered notebook and ``executed`` have the same code cells."""
    import nbformat

    html_dir = html_dir or BUILD / "html"
    rel = src.relative_to(ROOT).with_suffix(".ipynb")
    expected = code_sources(executed)
    for label, path in (
        ("rendered", BUILD / "jupyter_execute" / rel),
        ("download", html_dir / "_notebooks" / rel),
    ):
        if not path.exists():
            raise LookupError(
                f"{path} is missing: build the book first (make build)"
            )
        got = code_sources(nbformat.read(path, as_version=4))
        if got != expected:
            first = next(
                (
                    i
                    for i, (a, b) in enumerate(
                        zip(got, expected, strict=False)
                    )
                    if a != b
                ),
                min(len(got), len(expected)),
            )
            raise AssertionError(
                f"{src.name}: the {label} notebook {path} differs from the "
                f"executed one at code cell {first} ({len(got)} vs {len(expected)} code cells)"
            )


def comparison_key(executed: Any) -> str:
    """Hash of what a comparison depends on: the executed notebook, lib/, requirements, rules."""
    from cache_guard import lib_hash

    h = hashlib.sha256()
    # the code cells and their outputs (not the cell ids, which the reader draws at random)
    cells = [
        [c.source, c.get("outputs", [])]
        for c in executed.cells
        if c.cell_type == "code"
    ]
    h.update(json.dumps(cells, sort_keys=True).encode())
    h.update(lib_hash().encode())
    h.update(SANITIZE.read_bytes())
    return h.hexdigest()


def record_executions(who: str, chapters: list[str]) -> None:
    """Append ``who chapter`` lines to the execution ledger ``_build/executions.log``.

    Every whole-chapter execution of ``make test`` should be recorded here (``who``
    names the stage), so that the ledger printed at the end is the true count.
    """
    LEDGER.parent.mkdir(parents=True, exist_ok=True)
    with open(LEDGER, "a") as fh:
        for c in chapters:
            fh.write(f"{who} {c}\n")


def _junit_outcomes(junit: pathlib.Path) -> dict[str, bool]:
    """Per notebook stem: True when every collected cell passed (or was skipped)."""
    ok: dict[str, bool] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        stem = case.get("classname", "").removesuffix(".ipynb").split(".")[
            -1
        ] or case.get("file", "")
        failed = any(child.tag in ("failure", "error") for child in case)
        ok[stem] = ok.get(stem, True) and not failed
    return ok


def run_nbval(
    notebooks: list[pathlib.Path],
    workdir: pathlib.Path,
    jobs: int = 2,
    capture: bool = False,
) -> tuple[int, dict[str, bool], str]:
    """Run nbval's comparing mode on ``notebooks`` (all inside ``workdir``).

    Returns pytest's exit code, per notebook stem whether every cell matched, and
    pytest's output when ``capture`` (else it goes to the terminal and "" is returned).
    """
    if workdir.resolve().is_relative_to(ROOT):
        raise ValueError(
            f"workdir must be outside the repository, got {workdir}"
        )
    shutil.copy(SANITIZE, workdir / SANITIZE.name)
    (workdir / "pytest.ini").write_text(
        "[pytest]\n"
    )  # rootdir here: no conftest or ini of the repository
    junit = workdir / "junit.xml"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        SANITIZE.name,
        "-p",
        "no:cacheprovider",
        "-q",
        f"--junitxml={junit.name}",
        "-o",
        "junit_family=xunit1",
    ]
    n = max(1, min(jobs, len(notebooks)))
    if n > 1:
        cmd += ["-n", str(n), "--dist", "loadscope"]
    cmd += [p.name for p in notebooks]
    env = {**os.environ, **ONE_THREAD}
    # pytest reports on stdout; stderr carries the kernels' start-up chatter: to a file,
    # shown only when the run fails
    with open(workdir / "stderr.log", "w") as err:
        proc = subprocess.run(
            cmd,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE if capture else None,
            stderr=err,
            text=True,
        )
    stderr = (workdir / "stderr.log").read_text()
    if proc.returncode != 0 and not capture:
        print(stderr[-4000:], file=sys.stderr)
    outcomes = _junit_outcomes(junit) if junit.exists() else {}
    return (
        proc.returncode,
        outcomes,
        (proc.stdout + stderr) if capture else "",
    )


def compare(full: bool = False, jobs: int = 2, keep: bool = False) -> int:
    """The second execution of every chapter, compared with the build's (see the module doc)."""
    import nbformat

    chapters = code_chapters()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="book-nbval-"))
    todo: list[tuple[pathlib.Path, str]] = []
    skipped = []
    for src in chapters:
        executed = executed_notebook(src)
        key = comparison_key(executed)
        stamp = STAMPS / src.stem
        if (
            not full
            and stamp.exists()
            and stamp.read_text().strip() == key
        ):
            skipped.append(src.stem)
            continue
        executed.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nbformat.write(executed, workdir / f"{src.stem}.ipynb")
        todo.append((src, key))
    if skipped:
        print(
            f"compare: {len(skipped)} chapter(s) already compared against the same executed notebook, "
            f"lib/ and rules (stamps in {STAMPS.relative_to(ROOT)}; make test-full or CI=true re-runs them): "
            + ", ".join(skipped)
        )
    if not todo:
        shutil.rmtree(workdir)
        return 0
    print(
        f"compare: re-executing {len(todo)} chapter(s) in {workdir} (outside the repository), "
        f"{min(jobs, len(todo))} at a time",
        flush=True,
    )
    code, outcomes, _ = run_nbval(
        [workdir / f"{src.stem}.ipynb" for src, _ in todo], workdir, jobs
    )
    record_executions(
        "nbval", [str(src.relative_to(ROOT)) for src, _ in todo]
    )
    STAMPS.mkdir(parents=True, exist_ok=True)
    failed = []
    for src, key in todo:
        if outcomes.get(src.stem) is True:
            (STAMPS / src.stem).write_text(key + "\n")
        else:
            (STAMPS / src.stem).unlink(missing_ok=True)
            failed.append(src.stem)
    if code == 0 and failed:
        code = 1  # a notebook collected no test: never stamp it silently
    if code != 0:
        print(
            f"compare: FAILED for {', '.join(failed) or 'the run'}; notebooks kept in {workdir}",
            file=sys.stderr,
        )
    elif not keep:
        shutil.rmtree(workdir)
    return code


def ledger(limit: int = 2) -> int:
    """Print the executions per chapter recorded in the ledger; 1 if one ran more than ``limit`` times."""
    counts: dict[str, list[str]] = {}
    if LEDGER.exists():
        for line in LEDGER.read_text().splitlines():
            who, _, chapter = line.partition(" ")
            counts.setdefault(chapter, []).append(who)
    bad = 0
    for src in code_chapters():
        rel = str(src.relative_to(ROOT))
        runs = counts.get(rel, [])
        flag = "" if len(runs) <= limit else f"  <- more than {limit}"
        bad += bool(flag)
        print(
            f"  {rel}: executed {len(runs)} time(s) ({', '.join(runs) or 'cached'}){flag}"
        )
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the chapter files that contain code")
    nb = sub.add_parser(
        "notebooks", help="convert every chapter to .ipynb"
    )
    nb.add_argument("outdir", type=pathlib.Path)
    cmp_ = sub.add_parser(
        "compare",
        help="nbval's comparing mode over the build's executed notebooks",
    )
    cmp_.add_argument(
        "--all",
        action="store_true",
        help="ignore the stamps (also when CI=true)",
    )
    cmp_.add_argument("--jobs", type=int, default=2)
    cmp_.add_argument(
        "--keep", action="store_true", help="keep the temporary folder"
    )
    led = sub.add_parser(
        "ledger", help="executions per chapter since the ledger was reset"
    )
    led.add_argument(
        "--reset", action="store_true", help="empty the ledger"
    )
    args = parser.parse_args(argv)
    if args.cmd == "list":
        for p in code_chapters():
            print(p.relative_to(ROOT))
        return 0
    if args.cmd == "notebooks":
        for p in code_chapters():
            print(to_notebook(p, args.outdir))
        return 0
    if args.cmd == "compare":
        full = args.all or os.environ.get("CI", "").lower() == "true"
        return compare(full=full, jobs=args.jobs, keep=args.keep)
    if args.reset:
        LEDGER.parent.mkdir(parents=True, exist_ok=True)
        LEDGER.write_text("")
        return 0
    return ledger()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
