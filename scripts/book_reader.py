"""Sphinx extension of the reader's book: notebook downloads, offline MathJax, launch links.

Loaded by ``_config.yml`` (``sphinx: local_extensions: {book_reader: scripts/}``), so
every ``jupyter-book build`` runs it. It does these things (1-4 for the HTML builders):

1. **Notebook downloads.** Every page whose source is a MyST Markdown notebook (a
   jupytext header with a ``kernelspec``) is converted by jupytext into
   ``<outdir>/_notebooks/<docname>.ipynb`` *without outputs* (the reader runs it; the
   outputs are on the HTML page), its Markdown converted to plain Jupyter Markdown +
   LaTeX by ``myst_to_jupyter.py`` (numbered theorems, equations, citations and the
   computed numbers, as the book shows them; links into the online book), so that it
   reads well in Colab, classic Jupyter, VS Code or on GitHub. The numbers and link
   targets the conversion needs are collected from the build into
   ``_build/reader.json`` (read again by ``scripts/assignments.py`` for the student
   notebooks); a reference the conversion cannot resolve is a build warning. The
   page's download menu gets an ``.ipynb`` entry pointing at the notebook, next to
   the ``.md`` source.
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
7. **One repository URL.** ``repository: url`` of ``_config.yml`` is the one setting
   behind the launch buttons, the repository/issue/edit buttons, the Colab links, the
   links of the converted notebooks into the online book (GitHub Pages of that
   repository, ``https://<owner>.github.io/<repo>/``, unless ``html: baseurl:`` names
   another site) and the hosted-kernel install cell: the first code cell of a chapter
   installs the package (``%pip install "dynapprox @ git+<url>"``) when
   ``import dynapprox`` fails, and the converted notebooks get the configured URL
   there, whatever the chapter source says. A chapter whose first code cell has no
   such install line is reported as a warning (a strict build fails on it).

8. **Small doctrees.** autodoc builds the nodes of a docstring in a nested document
   whose settings hold Sphinx's whole environment; those nodes kept it, so every
   package reference page pickled the environment with it (3.5 MB each instead of a
   few kB), and since ``numfig`` makes Sphinx unpickle every page on every build, a
   build with nothing to do spent about 15 s reading them. Once a page is read, its
   nodes are pointed at the page's own document (``own_document``).

Run as a script, ``python scripts/book_reader.py mathjax OUTDIR`` copies the local
MathJax into ``OUTDIR/_static/mathjax``; ``python scripts/book_reader.py notebooks
OUTDIR`` writes the converted notebooks of every chapter of ``_toc.yml`` into ``OUTDIR``
(with the numbers of the last build in ``_build``, when there is one);
``python scripts/book_reader.py site-url`` prints the online book's URL.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import re
import shutil
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlparse

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

import myst_to_jupyter  # noqa: E402

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

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
def find_mathjax(
    configured: str | os.PathLike[str] | None = None,
) -> tuple[pathlib.Path, int] | None:
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
    candidates = [
        os.environ.get("DYNAPPROX_MATHJAX_DIR"),
        configured,
        DEBIAN_MATHJAX,
    ]
    for cand in candidates:
        if not cand:
            continue
        path = pathlib.Path(cand)
        if (path / "MathJax.js").is_file() and (
            path / "jax" / "output" / "CommonHTML"
        ).is_dir():
            return path, 2
        if (path / "tex-chtml.js").is_file():
            return path, 3
    return None


def mathjax2_config_from(
    mathjax3_config: dict[str, Any] | None,
) -> dict[str, Any]:
    """Translate the book's MathJax 3 configuration into a MathJax 2.7 one.

    The TeX macros are copied unchanged (both versions use ``name: body`` or
    ``name: [body, nargs]``). MyST marks the pages with ``tex2jax_ignore`` and lists
    the classes to typeset in ``options.processHtmlClass``; MathJax 2 calls these
    ``tex2jax.ignoreClass`` and ``tex2jax.processClass``.
    """
    cfg3 = copy.deepcopy(mathjax3_config or {})
    macros = cfg3.get("tex", {}).get("macros", {})
    process = cfg3.get("options", {}).get(
        "processHtmlClass",
        "tex2jax_process|mathjax_process|math|output_area",
    )
    ignore = cfg3.get("options", {}).get(
        "ignoreHtmlClass", "tex2jax_ignore|mathjax_ignore"
    )
    return {
        "jax": ["input/TeX", "output/CommonHTML"],
        "extensions": [
            "tex2jax.js",
            "MathMenu.js",
            "MathZoom.js",
            "AssistiveMML.js",
            "fast-preview.js",
        ],
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


def copy_mathjax(
    source: pathlib.Path, version: int, outdir: pathlib.Path
) -> pathlib.Path:
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
    parts = (
        MATHJAX2_PARTS
        if version == 2
        else tuple(p.name for p in source.iterdir())
    )
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
    return (
        text.startswith("---") and "kernelspec:" in text.split("---", 2)[1]
    )


def write_notebook(
    source: pathlib.Path, dest: pathlib.Path, context: Any = None
) -> pathlib.Path:
    """Convert a MyST notebook to ``.ipynb`` (no outputs) and write it to ``dest``.

    jupytext makes the notebook; ``context`` (a ``myst_to_jupyter.Context``), when given,
    turns its Markdown into plain Jupyter Markdown + LaTeX and sets the install URL.
    """
    import jupytext

    nb = jupytext.read(source)
    nb.metadata.pop("jupytext", None)
    nb.metadata.setdefault("language_info", {"name": "python"})
    if context is not None:
        nb = myst_to_jupyter.convert_notebook(nb, context)
    dest.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(nb, dest, fmt="ipynb")
    return dest


# ------------------------------------------------------------- the online book
def site_url_for(repository_url: str, baseurl: str = "") -> str:
    """The online book's URL: ``baseurl`` when set, else the GitHub Pages site of the repository.

    ``https://github.com/<owner>/<repo>`` is published by GitHub Pages at
    ``https://<owner>.github.io/<repo>/`` (``https://<owner>.github.io/`` for a repository
    named ``<owner>.github.io``). Empty for a repository elsewhere and no ``baseurl``.
    """
    if baseurl:
        return baseurl.rstrip("/") + "/"
    parsed = urlparse(repository_url or "")
    bits = [b for b in parsed.path.split("/") if b]
    if parsed.netloc != "github.com" or len(bits) < 2:
        return ""
    owner, repo = bits[0].lower(), bits[1].removesuffix(".git")
    if repo.lower() == f"{owner}.github.io":
        return f"https://{owner}.github.io/"
    return f"https://{owner}.github.io/{repo}/"


def normalise_repository_url(url: str) -> str:
    """``https://github.com/<owner>/<repo>`` from the forms a repository URL comes in.

    ``git@github.com:o/r.git``, ``https://github.com/o/r.git/`` and ``ssh://git@github.com/o/r``
    all give ``https://github.com/o/r``; the owner is compared without case (GitHub's).
    """
    url = (url or "").strip()
    m = re.match(
        r"^(?:git@|ssh://git@)(?P<host>[^:/]+)[:/](?P<path>.+)$", url
    )
    if m:
        url = f"https://{m.group('host')}/{m.group('path')}"
    url = url.rstrip("/").removesuffix(".git")
    parsed = urlparse(url)
    bits = [b for b in parsed.path.split("/") if b]
    if parsed.netloc == "github.com" and len(bits) >= 2:
        return f"https://github.com/{bits[0].lower()}/{bits[1]}"
    return url


def book_config(root: pathlib.Path = ROOT) -> dict[str, Any]:
    """``_config.yml`` of the book, parsed."""
    import yaml

    return yaml.safe_load((root / "_config.yml").read_text())


def bibliography_for(
    config: dict[str, Any], root: pathlib.Path = ROOT
) -> dict[str, dict[str, str]]:
    """The book's bibliography (``bibtex_bibfiles``) formatted for the converted notebooks."""
    style = (config.get("sphinx", {}).get("config", {}) or {}).get(
        "bibtex_default_style", "plain"
    )
    return myst_to_jupyter.load_bibliography(
        [root / f for f in config.get("bibtex_bibfiles", [])], style
    )


