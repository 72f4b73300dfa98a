"""The notebooks readers download and students get: plain Jupyter Markdown + LaTeX.

Unit tests of the converter (``scripts/myst_to_jupyter.py``) on small MyST texts, each
against the text the book shows, then (after the build, marker ``html``) the real thing:

* every downloaded notebook (``_build/html/_notebooks``) and every student notebook
  (``scripts/assignments.py generate``) has no MyST-only syntax left in its Markdown
  (:func:`myst_to_jupyter.leftovers`), every glued number of its chapter is in its prose
  (the value the build computed), every ``{eq}`` / ``{prf:ref}`` of the source became the
  number the book shows with a link into the online book, its install line points at
  ``repository: url`` of ``_config.yml``, and it ends with the references it cites;
* the cross-reference data of the build (``_build/reader.json``) agrees with the HTML
  (a theorem's number there is the caption of its box on the page).
"""

from __future__ import annotations

import os
import pathlib
import re

import jupytext
import nbformat
import pytest
import yaml

import book_reader
import myst_to_jupyter as m
from assignments import student_notebook
from chapters import code_chapters
from ci import skip_or_fail

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML_DIR = pathlib.Path(
    os.environ.get("BOOK_HTML_DIR", ROOT / "_build" / "html")
).resolve()
BUILD_DIR = HTML_DIR.parent
CHAPTERS = code_chapters()
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
MACROS = CONFIG["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
REPO_URL = CONFIG["repository"]["url"].rstrip("/")


def _ctx(**kw) -> m.Context:
    base = dict(
        docname="chapters/09_x",
        site_url="https://o.github.io/r/",
        repo_url="https://github.com/o/r",
        xrefs={
            "eq": {
                "eq-a": {
                    "text": "(9.3)",
                    "url": "chapters/09_x.html#equation-eq-a",
                }
            },
            "prf": {
                "thm-a": {
                    "text": "Theorem 9.1",
                    "url": "chapters/09_x.html#thm-a",
                }
            },
            "std": {
                "ch-x": {
                    "text": "The chapter",
                    "url": "chapters/09_x.html#ch-x",
                }
            },
            "doc": {
                "notation": {"text": "Notation", "url": "notation.html"}
            },
            "numref": {
                "ex-a": {
                    "text": "Exercise 9.1",
                    "url": "chapters/09_x.html#ex-a",
                }
            },
            "py": {
                "dynapprox.memory.f": {
                    "text": "dynapprox.memory.f",
                    "url": "reference/memory.html#dynapprox.memory.f",
                }
            },
        },
        blocks=[
            {
                "kind": "prf",
                "type": "theorem",
                "id": "thm-a",
                "number": "Theorem 9.1",
            },
            {"kind": "prf", "type": "proof", "id": "", "number": ""},
            {"kind": "exercise", "id": "ex-a", "number": "Exercise 9.1"},
            {
                "kind": "solution",
                "id": "ex-a",
                "number": "Solution to Exercise 9.1",
            },
        ],
        glue={"rate": "'0.123'", "n": "42"},
        bibliography={
            "li2021": {
                "label": "Li *et al.*, 2021",
                "author": "Li *et al.*",
                "year": "2021",
                "entry": "Z. Li, J. Han, W. E, Q. Li. On the curse of memory. ICLR, 2021.",
            }
        },
        macros=MACROS,
    )
    base.update(kw)
    return m.Context(**base)


# ------------------------------------------------------------------ the converter
def test_theorem_block_gets_its_number_title_and_citation() -> None:
    ctx = _ctx()
    src = (
        ":::{prf:theorem} Rate for $\\R^d$ {cite}`li2021`\n:label: thm-a\n\n"
        "Let $\\norm{\\rho}_{L^1} < \\infty$.\n:::\n\n:::{prf:proof}\nBy {eq}`eq-a`.\n:::"
    )
    out = m.convert_markdown(src, ctx)
    assert (
        "**Theorem 9.1** (Rate for $\\mathbb{R}^d$ [Li *et al.*, 2021])"
        in out
    )
    assert "$\\left\\|\\rho\\right\\|_{L^1} < \\infty$" in out
    assert (
        "*Proof.*" in out
        and out.rstrip().endswith("---") is False
        and "∎" in out
    )
    assert (
        "[(9.3)](https://o.github.io/r/chapters/09_x.html#equation-eq-a)"
        in out
    )
    assert not ctx.problems and ctx.cited == ["li2021"]
    assert not m.leftovers(out)


def test_math_block_is_tagged_and_wrapped_like_sphinx() -> None:
    ctx = _ctx()
    out = m.convert_markdown(
        "```{math}\n:label: eq-a\na = b \\\\\nc = d\n```", ctx
    )
    assert (
        out
        == "$$\n\\begin{aligned}\na = b \\\\\nc = d\n\\end{aligned} \\tag{9.3}\n$$"
    )
    two = m.convert_markdown("```{math}\nx = 1\n\ny = 2\n```", ctx)
    assert "\\begin{aligned}\nx = 1 \\\\\ny = 2\n\\end{aligned}" in two
    dollar = m.convert_markdown("$$\nE = mc^2\n$$ (eq-a)", ctx)
    assert dollar == "$$\nE = mc^2 \\tag{9.3}$$"


def test_roles_become_the_books_text_with_links() -> None:
    ctx = _ctx()
    out = m.convert_markdown(
        "See {prf:ref}`thm-a`, {ref}`ch-x`, {ref}`that chapter <ch-x>`, {func}`~dynapprox.memory.f` "
        "and {glue:text}`rate` with {glue:text}`n:.1f` cells; `{eq}` in code stays.",
        ctx,
    )
    assert (
        "[Theorem 9.1](https://o.github.io/r/chapters/09_x.html#thm-a)"
        in out
    )
    assert (
        "[The chapter](https://o.github.io/r/chapters/09_x.html#ch-x)"
        in out
    )
    assert (
        "[that chapter](https://o.github.io/r/chapters/09_x.html#ch-x)"
        in out
    )
    assert (
        "[`f()`](https://o.github.io/r/reference/memory.html#dynapprox.memory.f)"
        in out
    )
    assert "0.123 with 42.0 cells" in out
    more = m.convert_markdown(
        "{numref}`ex-a`, {doc}`../notation`, {doc}`the notation </notation>`",
        ctx,
    )
    assert more == (
        "[Exercise 9.1](https://o.github.io/r/chapters/09_x.html#ex-a), "
        "[Notation](https://o.github.io/r/notation.html), [the notation](https://o.github.io/r/notation.html)"
    )
    assert "`{eq}` in code stays" in out
    assert not ctx.problems


def test_unresolved_references_are_reported_not_hidden() -> None:
    ctx = _ctx()
    out = m.convert_markdown(
        "{eq}`eq-missing`, {prf:ref}`thm-missing`, {glue:text}`nope`, {cite}`nokey`",
        ctx,
    )
    assert len(ctx.problems) == 4, ctx.problems
    assert "(eq-missing)" in out


def test_glue_without_a_build_names_the_cell() -> None:
    ctx = _ctx(glue={}, xrefs={}, blocks=[])
    ctx.code_cells = [
        "x = 1",
        "for lab in 'ab':\n    glue(f\"gb_{lab}\", 1, display=False)",
        "glue('tot', 3)",
    ]
    out = m.convert_markdown("{glue:text}`gb_a` and {glue:text}`tot`", ctx)
    assert out == (
        "(glue value `gb_a`: computed by code cell 2) and (glue value `tot`: computed by code cell 3)"
    )
    assert not ctx.problems  # no build: a fallback, not a failure
    assert m.leftovers(out) == [
        "unresolved glue: 'glue value `gb_a`'",
        "unresolved glue: 'glue value `tot`'",
    ]


def test_exercise_solution_label_lines_and_comments() -> None:
    ctx = _ctx()
    src = (
        "(sec-x)=\n% a MyST comment\n## Exercises\n\n```{exercise} Title\n:label: ex-a\n\nDo it.\n```\n\n"
        "````{solution-start} ex-a\n:class: dropdown\n````\n\nDone.\n\n````{solution-end}\n````"
    )
    out = m.convert_markdown(src, ctx)
    assert out.startswith("## Exercises")
    assert (
        "**Exercise 9.1** (Title)" in out
        and "**Solution to Exercise 9.1**" in out
    )
    assert "(sec-x)=" not in out and "comment" not in out
    assert not m.leftovers(out) and not ctx.problems


def test_macros_expand_as_whole_control_words_with_arguments() -> None:
    macros = {
        "R": "\\mathbb{R}",
        "norm": ["\\left\\|#1\\right\\|", 1],
        "Fs": "F^{*}",
        "inner": ["\\langle #1, #2\\rangle", 2],
    }
    assert (
        m.expand_macros("\\R^d \\Rightarrow \\norm{x_{\\R}}", macros)
        == "\\mathbb{R}^d \\Rightarrow \\left\\|x_{\\mathbb{R}}\\right\\|"
    )
    assert m.expand_macros("\\Fs^{(i)}", macros) == "{F^{*}}^{(i)}"
    assert (
        m.expand_macros("\\inner{a}{\\norm b}", macros)
        == "\\langle a, \\left\\|b\\right\\|\\rangle"
    )
    assert (
        m.expand_macros("a \\\\R", macros) == "a \\\\R"
    )  # a line break, then R


def test_install_line_follows_the_configured_repository() -> None:
    code = 'try:\n    import dynapprox\nexcept ImportError:\n    %pip install --quiet "dynapprox @ git+https://github.com/old/place"\n'
    new = m.rewrite_install_url(code, "https://github.com/me/book")
    assert (
        '"dynapprox @ git+https://github.com/me/book"' in new
        and "old/place" not in new
    )
    assert (
        m.rewrite_install_url(
            "x = 'git+https://a/b'", "https://github.com/me/book"
        )
        == "x = 'git+https://a/b'"
    )


def test_leftovers_finds_myst_and_ignores_code() -> None:
    assert (
        m.leftovers("```python\n{eq}`x`\n```\nand `{cite}` in code") == []
    )
    found = m.leftovers("(lab)=\n:::{note}\nx\n:::\n{eq}`a`")
    assert any("label line" in f for f in found) and any(
        "role" in f for f in found
    )
    assert any("directive fence" in f for f in found)


def test_site_url_and_repository_forms() -> None:
    assert (
        book_reader.site_url_for("https://github.com/Org/Book")
        == "https://org.github.io/Book/"
    )
    assert (
        book_reader.site_url_for("https://github.com/org/org.github.io")
        == "https://org.github.io/"
    )
    assert book_reader.site_url_for("https://gitlab.com/o/r") == ""
    assert (
        book_reader.site_url_for(
            "https://github.com/o/r", "https://book.example.org"
        )
        == "https://book.example.org/"
    )
    for form in (
        "git@github.com:Org/book.git",
        "https://github.com/org/book/",
        "ssh://git@github.com/org/book",
    ):
        assert (
            book_reader.normalise_repository_url(form)
            == "https://github.com/org/book"
        )


def test_bibliography_labels_are_author_year() -> None:
    bib = book_reader.bibliography_for(CONFIG)
    assert bib, "no bibliography entry"
    for key, entry in bib.items():
        assert re.fullmatch(r".+, (\d{4}|n\.d\.)", entry["label"]), (
            key,
            entry["label"],
        )
        assert (
            "{" not in entry["entry"].replace("$", "")
            or "$" in entry["entry"]
        ), (key, entry["entry"])


# ----------------------------------------------------------- the built notebooks
def _glued_values(docname: str) -> list[str]:
    glue = m.load_glue(
        BUILD_DIR / "jupyter_execute" / f"{docname}.glue.json"
    )
    return [m._format_glue(v, "") for v in glue.values()]


def _require_build() -> dict:
    data = m.load_reader_data(BUILD_DIR / "reader.json")
    if not data or not (HTML_DIR / "_notebooks").exists():
        skip_or_fail(
            f"no built book with reader data at {BUILD_DIR}: run `make book` first"
        )
    return data


def _check_plain(nb, src: pathlib.Path, what: str, data: dict) -> None:
    docname = str(src.relative_to(ROOT).with_suffix(""))
    text = "\n\n".join(
        c.source for c in nb.cells if c.cell_type == "markdown"
    )
    left = m.leftovers(text)
    assert not left, f"{what}: MyST-only syntax left: {left[:8]}"
    source = src.read_text(encoding="utf-8")
    # every glued number quoted in the prose is there (with its format, as the book shows it)
    for key, fmt in re.findall(
        r"\{glue:text\}`([^`:]+):?([^`]*)`", source
    ):
        glue = m.load_glue(
            BUILD_DIR / "jupyter_execute" / f"{docname}.glue.json"
        )
        assert key in glue, (
            f"{what}: the build has no value for glue key {key!r}"
        )
        value = m._format_glue(glue[key], fmt)
        assert value in text, (
            f"{what}: the number {value!r} of {key!r} is not in the prose"
        )
    # every equation and theorem reference is the book's number, linked into the online book
    site = data["site_url"]
    for target in set(re.findall(r"\{eq\}`([^`]+)`", source)):
        hit = data["xrefs"]["eq"][target]
        assert f"[{hit['text']}]({site}{hit['url']})" in text, (
            f"{what}: {{eq}}`{target}` not converted"
        )
    for target in set(re.findall(r"\{prf:ref\}`([^`<]+)`", source)):
        hit = data["xrefs"]["prf"][target]
        assert f"[{hit['text']}]({site}{hit['url']})" in text, (
            f"{what}: {{prf:ref}}`{target}` not converted"
        )
    if "{cite}" in source:
        assert "## References" in text, (
            f"{what}: citations but no References cell"
        )
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    urls = book_reader.install_urls(code)
    assert urls and set(urls) == {REPO_URL}, (
        f"{what}: the install line points at {urls}, _config.yml at {REPO_URL}"
    )


@pytest.mark.html
@pytest.mark.parametrize("src", CHAPTERS, ids=lambda p: p.stem)
def test_downloaded_notebook_is_plain(src: pathlib.Path) -> None:
    data = _require_build()
    path = (
        HTML_DIR
        / "_notebooks"
        / src.relative_to(ROOT).with_suffix(".ipynb")
    )
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    _check_plain(nb, src, path.name, data)
    # the whole chapter: the same code cells as the MyST source, in order (install URL aside)
    src_code = [
        m.rewrite_install_url(c.source, REPO_URL)
        for c in jupytext.read(src).cells
        if c.cell_type == "code"
    ]
    assert [
        c.source for c in nb.cells if c.cell_type == "code"
    ] == src_code


@pytest.mark.html
def test_reader_data_matches_the_pages() -> None:
    data = _require_build()
    from bs4 import BeautifulSoup

    checked = 0
    for src in CHAPTERS:
        docname = str(src.relative_to(ROOT).with_suffix(""))
        soup = BeautifulSoup(
            (HTML_DIR / f"{docname}.html").read_text(encoding="utf-8"),
            "html.parser",
        )
        for label in re.findall(
            r":label: (thm-[\w-]+)", src.read_text(encoding="utf-8")
        ):
            box = soup.find(id=label)
            caption = box.find(class_="caption-number").get_text(
                strip=True
            )
            assert data["xrefs"]["prf"][label]["text"] == caption, (
                label,
                caption,
            )
            checked += 1
    assert checked >= 10


def _check_student(src: pathlib.Path, assignment_of) -> None:
    _require_build()
    made = assignment_of(
        src
    )  # generated once a run (tests/book/conftest.py)
    if made is None:
        pytest.skip(f"{src.stem} has no graded exercise")
    path = student_notebook(made, src)
    nb = nbformat.read(path, as_version=4)
    text = "\n\n".join(
        c.source for c in nb.cells if c.cell_type == "markdown"
    )
    left = m.leftovers(text)
    assert not left, (
        f"{src.stem} (student): MyST-only syntax left: {left[:8]}"
    )
    assert re.search(r"\*\*Exercise \d+(\.\d+)?\*\*", text), (
        f"{src.stem} (student): no numbered exercise"
    )
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "%pip install --quiet otter-grader==" in code, (
        "otter has no hosted-kernel fallback"
    )
    assert set(book_reader.install_urls(code)) == {REPO_URL}
    # every glued number quoted in the prose the student gets is the build's value
    glue = m.load_glue(
        BUILD_DIR
        / "jupyter_execute"
        / f"{src.relative_to(ROOT).with_suffix('')}.glue.json"
    )
    for key, _fmt in re.findall(
        r"\{glue:text\}`([^`:]+):?([^`]*)`",
        src.read_text(encoding="utf-8"),
    ):
        assert key in glue, f"{src.stem}: the build glued no value {key!r}"
        assert f"glue value `{key}`" not in text, (
            f"{src.stem} (student): glue {key!r} has no number"
        )


@pytest.mark.html
def test_student_notebook_is_plain(assignment_of) -> None:
    # one chapter with graded exercises and glued numbers in its prose (otter assign takes
    # about 6 s a chapter; every chapter under the slow mark below)
    _check_student(ROOT / "chapters" / "09_rates_memory.md", assignment_of)


@pytest.mark.html
@pytest.mark.slow
@pytest.mark.parametrize("src", CHAPTERS, ids=lambda p: p.stem)
def test_every_student_notebook_is_plain(
    src: pathlib.Path, assignment_of, stamped
) -> None:
    # the assignment is generated once a run, for this check and the self-check of
    # test_assignments.py; `make test` skips a chapter checked before against the same
    # chapter, converters and build numbers (tests/conftest.py)
    stamped(
        src,
        *(
            ROOT / "scripts" / dep
            for dep in (
                "myst_to_jupyter.py",
                "book_reader.py",
                "assignments.py",
            )
        ),
        BUILD_DIR / "reader.json",
        BUILD_DIR
        / "jupyter_execute"
        / f"{src.relative_to(ROOT).with_suffix('')}.glue.json",
        ROOT / "_config.yml",
    )
    _check_student(src, assignment_of)
