"""Course assignments from the book's chapters, graded offline with otter-grader.

The exercises, their reference solutions and their (public and hidden) tests live in
the chapter sources only, in the format of CONTRIBUTING.md. This script expands that
format into otter-grader's notebook format and leaves assigning and grading to otter:

    python scripts/assignments.py generate OUTDIR [chapters/NN_slug.md ...]
    python scripts/assignments.py grade OUTDIR/NN_slug SUBMISSIONS [--csv FILE]
    python scripts/assignments.py selfcheck OUTDIR/NN_slug [--whole]

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

The expansion is the only hand-written part: otter needs raw-cell markers
(``# BEGIN QUESTION`` ...) that a MyST book cannot show, and a stub per function that
the book should not show either. Everything else (stripping solutions and hidden
tests, building the autograder, executing and scoring) is otter's.

Grading slices. A self-check need not execute a whole chapter: ``grading_slice`` keeps
the cells that grading needs (the setup cell, the answers, and, by a conservative
backward def-use analysis of the cells' names, every cell that binds or may change a
name that the answers or the tests read, including the global random state), and
``selfcheck`` grades such slices with ``otter run`` (``--whole``: whole notebooks).
``selfcheck_one_kernel`` (used by ``make test``) runs the three gradings in one kernel,
with otter's checker and the tests of the autograder's zip.
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
import symtable
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import book_reader  # noqa: E402
from chapters import code_chapters  # noqa: E402

OTTER = str(pathlib.Path(sys.executable).parent / "otter")

FENCE_OPEN = re.compile(
    r"^\s*(`{3,}|:{3,})\{(exercise|exercise-start|solution|solution-start|solution-end)\}(.*)$"
)
OPTION = re.compile(r"^\s*:([A-Za-z-]+):\s*(.*)$")


class FormatError(ValueError):
    """A chapter does not follow the exercise format of CONTRIBUTING.md."""


@dataclass
class Question:
    name: str
    graded: bool = False
    solution_cells: list[int] = field(default_factory=list)
    test_cells: list[int] = field(default_factory=list)


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _points(cell: Any) -> int:
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
            fence = m.group(1) if m else ""
            if self.in_gated_solution:
                if kind == "solution-end":
                    self.in_gated_solution = False
                    i = self._skip_block(lines, i, fence)
                    continue
                i += 1
                continue
            if kind == "solution-start":
                self.in_gated_solution = True
                i = self._skip_block(lines, i, fence)
                continue
            if kind == "solution":
                i = self._skip_block(lines, i, fence)
                continue
            if kind in ("exercise", "exercise-start"):
                label = self._label(lines, i)
                if label is None:
                    raise FormatError(
                        f"exercise directive without :label: at line {i + 1}: {line.strip()}"
                    )
                pieces.append((label, []))
            pieces[-1][1].append(line)
            i += 1
        out = [
            (label, "\n".join(body).strip("\n")) for label, body in pieces
        ]
        return [
            (label, text)
            for label, text in out
            if text.strip() or label is not None
        ]

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
        raise FormatError(
            f"solution cell of {question} does not parse: {exc}"
        ) from exc
    lines = source.split("\n")
    inserts: list[
        tuple[int, int, str]
    ] = []  # (first body line, last body line, indent) 0-based
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if not isinstance(node, ast.FunctionDef):
            raise FormatError(
                f"solution cell of {question} may contain only imports and function definitions, "
                f"found {type(node).__name__} at line {node.lineno}"
            )
        body = node.body
        head = body[0] if body else None
        if (
            isinstance(head, ast.Expr)
            and isinstance(head.value, ast.Constant)
            and isinstance(head.value.value, str)
        ):
            body = body[1:]
        if not body:
            raise FormatError(
                f"function {node.name} in the solution of {question} has no body to grade"
            )
        first = body[0].lineno - 1
        last = (node.end_lineno or node.lineno) - 1
        indent = " " * body[0].col_offset
        inserts.append((first, last, indent))
    if not inserts:
        raise FormatError(
            f"solution cell of {question} defines no function"
        )
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


def build_master(
    chapter: pathlib.Path,
) -> tuple[nbformat.NotebookNode, list[Question]]:
    """The otter master notebook of ``chapter`` and its graded questions."""
    import jupytext

    nb = jupytext.read(chapter)
    split = MarkdownSplitter()
    questions: dict[str, Question] = {}
    current: str | None = None
    # first pass: split markdown, find the question each code cell belongs to
    # (kind, payload: a cell or markdown text, question)
    items: list[tuple[str, Any, str | None]] = []
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
                    raise FormatError(
                        f"{chapter.name}: solution cell {idx} before any exercise"
                    )
                questions[current].graded = True
                questions[current].solution_cells.append(idx)
                items.append(("solution", cell, current))
            elif "test" in tags:
                if current is None:
                    raise FormatError(
                        f"{chapter.name}: test cell {idx} before any exercise"
                    )
                questions[current].test_cells.append(idx)
                items.append(("test", cell, current))
            elif split.in_gated_solution:
                continue  # demonstration code inside a solution: book only
            else:
                items.append(("code", cell, None))
        else:
            items.append(("raw", cell, None))
    graded = [q for q in questions.values() if q.graded]
    q: Question | None
    for q in graded:
        if not q.test_cells:
            raise FormatError(
                f"{chapter.name}: exercise {q.name} has a solution cell but no test cell"
            )
    for q in questions.values():
        if q.test_cells and not q.graded:
            raise FormatError(
                f"{chapter.name}: exercise {q.name} has test cells but no solution cell"
            )

    config = {
        "name": chapter.stem,
        "init_cell": True,
        "check_all_cell": False,
        "export_cell": False,
        "solutions_pdf": False,
        "run_tests": False,
        "generate": True,
    }
    cells = [
        nbformat.v4.new_raw_cell(
            "# ASSIGNMENT CONFIG\n"
            + yaml.safe_dump(config, sort_keys=False)
        )
    ]
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
                cells.append(
                    nbformat.v4.new_raw_cell(
                        "# BEGIN QUESTION\n"
                        + yaml.safe_dump(
                            {"name": q.name, "points": pts},
                            sort_keys=False,
                        )
                    )
                )
                open_q = q.name
            cells.append(nbformat.v4.new_markdown_cell(payload))
        elif kind == "solution":
            if open_q != qname:
                raise FormatError(
                    f"{chapter.name}: solution of {qname} is not inside its exercise"
                )
            cells.append(nbformat.v4.new_raw_cell("# BEGIN SOLUTION"))
            cells.append(
                nbformat.v4.new_code_cell(
                    stub_solution(payload.source, str(qname))
                )
            )
            cells.append(nbformat.v4.new_raw_cell("# END SOLUTION"))
        elif kind == "test":
            if open_q != qname:
                raise FormatError(
                    f"{chapter.name}: test of {qname} is not inside its exercise"
                )
            if not tests_open:
                cells.append(nbformat.v4.new_raw_cell("# BEGIN TESTS"))
                tests_open = True
            src = payload.source
            if "hidden" in _tags(payload):
                src = "# HIDDEN\n" + src
            cells.append(nbformat.v4.new_code_cell(src))
            if (
                q is not None
                and nb.cells.index(payload) == q.test_cells[-1]
            ):
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
    master.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    master.metadata["language_info"] = {"name": "python"}
    return master, graded


def generate(
    outdir: pathlib.Path, chapters: list[pathlib.Path] | None = None
) -> list[pathlib.Path]:
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
        proc = subprocess.run(
            [OTTER, "assign", str(master_path), str(base / "dist")],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"otter assign failed for {chapter}:\n{proc.stdout}\n{proc.stderr}"
            )
        # the student notebook in plain Jupyter Markdown + LaTeX, like the downloads (book_reader.py)
        book_reader.convert_student_notebook(
            student_notebook(base, chapter), chapter
        )
        made.append(base)
        print(
            f"{chapter.stem}: {len(graded)} graded question(s) -> {base}"
        )
    return made


def autograder_zip(assignment: pathlib.Path) -> pathlib.Path:
    zips = sorted((assignment / "dist" / "autograder").glob("*.zip"))
    if len(zips) != 1:
        raise FileNotFoundError(
            f"expected one autograder zip in {assignment}/dist/autograder, found {len(zips)}"
        )
    return zips[0]


def student_notebook(
    assignment: pathlib.Path, chapter: pathlib.Path
) -> pathlib.Path:
    """The student notebook ``otter assign`` wrote for ``chapter`` in ``assignment``."""
    return assignment / "dist" / "student" / f"{chapter.stem}.ipynb"


def grade_one(assignment: pathlib.Path, submission: pathlib.Path) -> dict:
    """Grade one notebook with ``otter run``; return otter's results.json as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [
                OTTER,
                "run",
                "-a",
                str(autograder_zip(assignment)),
                "-o",
                tmp,
                str(submission),
            ],
            capture_output=True,
            text=True,
        )
        res = pathlib.Path(tmp) / "results.json"
        if not res.exists():
            raise RuntimeError(
                f"otter run produced no results for {submission}:\n{proc.stdout}\n{proc.stderr}"
            )
        return json.loads(res.read_text())


