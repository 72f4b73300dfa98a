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
monospace characters, one inside a solution block 69; the PDF's code lines hold 86
(``tests/book/test_code_width.py`` checks every code line against these widths).
Nothing is written back: run ``ruff format`` on the lines ruff shows, by hand.
Exits with ruff's status (0 when every chapter is clean).
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

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from chapters import code_chapters  # noqa: E402

#: The columns of a code cell inside a gated exercise or solution block (HTML, 1280 px).
BLOCK_WIDTH = 69

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*)$")
_BLOCK_START = re.compile(r"^`{3,}\{(solution|exercise)-start\}")
_BLOCK_END = re.compile(r"^`{3,}\{(solution|exercise)-end\}")


def line_length() -> int:
    """The formatter's ``line-length`` of ``pyproject.toml``: one width for all code."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return int(config["tool"]["ruff"]["line-length"])


@dataclasses.dataclass(frozen=True)
class CodeCell:
    """One ```` ```{code-cell} ```` of a MyST chapter.

    ``lineno`` is the 1-based line of the chapter where the code starts; ``in_block``
    says whether the cell sits inside a gated exercise or solution block.
    """

    source: str
    lineno: int
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
        if i < len(lines) and lines[i].strip() == "---":  # YAML options block
            j = i + 1
            while j < len(lines) and lines[j].strip() != "---":
                j += 1
            i = j + 1
        while i < len(lines) and lines[i].startswith(":"):  # :tags: [a, b]
            key, _, value = lines[i][1:].partition(":")
            if key.strip() == "tags":
                tags = tuple(t.strip() for t in value.strip(" []").split(",") if t.strip())
            i += 1
        start = i
        while i < len(lines) and not (lines[i].startswith(fence) and not lines[i].strip(fence[0]).strip()):
            i += 1
        body = lines[start:i]
        while body and not body[0].strip():
            body.pop(0)
            start += 1
        cells.append(CodeCell("\n".join(body).rstrip(), start + 1, in_block, tags))
        i += 1
    return cells


def _notebook(sources: list[str]) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"c{k}", "metadata": {}, "outputs": [], "source": src}
            for k, src in enumerate(sources)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _ruff() -> str:
    local = pathlib.Path(sys.executable).with_name("ruff")
    return str(local) if local.exists() else (shutil.which("ruff") or "ruff")


def lint(chapters: list[pathlib.Path]) -> int:
    """Run ruff (check, then format --check at both widths) on the chapters' code cells."""
    ruff = [_ruff()]
    config = ["--config", str(ROOT / "pyproject.toml")]
    rc = 0
    with tempfile.TemporaryDirectory(prefix="lint-chapters-") as tmp:
        out = pathlib.Path(tmp)
        for sub in ("all", "page", "block"):
            (out / sub).mkdir()
        lines: dict[tuple[str, str], list[int]] = {}  # (group, chapter) -> line of each cell
        for path in chapters:
            cells = code_cells(path)
            groups = {
                "all": cells,
                "page": [c for c in cells if not c.in_block],
                "block": [c for c in cells if c.in_block],
            }
            for sub, group in groups.items():
                if group:
                    nb = _notebook([c.source for c in group])
                    (out / sub / f"{path.stem}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
                    lines[sub, path.stem] = [c.lineno for c in group]

        def where(m: re.Match[str]) -> str:
            first = lines[m["sub"], m["name"]][int(m["cell"]) - 1]
            row = f":{first + int(m['row']) - 1}" if m["row"] else f":{first} (code cell)"
            return f"chapters/{m['name']}.md{row}"

        located = re.compile(r"(?:\S*/)?(?P<sub>all|page|block)/(?P<name>[\w.-]+)\.ipynb:cell (?P<cell>\d+)(?::(?P<row>\d+))?")
        steps = [
            ruff + ["check", *config, "--no-cache", "all"],
            ruff + ["format", "--check", "--diff", *config, "--no-cache", "page"],
            ruff + ["format", "--check", "--diff", *config, "--line-length", str(BLOCK_WIDTH), "--no-cache", "block"],
        ]
        for cmd in steps:
            if not any((out / cmd[-1]).iterdir()):
                continue
            res = subprocess.run(cmd, cwd=out, capture_output=True, text=True)
            report = located.sub(where, res.stdout + res.stderr)
            if res.returncode:
                what = {"all": "ruff check", "page": "ruff format (page cells)",
                        "block": f"ruff format (cells in solution blocks, {BLOCK_WIDTH} columns)"}[cmd[-1]]
                print(f"---- {what}")
                print(report.rstrip())
                rc = rc or res.returncode
    return rc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("chapters", nargs="*", type=pathlib.Path, help="default: every executable chapter")
    args = parser.parse_args(argv)
    chapters = [p.resolve() for p in args.chapters] or code_chapters()
    rc = lint(chapters)
    print(f"lint_chapters: {len(chapters)} chapters, {'clean' if rc == 0 else 'ruff found problems'}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
