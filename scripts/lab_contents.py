"""JupyterLab's contents manager for the book: jupytext's, plus the book's maths macros.

``make lab`` (and Binder, through ``start``) point Jupyter at ``jupyter-config/``, whose
``jupyter_server_config.py`` selects :class:`BookContentsManager`. It is jupytext's
contents manager (a chapter's ``.md`` opens as a notebook and is saved back as MyST
Markdown) with one addition: jupyterlab-myst, which renders the chapters' MyST in
JupyterLab, reads LaTeX macros only from MyST front matter in the first Markdown cell,
and the chapters use the book's macros (``\\R``, ``\\norm{x}``, ...) defined in
``_config.yml`` for Sphinx. So a MyST notebook served to JupyterLab gets a first cell
with that front matter (``math:`` the macros of ``mathjax3_config``), marked in its
metadata, and the cell is removed again before the notebook is saved: the chapter file
on disk never changes because of it.
"""

from __future__ import annotations

import copy
import pathlib
from typing import Any

import yaml
from jupytext.async_contentsmanager import AsyncTextFileContentsManager

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: Metadata key of the front-matter cell added for JupyterLab.
MARK = "dynapprox_book_macros"


def book_macros(
    config: pathlib.Path = ROOT / "_config.yml",
) -> dict[str, str]:
    """The book's MathJax macros as MyST front matter wants them: ``{"\\\\R": "\\\\mathbb{R}"}``."""
    cfg = yaml.safe_load(config.read_text())
    macros = (
        (
            ((cfg.get("sphinx") or {}).get("config") or {}).get(
                "mathjax3_config"
            )
            or {}
        )
        .get("tex", {})
        .get("macros", {})
    )
    out = {}
    for name, spec in macros.items():
        body = spec[0] if isinstance(spec, (list, tuple)) else str(spec)
        out["\\" + name] = (
            body  # MyST infers the arguments from #1, #2, ...
        )
    return out


def frontmatter_cell(macros: dict[str, str]) -> dict[str, Any]:
    """A Markdown cell holding MyST front matter with ``math:`` macros, marked as added."""
    text = (
        "---\n"
        + yaml.safe_dump(
            {"math": macros}, sort_keys=False, allow_unicode=True
        )
        + "---"
    )
    return {
        "cell_type": "markdown",
        "source": text,
        "metadata": {
            MARK: True,
            "editable": False,
            "deletable": False,
            "tags": ["remove-cell"],
        },
    }


def add_macros(nb: Any, macros: dict[str, str]) -> None:
    """Insert the front-matter cell at the top of ``nb`` (a NotebookNode or dict), once."""
    cells = nb["cells"]
    if cells and (cells[0].get("metadata") or {}).get(MARK):
        return
    cell = frontmatter_cell(macros)
    try:
        import nbformat

        cell = nbformat.from_dict(cell)
        if nb.get("nbformat_minor", 0) >= 5:
            import uuid

            cell["id"] = uuid.uuid4().hex[:8]
    except ImportError:  # pragma: no cover - nbformat comes with jupyter
        pass
    cells.insert(0, cell)


def strip_macros(nb: Any) -> None:
    """Remove the cells :func:`add_macros` added (before a save)."""
    nb["cells"] = [
        c for c in nb["cells"] if not (c.get("metadata") or {}).get(MARK)
    ]


class BookContentsManager(AsyncTextFileContentsManager):
    """jupytext's contents manager; MyST notebooks carry the book's macros while open."""

    _macros: dict[str, str] | None = None

    def macros(self) -> dict[str, str]:
        if self._macros is None:
            try:
                self._macros = book_macros()
            except (OSError, yaml.YAMLError, AttributeError):
                self._macros = {}
        return self._macros

    async def get(
        self,
        path: str,
        content: bool = True,
        type: str | None = None,
        format: str | None = None,
        **kwargs: Any,
    ) -> Any:  # noqa: A002 - Jupyter's API
        model = await super().get(
            path, content=content, type=type, format=format, **kwargs
        )
        if (
            content
            and model.get("type") == "notebook"
            and str(path).endswith(".md")
            and self.macros()
        ):
            add_macros(model["content"], self.macros())
        return model

    async def save(self, model: dict[str, Any], path: str = "") -> Any:
        if model.get("type") == "notebook" and model.get("content"):
            model = copy.copy(model)
            model["content"] = copy.deepcopy(model["content"])
            strip_macros(model["content"])
        return await super().save(model, path)