def scores(results: dict) -> dict[str, tuple[float, float]]:
    """Per-question ``(score, max_score)`` from otter's results (public-test summary row dropped)."""
    out = {}
    for test in results["tests"]:
        if test.get("max_score") is None:
            continue
        out[test["name"]] = (
            float(test.get("score") or 0.0),
            float(test["max_score"]),
        )
    return out


def grade(
    assignment: pathlib.Path,
    submissions: pathlib.Path,
    csv_path: pathlib.Path | None = None,
) -> pathlib.Path:
    """Grade every ``.ipynb`` in ``submissions``; write the score CSV and feedback files."""
    csv_path = csv_path or submissions / "scores.csv"
    rows = []
    for sub in sorted(submissions.glob("*.ipynb")):
        results = grade_one(assignment, sub)
        per_q = scores(results)
        total = sum(s for s, _ in per_q.values())
        possible = sum(p for _, p in per_q.values())
        for q, (s, p) in per_q.items():
            rows.append(
                {
                    "submission": sub.stem,
                    "question": q,
                    "score": s,
                    "possible": p,
                }
            )
        rows.append(
            {
                "submission": sub.stem,
                "question": "TOTAL",
                "score": total,
                "possible": possible,
            }
        )
        feedback = [f"{sub.name}: {total:g} / {possible:g}", ""]
        for test in results["tests"]:
            if test.get("max_score") is None:
                continue
            feedback += [
                f"== {test['name']}: {test.get('score')} / {test['max_score']}",
                test.get("output", ""),
                "",
            ]
        (submissions / f"{sub.stem}.feedback.txt").write_text(
            "\n".join(feedback)
        )
        print(f"{sub.name}: {total:g} / {possible:g}")
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["submission", "question", "score", "possible"]
        )
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
    return [
        (q.name, nb.cells[i].source)
        for q in graded
        for i in q.solution_cells
    ]


