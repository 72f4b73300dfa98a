"""The chapter notebooks offered for download run on their own.

The build writes ``_build/html/_notebooks/<chapter>.ipynb`` with jupytext
(``scripts/book_reader.py``). These tests take the notebooks from the built book when
it exists (``$BOOK_HTML_DIR``, default ``_build/html``), else generate them with the
same function, and check that

* the first code cell makes the package importable in a fresh hosted kernel: it
  imports ``dynapprox`` and, only when that fails, installs it with ``%pip`` from the
  repository URL of ``_config.yml``;
* (marker ``html``, after the build) each download is the notebook that ``make test``
  executes elsewhere: the same code cells, in the same order, as the notebook the
  build executed and rendered. ``scripts/chapters.py compare`` (``make nbval``) runs
  that notebook top to bottom in a fresh kernel started in an empty temporary folder,
  far from the repository, with the installed package, and compares its outputs with
  the build's; so the download is known to run elsewhere without a third execution.
"""

from __future__ import annotations

import os
import pathlib

import jupytext
import nbformat
import pytest
import yaml

import book_reader
from chapters import code_chapters
from ci import skip_or_fail

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML_DIR = pathlib.Path(
    os.environ.get("BOOK_HTML_DIR", ROOT / "_build" / "html")
)
CHAPTERS = code_chapters()
REPO_URL = yaml.safe_load((ROOT / "_config.yml").read_text())[
    "repository"
]["url"].rstrip("/")


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> dict[str, pathlib.Path]:
    """The downloadable notebook of every chapter: from the built book when it is newer
    than the chapter (a chapter edited since the last build, as in ``make unit`` before
    ``make build``, gets a fresh one), else generated with the build's function."""
    out: dict[str, pathlib.Path] = {}
    gen = tmp_path_factory.mktemp("generated")
    for src in CHAPTERS:
        rel = src.relative_to(ROOT).with_suffix(".ipynb")
        built = HTML_DIR / book_reader.NOTEBOOK_DIR / rel
        fresh = (
            built.exists() and built.stat().st_mtime >= src.stat().st_mtime
        )
        out[src.stem] = (
            built if fresh else book_reader.write_notebook(src, gen / rel)
        )
    return out


def test_every_chapter_is_a_notebook() -> None:
    assert CHAPTERS, "no executable chapter found in _toc.yml"
    for src in CHAPTERS:
        assert book_reader.is_myst_notebook(src), src


