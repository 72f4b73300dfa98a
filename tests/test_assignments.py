"""Course assignments: for every chapter with graded exercises, the generated
autograder gives the reference solution full marks, the untouched student notebook
zero on every graded question, and a deliberately wrong answer less than full marks.
"""
from __future__ import annotations

import pathlib

import nbformat
import pytest

from assignments import generate, make_submission, selfcheck
from chapters import code_chapters

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    return tmp_path_factory.mktemp("assignments")


@pytest.mark.slow
@pytest.mark.parametrize("chapter", code_chapters(), ids=lambda p: p.stem)
def test_assignment_grades_reference_stub_and_wrong(chapter, outdir):
    made = generate(outdir, [chapter])
    assert made, f"{chapter.name}: no graded exercise, so no assignment"
    assignment = made[0]
    student = nbformat.read(assignment / "dist" / "student" / f"{chapter.stem}.ipynb", as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "NotImplementedError" in text
    assert "# HIDDEN" not in text, "hidden tests leaked into the student notebook"
    assert "BEGIN SOLUTION" not in text and "solution-start" not in text, "solutions leaked"
    results = selfcheck(assignment, chapter)
    for question, (score, possible) in results["reference"].items():
        assert possible > 0 and score == possible, f"{question}: reference solution scored {score}/{possible}"
    for question, (score, possible) in results["stub"].items():
        assert score == 0, f"{question}: untouched stub scored {score}/{possible}"
    for question, (score, possible) in results["wrong"].items():
        assert score < possible, f"{question}: a wrong answer kept full marks ({score}/{possible})"


def test_wrong_submission_changes_every_answer(tmp_path):
    chapter = ROOT / "chapters" / "01_approximation.md"
    (assignment,) = generate(tmp_path, [chapter])
    wrong = make_submission(assignment, chapter, "wrong")
    answers = [c for c in wrong.cells if "otter_answer_cell" in c.get("metadata", {}).get("tags", [])]
    assert answers and all("_make_wrong(" in c.source for c in answers)
    with pytest.raises(ValueError, match="mode"):
        make_submission(assignment, chapter, "nonsense")