# ------------------------------------------------------------------ grading slices
#: Calls that draw from (or reseed) a global random state: NumPy's legacy ``np.random.*``
#: functions, the ``random`` module, PyTorch's default generator, and PyTorch layers,
#: whose constructors initialise their weights from it.
_TORCH_RANDOM = {
    "rand",
    "randn",
    "randint",
    "randperm",
    "rand_like",
    "randn_like",
    "randint_like",
    "normal",
    "bernoulli",
    "multinomial",
    "poisson",
    "manual_seed",
    "seed",
    "dropout",
}
GLOBAL_RNG = "<global random state>"


def _ipython_to_python(source: str) -> str:
    """The Python code IPython runs for a cell (magics such as ``%pip`` become calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _root_name(node: ast.AST) -> str | None:
    """``x`` for ``x``, ``x.a.b``, ``x[i].a``, ``x.f(...).g``; None otherwise."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Starred):
            node = node.value
        else:
            return None


def _dotted(node: ast.AST) -> list[str]:
    """``["torch", "nn", "Linear"]`` for ``torch.nn.Linear``; [] when not a dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return []


#: Functions and methods that do not change their arguments: builtins, glue, and the
#: drawing methods of matplotlib's axes and figures (they change only their receiver).
_PURE_CALLS = {
    "print",
    "len",
    "range",
    "float",
    "int",
    "abs",
    "max",
    "min",
    "sorted",
    "list",
    "tuple",
    "dict",
    "set",
    "zip",
    "enumerate",
    "isinstance",
    "round",
    "sum",
    "any",
    "all",
    "str",
    "repr",
    "format",
    "display",
    "glue",
    "next",
    "iter",
    "map",
    "filter",
    "reversed",
    "bool",
    "complex",
    "type",
    "getattr",
    "hasattr",
    "plot",
    "semilogy",
    "semilogx",
    "loglog",
    "scatter",
    "imshow",
    "contour",
    "contourf",
    "pcolormesh",
    "fill_between",
    "axhline",
    "axvline",
    "hist",
    "bar",
    "barh",
    "text",
    "annotate",
    "errorbar",
    "step",
    "legend",
    "set_title",
    "set_xlabel",
    "set_ylabel",
    "set_xlim",
    "set_ylim",
    "set_xscale",
    "set_yscale",
    "set_xticks",
    "set_yticks",
    "set_xticklabels",
    "set_yticklabels",
    "set_aspect",
    "grid",
    "colorbar",
    "suptitle",
    "tight_layout",
    "savefig",
    "stem",
    "quiver",
    "streamplot",
    "axis",
    "twinx",
}
#: Module functions that do change an argument.
_MUTATING_MODULE_CALLS = {
    "shuffle",
    "copyto",
    "put",
    "place",
    "fill_diagonal",
    "putmask",
}


def _draws_global_random(call: ast.Call) -> bool:
    """A call that draws from (or reseeds) a global random state: NumPy's legacy
    ``np.random.*``, the ``random`` module, PyTorch's default generator, a PyTorch layer
    (its constructor draws the initial weights), ``seed_everything`` or the chapter's
    ``setup()`` (:func:`dynapprox.book.setup`), which reseed everything."""
    path = _dotted(call.func)
    if path and path[-1] in (
        "seed_everything",
        "setup",
    ):  # the chapter's setup line
        return True
    if len(path) < 2:
        return False
    if (
        "random" in path[:-1] or path[0] == "random"
    ):  # np.random.normal, random.random
        return path[-1] not in (
            "default_rng",
            "Generator",
            "PCG64",
            "SeedSequence",
            "RandomState",
        )
    if path[0] in ("torch", "nn", "F", "init"):
        if path[-1] in _TORCH_RANDOM or "init" in path[:-1]:
            return True
        return "nn" in path[:-1] and path[-1][:1].isupper()
    return False


def _call_mutates(call: ast.Call, modules: set[str]) -> set[str]:
    """Names a call may change: its receiver, and its arguments unless the callee is known not to."""
    out: set[str] = set()
    path = _dotted(call.func)
    name = path[-1] if path else None
    if isinstance(call.func, ast.Attribute):
        root = _root_name(call.func.value)
        if root is not None:
            out.add(root)
    from_module = bool(path) and path[0] in modules and len(path) > 1
    pure = name in _PURE_CALLS or (
        from_module
        and name not in _MUTATING_MODULE_CALLS
        and not (name or "").endswith("_")
        and not any(k.arg == "out" for k in call.keywords)
    )
    if not pure:
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            root = _root_name(arg)
            if root is not None:
                out.add(root)
    if _draws_global_random(call):
        out.add(GLOBAL_RNG)
    return out


@dataclass
class CellNames:
    """What a code cell reads and what it may change (see ``cell_names``)."""

    loads: set[str]
    binds: set[str]
    strong: set[str]
    mutates: set[str]


@dataclass
class _Effects:
    reads: set[str] = field(default_factory=set)
    mutates: set[str] = field(default_factory=set)


def _scope_globals(table: symtable.SymbolTable) -> set[str]:
    """Global names referenced in a symbol table and all its nested scopes."""
    out = {
        s.get_name()
        for s in table.get_symbols()
        if s.is_global() and s.is_referenced()
    }
    for child in table.get_children():
        out |= _scope_globals(child)
    return out


def _definitions(source: str, modules: set[str]) -> dict[str, _Effects]:
    """The functions and classes a cell defines at top level, with the globals their
    bodies read and may change (a call of the function reads and changes them)."""
    code = _ipython_to_python(source)
    tree = ast.parse(code)
    tables = {
        (t.get_name(), t.get_lineno()): t
        for t in symtable.symtable(code, "<cell>", "exec").get_children()
    }
    out: dict[str, _Effects] = {}
    for node in tree.body:
        if not isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            continue
        lineno = min(
            [node.lineno, *(d.lineno for d in node.decorator_list)]
        )
        table = tables.get((node.name, node.lineno)) or tables.get(
            (node.name, lineno)
        )
        reads = (
            _scope_globals(table)
            if table is not None
            else {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        )
        muts: set[str] = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                muts |= _call_mutates(sub, modules)
            elif isinstance(sub, (ast.Assign, ast.AugAssign, ast.Delete)):
                targets = (
                    sub.targets
                    if isinstance(sub, (ast.Assign, ast.Delete))
                    else [sub.target]
                )
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, (ast.Attribute, ast.Subscript)):
                            root = _root_name(n.value)
                            if root is not None:
                                muts.add(root)
        glob = {
            n
            for g in ast.walk(node)
            if isinstance(g, ast.Global)
            for n in g.names
        }
        out[node.name] = _Effects(
            reads=reads - modules,
            mutates=(muts & (reads | glob)) - modules
            | (muts & {GLOBAL_RNG}),
        )
    return out


def _close_effects(effects: dict[str, _Effects]) -> None:
    """A function that calls a function of the notebook reads and changes what that one does."""
    changed = True
    while changed:
        changed = False
        for eff in effects.values():
            for callee in list(eff.reads):
                other = effects.get(callee)
                if other is not None and other is not eff:
                    before = (len(eff.reads), len(eff.mutates))
                    eff.reads |= other.reads
                    eff.mutates |= other.mutates
                    changed |= before != (len(eff.reads), len(eff.mutates))


def cell_names(
    source: str,
    modules: set[str],
    effects: dict[str, _Effects] | None = None,
) -> CellNames:
    """Conservative def-use summary of one cell.

    ``loads``: the names whose value from before the cell it may read, i.e. read at
    top level before the cell binds them (in evaluation order), read by the functions
    and comprehensions it contains, and read by the notebook's functions it calls
    (``effects``). ``binds``: the names assigned at top level (inside ``if``/``for``/
    ``with``/``try`` too); ``strong``: those bound by a top-level statement that always
    runs (assignment, ``def``, ``class``, ``import``). ``mutates``: the non-module names
    it may change in place: the receiver of a method call (``net.train()``), the root
    of an item or attribute assignment (``a[0] = 1``), an augmented assignment, every
    name passed to a call not known to leave its arguments alone (``train(net, x)``),
    what the notebook's functions it calls change, and ``GLOBAL_RNG`` for a draw from
    a global random state.
    """
    import symtable

    effects = effects or {}
    code = _ipython_to_python(source)
    tree = ast.parse(code)
    loads: set[str] = set()
    bound: set[str] = set()  # bound earlier in this cell, at top level
    strong: set[str] = set()
    mutates: set[str] = set()
    called: set[str] = set()

    def store(name: str) -> None:
        bound.add(name)

    def expr(node: ast.AST | None) -> None:
        """Visit an expression in evaluation order; nested scopes are left to symtable."""
        if node is None:
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                if node.id not in bound:
                    loads.add(node.id)
                called.add(node.id)
            else:
                store(node.id)
            return
        if isinstance(node, ast.Lambda):
            return  # its globals are read when it is called: see the symtable pass below
        if isinstance(
            node,
            (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp),
        ):
            # runs here: it reads the cell's own bindings made so far
            local = {
                n.id
                for g in node.generators
                for n in ast.walk(g.target)
                if isinstance(n, ast.Name)
            }
            for sub in ast.walk(node):
                if (
                    isinstance(sub, ast.Name)
                    and isinstance(sub.ctx, ast.Load)
                    and sub.id not in local
                ):
                    if sub.id not in bound:
                        loads.add(sub.id)
                    called.add(sub.id)
                elif isinstance(sub, ast.Call):
                    mutates.update(_call_mutates(sub, modules) - local)
            return
        if isinstance(node, ast.Call):
            mutates.update(_call_mutates(node, modules))
        if isinstance(node, ast.NamedExpr):
            expr(node.value)
            expr(node.target)
            return
        for child in ast.iter_child_nodes(node):
            expr(child)

    def target(node: ast.AST) -> None:
        """An assignment target: names are bound, items and attributes change their root."""
        if isinstance(node, ast.Name):
            store(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                target(elt)
        elif isinstance(node, ast.Starred):
            target(node.value)
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            root = _root_name(node.value)
            if root is not None:
                mutates.add(root)
                if root not in bound:
                    loads.add(root)
            expr(node.value)
            if isinstance(node, ast.Subscript):
                expr(node.slice)

    def stmt(node: ast.stmt, top: bool) -> None:
        if isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            for d in node.decorator_list:
                expr(d)
            if isinstance(node, ast.ClassDef):
                for b in [*node.bases, *(k.value for k in node.keywords)]:
                    expr(b)
            else:
                for d in [
                    *node.args.defaults,
                    *(d for d in node.args.kw_defaults if d is not None),
                ]:
                    expr(d)
            store(node.name)
            if top:
                strong.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                if a.name != "*":
                    name = a.asname or (
                        a.name.split(".")[0]
                        if isinstance(node, ast.Import)
                        else a.name
                    )
                    store(name)
                    if top:
                        strong.add(name)
        elif isinstance(node, ast.Assign):
            expr(node.value)
            for t in node.targets:
                target(t)
                if top and isinstance(t, (ast.Name, ast.Tuple, ast.List)):
                    strong.update(
                        n.id
                        for n in ast.walk(t)
                        if isinstance(n, ast.Name)
                    )
        elif isinstance(node, ast.AnnAssign):
            expr(node.value)
            if node.value is not None:
                target(node.target)
                if top and isinstance(node.target, ast.Name):
                    strong.add(node.target.id)
        elif isinstance(node, ast.AugAssign):
            root = _root_name(node.target)
            if root is not None:
                if root not in bound:
                    loads.add(root)
                mutates.add(root)
            expr(node.value)
            if isinstance(node.target, (ast.Attribute, ast.Subscript)):
                expr(node.target.value)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            expr(node.iter)
            target(node.target)
            for s in [*node.body, *node.orelse]:
                stmt(s, False)
        elif isinstance(node, (ast.While, ast.If)):
            expr(node.test)
            for s in [*node.body, *node.orelse]:
                stmt(s, False)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                expr(item.context_expr)
                if item.optional_vars is not None:
                    target(item.optional_vars)
            for s in node.body:
                stmt(s, False)
        elif isinstance(node, ast.Try):
            for s in node.body:
                stmt(s, False)
            for h in node.handlers:
                expr(h.type)
                if h.name:
                    store(h.name)
                for s in h.body:
                    stmt(s, False)
            for s in [*node.orelse, *node.finalbody]:
                stmt(s, False)
        elif isinstance(node, ast.Delete):
            for t in node.targets:
                if isinstance(t, (ast.Attribute, ast.Subscript)):
                    target(t)
        elif isinstance(node, ast.Global):
            pass
        else:  # Expr, Return, Assert, Raise, Match, ...
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    stmt(child, False)
                else:
                    expr(child)

    for node in tree.body:
        stmt(node, True)
    # globals read by the functions, classes and lambdas the cell defines (when called)
    for child in symtable.symtable(code, "<cell>", "exec").get_children():
        if child.get_name() not in (
            "listcomp",
            "setcomp",
            "dictcomp",
            "genexpr",
        ):
            loads |= _scope_globals(child)
    # the notebook's functions the cell calls (or passes on) read and change their globals
    for name in called & set(effects):
        loads |= effects[name].reads
        mutates |= effects[name].mutates
    if GLOBAL_RNG in mutates:
        loads.add(GLOBAL_RNG)
    return CellNames(
        loads=loads,
        binds=bound | strong,
        strong=strong,
        mutates=mutates - modules,
    )


def _module_names(sources: list[str]) -> set[str]:
    """Names bound to modules anywhere in the notebook (modules are not data)."""
    import importlib.util

    out: set[str] = set()
    for src in sources:
        for node in ast.walk(ast.parse(_ipython_to_python(src))):
            if isinstance(node, ast.Import):
                out |= {
                    (a.asname or a.name).split(".")[0] for a in node.names
                }
            elif (
                isinstance(node, ast.ImportFrom)
                and node.module
                and not node.level
            ):
                for a in node.names:
                    try:
                        if (
                            importlib.util.find_spec(
                                f"{node.module}.{a.name}"
                            )
                            is not None
                        ):
                            out.add(a.asname or a.name)
                    except (ImportError, ValueError):
                        pass
    return out


def grading_slice(
    code_sources: list[str], always: set[int], extra_loads: list[str]
) -> list[int]:
    """Indices of the code cells that grading needs, by a backward def-use slice.

    ``always`` are cells kept whatever they contain (the setup cell, otter's cells, the
    answer cells); ``extra_loads`` is code run after the notebook (the tests), whose
    names are needed too. Walking backwards, a cell is kept when it binds or may change
    a needed name; the names it reads become needed, and a name it binds for certain
    without reading it stops being needed before it. The summary of each cell is
    conservative (``cell_names``), so a kept cell sees what it would see in the whole
    notebook: every cell that could have changed a name it reads, or the global random
    state it draws from, is kept too. (Not followed: a binding skipped at run time,
    e.g. in an ``if`` whose test is false, and effects hidden from the names, e.g. a
    package function that changes a global of its module.)
    """
    modules = _module_names(code_sources)
    effects: dict[str, _Effects] = {}
    for src in code_sources:
        for name, eff in _definitions(src, modules).items():
            old = effects.setdefault(name, _Effects())
            old.reads |= eff.reads
            old.mutates |= eff.mutates
    _close_effects(effects)
    summaries = [cell_names(src, modules, effects) for src in code_sources]
    need: set[str] = set()
    for src in extra_loads:
        need |= cell_names(src, modules, effects).loads
    keep: set[int] = set()
    for j in reversed(range(len(code_sources))):
        s = summaries[j]
        if j in always or (s.binds | s.mutates) & need:
            keep.add(j)
            need = (need - (s.strong - s.loads)) | s.loads
    return sorted(keep)


def grading_cells(
    student: nbformat.NotebookNode,
    chapter: pathlib.Path,
    extra_code: Sequence[str] = (),
) -> set[int]:
    """Positions (among the code cells of ``student``) of the cells grading needs.

    Always kept: otter's initialisation and ``grader.check`` cells, the setup cells (the
    chapter's code cells up to the one that calls ``setup()``: the install fallback and
    the setup line with the imports) and every answer cell; then the chapter cells that
    those, the chapter's tests and ``extra_code`` depend on (``grading_slice``).
    """
    import jupytext

    code = [c for c in student.cells if c.cell_type == "code"]
    always: set[int] = set()
    setup_found = False
    for k, cell in enumerate(code):
        otter = cell.source.lstrip().startswith(
            ("# Initialize Otter", "grader.check")
        )
        if otter or "otter_answer_cell" in _tags(cell):
            always.add(k)
        elif not setup_found:
            always.add(k)
            setup_found = bool(
                re.search(
                    r"^rng = setup\(|seed_everything\(", cell.source, re.M
                )
            )
    nb = jupytext.read(chapter)
    _, graded = build_master(chapter)
    tests = [nb.cells[i].source for q in graded for i in q.test_cells]
    return set(
        grading_slice(
            [c.source for c in code], always, tests + list(extra_code)
        )
    )


def _keep_code_cells(
    nb: nbformat.NotebookNode, keep: set[int]
) -> nbformat.NotebookNode:
    out = nbformat.from_dict(nb)  # a copy
    kept = []
    k = -1
    for cell in nb.cells:
        if cell.cell_type == "code":
            k += 1
            if k not in keep:
                continue
        kept.append(cell)
    out.cells = kept
    return out


def reduce_to_grading(
    student: nbformat.NotebookNode,
    chapter: pathlib.Path,
    extra_code: Sequence[str] = (),
) -> tuple[nbformat.NotebookNode, int, int]:
    """The submission cut down to what grading needs (``grading_cells``); returns it with
    the numbers of kept and of all code cells. Markdown cells stay (they cost nothing)."""
    keep = grading_cells(student, chapter, extra_code)
    total = sum(c.cell_type == "code" for c in student.cells)
    return _keep_code_cells(student, keep), len(keep), total


def make_submission(
    assignment: pathlib.Path,
    chapter: pathlib.Path,
    mode: str,
    reduced: bool = False,
) -> nbformat.NotebookNode:
    """A synthetic submission built from the student notebook, to check an autograder.

    ``mode`` is ``"stub"`` (the untouched student notebook), ``"reference"`` (each
    answer cell replaced by the reference solution) or ``"wrong"`` (the reference
    solution with every function's return value perturbed: numbers x -> 1.1 x + 0.1,
    integers x -> x + 1, booleans negated, other objects -> None). With ``reduced``,
    only the cells grading needs are kept (``reduce_to_grading``).
    """
    if mode not in ("stub", "reference", "wrong"):
        raise ValueError(
            f"mode must be 'stub', 'reference' or 'wrong', got {mode!r}"
        )
    student = nbformat.read(
        student_notebook(assignment, chapter),
        as_version=4,
    )
    if mode != "stub":
        sources = _solution_sources(chapter)
        answers = [
            c for c in student.cells if "otter_answer_cell" in _tags(c)
        ]
        if len(answers) != len(sources):
            raise RuntimeError(
                f"{chapter.stem}: {len(answers)} answer cells but {len(sources)} solution cells"
            )
        for cell, (_question, src) in zip(answers, sources, strict=True):
            if mode == "reference":
                cell.source = src
            else:
                names = [
                    n.name
                    for n in ast.parse(src).body
                    if isinstance(n, ast.FunctionDef)
                ]
                cell.source = (
                    src
                    + WRONG_ANSWER_WRAPPER
                    + "".join(f"\n{n} = _make_wrong({n})" for n in names)
                    + "\n"
                )
    if reduced:
        student = reduce_to_grading(student, chapter)[0]
    return student


def selfcheck(
    assignment: pathlib.Path,
    chapter: pathlib.Path,
    reduced: bool = True,
    modes: tuple[str, ...] = ("reference", "stub", "wrong"),
) -> dict[str, dict[str, tuple[float, float]]]:
    """Grade the stub, reference and wrong submissions of a chapter with ``otter run``;
    return their per-question scores.

    ``reduced`` (the default) grades submissions cut down to the cells grading needs
    (``reduce_to_grading``) with the chapter's autograder, instead of executing the
    whole chapter three times. ``selfcheck_one_kernel`` gives the same scores with one
    kernel for the three submissions (what ``make test`` uses).
    """
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            path = pathlib.Path(tmp) / f"{chapter.stem}.ipynb"
            nbformat.write(
                make_submission(
                    assignment, chapter, mode, reduced=reduced
                ),
                path,
            )
            out[mode] = scores(grade_one(assignment, path))
    return out


_GRADE_CELL = """\
import json as _json, pathlib as _pathlib
from otter.execute import Checker as _Checker
from otter.nbmeta_config import NBMetadataConfig as _NBMetadataConfig
_ip = get_ipython()
_errors = []
for _src in {sources!r}:
    _res = _ip.run_cell(_src, silent=True)  # a failing cell is reported and ignored, as `otter run` does
    if not _res.success:
        _errors.append(type(_res.error_in_exec or _res.error_before_exec).__name__)
