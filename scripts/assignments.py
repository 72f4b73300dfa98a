"""Course assignments from the book's chapters, graded offline with otter-grader.

The exercises, their reference solutions and their (public and hidden) tests live in
the chapter sources only, in the format of CONTRIBUTING.md. This script expands that
format into otter-grader's notebook format and leaves assigning and grading to otter:

    python scripts/assignments.py generate OUTDIR [chapters/NN_slug.md ...]
    python scripts/assignments.py grade OUTDIR/NN_slug SUBMISSIONS [--csv FILE]
    python scripts/assignments.py selfcheck OUTDIR/NN_slug

``generate`` writes, for every chapter with graded exercises (default: every chapter
of ``_toc.yml``),

    OUTDIR/NN_slug/master/NN_slug.ipynb        otter master notebook (solutions + tests)
    OUTDIR/NN_slug/dist/student/NN_slug.ipynb  student notebook: solutions are stubs
                                              raising NotImplementedError, no hidden tests
    OUTDIR/NN_slug/dist/autograder/*.zip       autograder (all tests) for ``otter run``

``grade`` runs ``otter run`` (local, no container engine, no network) on every
``.ipynb`` in SUBMISSIONS and writes a CSV of per-question scores (one row per
submission and question, plus a total row) and, per submission, a feedback text file
with the output of every test. ``selfcheck`` grades three synthetic submissions (the
reference solution, the untouched student notebook, a deliberately wrong answer) to
check that an autograder gives full marks, zero, and less than full marks.

The expansion is the only hand-written part (about 200 lines): otter needs raw-cell
markers (``# BEGIN QUESTION`` ...) that a MyST book cannot show, and a stub per
function that the book should not show either. Everything else (stripping solutions
and hidden tests, building the autograder, executing and scoring) is otter's.
"""
from __future__ import annotations

import argparse
import ast
import csv
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import book_reader  # noqa: E402
from chapters import code_chapters  # noqa: E402

OTTER = str(pathlib.Path(sys.executable).parent / "otter")

FENCE_OPEN = re.compile(r"^\s*(`{3,}|:{3,})\{(exercise|exercise-start|solution|solution-start|solution-end)\}(.*)$")
OPTION = re.compile(r"^\s*:([A-Za-z-]+):\s*(.*)$")


class FormatError(ValueError):
    """A chapter does not follow the exercise format of CONTRIBUTING.md."""


@dataclass
class Question:
    name: str
    graded: bool = False
    solution_cells: list[int] = field(default_factory=list)
    test_cells: list[int] = field(default_factory=list)


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _points(cell) -> int:
    for tag in _tags(cell):
        m = re.fullmatch(r"points-(\d+)", tag)
        if m:
            return int(m.group(1))
    return 1


class MarkdownSplitter:
    """Strip solutions from markdown cells and cut them at exercise directives.

    State carries across cells, since a gated ``{solution-start}`` ... ``{solution-end}``
    block spans several cells.
    """

    def __init__(self) -> None:
        self.in_gated_solution = False

    def __call__(self, source: str) -> list[tuple[str | None, str]]:
        lines = source.split("\n")
        pieces: list[tuple[str | None, list[str]]] = [(None, [])]
        i = 0
        while i < len(lines):
            line = lines[i]
            m = FENCE_OPEN.match(line)
            kind = m.group(2) if m else None
            if self.in_gated_solution:
                if kind == "solution-end":
                    self.in_gated_solution = False
                    i = self._skip_block(lines, i, m.group(1))
                    continue
                i += 1
                continue
            if kind == "solution-start":
                self.in_gated_solution = True
                i = self._skip_block(lines, i, m.group(1))
                continue
            if kind == "solution":
                i = self._skip_block(lines, i, m.group(1))
                continue
            if kind in ("exercise", "exercise-start"):
                label = self._label(lines, i)
                if label is None:
                    raise FormatError(f"exercise directive without :label: at line {i + 1}: {line.strip()}")
                pieces.append((label, []))
            pieces[-1][1].append(line)
            i += 1
        out = [(label, "\n".join(body).strip("\n")) for label, body in pieces]
        return [(label, text) for label, text in out if text.strip() or label is not None]

    @staticmethod
    def _label(lines: list[str], start: int) -> str | None:
        for line in lines[start + 1 :]:
            m = OPTION.match(line)
            if not m:
                return None
            if m.group(1) == "label":
                return m.group(2).strip()
        return None

    @staticmethod
    def _skip_block(lines: list[str], start: int, fence: str) -> int:
        """Index after the directive opened at ``start`` (closed by a line equal to ``fence``)."""
        for j in range(start + 1, len(lines)):
            if lines[j].strip() == fence:
                return j + 1
        raise FormatError(f"unclosed directive {lines[start].strip()!r}")


