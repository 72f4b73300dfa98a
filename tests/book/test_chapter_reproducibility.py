"""Reproducibility: a chapter executed a second time prints what the build printed.

``make test`` checks every chapter this way (``scripts/chapters.py compare``): the
build executes each chapter once (``scripts/cache_guard.py --execute`` fills the
jupyter-cache that ``jupyter-book build`` reads); nbval's comparing mode then executes
the build's notebooks once more, in a fresh kernel in a temporary folder outside the
repository, and compares every cell's outputs with the build's (glue records
included) after the rules of ``tests/nbval_sanitize.cfg``. Images are not compared:
their bytes depend on the font cache.

The tests below check that mechanism itself on small synthetic notebooks (a few
seconds): an identical second run passes, with glue records, figures and memory
addresses in the outputs; a run that prints different text fails, and the report
names the cell and shows both outputs; the sanitize rules mask what legitimately
varies and never a printed number.
"""

from __future__ import annotations

import pathlib
import re
import textwrap

import nbformat
import pytest
from nbclient import NotebookClient
from nbval.plugin import get_sanitize_patterns

from chapters import ROOT, SANITIZE, run_nbval

CELLS = [
    "import matplotlib.pyplot as plt\nfrom myst_nb import glue",
    "print('the rate is', 1 / 3)",
    "glue('rate', f'{1 / 3:.4f}', display=False)",
    "fig, ax = plt.subplots()\nax.plot([0, 1], [0, 1])\nglue('fig', fig, display=False)\nplt.show()",
    "print(object())  # a memory address: masked",
    "1 / 7",
]


#: What the comparison's own checks read (for the warm-run stamps).
COMPARE_INPUTS = (
    ROOT / "scripts" / "chapters.py",
    ROOT / "tests" / "nbval_sanitize.cfg",
    ROOT / "lib",
)


def _executed_notebook(
    folder: pathlib.Path, cells: list[str] = CELLS
) -> pathlib.Path:
    """A notebook executed once with nbclient (the stand-in for the build's run)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    path = folder / "chapter.ipynb"
    nbformat.write(nb, path)
    return path


def _rules() -> list[tuple[str, str]]:
    return get_sanitize_patterns(SANITIZE.read_text())


def _sanitize(text: str) -> str:
    for regex, replace in _rules():
        text = re.sub(regex, replace, text)
    return text


def test_sanitize_rules_mask_what_varies_and_no_number():
    assert len(_rules()) == 4
    assert (
        _sanitize("<function f at 0x7f3a2b1c9d30>")
        == "<function f at 0x<address>>"
    )
    assert (
        _sanitize("/tmp/ipykernel_12345/4021.py:3: UserWarning")
        == "<ipykernel cell>:3: UserWarning"
    )
    assert (
        _sanitize("CPU times: user 2 s\nWall time: 1.02 s\nresult 3")
        == "<timing>\n<timing>\nresult 3"
    )
    assert (
        _sanitize("iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB\nCAYAAAA=")
        == "<png image>"
    )
    # printed numbers survive: decimals, exponents, hex-looking short words, times in a model
    for text in (
        "E_m = 1.234e-05 at m = 0x10",
        "T = 0.5 s, dt = 1e-3 s",
        "slope -3.50 (R^2 = 0.9999)",
        "cafe 0xABC",
        "Wall-clock is not printed",
    ):
        assert _sanitize(text) == text


@pytest.mark.slow
def test_identical_second_run_passes(tmp_path, stamped):
    stamped(*COMPARE_INPUTS)
    nb = _executed_notebook(tmp_path)
    outputs = {
        k
        for c in nbformat.read(nb, as_version=4).cells
        for o in c.outputs
        for k in o.get("data", {})
    }
    assert {
        "application/papermill.record/text/plain",
        "application/papermill.record/image/png",
        "image/png",
        "text/plain",
    } <= outputs  # the comparison sees glue records and figures
    code, outcomes, log = run_nbval([nb], tmp_path, jobs=1, capture=True)
    assert code == 0, log
    assert outcomes == {"chapter": True}


@pytest.mark.slow
def test_different_text_fails_and_shows_the_cell(tmp_path, stamped):
    stamped(*COMPARE_INPUTS)
    nb_path = _executed_notebook(tmp_path)
    nb = nbformat.read(nb_path, as_version=4)
    # the build's run printed something else in cell 1 (a nondeterministic chapter)
    nb.cells[1].outputs[0]["text"] = "the rate is 0.3333333333333334\n"
    # and glued another value in cell 2
    record = nb.cells[2].outputs[0]["data"]
    record["application/papermill.record/text/plain"] = "'0.3334'"
    nbformat.write(nb, nb_path)
    code, outcomes, log = run_nbval(
        [nb_path], tmp_path, jobs=1, capture=True
    )
    assert code != 0 and outcomes == {"chapter": False}
    assert (
        "chapter.ipynb::Cell 1" in log and "chapter.ipynb::Cell 2" in log
    )
    assert (
        "0.3333333333333334" in log and "0.3333333333333333" in log
    )  # both outputs are shown
    assert "'0.3334'" in log and "'0.3333'" in log
    assert (
        "chapter.ipynb::Cell 4" not in log.split("short test summary")[-1]
    )  # the address is masked


def test_comparison_refuses_a_folder_inside_the_repository(tmp_path):
    with pytest.raises(ValueError, match="outside the repository"):
        run_nbval([], pathlib.Path(__file__).parent)


def test_sanitize_file_is_documented():
    text = SANITIZE.read_text()
    assert text.count("regex: ") == text.count("replace: ") == 4
    assert (
        textwrap.dedent(text) == text
    )  # nbval reads `regex:` / `replace:` at the start of a line
