"""The build's execution cache: keep it honest, and fill it with both cores.

``python scripts/cache_guard.py``
    clears ``_build/.jupyter_cache`` when the shared package changed. jupyter-cache
    keys a notebook's outputs on its code cells only, so an edit of ``lib/`` alone
    would let ``jupyter-book build`` serve stale outputs. The script hashes every file
    under ``lib/`` and the pinned requirements and, when the hash differs from the one
    recorded at the last build, deletes the cache and Sphinx's saved environment
    (``_build/.doctrees``), so that every page is read again.

``python scripts/cache_guard.py --execute [--jobs N]``
    does the same, then executes every chapter of ``_toc.yml`` whose code has no
    cached outputs, ``N`` chapters at a time (default 2, the machine's two cores),
    into the same cache that ``jupyter-book build`` (``execute_notebooks: cache``)
    reads. The build then finds every chapter in the cache and executes nothing: this
    is the one execution of a chapter by the build. The doctree of an executed chapter
    is deleted, so that Sphinx reads its page again with the new outputs (it re-reads
    only pages whose source or doctree changed). Each kernel gets one BLAS/OpenMP
    thread (``OMP_NUM_THREADS=1`` ...), so two kernels share the two cores without
    oversubscription. A chapter whose execution fails stops the script (exit code 1)
    with the failing cell's traceback, before the build starts.

Notebooks are read with myst-nb's own reader (``myst_nb_md``), the reader the build
uses, and executed in the chapter's folder, as the build does (``run_in_temp:
false``), so the cached record is the one the build matches. Every execution is
appended to ``_build/executions.log`` (see ``scripts/chapters.py ledger``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import pathlib
import shutil
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
STAMP = ROOT / "_build" / ".lib-hash"
LEDGER = ROOT / "_build" / "executions.log"
SECONDS = ROOT / "_build" / ".execution-seconds.json"
DOCTREES = ROOT / "_build" / ".doctrees"
KERNEL_LOG = ROOT / "_build" / "kernels.log"
#: How jupyter-cache reads a MyST Markdown notebook: myst-nb's reader, as in the build.
READ_DATA = {"name": "myst_nb_md", "type": "plugin"}
#: One BLAS / OpenMP thread per kernel (the kernels inherit the environment).
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

sys.path.insert(0, str(ROOT / "scripts"))


def lib_hash() -> str:
    """SHA-256 of every source file under ``lib/`` (path and bytes) and of ``requirements.txt``.

    Build products are left out: ``__pycache__`` and the ``*.egg-info`` metadata that
    ``pip install -e .`` and ``make dist`` rewrite (they would make every run look cold).
    """
    h = hashlib.sha256()
    files = sorted(
        p
        for p in (ROOT / "lib").rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not any(q.endswith(".egg-info") for q in p.parts)
    )
    files.append(ROOT / "requirements.txt")
    for p in files:
        if p.exists():
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def guard() -> None:
    """Delete the execution cache and Sphinx's saved environment when ``lib/`` or the
    requirements changed since the last build.

    Sphinx re-reads a page only when its source (or its doctree) changed, so without
    the second deletion the chapters and the package reference (autodoc) would keep
    the HTML of the old package.
    """
    new = lib_hash()
    old = STAMP.read_text().strip() if STAMP.exists() else None
    if old != new:
        for folder in (CACHE, DOCTREES):
            if folder.exists():
                shutil.rmtree(folder)
                print(
                    f"cache_guard: lib/ or requirements.txt changed, cleared {os.path.relpath(folder, ROOT)}"
                )
        STAMP.parent.mkdir(parents=True, exist_ok=True)
        STAMP.write_text(new + "\n")


def record_execution(who: str, chapter: str) -> None:
    """Append ``who chapter`` to the execution ledger ``_build/executions.log``."""
    LEDGER.parent.mkdir(parents=True, exist_ok=True)
    with open(LEDGER, "a") as fh:
        fh.write(f"{who} {chapter}\n")


def _execute_one(
    args: tuple[int, str, int],
) -> tuple[str, float, str | None]:
    """Worker: execute one project notebook of the cache and store its outputs."""
    from jupyter_cache import get_cache
    from jupyter_cache.executors.utils import (
        create_cache_bundle,
        single_nb_execution,
    )

    pk, uri, timeout = args
    # the kernels inherit this worker's stderr: keep their start-up chatter in a log file
    # (a failing cell's traceback comes back in the result, not through stderr)
    with open(KERNEL_LOG, "a") as log:
        os.dup2(log.fileno(), 2)
    cache = get_cache(str(CACHE))
    project_nb = cache.get_project_notebook(pk)
    start = time.perf_counter()
    result = single_nb_execution(
        project_nb.nb,
        cwd=str(pathlib.Path(uri).parent),
        timeout=timeout,
        allow_errors=False,
    )
    elapsed = time.perf_counter() - start
    if result.err is not None:
        return uri, elapsed, result.exc_string or repr(result.err)
    bundle = create_cache_bundle(
        project_nb, result.cwd, None, result.time, result.exc_string
    )
    cache.cache_notebook_bundle(
        bundle, check_validity=False, overwrite=True
    )
    return uri, elapsed, None


def execute(jobs: int = 2, timeout: int | None = None) -> int:
    """Execute, ``jobs`` at a time, every chapter without cached outputs; return an exit code."""
    from jupyter_cache import get_cache

    from chapters import code_chapters

    os.environ.update(ONE_THREAD)
    timeout = timeout or config_timeout()
    cache = get_cache(str(CACHE))
    chapters = [str(p) for p in code_chapters()]
    records = {}
    for uri in chapters:
        records[uri] = cache.add_nb_to_project(uri, read_data=READ_DATA)
    todo = [r for r in cache.list_unexecuted(filter_uris=chapters)]
    cached = len(chapters) - len(todo)
    print(
        f"execute: {len(todo)} chapter(s) to execute, {cached} from the cache, {jobs} at a time",
        flush=True,
    )
    if not todo:
        return 0
    # longest first (seconds of the last execution, kept across cache clears), so that
    # the two workers finish close together
    seconds = _seconds()
    todo.sort(
        key=lambda r: (
            -seconds.get(str(pathlib.Path(r.uri).relative_to(ROOT)), 0.0)
        )
    )
    failures = []
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(processes=max(1, min(jobs, len(todo)))) as pool:
        for uri, elapsed, err in pool.imap_unordered(
            _execute_one, [(r.pk, r.uri, timeout) for r in todo]
        ):
            rel = pathlib.Path(uri).relative_to(ROOT)
            record_execution("build", str(rel))
            # the build must re-read the page to show the new outputs: Sphinx re-reads a
            # page whose doctree is missing
            (DOCTREES / rel.with_suffix(".doctree")).unlink(
                missing_ok=True
            )
            if err is None:
                seconds[str(rel)] = round(elapsed, 1)
                print(f"execute: {rel} in {elapsed:.1f} s", flush=True)
            else:
                print(
                    f"execute: {rel} FAILED after {elapsed:.1f} s\n{err}",
                    flush=True,
                )
                failures.append(str(rel))
    SECONDS.write_text(
        json.dumps(seconds, indent=1, sort_keys=True) + "\n"
    )
    if failures:
        print(
            f"execute: {len(failures)} chapter(s) failed: {', '.join(failures)}",
            file=sys.stderr,
        )
        return 1
    return 0


def config_timeout() -> int:
    """The per-cell timeout of the build (``execute: timeout`` of ``_config.yml``)."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return int((config.get("execute") or {}).get("timeout", 30))


def _seconds() -> dict[str, float]:
    """Seconds of the last execution of each chapter (``_build/.execution-seconds.json``)."""
    try:
        return {
            str(k): float(v)
            for k, v in json.loads(SECONDS.read_text()).items()
        }
    except (OSError, ValueError, AttributeError):
        return {}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--execute",
        action="store_true",
        help="fill the cache, JOBS chapters at a time",
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--timeout",
        type=int,
        default=None,
        help="seconds per cell (default: _config.yml's)",
    )
    args = parser.parse_args(argv)
    guard()
    if args.execute:
        return execute(args.jobs, args.timeout or config_timeout())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
