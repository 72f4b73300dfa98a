"""The book's structure: TOC and files agree, chapters follow the format, citations resolve.

Fast checks, run before any notebook is executed.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from chapters import code_chapters, source_of, toc_files

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_toc_entry_has_a_file():
    for entry in toc_files():
        source_of(entry)  # raises FileNotFoundError naming the entry


def test_every_chapter_file_is_in_the_toc():
    listed = {str(pathlib.Path(e)) for e in toc_files()}
    for folder in ("chapters", "reference"):
        for path in sorted((ROOT / folder).glob("*.md")):
            rel = str(path.relative_to(ROOT).with_suffix(""))
            assert rel in listed, f"{rel}.md is not listed in _toc.yml"


def test_every_package_module_has_a_reference_page():
    modules = [
        p.stem
        for p in (ROOT / "lib" / "dynapprox").glob("*.py")
        if not p.stem.startswith("_")
    ]
    for mod in modules:
        page = ROOT / "reference" / f"{mod}.md"
        assert page.exists(), (
            f"module dynapprox.{mod} has no reference page reference/{mod}.md"
        )
        assert f"automodule:: dynapprox.{mod}" in page.read_text()


@pytest.mark.parametrize("chapter", code_chapters(), ids=lambda p: p.stem)
def test_chapter_format(chapter):
    text = chapter.read_text()
    header = text.split("---", 2)[1]
    assert "name: python3" in header, (
        f"{chapter.name}: kernelspec must be python3"
    )
    body = text.split("---", 2)[2].lstrip()
    assert re.match(r"\(ch-[a-z0-9-]+\)=\n# ", body), (
        f"{chapter.name}: must start with a (ch-...)= label and a title"
    )
    assert re.search(r"^rng = setup\(", text, re.M), (
        f"{chapter.name}: must seed everything (rng = setup())"
    )
    assert re.search(r"\{prf:(theorem|proposition|lemma)\}", text), (
        f"{chapter.name}: no theorem"
    )
    assert "{cite" in text, f"{chapter.name}: no citation"
    assert re.search(r"^\s*assert ", text, re.M), (
        f"{chapter.name}: no asserted check"
    )
    assert len(re.findall(r"\{exercise(-start)?\}", text)) >= 2, (
        f"{chapter.name}: fewer than two exercises"
    )
    assert "## What to remember" in text, (
        f"{chapter.name}: no 'What to remember' section"
    )


def _book_sources() -> list[pathlib.Path]:
    return (
        [source_of(e) for e in toc_files()]
        + sorted((ROOT / "bib").glob("*.bib"))
        + [ROOT / "references.bib"]
    )


@pytest.mark.parametrize(
    "source", _book_sources(), ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_control_characters(source):
    """A TeX macro written into a Python string without ``r""`` loses its backslash:
    ``\\tanh`` becomes a tab + ``anh``, ``\\beta`` a backspace, ``\\frac`` a form feed."""
    for number, line in enumerate(
        source.read_text(encoding="utf-8").splitlines(), 1
    ):
        bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\t]", line)
        assert bad is None, (
            f"{source.name}:{number}: control character {bad.group()!r} in {line.strip()[:60]!r}"
        )


def _bib_keys() -> set[str]:
    keys = set()
    for bib in [
        ROOT / "references.bib",
        *sorted((ROOT / "bib").glob("*.bib")),
    ]:
        keys |= set(
            re.findall(r"^@\w+\{([^,\s]+),", bib.read_text(), re.M)
        )
    return keys


def test_bibliography_keys_are_unique_and_cited_keys_exist():
    all_keys = []
    for bib in [
        ROOT / "references.bib",
        *sorted((ROOT / "bib").glob("*.bib")),
    ]:
        all_keys += re.findall(r"^@\w+\{([^,\s]+),", bib.read_text(), re.M)
    dupes = {k for k in all_keys if all_keys.count(k) > 1}
    assert not dupes, f"duplicate bibliography keys: {sorted(dupes)}"
    keys = set(all_keys)
    pages = [ROOT / "intro.md", *sorted((ROOT / "chapters").glob("*.md"))]
    for page in pages:
        for group in re.findall(
            r"\{cite(?::[a-z]+)?\}`([^`]+)`", page.read_text()
        ):
            for key in group.split(","):
                assert key.strip() in keys, (
                    f"{page.name} cites unknown key {key.strip()!r}"
                )


def test_talk_bibliography_is_complete():
    keys = _bib_keys()
    talk = [
        "li2022deep",
        "li2022invariant",
        "li2021curse",
        "jiang2021convolutional",
        "li2022approximation",
        "li2022encoder",
        "e2019meanfield",
        "li2017maximum",
        "li2018optimal",
        "chen2021closeloop",
    ]
    classical = ["jackson1911", "weierstrass1885", "stone1948"]
    missing = [k for k in talk + classical if k not in keys]
    assert not missing, f"missing bibliography entries: {missing}"


@pytest.mark.parametrize("chapter", code_chapters(), ids=lambda p: p.stem)
def test_exercise_format_expands(chapter):
    """Every chapter's exercises expand into an otter master (no execution here)."""
    from assignments import build_master

    master, graded = build_master(chapter)
    assert graded, (
        f"{chapter.name}: no auto-graded exercise (a `solution` cell with `test` cells)"
    )
    sources = "\n".join(c.source for c in master.cells)
    assert sources.count("# BEGIN QUESTION") == len(graded)
    assert "raise NotImplementedError" in sources
    assert sources.count("# HIDDEN") >= 1, (
        f"{chapter.name}: no hidden test"
    )