def plain_context(
    source: pathlib.Path,
    build_dir: pathlib.Path | None = None,
    root: pathlib.Path = ROOT,
) -> myst_to_jupyter.Context:
    """The conversion context of chapter ``source`` outside Sphinx (student notebooks, CLI).

    The repository URL, site URL, macros and bibliography come from ``_config.yml``; the
    numbers, link targets and glued values from the last build in ``build_dir``
    (default ``_build``): ``reader.json`` and ``jupyter_execute/<page>.glue.json``. Without
    a build, references keep their labels and glued values become a sentence naming the
    code cell that computes them.
    """
    config = book_config(root)
    build_dir = (
        pathlib.Path(build_dir)
        if build_dir is not None
        else root / "_build"
    )
    docname = str(
        pathlib.Path(source)
        .resolve()
        .relative_to(root.resolve())
        .with_suffix("")
    )
    data = myst_to_jupyter.load_reader_data(build_dir / "reader.json")
    repo = (
        (config.get("repository", {}) or {})
        .get("url", "")
        .rstrip("/")
        .removesuffix(".git")
    )
    baseurl = (config.get("html", {}) or {}).get("baseurl", "") or ""
    macros = (
        (
            config.get("sphinx", {})
            .get("config", {})
            .get("mathjax3_config")
            or {}
        )
        .get("tex", {})
        .get("macros", {})
    )
    return myst_to_jupyter.Context(
        docname=docname,
        site_url=data.get("site_url") or site_url_for(repo, baseurl),
        repo_url=repo,
        xrefs=data.get("xrefs", {}),
        blocks=data.get("blocks", {}).get(docname, []),
        glue=myst_to_jupyter.load_glue(
            build_dir / "jupyter_execute" / f"{docname}.glue.json"
        ),
        bibliography=bibliography_for(config, root),
        macros=macros,
    )


