"""Sphinx extension of the reader's book: notebook downloads, offline MathJax, launch links.

Loaded by ``_config.yml`` (``sphinx: local_extensions: {book_reader: scripts/}``), so
every ``jupyter-book build`` runs it. It does these things (1-4 for the HTML builders):

1. **Notebook downloads.** Every page whose source is a MyST Markdown notebook (a
   jupytext header with a ``kernelspec``) is converted by jupytext into
   ``<outdir>/_notebooks/<docname>.ipynb`` *without outputs* (the reader runs it; the
   outputs are on the HTML page). The page's download menu gets an ``.ipynb`` entry
   pointing at it, next to the ``.md`` source.
2. **Offline MathJax.** When a local MathJax is found (``$DYNAPPROX_MATHJAX_DIR``, the
   ``reader_mathjax_dir`` setting, or Debian's ``libjs-mathjax`` under
   ``/usr/share/javascript/mathjax``), the pages load it from ``_static/mathjax``
   instead of a CDN, and the files are copied there when the build finishes. MathJax 2
   (Debian) gets a ``mathjax2_config`` translated from the book's ``mathjax3_config``
   (same macros, same MyST processing classes), so ``_config.yml`` stays the one
   source of the macros. A MathJax 3 directory (one with ``tex-chtml.js``, e.g. the
   ``es5`` folder of the npm package ``mathjax@3``) is used as it is.
3. **Theme.** A default colour mode (``auto``: the reader's system setting) so that
   the theme logs no console error on a first visit.
4. **Launch links.** The theme builds Binder/JupyterHub/Colab links from the single
   ``repository: url`` of ``_config.yml``. Colab cannot open a ``.md`` file, so its
   link is pointed at the generated notebook on the published site branch
   (``reader_pages_branch``, default ``gh-pages``, as written by ``ghp-import``).
5. **PDF.** The LaTeX preamble gets the book's maths macros, translated from
   ``mathjax3_config`` (``_config.yml`` stays their one source).
6. **Bibliography maths.** The ``$...$`` in the titles of ``.bib`` entries become
   maths (typeset in the HTML, maths mode in the PDF) instead of literal dollars.
7. **One repository URL.** The first code cell of a chapter may install the package
   from the repository (``%pip install "dynapprox @ git+<url>"``) when
   ``import dynapprox`` fails in a hosted kernel. A URL there that differs from
   ``repository: url`` is reported as a warning (a strict build fails on it).

8. **Small doctrees.** autodoc builds the nodes of a docstring in a nested document
   whose settings hold Sphinx's whole environment; those nodes kept it, so every
   package reference page pickled the environment with it (3.5 MB each instead of a
   few kB), and since ``numfig`` makes Sphinx unpickle every page on every build, a
   build with nothing to do spent about 15 s reading them. Once a page is read, its
   nodes are pointed at the page's own document (``own_document``).

Run as a script, ``python scripts/book_reader.py mathjax OUTDIR`` copies the local
MathJax into ``OUTDIR/_static/mathjax`` and ``python scripts/book_reader.py notebooks
OUTDIR`` writes the notebooks of every chapter of ``_toc.yml`` into ``OUTDIR``.
"""
from __future__ import annotations

import copy
import json
import os
import pathlib
import re
import shutil
import sys
from typing import Any
from urllib.parse import urlparse

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = "_notebooks"
MATHJAX_STATIC = "mathjax"
DEBIAN_MATHJAX = pathlib.Path("/usr/share/javascript/mathjax")

#: The parts of a MathJax 2.7 tree that the CommonHTML output needs (about 1.5 MB
#: instead of 54 MB): core, TeX input, CommonHTML output (+ PreviewHTML for the fast
#: preview), the MathML element jax, the menu/zoom/assistive extensions, English
#: messages, and the TeX web fonts in WOFF format.
MATHJAX2_PARTS: tuple[str, ...] = (
    "MathJax.js",
    "extensions",
    "jax/input/TeX",
    "jax/output/CommonHTML",
    "jax/output/PreviewHTML",
    "jax/element",
    "localization/en",
    "fonts/HTML-CSS/TeX/woff",
)

