"""Every chapter, executed twice in fresh kernels, prints the same text.

This is the book's determinism check: seeds, thread counts and algorithms are fixed,
so the text outputs (stdout and text/plain results) of two runs must be identical.
Images are not compared (their bytes depend on matplotlib's font cache); errors fail.
"""
from __future__ import annotations

import os
import time

import nbformat
import pytest
from nbclient import NotebookClient

from chapters import code_chapters

BUDGET_S = 45.0


def _text_outputs(nb) -> list[str]:
    # stdout of a cell may arrive in several stream messages, split differently from run
    # to run: compare the concatenated text of each cell, not the messages.
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        stdout = "".join(o["text"] for o in cell.get("outputs", [])
                         if o.get("output_type") == "stream" and o.get("name") == "stdout")
        if stdout:
            out.append(f"[{i}] {stdout}")
        for o in cell.get("outputs", []):
            if o.get("output_type") in ("execute_result", "display_data") and "text/plain" in o.get("data", {}):
                if not any(k.startswith("image/") for k in o["data"]):
                    out.append(f"[{i}] {o['data']['text/plain']}")
    return out


def _execute(path, workdir):
    import jupytext

    nb = jupytext.read(path)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


@pytest.mark.slow
@pytest.mark.parametrize("chapter", code_chapters(), ids=lambda p: p.stem)
def test_two_runs_print_the_same_text(chapter, tmp_path):
    first, t1 = _execute(chapter, tmp_path)
    second, t2 = _execute(chapter, tmp_path)
    a, b = _text_outputs(first), _text_outputs(second)
    assert a == b, f"{chapter.name}: text outputs differ between two runs"
    print(f"{chapter.stem}: executed in {t1:.1f} s and {t2:.1f} s")
    if os.environ.get("BOOK_ENFORCE_BUDGET") == "1":
        assert min(t1, t2) <= BUDGET_S, f"{chapter.name}: {min(t1, t2):.1f} s exceeds the {BUDGET_S} s budget"