_scores = {{}}
for _path in sorted(_pathlib.Path({tests!r}).glob("*.py")):
    _test = _Checker.check(str(_path), _NBMetadataConfig(), global_env=globals())
    _scores[_test.name] = [float(_test.score), float(_test.possible)]
print("GRADES " + _json.dumps({{"mode": {mode!r}, "scores": _scores, "errors": _errors}}))
"""


def selfcheck_one_kernel(
    assignment: pathlib.Path, chapter: pathlib.Path, timeout: int = 600
) -> dict[str, dict[str, tuple[float, float]]]:
    """The three gradings of ``selfcheck`` in one kernel, on the grading slice.

    The slice of the submission (``reduce_to_grading``) is executed once up to its first
    answer cell; then, for each of the reference, stub and wrong submissions, the rest
    of the slice is run with that submission's answer cells and the tests of the
    chapter's autograder (the ``tests/*.py`` of its zip, hidden ones included) are run
    by otter's own checker (``otter.execute.Checker.check``, what ``otter run`` calls)
    on the kernel's globals: each test case in a copy of them, a failing answer cell
    ignored. The answers only define functions (``stub_solution`` enforces it), so
    running the next submission's answer cells replaces the previous ones. Returns the
    per-question ``(score, possible)`` of each submission, as ``selfcheck`` does.
    """
    import zipfile

    from nbclient import NotebookClient

    modes = ("reference", "stub", "wrong")
    whole = {m: make_submission(assignment, chapter, m) for m in modes}
    # one slice for the three: what any of the three submissions' answers needs
    answers = [
        c.source
        for m in modes
        for c in whole[m].cells
        if "otter_answer_cell" in _tags(c)
    ]
    keep = grading_cells(whole["reference"], chapter, answers)
    subs = {m: _keep_code_cells(whole[m], keep) for m in modes}
    with tempfile.TemporaryDirectory() as tmp:
        tests = pathlib.Path(tmp) / "tests"
        with zipfile.ZipFile(autograder_zip(assignment)) as zf:
            for name in zf.namelist():
                if name.startswith("tests/") and name.endswith(".py"):
                    (tests / pathlib.Path(name).name).parent.mkdir(
                        parents=True, exist_ok=True
                    )
                    (tests / pathlib.Path(name).name).write_bytes(
                        zf.read(name)
                    )
        if not any(tests.glob("*.py")):
            raise RuntimeError(
                f"{chapter.stem}: the autograder zip has no tests"
            )

        def code(nb: Any) -> list[tuple[str, bool]]:
            out = []
            for c in nb.cells:
                if c.cell_type != "code" or c.source.lstrip().startswith(
                    ("# Initialize Otter", "grader.check")
                ):
                    continue
                out.append((c.source, "otter_answer_cell" in _tags(c)))
            return out

        per_mode = {m: code(subs[m]) for m in modes}
        first = next(
            i
            for i, (_, answer) in enumerate(per_mode["reference"])
            if answer
        )
        prefix = [src for src, _ in per_mode["reference"][:first]]
        for m in modes:  # the slice before the first answer is the same in every submission
            assert [src for src, _ in per_mode[m][:first]] == prefix, m
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nb.cells = [nbformat.v4.new_code_cell(src) for src in prefix]
        for m in modes:
            rest = [src for src, _ in per_mode[m][first:]]
            nb.cells.append(
                nbformat.v4.new_code_cell(
                    _GRADE_CELL.format(
                        sources=rest, tests=str(tests), mode=m
                    )
                )
            )
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": tmp}},
        ).execute()
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for cell in nb.cells[len(prefix) :]:
        text = "".join(
            o.get("text", "")
            for o in cell.outputs
            if o.get("output_type") == "stream"
        )
        line = next(
            ln for ln in text.splitlines() if ln.startswith("GRADES ")
        )
        data = json.loads(line[len("GRADES ") :])
        out[data["mode"]] = {
            q: (s, p) for q, (s, p) in data["scores"].items()
        }
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser(
        "generate", help="write student notebooks and autograders"
    )
    g.add_argument("outdir", type=pathlib.Path)
    g.add_argument("chapters", nargs="*", type=pathlib.Path)
    r = sub.add_parser(
        "grade", help="grade a folder of submitted notebooks"
    )
    r.add_argument(
        "assignment",
        type=pathlib.Path,
        help="OUTDIR/<chapter> written by generate",
    )
    r.add_argument(
        "submissions",
        type=pathlib.Path,
        help="folder of .ipynb submissions",
    )
    r.add_argument("--csv", type=pathlib.Path, default=None)
    c = sub.add_parser(
        "selfcheck",
        help="grade reference, stub and wrong answers of a generated assignment",
    )
    c.add_argument(
        "assignment",
        type=pathlib.Path,
        help="OUTDIR/<chapter> written by generate",
    )
    c.add_argument(
        "--whole",
        action="store_true",
        help="grade whole notebooks, not the grading slices",
    )
    args = parser.parse_args(argv)
    if args.cmd == "generate":
        chapters = [c.resolve() for c in args.chapters] or None
        generate(args.outdir.resolve(), chapters)
    elif args.cmd == "grade":
        grade(
            args.assignment.resolve(), args.submissions.resolve(), args.csv
        )
    else:
        assignment = args.assignment.resolve()
        chapter = ROOT / "chapters" / f"{assignment.name}.md"
        for mode, per_q in selfcheck(
            assignment, chapter, reduced=not args.whole
        ).items():
            print(mode, {q: f"{s:g}/{p:g}" for q, (s, p) in per_q.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