OTTER_INSTALL = (
    "try:\n"
    "    import otter\n"
    "except ImportError:  # a fresh hosted kernel (Colab, Binder): the grader's client library\n"
    "    %pip install --quiet otter-grader=={version}\n"
    "    import otter\n"
)


def convert_student_notebook(
    path: pathlib.Path,
    source: pathlib.Path,
    build_dir: pathlib.Path | None = None,
) -> list[str]:
    """Rewrite a student notebook (``scripts/assignments.py``) in plain Jupyter Markdown + LaTeX.

    The notebook at ``path`` was made by otter-grader from chapter ``source``; it is
    converted in place like the downloads (numbers and links of the last build in
    ``build_dir``), and otter's ``import otter`` gets the same hosted-kernel fallback as
    the package (``%pip install otter-grader``). Returns what could not be resolved.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    ctx = plain_context(source, build_dir)
    out = myst_to_jupyter.convert_notebook(nb, ctx, notice=bool(ctx.xrefs))
    try:
        from importlib.metadata import version

        otter_version = version("otter-grader")
    except Exception:  # noqa: BLE001 - otter not installed here: any version
        otter_version = ""
    for cell in out.cells:
        if cell.cell_type == "code" and re.search(
            r"^import otter$", cell.source, re.M
        ):
            pin = (
                OTTER_INSTALL.format(version=otter_version)
                if otter_version
                else OTTER_INSTALL.replace("=={version}", "")
            )
            cell.source = re.sub(
                r"^import otter$",
                pin.rstrip("\n"),
                cell.source,
                count=1,
                flags=re.M,
            )
    nbformat.write(out, path)
    return list(dict.fromkeys(ctx.problems))


def _resolve(
    app: Sphinx, domain: str, typ: str, target: str
) -> dict[str, str] | None:
    """Resolve one cross-reference as Sphinx does; text and site-relative URL, or ``None``."""
    from docutils import nodes
    from sphinx.addnodes import pending_xref

    env, builder = app.env, app.builder
    fromdoc = app.config.root_doc
    node = pending_xref(
        "",
        refdomain=domain,
        reftype=typ,
        reftarget=target,
        refexplicit=False,
        refdoc=fromdoc,
        refwarn=False,
    )
    cont = nodes.inline(target, target)
    node += cont
    try:
        res = env.get_domain(domain).resolve_xref(
            env, fromdoc, builder, typ, target, node, cont
        )
    except Exception:  # noqa: BLE001 - a domain that cannot resolve this target: no entry
        return None
    if res is None:
        return None
    base = builder.get_target_uri(fromdoc)
    if res.get("refuri"):
        url = urljoin(base, res["refuri"])
    elif res.get("refid"):
        url = f"{base}#{res['refid']}"
    else:
        return None
    return {"text": res.astext().strip(), "url": url}


def _page_blocks(html_file: pathlib.Path) -> list[dict[str, str]]:
    """The numbered blocks of a built page in document order: theorems, exercises, solutions.

    The numbers are read from the HTML, so they are those the reader sees.
    """
    from bs4 import BeautifulSoup

    if not html_file.exists():
        return []
    soup = BeautifulSoup(
        html_file.read_text(encoding="utf-8"), "html.parser"
    )
    main = soup.find("main") or soup
    blocks: list[dict[str, str]] = []
    numbers: dict[str, str] = {}
    for div in main.select("div.proof, div.exercise, div.solution"):
        classes: list[str] = list(div.get("class") or [])
        title = div.find(class_="admonition-title")
        caption = title.find(class_="caption-number") if title else None
        number = caption.get_text(" ", strip=True) if caption else ""
        ident = str(div.get("id") or "")
        if "solution" in classes:
            link = title.find("a") if title else None
            target = (
                str(link.get("href") or "").lstrip("#") if link else ""
            )
            number = (
                f"Solution to {numbers[target]}"
                if target in numbers
                else "Solution"
            )
            blocks.append(
                {"kind": "solution", "id": target, "number": number}
            )
        elif "exercise" in classes:
            numbers[ident] = number
            blocks.append(
                {"kind": "exercise", "id": ident, "number": number}
            )
        else:
            # sphinx-proof: classes ["proof", <type>, ...]; a proof is ["proof", "admonition"]
            kinds = [
                c
                for c in classes
                if c not in ("proof", "admonition", "dropdown")
            ]
            typ = kinds[0] if kinds else "proof"
            blocks.append(
                {
                    "kind": "prf",
                    "type": typ,
                    "id": ident if typ != "proof" else "",
                    "number": number,
                }
            )
    return blocks


def reader_data(app: Sphinx) -> dict[str, Any]:
    """What the notebook conversion needs from a finished build (written to ``_build/reader.json``).

    ``xrefs`` maps the targets of ``{eq}``, ``{prf:ref}``, ``{ref}``, ``{doc}`` and the
    package's Python objects to the text Sphinx shows and a site-relative URL;
    ``blocks`` lists, per notebook page, its numbered blocks in document order.
    """
    from sphinx.util import logging as sphinx_logging

    env, builder = app.env, app.builder
    xrefs: dict[str, dict[str, dict[str, str]]] = {
        "eq": {},
        "prf": {},
        "std": {},
        "doc": {},
        "py": {},
    }
    domains: dict[
        str, Any
    ] = {  # Sphinx's Domain type does not declare these
        name: env.get_domain(name) for name in ("math", "std", "py")
    }
    for label in sorted(domains["math"].equations):
        hit = _resolve(app, "math", "eq", label)
        if hit:
            xrefs["eq"][label] = hit
    for label in sorted(getattr(env, "proof_list", {}) or {}):
        hit = _resolve(app, "prf", "ref", label)
        if hit:
            xrefs["prf"][label] = hit
    xrefs["numref"] = {}
    for label in sorted(domains["std"].labels):
        hit = _resolve(app, "std", "ref", label)
        if hit:
            xrefs["std"][label] = hit
        with (
            sphinx_logging.suppress_logging()
        ):  # a label without a number is not an error here
            numbered = _resolve(app, "std", "numref", label)
        if numbered:
            xrefs["numref"][label] = numbered
    for docname in sorted(env.found_docs):
        title = env.titles.get(docname)
        xrefs["doc"][docname] = {
            "text": title.astext() if title else docname,
            "url": builder.get_target_uri(docname),
        }
    for name, obj in sorted(domains["py"].objects.items()):
        xrefs["py"][name] = {
            "text": name,
            "url": f"{builder.get_target_uri(obj.docname)}#{obj.node_id}",
        }
    blocks = {}
    for docname in sorted(env.found_docs):
        if is_myst_notebook(pathlib.Path(env.doc2path(docname))):
            blocks[docname] = _page_blocks(
                pathlib.Path(app.outdir) / builder.get_target_uri(docname)
            )
    repo = (
        (app.config.html_theme_options.get("repository_url", "") or "")
        .rstrip("/")
        .removesuffix(".git")
    )
    return {
        "site_url": site_url_for(
            repo, getattr(app.config, "html_baseurl", "") or ""
        ),
        "repo_url": repo,
        "xrefs": xrefs,
        "blocks": blocks,
    }


def first_code_cell(source: pathlib.Path) -> str:
    """The source of the first code cell of a MyST notebook (empty if it has none)."""
    import jupytext

    for cell in jupytext.read(source).cells:
        if cell.cell_type == "code":
            return cell.source
    return ""


def install_urls(code: str) -> list[str]:
    """The repository URLs of the ``git+`` installs in a code cell."""
    return [
        m.group("url").rstrip("/").removesuffix(".git")
        for m in INSTALL_RE.finditer(code)
    ]


# -------------------------------------------------------------------- Sphinx events
def _logger() -> Any:
    from sphinx.util import logging

    return logging.getLogger(__name__)


def _is_html(app: Sphinx) -> bool:
    return getattr(app.builder, "format", "") == "html"


def _theme_defaults(app: Sphinx, config: Config) -> None:
    # pydata-sphinx-theme logs a console error ("Got invalid theme mode") on a first
    # visit unless the page context has a default mode: follow the reader's system.
    context: dict[str, Any] = dict(config.html_context or {})
    context.setdefault("default_mode", "auto")
    config.html_context = context


def latex_macros(mathjax3_config: dict[str, Any] | None) -> str:
    """LaTeX definitions of the book's MathJax macros, for the PDF's preamble.

    Each macro ``name: body`` or ``name: [body, nargs]`` of ``tex.macros`` becomes
    ``\\providecommand{\\name}{}\\renewcommand{\\name}[nargs]{body}``, so that a
    macro that LaTeX or a package already defines is replaced, not an error. A body
    with a sub- or superscript and no argument is wrapped in braces.
    """
    macros = (mathjax3_config or {}).get("tex", {}).get("macros", {})
    lines = [
        "% the book's maths macros, from mathjax3_config in _config.yml (scripts/book_reader.py)"
    ]
    for name, spec in macros.items():
        body, nargs = (
            (spec[0], int(spec[1]))
            if isinstance(spec, (list, tuple))
            else (spec, 0)
        )
        if not nargs and re.search(r"[\^_]", body):
            # F^{*} as a group, so that a superscript after the macro (\Fs^{(i)}) is a
            # new level instead of LaTeX's fatal "Double superscript"
            body = "{" + body + "}"
        arg = f"[{nargs}]" if nargs else ""
        lines.append(
            f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{arg}{{{body}}}"
        )
    return "\n".join(lines) + "\n"


def _latex_preamble(app: Sphinx, config: Config) -> None:
    elements = dict(config.latex_elements or {})
    elements["preamble"] = (
        elements.get("preamble", "")
        + "\n"
        + latex_macros(config.mathjax3_config)
    )
    config.latex_elements = elements


def _configure_mathjax(app: Sphinx) -> None:
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
        app.config.mathjax2_config = mathjax2_config_from(
            app.config.mathjax3_config
        )
        app.config.mathjax3_config = None
        app.config.mathjax_path = f"{MATHJAX_STATIC}/MathJax.js"
    else:
        app.config.mathjax_path = f"{MATHJAX_STATIC}/tex-chtml.js"
    _logger().info(
        f"book_reader: MathJax {version} served locally from _static/{MATHJAX_STATIC} (copied from {path})"
    )


def _repo_parts(app: Sphinx) -> tuple[str, str] | None:
    url = app.config.html_theme_options.get("repository_url", "") or ""
    parsed = urlparse(url)
    bits = [b for b in parsed.path.split("/") if b]
    if parsed.netloc != "github.com" or len(bits) < 2:
        return None
    return bits[0], bits[1].removesuffix(".git")


def _page_buttons(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: Any,
) -> None:
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
            buttons = [
                b
                for b in group["buttons"]
                if b.get("label") != "download-notebook-button"
            ]
            for b in buttons:
                if b.get("label") == "download-source-button":
                    b["tooltip"] = (
                        "Download the MyST Markdown source (opens as a notebook with jupytext)"
                    )
            group["buttons"] = [nb_button] + buttons
        if group.get("label") == "launch-buttons":
            parts = _repo_parts(app)
            colab = (
                app.config.html_theme_options.get("launch_buttons", {})
                .get("colab_url", "")
                .rstrip("/")
            )
            for b in group["buttons"]:
                if b.get("text") == "Colab" and parts and colab:
                    org, repo = parts
                    b["url"] = (
                        f"{colab}/github/{org}/{repo}/blob/{app.config.reader_pages_branch}/"
                        f"{NOTEBOOK_DIR}/{pagename}.ipynb"
                    )


def _page_assets(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: Any,
) -> None:
    """Drop duplicated inline scripts; load the local MathJax 2 where maths is, only there.

    sphinx-thebe registers its configuration script twice under Sphinx 7 (the second
    copy throws "Identifier 'THEBE_JS_URL' has already been declared"). MathJax 2.7's
    assistive-MathML extension throws on a page without any maths (Sphinx loads
    MathJax on a page whose toctree children have equations).
    """
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    local2 = (getattr(app.env, "reader_mathjax", None) or (None, 0))[
        1
    ] == 2
    body = context.get("body") or ""
    has_math = 'class="math' in body
    loaded = any(
        str(getattr(js, "filename", "") or "").endswith("MathJax.js")
        for js in scripts
    )
    if local2 and has_math and not loaded:
        # maths made after reading (the $...$ of bibliography entries, see
        # _bibliography_math) is unknown to Sphinx, which then adds no MathJax
        builder: Any = (
            app.builder
        )  # the HTML builder (Builder does not declare it)
        builder.add_js_file(
            "",
            type="text/x-mathjax-config",
            body=f"MathJax.Hub.Config({json.dumps(app.config.mathjax2_config)})",
        )
        builder.add_js_file(app.config.mathjax_path, **{"async": "async"})
    seen: set[tuple[str, str, str]] = set()
    keep = []
    for js in scripts:
        fname = str(getattr(js, "filename", js) or "")
        attrs = dict(getattr(js, "attributes", {}) or {})
        key = (fname, attrs.get("body", ""), attrs.get("type", ""))
        if not fname and key in seen:
            continue
        if (
            local2
            and not has_math
            and (
                fname.endswith("MathJax.js")
                or attrs.get("type") == "text/x-mathjax-config"
            )
        ):
            continue
        seen.add(key)
        keep.append(js)
    scripts[:] = keep


BIB_MATH_RE = re.compile(r"(?<!\\)\$([^$]+)\$")


def _bibliography_math(app: Sphinx, doctree: Any, docname: str) -> None:
    """Turn the ``$...$`` of bibliography entries into maths nodes.

    The titles in the ``.bib`` files carry LaTeX maths (``$1/x$``); sphinxcontrib-bibtex
    writes them as plain text, so the HTML shows the dollars and the PDF escapes them.
    """
    from docutils import nodes

    for citation in list(doctree.findall(nodes.citation)):
        for text in list(citation.findall(nodes.Text)):
            if "$" not in text or isinstance(
                text.parent, (nodes.literal, nodes.math, nodes.raw)
            ):
                continue
            parts = BIB_MATH_RE.split(str(text))
            if len(parts) == 1:
                continue
            new = [
                nodes.math(p, p) if i % 2 else nodes.Text(p)
                for i, p in enumerate(parts)
                if p or i % 2
            ]
            text.parent.replace(text, new)


def _check_install_url(app: Sphinx, env: Any) -> None:
    for docname in sorted(env.found_docs):
        source = pathlib.Path(env.doc2path(docname))
        if is_myst_notebook(source) and not install_urls(
            first_code_cell(source)
        ):
            _logger().warning(
                'the first code cell has no `%pip install "dynapprox @ git+<url>"` fallback: '
                "the downloaded notebook would not run in a hosted kernel",
                location=docname,
            )


def _keep_macros(app: Sphinx, config: Config) -> None:
    # the MathJax 2 set-up below replaces mathjax3_config: keep the macros for the notebooks
    app.reader_macros = copy.deepcopy(  # type: ignore[attr-defined]
        ((config.mathjax3_config or {}).get("tex") or {}).get("macros")
        or {}
    )


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or not _is_html(app):
        return
    outdir = pathlib.Path(app.outdir)
    build_dir = outdir.parent
    data = reader_data(app)
    (build_dir / "reader.json").write_text(
        json.dumps(data, indent=1, sort_keys=True) + "\n"
    )
    bib = myst_to_jupyter.load_bibliography(
        [pathlib.Path(app.srcdir) / f for f in app.config.bibtex_bibfiles],
        app.config.bibtex_default_style,
    )
    for docname in sorted(app.env.found_docs):
        source = pathlib.Path(app.env.doc2path(docname))
        if not is_myst_notebook(source):
            continue
        ctx = myst_to_jupyter.Context(
            docname=docname,
            site_url=data["site_url"],
            repo_url=data["repo_url"],
            xrefs=data["xrefs"],
            blocks=data["blocks"].get(docname, []),
            bibliography=bib,
            macros=getattr(app, "reader_macros", {}),
            glue=myst_to_jupyter.load_glue(
                build_dir / "jupyter_execute" / f"{docname}.glue.json"
            ),
        )
        write_notebook(
            source, outdir / NOTEBOOK_DIR / f"{docname}.ipynb", ctx
        )
        for problem in dict.fromkeys(ctx.problems):
            _logger().warning(
                f"notebook download: {problem}", location=docname
            )
    found = getattr(app.env, "reader_mathjax", None)
    if found:
        copy_mathjax(pathlib.Path(found[0]), found[1], outdir)


def own_document(app: Sphinx, doctree: Any) -> int:
    """Point every node of a freshly read page at the page's document; return how many moved.

    Nodes made in a nested document (autodoc's docstrings) keep a reference to it, and
    through its settings to Sphinx's environment, which would then be pickled with the
    page. Only the ``document`` back-reference changes; the tree itself does not.
    """
    moved = 0
    for node in (
        doctree.findall()
    ):  # elements and text nodes: both keep a ``_document``
        if (
            getattr(node, "_document", None) is not None
            and node._document is not doctree
        ):
            node.document = doctree
            moved += 1
    return moved


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("reader_offline_mathjax", "auto", "html", [str])
    app.add_config_value("reader_mathjax_dir", "", "html", [str])
    app.add_config_value("reader_pages_branch", "gh-pages", "html", [str])
    app.connect("config-inited", _theme_defaults, priority=900)
    app.connect("config-inited", _latex_preamble, priority=900)
    app.connect("config-inited", _keep_macros, priority=900)
    app.connect("builder-inited", _configure_mathjax, priority=900)
    app.connect("html-page-context", _page_buttons, priority=900)
    app.connect("html-page-context", _page_assets, priority=950)
    app.connect("env-check-consistency", _check_install_url)
    app.connect("doctree-resolved", _bibliography_math)
    app.connect(
        "doctree-read", own_document, priority=990
    )  # after the other handlers
    app.connect("build-finished", _build_finished)
    return {
        "version": "0.1",
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }


# ----------------------------------------------------------------------------- CLI
def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "mathjax":
        found = find_mathjax()
        if found is None:
            print(
                "no local MathJax: apt-get install libjs-mathjax or set DYNAPPROX_MATHJAX_DIR",
                file=sys.stderr,
            )
            return 1
        print(copy_mathjax(found[0], found[1], pathlib.Path(argv[1])))
        return 0
    if len(argv) == 2 and argv[0] == "notebooks":
        from chapters import code_chapters

        for src in code_chapters():
            rel = src.relative_to(ROOT).with_suffix(".ipynb")
            ctx = plain_context(src)
            print(write_notebook(src, pathlib.Path(argv[1]) / rel, ctx))
            for problem in dict.fromkeys(ctx.problems):
                print(f"  {problem}", file=sys.stderr)
        return 0
    if len(argv) == 2 and argv[0] == "check-repository":
        configured = normalise_repository_url(
            (book_config().get("repository") or {}).get("url", "")
        )
        actual = normalise_repository_url(argv[1])
        if not actual:
            print(
                "check-repository: no repository given (REPOSITORY=https://github.com/<owner>/<repo>)",
                file=sys.stderr,
            )
            return 2
        if configured != actual:
            print(
                f"check-repository: _config.yml has `repository: url: {configured}`, but the book is published "
                f"from {actual}. Set `repository: url: {actual}` in _config.yml: the launch buttons, the "
                "repository and issue buttons, the Colab links and the install cell of the notebooks follow it.",
                file=sys.stderr,
            )
            return 1
        print(
            f"check-repository: _config.yml names {configured}; the online book is {site_url_for(configured)}"
        )
        return 0
    if argv == ["site-url"]:
        config = book_config()
        print(
            site_url_for(
                (config.get("repository") or {}).get("url", ""),
                (config.get("html") or {}).get("baseurl", ""),
            )
        )
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