def stub_solution(source: str, question: str) -> str:
    """Wrap each function body of a solution cell in otter's solution/prompt markers.

    The student sees the signature, the docstring and ``raise NotImplementedError``.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise FormatError(f"solution cell of {question} does not parse: {exc}") from exc
    lines = source.split("\n")
    inserts: list[tuple[int, int, str]] = []  # (first body line, last body line, indent) 0-based
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if not isinstance(node, ast.FunctionDef):
            raise FormatError(
                f"solution cell of {question} may contain only imports and function definitions, "
                f"found {type(node).__name__} at line {node.lineno}"
            )
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        if not body:
            raise FormatError(f"function {node.name} in the solution of {question} has no body to grade")
        first = body[0].lineno - 1
        last = node.end_lineno - 1
        indent = " " * body[0].col_offset
        inserts.append((first, last, indent))
    if not inserts:
        raise FormatError(f"solution cell of {question} defines no function")
    for first, last, indent in sorted(inserts, reverse=True):
        stub = [
            f"{indent}# END SOLUTION",
            f'{indent}""" # BEGIN PROMPT',
            f'{indent}raise NotImplementedError("{question}: write this function")',
            f'{indent}""" # END PROMPT',
        ]
        lines[last + 1 : last + 1] = stub
        lines[first:first] = [f"{indent}# BEGIN SOLUTION NO PROMPT"]
    return "\n".join(lines)


