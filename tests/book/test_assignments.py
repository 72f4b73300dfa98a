"""Course assignments: for every chapter with graded exercises, the generated
autograder gives the reference solution full marks, the untouched student notebook
zero on every graded question, and a deliberately wrong answer less than full marks.

The three gradings run on submissions cut down to what grading needs (the setup cell,
the answer cells, otter's cells and the chapter cells the answers and the tests depend
on: ``assignments.grading_slice``), not on whole chapters: the build already executes
every chapter with its reference solutions and tests. They share one kernel per
chapter (``assignments.selfcheck_one_kernel``: the slice runs once, then each
submission's answers are graded by otter's checker with the tests of the chapter's
autograder zip); one chapter is also graded end to end with ``otter run``, which must
give the same scores. The slicing itself is tested on small synthetic notebooks below,
without any execution. Each chapter's assignment is generated once a run and shared
with the student-notebook checks (``assignment_of``, tests/book/conftest.py).
"""

from __future__ import annotations

import pathlib

import nbformat
import pytest

from assignments import (
    GLOBAL_RNG,
    cell_names,
    grading_slice,
    make_submission,
    reduce_to_grading,
    selfcheck,
    selfcheck_one_kernel,
    student_notebook,
)
from chapters import code_chapters

ROOT = pathlib.Path(__file__).resolve().parents[2]


#: What an assignment check reads besides its chapter (for the warm-run stamps of
#: tests/conftest.py): the package and the expander.
ASSIGNMENT_INPUTS = (ROOT / "lib", ROOT / "scripts" / "assignments.py")


@pytest.mark.slow
@pytest.mark.parametrize("chapter", code_chapters(), ids=lambda p: p.stem)
def test_assignment_grades_reference_stub_and_wrong(
    chapter, assignment_of, stamped
):
    # `make test` skips a chapter checked before with the same source, lib/, requirements
    # and expander; `make test-full` and CI=true check every chapter
    stamped(chapter, *ASSIGNMENT_INPUTS)
    assignment = assignment_of(
        chapter
    )  # made once a run (tests/book/conftest.py)
    assert assignment, (
        f"{chapter.name}: no graded exercise, so no assignment"
    )
    student = nbformat.read(
        student_notebook(assignment, chapter),
        as_version=4,
    )
    text = "\n".join(c.source for c in student.cells)
    assert "NotImplementedError" in text
    assert "# HIDDEN" not in text, (
        "hidden tests leaked into the student notebook"
    )
    assert "BEGIN SOLUTION" not in text and "solution-start" not in text, (
        "solutions leaked"
    )
    _, kept, total = reduce_to_grading(student, chapter)
    print(f"{chapter.stem}: grading executes {kept} of {total} code cells")
    results = selfcheck_one_kernel(assignment, chapter)
    for question, (score, possible) in results["reference"].items():
        assert possible > 0 and score == possible, (
            f"{question}: reference solution scored {score}/{possible}"
        )
    for question, (score, possible) in results["stub"].items():
        assert score == 0, (
            f"{question}: untouched stub scored {score}/{possible}"
        )
    for question, (score, possible) in results["wrong"].items():
        assert score < possible, (
            f"{question}: a wrong answer kept full marks ({score}/{possible})"
        )
    assert (
        set(results["reference"])
        == set(results["stub"])
        == set(results["wrong"])
        and results["reference"]
    )


@pytest.mark.slow
def test_one_kernel_grading_agrees_with_otter_run(assignment_of, stamped):
    """``otter run`` (the autograder end to end) and the one-kernel self-check give the same scores."""
    chapter = (
        ROOT / "chapters" / "05_optimal_control.md"
    )  # the smallest grading slice
    stamped(chapter, *ASSIGNMENT_INPUTS)
    assignment = assignment_of(chapter)
    fast = selfcheck_one_kernel(assignment, chapter)
    slow = selfcheck(assignment, chapter, modes=("reference", "wrong"))
    assert slow == {m: fast[m] for m in ("reference", "wrong")}


