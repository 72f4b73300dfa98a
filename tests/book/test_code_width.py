"""No code line of a chapter is cut off: every line fits the width of its code cell.

A pure-text check of ``chapters/*.md`` (no notebook runs, part of ``make unit``); after
the build (marker ``html``), the same for the text every cell printed, read from the
build's execution cache (nothing runs). The
widths come from ``pyproject.toml`` (ruff's ``line-length``, one width for the package
and the chapters) and ``scripts/lint_chapters.py`` (cells inside a solution block, whose
box is narrower); why they are what they are is written there and checked in a browser
by ``test_code_cells_hold_the_line_length`` of ``tests/book/test_browser.py``.
"""

from __future__ import annotations

import pathlib
import textwrap

import pytest

from chapters import code_chapters, executed_notebook
from ci import skip_or_fail
from lint_chapters import (
    BLOCK_WIDTH,
    PAGE_WIDTH,
    code_cells,
    line_length,
    too_wide,
    wide_outputs,
)


@pytest.mark.parametrize("chapter", code_chapters(), ids=lambda p: p.stem)
def test_no_code_line_is_wider_than_its_cell(
    chapter: pathlib.Path,
) -> None:
    long = too_wide(chapter)
    assert not long, "code lines cut off in the HTML:\n" + "\n".join(long)


def _chapter(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    """A small MyST chapter file with ``text`` (dedented)."""
    chapter = tmp_path / "chapter.md"
    chapter.write_text(textwrap.dedent(text))
    return chapter


@pytest.mark.html  # after the build: its executed notebooks, nothing runs
@pytest.mark.parametrize("chapter", code_chapters(), ids=lambda p: p.stem)
def test_no_printed_line_is_wider_than_its_box(
    chapter: pathlib.Path,
) -> None:
    try:
        executed = executed_notebook(chapter)
    except LookupError as exc:
        skip_or_fail(str(exc))
    long = wide_outputs(chapter, executed)
    assert not long, "printed lines cut off in the HTML:\n" + "\n".join(
        long
    )


def test_wide_outputs_reads_what_the_page_shows(
    tmp_path: pathlib.Path,
) -> None:
    import nbformat

    chapter = _chapter(
        tmp_path,
        """\
            ```{code-cell} ipython3
            print("x")
            ```

            ```{code-cell} ipython3
            :tags: [remove-output]

            print("y")
            ```
            """,
    )
    wide = "w" * (PAGE_WIDTH + 1)
    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell(
                'print("x")',
                outputs=[
                    v4.new_output("stream", text="ok\n" + wide + "\n"),
                    v4.new_output(
                        "display_data",
                        {"image/png": "", "text/plain": wide},
                    ),
                    v4.new_output(
                        "execute_result",
                        {"text/plain": wide},
                        execution_count=1,
                    ),
                ],
            ),
            v4.new_code_cell(
                'print("y")',
                outputs=[v4.new_output("stream", text=wide)],
            ),
        ]
    )
    # the stream line and the plain-text result count; the figure and the removed
    # output do not
    found = wide_outputs(chapter, nb)
    assert len(found) == 2 and all(
        f"{PAGE_WIDTH + 1} > {PAGE_WIDTH}" in f for f in found
    )
    nb.cells[0].outputs = [v4.new_output("stream", text="w" * PAGE_WIDTH)]
    assert wide_outputs(chapter, nb) == []
    nb.cells.pop()
    with pytest.raises(ValueError, match="code cells"):
        wide_outputs(chapter, nb)


def test_widths_fit_the_measured_cells() -> None:
    # measured at 1280 px in Chromium: 77 columns in a cell on the page, 75 in
    # an expanded hide-input cell, 69 in a solution block; the PDF's code lines
    # hold 86 (see scripts/lint_chapters.py)
    assert line_length() <= 75
    assert BLOCK_WIDTH <= 69
    assert line_length() < PAGE_WIDTH <= 77
    assert BLOCK_WIDTH < line_length()


def test_code_cells_are_read_with_their_options_and_blocks(
    tmp_path: pathlib.Path,
) -> None:
    chapter = _chapter(
        tmp_path,
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
            """,
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