@pytest.mark.parametrize("src", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_is_valid_and_has_no_outputs(
    src: pathlib.Path, notebooks
) -> None:
    nb = nbformat.read(notebooks[src.stem], as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{src.name}: no code cell"
    assert all(not c.get("outputs") for c in code), (
        f"{src.name}: the download should have no outputs"
    )
    # the notebook is the whole chapter: the same code cells as the MyST source, in order
    source_code = [
        c.source for c in jupytext.read(src).cells if c.cell_type == "code"
    ]
    assert [c.source for c in code] == source_code


@pytest.mark.parametrize("src", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_installs_the_package_when_missing(
    src: pathlib.Path,
) -> None:
    first = book_reader.first_code_cell(src)
    lines = [ln.strip() for ln in first.splitlines()]
    assert (
        "try:" in lines
        and any(
            ln.split("#")[0].strip() == "import dynapprox" for ln in lines
        )
        and "except ImportError:" in lines
    ), (
        f"{src.name}: the first code cell must start with the setup snippet "
        "(try: import dynapprox / except ImportError: %pip install ...)"
    )
    pip = [ln for ln in lines if ln.startswith("%pip install")]
    assert pip, (
        f"{src.name}: no `%pip install` fallback in the first code cell"
    )
    assert book_reader.install_urls(first) == [REPO_URL], (
        f"{src.name}: installs from {book_reader.install_urls(first)}, _config.yml says {REPO_URL}"
    )
    # the install happens only when the import fails: it sits after `except ImportError:`
    assert lines.index("except ImportError:") < lines.index(pip[0])


def test_install_url_parser() -> None:
    code = '%pip install --quiet "dynapprox @ git+https://github.com/o/r.git"\n'
    assert book_reader.install_urls(code) == ["https://github.com/o/r"]
    assert book_reader.install_urls("import dynapprox\n") == []


@pytest.mark.html  # after the build: reads the build's notebooks, executes nothing
@pytest.mark.parametrize("src", CHAPTERS, ids=lambda p: p.stem)
def test_download_is_the_notebook_run_elsewhere(
    src: pathlib.Path, notebooks
) -> None:
    import chapters

    try:
        executed = chapters.executed_notebook(src)
    except LookupError as exc:
        skip_or_fail(str(exc))
    # the build's executed notebook, the rendered one and the download: same code cells
    chapters.check_same_code(src, executed, HTML_DIR)
    download = nbformat.read(notebooks[src.stem], as_version=4)
    assert chapters.code_sources(download) == chapters.code_sources(
        executed
    )
    # the comparison runs it outside the repository, never inside
    with pytest.raises(ValueError, match="outside the repository"):
        chapters.run_nbval([], ROOT)


# --------------------------------------------------------------------------------
# The other pure functions of the same build extension (scripts/book_reader.py):
# the MathJax 2 translation of the book's MathJax 3 macros, the LaTeX preamble, and
# the local MathJax copy. They need no build, so they run with the unit tests.


def _book_mathjax3() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"][
        "config"
    ]["mathjax3_config"]


def test_mathjax2_config_keeps_every_macro_and_myst_classes() -> None:
    cfg3 = _book_mathjax3()
    cfg3 = {
        **cfg3,
        "options": {
            "processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"
        },
    }
    cfg2 = book_reader.mathjax2_config_from(cfg3)
    assert cfg2["TeX"]["Macros"] == cfg3["tex"]["macros"]
    assert set(cfg2["tex2jax"]["processClass"].split("|")) == {
        "tex2jax_process",
        "mathjax_process",
        "math",
        "output_area",
    }
    assert "tex2jax_ignore" in cfg2["tex2jax"]["ignoreClass"].split("|")
    assert cfg2["jax"] == ["input/TeX", "output/CommonHTML"]
    assert cfg3.get("TeX") is None  # the input is not modified


def test_latex_macros_define_every_macro_with_its_arity() -> None:
    macros = _book_mathjax3()["tex"]["macros"]
    pre = book_reader.latex_macros({"tex": {"macros": macros}})
    for name, spec in macros.items():
        nargs = spec[1] if isinstance(spec, list) else 0
        arity = f"[{nargs}]" if nargs else ""
        assert f"\\renewcommand{{\\{name}}}{arity}{{" in pre, name
    # a superscripted macro is a group: \Fs^{(i)} must not be a double superscript
    assert "\\renewcommand{\\Fs}{{F^{*}}}" in pre
    assert book_reader.latex_macros(None).count("\\renewcommand") == 0


def test_copy_mathjax(tmp_path) -> None:
    with pytest.raises(ValueError, match="version"):
        book_reader.copy_mathjax(tmp_path, 4, tmp_path / "out")
    found = book_reader.find_mathjax()
    if found is None:
        skip_or_fail("no local MathJax (apt-get install libjs-mathjax)")
    dest = book_reader.copy_mathjax(found[0], found[1], tmp_path / "out")
    assert dest == tmp_path / "out" / "_static" / "mathjax"
    if found[1] == 2:
        for part in book_reader.MATHJAX2_PARTS:
            assert (dest / part).exists(), part
        assert any((dest / "fonts/HTML-CSS/TeX/woff").glob("*.woff"))
    # nothing is a symbolic link into the system: the copy is self-contained
    assert not any(p.is_symlink() for p in dest.rglob("*"))


def test_find_mathjax_ignores_a_directory_without_mathjax(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("DYNAPPROX_MATHJAX_DIR", str(tmp_path))
    monkeypatch.setattr(
        book_reader, "DEBIAN_MATHJAX", tmp_path / "missing"
    )
    assert book_reader.find_mathjax() is None
    (tmp_path / "tex-chtml.js").write_text("")
    assert book_reader.find_mathjax() == (tmp_path, 3)


def test_own_document_drops_the_nested_documents_environment() -> None:
    import pickle

    from docutils import nodes
    from docutils.utils import new_document

    page = new_document("page")
    nested = new_document("docstring")
    nested.settings.env = {
        "big": "x" * 1_000_000
    }  # stands for Sphinx's environment
    para = nodes.paragraph(text="a docstring")
    nested += para
    page += para.deepcopy()
    page.children[
        0
    ].document = nested  # what autodoc's nested parse leaves behind
    page.settings.env = (
        None  # Sphinx clears the page's own reference before pickling
    )
    assert len(pickle.dumps(page)) > 1_000_000
    assert (
        book_reader.own_document(None, page) == 2
    )  # the paragraph and its text
    assert (
        page.children[0].document is page
        and len(pickle.dumps(page)) < 20_000
    )
    assert book_reader.own_document(None, page) == 0
