"""Ruff over the code cells of the chapters (part of ``make lint``).

``python scripts/lint_chapters.py [chapters/NN_x.md ...]``

Each executable chapter of ``_toc.yml`` (or each file given) is read as plain text:
its ```` ```{code-cell} ```` blocks become the cells of a notebook written to a
temporary folder, and ruff runs on those notebooks with the settings of
``pyproject.toml`` (ruff parses IPython magics such as the install cell's ``%pip``):

* ``ruff check`` on one notebook per chapter holding every code cell in order (so that
  a name used in one cell and defined in an earlier one is known);
* ``ruff format --check`` with the project's ``line-length`` on the cells shown at the
  full width of a page, and with :data:`BLOCK_WIDTH` on the cells inside a gated
  exercise or solution block (``{solution-start}`` ... ``{solution-end}``), whose box
  is narrower in the HTML.

The widths were measured in headless Chromium on the built pages at the desktop width
of the page checks (``tests/book/test_browser.py``, 1280 px): a code cell holds 77
monospace characters, an expanded ``hide-input`` cell 75 (hence ``line-length = 75``),
one inside a solution block 69; the PDF's code lines hold 86
(``tests/book/test_code_width.py`` checks every code line against these widths).
The text a cell prints is shown in a box of the same width: :func:`wide_outputs` lists the
output lines of an executed chapter wider than :data:`PAGE_WIDTH` (:data:`BLOCK_WIDTH` in a
solution block), which ``tests/book/test_code_width.py`` checks after the build.
``--fix`` applies ruff's safe fixes and formatter to the cells and writes them back into
the chapters (nothing else of a chapter changes); then it checks as above. Exits with
ruff's status (0 when every chapter is clean).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from chapters import code_chapters  # noqa: E402

#: The columns of a code cell inside a gated exercise or solution block (HTML, 1280 px).
BLOCK_WIDTH = 69
#: The columns of a code cell's box on the page (HTML, 1280 px); its text output too.
PAGE_WIDTH = 77
#: Tags of cells whose code the HTML page does not show (hide-input shows it on a click).
HIDDEN = frozenset({"remove-cell", "remove-input"})

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*)$")
_BLOCK_START = re.compile(r"^`{3,}\{(solution|exercise)-start\}")
_BLOCK_END = re.compile(r"^`{3,}\{(solution|exercise)-end\}")


def line_length() -> int:
    """The formatter's ``line-length`` of ``pyproject.toml``: one width for all code."""
    config = tomllib.loads(
        (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    )
    return int(config["tool"]["ruff"]["line-length"])


@dataclasses.dataclass(frozen=True)
class CodeCell:
    """One ```` ```{code-cell} ```` of a MyST chapter.

    ``lineno`` is the 1-based line of the chapter where the code starts and ``stop``
    the 0-based index of the cell's closing fence (so the code is
    ``lines[lineno - 1:stop]``); ``in_block`` says whether the cell sits inside a gated
    exercise or solution block.
    """

    source: str
    lineno: int
    stop: int
    in_block: bool
    tags: tuple[str, ...]


def code_cells(path: pathlib.Path) -> list[CodeCell]:
    """The code cells of a MyST chapter, in order, read as plain text (no jupytext).

    A cell's options (``:tags: [...]`` lines, or a ``---`` YAML block) are not code.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    cells: list[CodeCell] = []
    in_block = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _BLOCK_START.match(line):
            in_block = True
        elif _BLOCK_END.match(line):
            in_block = False
        m = _FENCE.match(line)
        if not (m and m.group("info").startswith("{code-cell}")):
            i += 1
            continue
        fence = m.group("fence")
        i += 1
        tags: tuple[str, ...] = ()
        options: list[str] = []
        if (
            i < len(lines) and lines[i].strip() == "---"
        ):  # YAML options block
            i += 1
            while i < len(lines) and lines[i].strip() != "---":
                options.append(lines[i])
                i += 1
            i += 1
        while i < len(lines) and lines[i].startswith(":"):  # :tags: [a, b]
            options.append(lines[i][1:])
            i += 1
        for option in options:
            key, _, value = option.partition(":")
            if key.strip() == "tags":
                tags = tuple(
                    t.strip()
                    for t in value.strip(" []").split(",")
                    if t.strip()
                )
        start = i
        while i < len(lines) and not (
            lines[i].startswith(fence)
            and not lines[i].strip(fence[0]).strip()
        ):
            i += 1
        body = lines[start:i]
        while body and not body[0].strip():
            body.pop(0)
            start += 1
        source = "\n".join(body).rstrip()
        cells.append(CodeCell(source, start + 1, i, in_block, tags))
        i += 1
    return cells


def too_wide(path: pathlib.Path) -> list[str]:
    """The code lines of a chapter wider than their cell on the page, as messages.

    Every line of a cell the page shows counts, comments and strings included (ruff's
    formatter cannot break those): at most ``line-length`` columns, at most
    :data:`BLOCK_WIDTH` inside a solution block.
    """
    width = line_length()
    out = []
    for cell in code_cells(path):
        if HIDDEN & set(cell.tags):
            continue  # not on the page (the install cell, the autograder's tests)
        limit = BLOCK_WIDTH if cell.in_block else width
        for k, line in enumerate(cell.source.splitlines()):
            if len(line) > limit:
                where = "solution block" if cell.in_block else "page"
                out.append(
                    f"{path.name}:{cell.lineno + k}: {len(line)} > {limit} "
                    f"columns ({where}): {line.strip()[:50]}"
                )
    return out


def _shown_text(output: dict) -> str:
    """The text of one output as the page shows it ("" for a figure, HTML or glue)."""
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    data = output.get("data", {})
    if output.get("metadata", {}).get("scrapbook") or any(
        k.startswith("image/") or k == "text/html" for k in data
    ):
        return ""  # a glued value, a figure or a table: not shown as text
    return str(data.get("text/plain", ""))


def wide_outputs(path: pathlib.Path, executed: Any) -> list[str]:
    """The text output lines of an executed chapter wider than their box, as messages.

    ``executed`` is the chapter's notebook with its outputs (the build's, from the
    execution cache: ``chapters.executed_notebook``). The page shows a code cell's
    stream and plain-text outputs in a box as wide as the cell: :data:`PAGE_WIDTH`
    columns, :data:`BLOCK_WIDTH` inside a solution block; a longer line is cut off
    and the reader scrolls sideways. Cells whose output the page does not show
    (``remove-cell``, ``remove-output``) do not count.
    """
    cells = code_cells(path)
    code = [c for c in executed.cells if c.cell_type == "code"]
    if len(code) != len(cells):
        raise ValueError(
            f"{path.name}: {len(cells)} code cells in the source, {len(code)} in "
            "the executed notebook (an executed notebook of another version?)"
        )
    out = []
    for cell, nb_cell in zip(cells, code, strict=True):
        if {"remove-cell", "remove-output"} & set(cell.tags):
            continue
        limit = BLOCK_WIDTH if cell.in_block else PAGE_WIDTH
        for output in nb_cell.get("outputs", []):
            for line in _shown_text(output).splitlines():
                if len(line) > limit:
                    out.append(
                        f"{path.name}:{cell.lineno}: output {len(line)} > "
                        f"{limit} columns: {line.strip()[:50]}"
                    )
    return out


def _notebook(sources: list[str]) -> dict:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{k}",
                "metadata": {},
                "outputs": [],
                "source": src,
            }
            for k, src in enumerate(sources)
        ],
        "metadata": {
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3",
                "language": "python",
            },
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _ruff() -> str:
    local = pathlib.Path(sys.executable).with_name("ruff")
    return (
        str(local) if local.exists() else (shutil.which("ruff") or "ruff")
    )


GROUPS = {
    "all": "ruff check",
    "page": "ruff format (cells on the page)",
    "block": f"ruff format (cells in solution blocks, {BLOCK_WIDTH} columns)",
}


def _write_groups(
    out: pathlib.Path, chapters: list[pathlib.Path]
) -> dict[tuple[str, str], list[CodeCell]]:
    """One notebook per chapter and group (every cell / page cells / block cells)."""
    groups: dict[tuple[str, str], list[CodeCell]] = {}
    for sub in GROUPS:
        (out / sub).mkdir(exist_ok=True)
    for path in chapters:
        cells = code_cells(path)
        for sub, group in (
            ("all", cells),
            ("page", [c for c in cells if not c.in_block]),
            ("block", [c for c in cells if c.in_block]),
        ):
            if group:
                nb = _notebook([c.source for c in group])
                (out / sub / f"{path.stem}.ipynb").write_text(
                    json.dumps(nb, indent=1), encoding="utf-8"
                )
                groups[sub, path.stem] = group
    return groups


def _commands(sub: str, fix: bool) -> list[str]:
    cmd = [_ruff(), "check" if sub == "all" else "format"]
    cmd += (
        (["--fix"] if fix else [])
        if sub == "all"
        else ([] if fix else ["--check", "--diff"])
    )
    cmd += ["--config", str(ROOT / "pyproject.toml"), "--no-cache"]
    if sub == "block":
        cmd += ["--line-length", str(BLOCK_WIDTH)]
    return cmd + [sub]


def lint(chapters: list[pathlib.Path]) -> int:
    """Run ruff (check, then format --check at both widths) on the chapters' code cells.

    Problems are reported at the chapter's line; returns 0 when everything is clean.
    """
    rc = 0
    with tempfile.TemporaryDirectory(prefix="lint-chapters-") as tmp:
        out = pathlib.Path(tmp)
        groups = _write_groups(out, chapters)

        def where(m: re.Match[str]) -> str:
            first = groups[m["sub"], m["name"]][int(m["cell"]) - 1].lineno
            row = (
                f":{first + int(m['row']) - 1}"
                if m["row"]
                else f":{first} (code cell)"
            )
            return f"chapters/{m['name']}.md{row}"

        located = re.compile(
            r"(?:\S*/)?(?P<sub>all|page|block)/(?P<name>[\w.-]+)\.ipynb:cell (?P<cell>\d+)(?::(?P<row>\d+))?"
        )
        for sub, what in GROUPS.items():
            if not any((out / sub).iterdir()):
                continue
            res = subprocess.run(
                _commands(sub, fix=False),
                cwd=out,
                capture_output=True,
                text=True,
            )
            if res.returncode:
                print(f"---- {what}")
                print(located.sub(where, res.stdout + res.stderr).rstrip())
                rc = rc or res.returncode
    wide = [msg for path in chapters for msg in too_wide(path)]
    if wide:
        print(
            f"---- code lines wider than their cell in the HTML ({len(wide)})"
        )
        print("\n".join(wide))
        rc = rc or 1
    return rc


def fix(chapters: list[pathlib.Path]) -> int:
    """Apply ruff's safe fixes and its formatter to the code cells, in the chapters.

    Each chapter's cells are fixed (``ruff check --fix``: import order, unused imports,
    ...), then formatted at the width of their cell, and written back in place of the
    old code; the rest of the chapter is left as it is. Returns ruff check's status
    after the fixes (problems it cannot fix remain, see :func:`lint`).
    """
    rc = 0
    for path in chapters:
        with tempfile.TemporaryDirectory(prefix="lint-chapters-") as tmp:
            out = pathlib.Path(tmp)
            groups = _write_groups(out, [path])
            if ("all", path.stem) not in groups:
                continue
            res = subprocess.run(
                _commands("all", fix=True),
                cwd=out,
                capture_output=True,
                text=True,
            )
            rc = rc or res.returncode
            fixed = json.loads(
                (out / "all" / f"{path.stem}.ipynb").read_text(
                    encoding="utf-8"
                )
            )
            sources = ["".join(c["source"]) for c in fixed["cells"]]
            cells = groups["all", path.stem]
            new = dict(
                zip([c.lineno for c in cells], sources, strict=True)
            )
            for sub in ("page", "block"):
                group = [
                    c for c in cells if c.in_block == (sub == "block")
                ]
                if not group:
                    continue
                nb = _notebook([new[c.lineno] for c in group])
                target = out / sub / f"{path.stem}.ipynb"
                target.write_text(
                    json.dumps(nb, indent=1), encoding="utf-8"
                )
                subprocess.run(
                    _commands(sub, fix=True),
                    cwd=out,
                    capture_output=True,
                    text=True,
                )
                formatted = json.loads(target.read_text(encoding="utf-8"))[
                    "cells"
                ]
                for c, cell in zip(group, formatted, strict=True):
                    new[c.lineno] = "".join(cell["source"])
        lines = path.read_text(encoding="utf-8").splitlines()
        for c in reversed(cells):
            if new[c.lineno] != c.source:
                lines[c.lineno - 1 : c.stop] = (
                    new[c.lineno].rstrip().splitlines()
                )
        text = "\n".join(lines) + "\n"
        if text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
            print(f"lint_chapters: rewrote the code cells of {path}")
    return rc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "chapters",
        nargs="*",
        type=pathlib.Path,
        help="default: every executable chapter",
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="apply ruff's safe fixes and formatter to the cells, in the chapters, then check",
    )
    args = parser.parse_args(argv)
    chapters = [p.resolve() for p in args.chapters] or code_chapters()
    if args.fix:
        fix(chapters)
    rc = lint(chapters)
    print(
        f"lint_chapters: {len(chapters)} chapters, {'clean' if rc == 0 else 'ruff found problems'}"
    )
    return rc


if __name__ == "__main__":
    sys.exit(main())