def test_wrong_submission_changes_every_answer(assignment_of):
    chapter = ROOT / "chapters" / "01_approximation.md"
    assignment = assignment_of(chapter)
    wrong = make_submission(assignment, chapter, "wrong")
    answers = [
        c
        for c in wrong.cells
        if "otter_answer_cell" in c.get("metadata", {}).get("tags", [])
    ]
    assert answers and all("_make_wrong(" in c.source for c in answers)
    with pytest.raises(ValueError, match="mode"):
        make_submission(assignment, chapter, "nonsense")
    # the reduced submission keeps otter's cells, the setup cell and every answer cell
    reduced = make_submission(assignment, chapter, "wrong", reduced=True)
    code = [c for c in reduced.cells if c.cell_type == "code"]
    assert code[0].source.startswith("# Initialize Otter")
    assert (
        "dynapprox" in code[1].source and "%pip install" in code[1].source
    )
    assert "rng = setup()" in code[2].source
    assert [
        c.source
        for c in code
        if "otter_answer_cell" in c.metadata.get("tags", [])
    ] == [c.source for c in answers]
    assert sum('grader.check("' in c.source for c in code) == len(answers)


# ----------------------------------------------------------------- the slicer, alone
MODULES = {"np", "plt", "torch"}


def test_cell_names_reads_before_binding_and_scopes():
    s = cell_names(
        "y = x + 1\nfor a in b:\n    print(a)\nz = [k * c for k in y]\n",
        MODULES,
    )
    assert s.loads >= {"x", "b", "c"} and not s.loads & {
        "a",
        "k",
        "y",
        "z",
    }
    assert s.strong == {"y", "z"} and "a" in s.binds
    s = cell_names("def f(u):\n    return u * g\nx = x + 1\n", MODULES)
    assert (
        "g" in s.loads and "u" not in s.loads and "x" in s.loads
    )  # x = x + 1 reads x first
    s = cell_names("%matplotlib inline\nimport numpy as np\n", MODULES)
    assert s.strong == {"np"}


def test_cell_names_mutations():
    s = cell_names(
        "net.train()\nd[0] = 1\nobj.attr = 2\nfit(model, data)\nax.plot(t, y)\nnp.sum(w)\n",
        MODULES,
    )
    assert s.mutates >= {"net", "d", "obj", "model", "data", "ax"}
    assert not s.mutates & {
        "t",
        "y",
        "w",
        "np",
    }  # drawing and numpy functions leave their arguments alone
    assert (
        GLOBAL_RNG in cell_names("w = torch.randn(3)\n", MODULES).mutates
    )
    assert (
        GLOBAL_RNG
        in cell_names("layer = torch.nn.Linear(2, 3)\n", MODULES).mutates
    )
    assert (
        GLOBAL_RNG
        not in cell_names(
            "g = np.random.default_rng(0)\n", MODULES
        ).mutates
    )


def test_grading_slice_follows_data_mutation_and_random_state():
    cells = [
        "import numpy as np\nimport torch\nrng = np.random.default_rng(0)",  # 0 setup
        "big = heavy_figure()",  # 1 unrelated
        "data = rng.normal(size=5)",  # 2 draws from rng
        "other = rng.normal(size=3)",  # 3 also advances rng
        "data2 = data * 2",  # 4
        "plot_something(big)",  # 5 unrelated
        "history = []\nhistory.append(1)",  # 6 unrelated
        "def answer(x):\n    return x + offset",  # 7 answer (uses a global)
        "offset = 3",  # 8 read by answer() at call time
        "w = torch.randn(2)",  # 9 global random state
        "v = torch.randn(2)",  # 10 needed by the test
    ]
    keep = grading_slice(
        cells,
        always={0, 7},
        extra_loads=[
            "assert answer(data2) is not None\nassert v is not None"
        ],
    )
    # data2 <- data <- rng; the draw in cell 3 happens after cell 2, so it is not needed;
    # offset (read inside answer) is kept; v's draw needs the earlier draw of cell 9
    assert keep == [0, 2, 4, 7, 8, 9, 10]
    # a change in place after the binding is kept (x.append), an unrelated binding is not
    keep = grading_slice(
        ["x = []", "x.append(1)", "y = 0"],
        always=set(),
        extra_loads=["assert x == [1]"],
    )
    assert keep == [0, 1]