def build_master(chapter: pathlib.Path) -> tuple[nbformat.NotebookNode, list[Question]]:
    """The otter master notebook of ``chapter`` and its graded questions."""
    import jupytext

    nb = jupytext.read(chapter)
    split = MarkdownSplitter()
    questions: dict[str, Question] = {}
    current: str | None = None
    # first pass: split markdown, find the question each code cell belongs to
    items: list[tuple[str, object, str | None]] = []  # (kind, payload, question)
    for idx, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for label, text in split(cell.source):
                if label is not None:
                    current = label
                    questions.setdefault(label, Question(label))
                    items.append(("exercise", text, label))
                elif text.strip():
                    items.append(("markdown", text, None))
        elif cell.cell_type == "code":
            tags = _tags(cell)
            if "solution" in tags:
                if current is None:
                    raise FormatError(f"{chapter.name}: solution cell {idx} before any exercise")
                questions[current].graded = True
                questions[current].solution_cells.append(idx)
                items.append(("solution", cell, current))
            elif "test" in tags:
                if current is None:
                    raise FormatError(f"{chapter.name}: test cell {idx} before any exercise")
                questions[current].test_cells.append(idx)
                items.append(("test", cell, current))
            elif split.in_gated_solution:
                continue  # demonstration code inside a solution: book only
            else:
                items.append(("code", cell, None))
        else:
            items.append(("raw", cell, None))
    graded = [q for q in questions.values() if q.graded]
    for q in graded:
        if not q.test_cells:
            raise FormatError(f"{chapter.name}: exercise {q.name} has a solution cell but no test cell")
    for q in questions.values():
        if q.test_cells and not q.graded:
            raise FormatError(f"{chapter.name}: exercise {q.name} has test cells but no solution cell")

    config = {
        "name": chapter.stem,
        "init_cell": True,
        "check_all_cell": False,
        "export_cell": False,
        "solutions_pdf": False,
        "run_tests": False,
        "generate": True,
    }
    cells = [nbformat.v4.new_raw_cell("# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False))]
    open_q: str | None = None
    tests_open = False

    def close_question() -> None:
        nonlocal open_q, tests_open
        if open_q is not None:
            if tests_open:
                cells.append(nbformat.v4.new_raw_cell("# END TESTS"))
            cells.append(nbformat.v4.new_raw_cell("# END QUESTION"))
        open_q, tests_open = None, False

    for kind, payload, qname in items:
        q = questions.get(qname) if qname else None
        if kind == "exercise":
            close_question()
            if q is not None and q.graded:
                pts = [_points(nb.cells[i]) for i in q.test_cells]
                cells.append(nbformat.v4.new_raw_cell(
                    "# BEGIN QUESTION\n" + yaml.safe_dump({"name": q.name, "points": pts}, sort_keys=False)))
                open_q = q.name
            cells.append(nbformat.v4.new_markdown_cell(payload))
        elif kind == "solution":
            if open_q != qname:
                raise FormatError(f"{chapter.name}: solution of {qname} is not inside its exercise")
            cells.append(nbformat.v4.new_raw_cell("# BEGIN SOLUTION"))
            cells.append(nbformat.v4.new_code_cell(stub_solution(payload.source, qname)))
            cells.append(nbformat.v4.new_raw_cell("# END SOLUTION"))
        elif kind == "test":
            if open_q != qname:
                raise FormatError(f"{chapter.name}: test of {qname} is not inside its exercise")
            if not tests_open:
                cells.append(nbformat.v4.new_raw_cell("# BEGIN TESTS"))
                tests_open = True
            src = payload.source
            if "hidden" in _tags(payload):
                src = "# HIDDEN\n" + src
            cells.append(nbformat.v4.new_code_cell(src))
            if nb.cells.index(payload) == q.test_cells[-1]:
                close_question()
        else:
            close_question()
            if kind == "markdown":
                cells.append(nbformat.v4.new_markdown_cell(payload))
            elif kind == "code":
                cell = nbformat.v4.new_code_cell(payload.source)
                cells.append(cell)
            else:
                cells.append(payload)
    close_question()
    master = nbformat.v4.new_notebook()
    master.cells = cells
    master.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    master.metadata["language_info"] = {"name": "python"}
    return master, graded


def generate(outdir: pathlib.Path, chapters: list[pathlib.Path] | None = None) -> list[pathlib.Path]:
    """Write master, student notebook and autograder for each chapter with graded exercises."""
    chapters = chapters or code_chapters()
    made = []
    for chapter in chapters:
        master, graded = build_master(chapter)
        if not graded:
            continue
        base = outdir / chapter.stem
        if base.exists():
            shutil.rmtree(base)
        (base / "master").mkdir(parents=True)
        master_path = base / "master" / f"{chapter.stem}.ipynb"
        nbformat.write(master, master_path)
        proc = subprocess.run([OTTER, "assign", str(master_path), str(base / "dist")],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"otter assign failed for {chapter}:\n{proc.stdout}\n{proc.stderr}")
        # the student notebook in plain Jupyter Markdown + LaTeX, like the downloads (book_reader.py)
        book_reader.convert_student_notebook(base / "dist" / "student" / f"{chapter.stem}.ipynb", chapter)
        made.append(base)
        print(f"{chapter.stem}: {len(graded)} graded question(s) -> {base}")
    return made


def autograder_zip(assignment: pathlib.Path) -> pathlib.Path:
    zips = sorted((assignment / "dist" / "autograder").glob("*.zip"))
    if len(zips) != 1:
        raise FileNotFoundError(f"expected one autograder zip in {assignment}/dist/autograder, found {len(zips)}")
    return zips[0]


def grade_one(assignment: pathlib.Path, submission: pathlib.Path) -> dict:
    """Grade one notebook with ``otter run``; return otter's results.json as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([OTTER, "run", "-a", str(autograder_zip(assignment)), "-o", tmp, str(submission)],
                              capture_output=True, text=True)
        res = pathlib.Path(tmp) / "results.json"
        if not res.exists():
            raise RuntimeError(f"otter run produced no results for {submission}:\n{proc.stdout}\n{proc.stderr}")
        return json.loads(res.read_text())


def scores(results: dict) -> dict[str, tuple[float, float]]:
    """Per-question ``(score, max_score)`` from otter's results (public-test summary row dropped)."""
    out = {}
    for test in results["tests"]:
        if test.get("max_score") is None:
            continue
        out[test["name"]] = (float(test.get("score") or 0.0), float(test["max_score"]))
    return out


def grade(assignment: pathlib.Path, submissions: pathlib.Path, csv_path: pathlib.Path | None = None) -> pathlib.Path:
    """Grade every ``.ipynb`` in ``submissions``; write the score CSV and feedback files."""
    csv_path = csv_path or submissions / "scores.csv"
    rows = []
    for sub in sorted(submissions.glob("*.ipynb")):
        results = grade_one(assignment, sub)
        per_q = scores(results)
        total = sum(s for s, _ in per_q.values())
        possible = sum(p for _, p in per_q.values())
        for q, (s, p) in per_q.items():
            rows.append({"submission": sub.stem, "question": q, "score": s, "possible": p})
        rows.append({"submission": sub.stem, "question": "TOTAL", "score": total, "possible": possible})
        feedback = [f"{sub.name}: {total:g} / {possible:g}", ""]
        for test in results["tests"]:
            if test.get("max_score") is None:
                continue
            feedback += [f"== {test['name']}: {test.get('score')} / {test['max_score']}", test.get("output", ""), ""]
        (submissions / f"{sub.stem}.feedback.txt").write_text("\n".join(feedback))
        print(f"{sub.name}: {total:g} / {possible:g}")
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["submission", "question", "score", "possible"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"scores written to {csv_path}")
    return csv_path


WRONG_ANSWER_WRAPPER = """

def _perturb_answer(value):
    import numbers
    import numpy as _np
    if isinstance(value, bool):
        return not value
    if isinstance(value, numbers.Integral):
        return value + 1
    if isinstance(value, numbers.Number):
        return value * 1.1 + 0.1
    if isinstance(value, _np.ndarray):
        return value * 1.1 + 0.1
    try:
        import torch as _torch
        if isinstance(value, _torch.Tensor):
            return value * 1.1 + 0.1
    except ImportError:
        pass
    if isinstance(value, (tuple, list)):
        return type(value)(_perturb_answer(v) for v in value)
    return None


def _make_wrong(fn):
    def wrong(*args, **kwargs):
        return _perturb_answer(fn(*args, **kwargs))
    wrong.__name__ = fn.__name__
    return wrong
"""


def _solution_sources(chapter: pathlib.Path) -> list[tuple[str, str]]:
    """``(question, source)`` of every solution cell of ``chapter``, in order."""
    import jupytext

    nb = jupytext.read(chapter)
    _, graded = build_master(chapter)
    return [(q.name, nb.cells[i].source) for q in graded for i in q.solution_cells]


def make_submission(assignment: pathlib.Path, chapter: pathlib.Path, mode: str) -> nbformat.NotebookNode:
    """A synthetic submission built from the student notebook, to check an autograder.

    ``mode`` is ``"stub"`` (the untouched student notebook), ``"reference"`` (each
    answer cell replaced by the reference solution) or ``"wrong"`` (the reference
    solution with every function's return value perturbed: numbers x -> 1.1 x + 0.1,
    integers x -> x + 1, booleans negated, other objects -> None).
    """
    if mode not in ("stub", "reference", "wrong"):
        raise ValueError(f"mode must be 'stub', 'reference' or 'wrong', got {mode!r}")
    student = nbformat.read(assignment / "dist" / "student" / f"{chapter.stem}.ipynb", as_version=4)
    if mode == "stub":
        return student
    sources = _solution_sources(chapter)
    answers = [c for c in student.cells if "otter_answer_cell" in _tags(c)]
    if len(answers) != len(sources):
        raise RuntimeError(f"{chapter.stem}: {len(answers)} answer cells but {len(sources)} solution cells")
    for cell, (question, src) in zip(answers, sources):
        if mode == "reference":
            cell.source = src
        else:
            names = [n.name for n in ast.parse(src).body if isinstance(n, ast.FunctionDef)]
            cell.source = src + WRONG_ANSWER_WRAPPER + "".join(f"\n{n} = _make_wrong({n})" for n in names) + "\n"
    return student


def selfcheck(assignment: pathlib.Path, chapter: pathlib.Path) -> dict[str, dict[str, tuple[float, float]]]:
    """Grade the stub, reference and wrong submissions of a chapter; return their per-question scores."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("reference", "stub", "wrong"):
            path = pathlib.Path(tmp) / f"{chapter.stem}.ipynb"
            nbformat.write(make_submission(assignment, chapter, mode), path)
            out[mode] = scores(grade_one(assignment, path))
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write student notebooks and autograders")
    g.add_argument("outdir", type=pathlib.Path)
    g.add_argument("chapters", nargs="*", type=pathlib.Path)
    r = sub.add_parser("grade", help="grade a folder of submitted notebooks")
    r.add_argument("assignment", type=pathlib.Path, help="OUTDIR/<chapter> written by generate")
    r.add_argument("submissions", type=pathlib.Path, help="folder of .ipynb submissions")
    r.add_argument("--csv", type=pathlib.Path, default=None)
    c = sub.add_parser("selfcheck", help="grade reference, stub and wrong answers of a generated assignment")
    c.add_argument("assignment", type=pathlib.Path, help="OUTDIR/<chapter> written by generate")
    args = parser.parse_args(argv)
    if args.cmd == "generate":
        chapters = [c.resolve() for c in args.chapters] or None
        generate(args.outdir.resolve(), chapters)
    elif args.cmd == "grade":
        grade(args.assignment.resolve(), args.submissions.resolve(), args.csv)
    else:
        assignment = args.assignment.resolve()
        chapter = ROOT / "chapters" / f"{assignment.name}.md"
        for mode, per_q in selfcheck(assignment, chapter).items():
            print(mode, {q: f"{s:g}/{p:g}" for q, (s, p) in per_q.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
