"""The one-chapter build (``scripts/build_chapter.py``) sorts its warnings right.

A warning that only names a label defined in another page of the book, or a page of
``_toc.yml`` left out of the one-chapter book, is expected there; anything else (a
label defined nowhere, a label of the chapter itself, a Python object not found) is an
error. Pure functions on small texts; nothing is built.
"""

from __future__ import annotations

import pathlib

import yaml

from build_chapter import expected_elsewhere, labels_of, toc_documents

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_labels_of_reads_myst_options_and_rst(
    tmp_path: pathlib.Path,
) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "(ch-x)=\n# X\n\n```{prf:theorem} T\n:label: thm-x\n```\n\n"
        "```{code-cell} ipython3\n---\nmystnb:\n  figure:\n    name: fig-x\n---\n```\n"
        ".. _rst-x:\n\nnot a label: (y)= in a sentence\n"
    )
    assert labels_of([page]) == {"ch-x", "thm-x", "fig-x", "rst-x"}


def test_toc_documents_of_the_book() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    docs = toc_documents(toc)
    assert "intro" in docs and "chapters/07_sequence_modelling" in docs
    assert len([d for d in docs if d.startswith("chapters/")]) >= 12


def test_expected_warnings_name_only_what_is_elsewhere() -> None:
    elsewhere = {"thm-jackson", "ch-rates"}
    left_out = {"chapters/01_approximation"}
    for line in (
        "x.md: WARNING: label 'thm-jackson' not found.",
        "x.md:3: WARNING: prf:ref reference target not found: thm-jackson",
        "x.md:3: WARNING: undefined label: 'ch-rates'",
        "doc:5: WARNING: unknown document: '/chapters/01_approximation'",
        "x.md: WARNING: notebook download: ref target 'ch-rates' not found in the build",
    ):
        assert expected_elsewhere(line, elsewhere, left_out), line
    for line in (
        "x.md: WARNING: label 'thm-nowhere' not found.",
        "x.md:3: WARNING: py:data reference target not found: NOTE_WIDTH",
        "doc:5: WARNING: unknown document: '/chapters/99_missing'",
        "x.md:9: WARNING: image file not readable: fig.png",
    ):
        assert not expected_elsewhere(line, elsewhere, left_out), line
