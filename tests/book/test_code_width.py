"""No code line of a chapter is cut off: every line fits the width of its code cell.

A pure-text check of ``chapters/*.md`` (no notebook runs, part of ``make unit``). The
widths come from ``pyproject.toml`` (ruff's ``line-length``, one width for the package
and the chapters) and ``scripts/lint_chapters.py`` (cells inside a solution block, whose
box is narrower); why they are what they are is written there and checked in a browser
by ``test_code_cells_hold_the_line_length`` of ``tests/book/test_browser.py``.
"""

from __future__ import annotations

import pathlib
import textwrap

import pytest

from chapters import code_chapters
from lint_chapters import BLOCK_WIDTH, code_cells, line_length, too_wide


@pytest.mark.parametrize("chapter", code_chapters(), ids=lambda p: p.stem)
def test_no_code_line_is_wider_than_its_cell(
    chapter: pathlib.Path,
) -> None:
    long = too_wide(chapter)
    assert not long, "code lines cut off in the HTML:\n" + "\n".join(long)


def test_widths_fit_the_measured_cells() -> None:
    # measured at 1280 px in Chromium: 77 columns in a cell on the page, 75 in
    # an expanded hide-input cell, 69 in a solution block; the PDF's code lines
    # hold 86 (see scripts/lint_chapters.py)
    assert line_length() <= 75
    assert BLOCK_WIDTH <= 69
    assert BLOCK_WIDTH < line_length()


def test_code_cells_are_read_with_their_options_and_blocks(
    tmp_path: pathlib.Path,
) -> None:
    chapter = tmp_path / "chapter.md"
    chapter.write_text(
        textwrap.dedent(
            """\
            # Title

            ```{code-cell} ipython3
            :tags: [remove-cell]

            x = 1
            ```

            ````{solution-start} ex-a
            :class: dropdown
            ````

            ```{code-cell} ipython3
            ---
            tags: [solution]
            ---
            def f():
                return 2
            ```

            ````{solution-end}
            ````

            ```{code-cell} ipython3
            y = "```"
            ```
            """
        )
    )
    cells = code_cells(chapter)
    assert [c.source for c in cells] == [
        "x = 1",
        "def f():\n    return 2",
        'y = "```"',
    ]
    assert [c.in_block for c in cells] == [False, True, False]
    assert [c.lineno for c in cells] == [6, 17, 25]
    assert [c.tags for c in cells] == [("remove-cell",), ("solution",), ()]