INSTALL_RE = re.compile(r"git\+(?P<url>[^\s\"'#@]+)")


# --------------------------------------------------------------------------- MathJax
def find_mathjax(configured: str | os.PathLike[str] | None = None) -> tuple[pathlib.Path, int] | None:
    """Locate a local MathJax and its major version.

    Parameters
    ----------
    configured : str or os.PathLike or None
        A directory given by the book's configuration; ``$DYNAPPROX_MATHJAX_DIR``
        takes precedence, Debian's ``/usr/share/javascript/mathjax`` comes last.

    Returns
    -------
    found : tuple of (pathlib.Path, int) or None
        The MathJax directory and its major version (2 or 3), or ``None``.
    """
    candidates = [os.environ.get("DYNAPPROX_MATHJAX_DIR"), configured, DEBIAN_MATHJAX]
    for cand in candidates:
        if not cand:
            continue
        path = pathlib.Path(cand)
        if (path / "MathJax.js").is_file() and (path / "jax" / "output" / "CommonHTML").is_dir():
            return path, 2
        if (path / "tex-chtml.js").is_file():
            return path, 3
    return None


def mathjax2_config_from(mathjax3_config: dict[str, Any] | None) -> dict[str, Any]:
    """Translate the book's MathJax 3 configuration into a MathJax 2.7 one.

    The TeX macros are copied unchanged (both versions use ``name: body`` or
    ``name: [body, nargs]``). MyST marks the pages with ``tex2jax_ignore`` and lists
    the classes to typeset in ``options.processHtmlClass``; MathJax 2 calls these
    ``tex2jax.ignoreClass`` and ``tex2jax.processClass``.
    """
    cfg3 = copy.deepcopy(mathjax3_config or {})
    macros = cfg3.get("tex", {}).get("macros", {})
    process = cfg3.get("options", {}).get("processHtmlClass", "tex2jax_process|mathjax_process|math|output_area")
    ignore = cfg3.get("options", {}).get("ignoreHtmlClass", "tex2jax_ignore|mathjax_ignore")
    return {
        "jax": ["input/TeX", "output/CommonHTML"],
        "extensions": ["tex2jax.js", "MathMenu.js", "MathZoom.js", "AssistiveMML.js", "fast-preview.js"],
        "tex2jax": {
            "inlineMath": [["\\(", "\\)"]],
            "displayMath": [["\\[", "\\]"]],
            "processEscapes": True,
            "processEnvironments": False,
            "processRefs": False,
            "processClass": process,
            "ignoreClass": ignore,
        },
        "TeX": {
            "extensions": ["AMSmath.js", "AMSsymbols.js"],
            "Macros": macros,
            "equationNumbers": {"autoNumber": "none"},
        },
        "CommonHTML": {"linebreaks": {"automatic": True}},
        "messageStyle": "none",
    }


def copy_mathjax(source: pathlib.Path, version: int, outdir: pathlib.Path) -> pathlib.Path:
    """Copy a local MathJax into ``outdir/_static/mathjax`` (symbolic links followed).

    Parameters
    ----------
    source : pathlib.Path
        The MathJax directory found by :func:`find_mathjax`.
    version : int
        Its major version: 2 copies :data:`MATHJAX2_PARTS`, 3 the whole directory.
    outdir : pathlib.Path
        The HTML output directory of the build.

    Returns
    -------
    dest : pathlib.Path
        The directory written.
    """
    if version not in (2, 3):
        raise ValueError(f"version must be 2 or 3, got {version!r}")
    dest = pathlib.Path(outdir) / "_static" / MATHJAX_STATIC
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    parts = MATHJAX2_PARTS if version == 2 else tuple(p.name for p in source.iterdir())
    for part in parts:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, dest / part, symlinks=False)
        elif src.is_file():
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
        else:
            raise FileNotFoundError(f"MathJax at {source} lacks {part}")
    return dest


