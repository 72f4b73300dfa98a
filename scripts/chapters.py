"""The chapters of the book, read from ``_toc.yml``, and their conversion to notebooks.

``python scripts/chapters.py list`` prints the chapter files that contain code;
``python scripts/chapters.py notebooks OUTDIR`` converts each MyST chapter to an
``.ipynb`` in OUTDIR with jupytext (for nbval and for downloads).
"""
from __future__ import annotations

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def toc_files(toc_path: str | pathlib.Path | None = None) -> list[str]:
    """Every ``file:`` entry of a table of contents (without suffix), in reading order.

    ``toc_path`` defaults to the book's ``_toc.yml``.
    """
    path = pathlib.Path(toc_path) if toc_path is not None else ROOT / "_toc.yml"
    toc = yaml.safe_load(path.read_text())
    out: list[str] = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                out.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(toc)
    return out


def built_pages() -> list[str]:
    """The pages of the book being checked: ``$BOOK_TOC`` (a partial book built with
    ``--toc``) when that is set, otherwise ``_toc.yml``."""
    import os

    return toc_files(os.environ.get("BOOK_TOC") or None)


def source_of(entry: str) -> pathlib.Path:
    """The source file of a TOC entry (``.md`` or ``.ipynb``); raises if none exists."""
    for suffix in (".md", ".ipynb"):
        p = ROOT / f"{entry}{suffix}"
        if p.exists():
            return p
    raise FileNotFoundError(f"_toc.yml lists '{entry}' but neither {entry}.md nor {entry}.ipynb exists")


def is_notebook(path: pathlib.Path) -> bool:
    """A chapter is executable when it carries a jupytext header with a kernelspec."""
    text = path.read_text()
    return text.startswith("---") and "kernelspec:" in text.split("---", 2)[1]


def code_chapters() -> list[pathlib.Path]:
    """The executable chapters listed in ``_toc.yml``, in order."""
    return [p for p in map(source_of, toc_files()) if is_notebook(p)]


def to_notebook(src: pathlib.Path, outdir: pathlib.Path) -> pathlib.Path:
    import jupytext

    outdir.mkdir(parents=True, exist_ok=True)
    nb = jupytext.read(src)
    dest = outdir / (src.stem + ".ipynb")
    jupytext.write(nb, dest, fmt="ipynb")
    return dest


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "list":
        for p in code_chapters():
            print(p.relative_to(ROOT))
        return 0
    if len(argv) == 2 and argv[0] == "notebooks":
        outdir = pathlib.Path(argv[1])
        for p in code_chapters():
            print(to_notebook(p, outdir))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