# ------------------------------------------------------------------------- notebooks
def is_myst_notebook(path: pathlib.Path) -> bool:
    """True when ``path`` is a MyST Markdown file with a jupytext header and a kernelspec."""
    if path.suffix != ".md" or not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    return text.startswith("---") and "kernelspec:" in text.split("---", 2)[1]


def write_notebook(source: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    """Convert a MyST notebook to ``.ipynb`` with jupytext (no outputs) and write it to ``dest``."""
    import jupytext

    nb = jupytext.read(source)
    nb.metadata.pop("jupytext", None)
    nb.metadata.setdefault("language_info", {"name": "python"})
    dest.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(nb, dest, fmt="ipynb")
    return dest


def first_code_cell(source: pathlib.Path) -> str:
    """The source of the first code cell of a MyST notebook (empty if it has none)."""
    import jupytext

    for cell in jupytext.read(source).cells:
        if cell.cell_type == "code":
            return cell.source
    return ""


def install_urls(code: str) -> list[str]:
    """The repository URLs of the ``git+`` installs in a code cell."""
    return [m.group("url").rstrip("/").removesuffix(".git") for m in INSTALL_RE.finditer(code)]


# -------------------------------------------------------------------- Sphinx events
def _logger():
    from sphinx.util import logging

    return logging.getLogger(__name__)


def _is_html(app) -> bool:
    return getattr(app.builder, "format", "") == "html"


def _theme_defaults(app, config) -> None:
    # pydata-sphinx-theme logs a console error ("Got invalid theme mode") on a first
    # visit unless the page context has a default mode: follow the reader's system.
    if config.html_context is None:
        config.html_context = {}
    config.html_context.setdefault("default_mode", "auto")


def latex_macros(mathjax3_config: dict[str, Any] | None) -> str:
    """LaTeX definitions of the book's MathJax macros, for the PDF's preamble.

    Each macro ``name: body`` or ``name: [body, nargs]`` of ``tex.macros`` becomes
    ``\\providecommand{\\name}{}\\renewcommand{\\name}[nargs]{body}``, so that a
    macro that LaTeX or a package already defines is replaced, not an error. A body
    with a sub- or superscript and no argument is wrapped in braces.
    """
    macros = (mathjax3_config or {}).get("tex", {}).get("macros", {})
    lines = ["% the book's maths macros, from mathjax3_config in _config.yml (scripts/book_reader.py)"]
    for name, spec in macros.items():
        body, nargs = (spec[0], int(spec[1])) if isinstance(spec, (list, tuple)) else (spec, 0)
        if not nargs and re.search(r"[\^_]", body):
            # F^{*} as a group, so that a superscript after the macro (\Fs^{(i)}) is a
            # new level instead of LaTeX's fatal "Double superscript"
            body = "{" + body + "}"
        arg = f"[{nargs}]" if nargs else ""
        lines.append(f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{arg}{{{body}}}")
    return "\n".join(lines) + "\n"


def _latex_preamble(app, config) -> None:
    elements = dict(config.latex_elements or {})
    elements["preamble"] = elements.get("preamble", "") + "\n" + latex_macros(config.mathjax3_config)
    config.latex_elements = elements


def _configure_mathjax(app) -> None:
    app.env.reader_mathjax = None  # type: ignore[attr-defined]
    if not _is_html(app) or app.config.reader_offline_mathjax == "off":
        return
    found = find_mathjax(app.config.reader_mathjax_dir or None)
    if found is None:
        _logger().info(
            "book_reader: no local MathJax found (apt-get install libjs-mathjax, or set "
            "DYNAPPROX_MATHJAX_DIR); the pages load MathJax from its CDN"
        )
        return
    path, version = found
    app.env.reader_mathjax = (str(path), version)  # type: ignore[attr-defined]
    if version == 2:
        app.config.mathjax2_config = mathjax2_config_from(app.config.mathjax3_config)
        app.config.mathjax3_config = None
        app.config.mathjax_path = f"{MATHJAX_STATIC}/MathJax.js"
    else:
        app.config.mathjax_path = f"{MATHJAX_STATIC}/tex-chtml.js"
    _logger().info(f"book_reader: MathJax {version} served locally from _static/{MATHJAX_STATIC} (copied from {path})")


def _repo_parts(app) -> tuple[str, str] | None:
    url = app.config.html_theme_options.get("repository_url", "") or ""
    parsed = urlparse(url)
    bits = [b for b in parsed.path.split("/") if b]
    if parsed.netloc != "github.com" or len(bits) < 2:
        return None
    return bits[0], bits[1].removesuffix(".git")


def _page_buttons(app, pagename: str, templatename: str, context: dict[str, Any], doctree) -> None:
    if doctree is None or "header_buttons" not in context:
        return
    source = pathlib.Path(app.env.doc2path(pagename))
    if not is_myst_notebook(source):
        return
    pathto = context["pathto"]
    nb_button = {
        "type": "link",
        "url": f"{pathto(NOTEBOOK_DIR, 1)}/{pagename}.ipynb",
        "text": ".ipynb",
        "icon": "fas fa-code",
        "tooltip": "Download this chapter as a Jupyter notebook (no outputs: run it)",
        "label": "download-notebook-button",
    }
    for group in context["header_buttons"]:
        if group.get("label") == "download-buttons":
            buttons = [b for b in group["buttons"] if b.get("label") != "download-notebook-button"]
            for b in buttons:
                if b.get("label") == "download-source-button":
                    b["tooltip"] = "Download the MyST Markdown source (opens as a notebook with jupytext)"
            group["buttons"] = [nb_button] + buttons
        if group.get("label") == "launch-buttons":
            parts = _repo_parts(app)
            colab = app.config.html_theme_options.get("launch_buttons", {}).get("colab_url", "").rstrip("/")
            for b in group["buttons"]:
                if b.get("text") == "Colab" and parts and colab:
                    org, repo = parts
                    b["url"] = (
                        f"{colab}/github/{org}/{repo}/blob/{app.config.reader_pages_branch}/"
                        f"{NOTEBOOK_DIR}/{pagename}.ipynb"
                    )


def _page_assets(app, pagename: str, templatename: str, context: dict[str, Any], doctree) -> None:
    """Drop duplicated inline scripts; load the local MathJax 2 where maths is, only there.

    sphinx-thebe registers its configuration script twice under Sphinx 7 (the second
    copy throws "Identifier 'THEBE_JS_URL' has already been declared"). MathJax 2.7's
    assistive-MathML extension throws on a page without any maths (Sphinx loads
    MathJax on a page whose toctree children have equations).
    """
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    local2 = (getattr(app.env, "reader_mathjax", None) or (None, 0))[1] == 2
    body = context.get("body") or ""
    has_math = 'class="math' in body
    loaded = any(str(getattr(js, "filename", "") or "").endswith("MathJax.js") for js in scripts)
    if local2 and has_math and not loaded:
        # maths made after reading (the $...$ of bibliography entries, see
        # _bibliography_math) is unknown to Sphinx, which then adds no MathJax
        app.builder.add_js_file("", type="text/x-mathjax-config",
                                body="MathJax.Hub.Config(%s)" % json.dumps(app.config.mathjax2_config))
        app.builder.add_js_file(app.config.mathjax_path, **{"async": "async"})
    seen: set[tuple[str, str, str]] = set()
    keep = []
    for js in scripts:
        fname = str(getattr(js, "filename", js) or "")
        attrs = dict(getattr(js, "attributes", {}) or {})
        key = (fname, attrs.get("body", ""), attrs.get("type", ""))
        if not fname and key in seen:
            continue
        if local2 and not has_math and (fname.endswith("MathJax.js") or attrs.get("type") == "text/x-mathjax-config"):
            continue
        seen.add(key)
        keep.append(js)
    scripts[:] = keep


BIB_MATH_RE = re.compile(r"(?<!\\)\$([^$]+)\$")


def _bibliography_math(app, doctree, docname: str) -> None:
    """Turn the ``$...$`` of bibliography entries into maths nodes.

    The titles in the ``.bib`` files carry LaTeX maths (``$1/x$``); sphinxcontrib-bibtex
    writes them as plain text, so the HTML shows the dollars and the PDF escapes them.
    """
    from docutils import nodes

    for citation in list(doctree.findall(nodes.citation)):
        for text in list(citation.findall(nodes.Text)):
            if "$" not in text or isinstance(text.parent, (nodes.literal, nodes.math, nodes.raw)):
                continue
            parts = BIB_MATH_RE.split(str(text))
            if len(parts) == 1:
                continue
            new = [nodes.math(p, p) if i % 2 else nodes.Text(p) for i, p in enumerate(parts) if p or i % 2]
            text.parent.replace(text, new)


def _check_install_url(app, env) -> None:
    repo = (app.config.html_theme_options.get("repository_url", "") or "").rstrip("/").removesuffix(".git")
    for docname in sorted(env.found_docs):
        source = pathlib.Path(env.doc2path(docname))
        if not is_myst_notebook(source):
            continue
        for url in install_urls(first_code_cell(source)):
            if repo and url != repo:
                _logger().warning(
                    f"the setup cell installs the package from {url}, but _config.yml's repository url is {repo}",
                    location=docname,
                )


def _build_finished(app, exception) -> None:
    if exception is not None or not _is_html(app):
        return
    outdir = pathlib.Path(app.outdir)
    for docname in sorted(app.env.found_docs):
        source = pathlib.Path(app.env.doc2path(docname))
        if is_myst_notebook(source):
            write_notebook(source, outdir / NOTEBOOK_DIR / f"{docname}.ipynb")
    found = getattr(app.env, "reader_mathjax", None)
    if found:
        copy_mathjax(pathlib.Path(found[0]), found[1], outdir)


def own_document(app, doctree) -> int:
    """Point every node of a freshly read page at the page's document; return how many moved.

    Nodes made in a nested document (autodoc's docstrings) keep a reference to it, and
    through its settings to Sphinx's environment, which would then be pickled with the
    page. Only the ``document`` back-reference changes; the tree itself does not.
    """
    moved = 0
    for node in doctree.findall():  # elements and text nodes: both keep a ``_document``
        if getattr(node, "_document", None) is not None and node._document is not doctree:
            node.document = doctree
            moved += 1
    return moved


def setup(app) -> dict[str, Any]:
    app.add_config_value("reader_offline_mathjax", "auto", "html", [str])
    app.add_config_value("reader_mathjax_dir", "", "html", [str])
    app.add_config_value("reader_pages_branch", "gh-pages", "html", [str])
    app.connect("config-inited", _theme_defaults, priority=900)
    app.connect("config-inited", _latex_preamble, priority=900)
    app.connect("builder-inited", _configure_mathjax, priority=900)
    app.connect("html-page-context", _page_buttons, priority=900)
    app.connect("html-page-context", _page_assets, priority=950)
    app.connect("env-check-consistency", _check_install_url)
    app.connect("doctree-resolved", _bibliography_math)
    app.connect("doctree-read", own_document, priority=990)  # after the other handlers
    app.connect("build-finished", _build_finished)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}


# ----------------------------------------------------------------------------- CLI
def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "mathjax":
        found = find_mathjax()
        if found is None:
            print("no local MathJax: apt-get install libjs-mathjax or set DYNAPPROX_MATHJAX_DIR", file=sys.stderr)
            return 1
        print(copy_mathjax(found[0], found[1], pathlib.Path(argv[1])))
        return 0
    if len(argv) == 2 and argv[0] == "notebooks":
        sys.path.insert(0, str(ROOT / "scripts"))
        from chapters import code_chapters

        for src in code_chapters():
            rel = src.relative_to(ROOT).with_suffix(".ipynb")
            print(write_notebook(src, pathlib.Path(argv[1]) / rel))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
