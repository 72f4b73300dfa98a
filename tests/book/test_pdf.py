"""The PDF of the book (``make pdf``: ``jupyter-book build . --builder pdflatex``).

Checks that the PDF exists and that its text, read by ``pdftotext`` (Debian's
``poppler-utils``), contains the title of every page of ``_toc.yml``, numbered
theorems and definitions, numbered figures and the bibliography.

The PDF is ``$BOOK_PDF`` when that is set. Otherwise it is ``_build/latex/book.pdf``,
which the test builds first when it is missing or older than a source of the book
(run after the HTML build, as the ``build`` stage of ``make test`` does, the notebooks
come from the warm execution cache and only LaTeX runs). Without LaTeX (``latexmk``,
``xelatex``) or ``pdftotext`` the tests skip and say what to install, except on CI
(``CI=true``), where they fail. ``$BOOK_TOC`` restricts the titles to those of a
partial book built with ``--toc``.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from chapters import built_pages, is_notebook, source_of
from ci import skip_or_fail as _skip_or_fail

pytestmark = pytest.mark.build

ROOT = pathlib.Path(__file__).resolve().parents[2]
PDF = pathlib.Path(
    os.environ.get("BOOK_PDF", ROOT / "_build" / "latex" / "book.pdf")
)


def normalise(text: str) -> str:
    """Lower case, letters and digits only: robust to LaTeX's ligatures, dashes and line breaks."""
    text = (
        text.replace("\ufb01", "fi")
        .replace("\ufb02", "fl")
        .replace("\ufb00", "ff")
    )
    text = re.sub(r"-\s*\n\s*", "", text)  # words hyphenated across lines
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def page_title(source: pathlib.Path) -> str:
    """The first level-1 heading of a MyST page, without its inline maths."""
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return re.sub(r"\$[^$]*\$", "", line[2:]).strip()
    raise AssertionError(f"{source} has no '# Title' line")


TEX_PACKAGES = (
    "texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended "
    "texlive-xetex texlive-plain-generic latexmk tex-gyre lmodern fonts-freefont-otf"
)


def _sources() -> list[pathlib.Path]:
    files = [source_of(e) for e in built_pages()] + [
        ROOT / "_config.yml",
        ROOT / "_toc.yml",
    ]
    files += (
        sorted((ROOT / "lib").rglob("*.py"))
        + sorted((ROOT / "bib").glob("*.bib"))
        + [ROOT / "references.bib"]
    )
    return [f for f in files if f.exists()]


def _build_pdf() -> None:
    missing = [
        exe for exe in ("latexmk", "xelatex") if shutil.which(exe) is None
    ]
    if missing:
        _skip_or_fail(
            f"{', '.join(missing)} not found: apt-get install -y {TEX_PACKAGES}"
        )
    jb = pathlib.Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [
            str(jb),
            "build",
            ".",
            "--builder",
            "pdflatex",
            "-n",
            "--keep-going",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    (ROOT / "_build").mkdir(exist_ok=True)
    (ROOT / "_build" / "pdf.log").write_text(proc.stdout + proc.stderr)
    latex_log = ROOT / "_build" / "latex" / "book.log"
    errors = (
        [
            ln
            for ln in latex_log.read_text(errors="replace").splitlines()
            if ln.startswith("!")
        ]
        if latex_log.exists()
        else []
    )
    if (
        proc.returncode != 0
    ):  # keep the failing log: a later rebuild overwrites pdf.log
        (ROOT / "_build" / "pdf-failed.log").write_text(
            proc.stdout + proc.stderr
        )
    latexmk = [
        ln
        for ln in (proc.stdout + proc.stderr).splitlines()
        if ln.startswith(("Latexmk:", "make", "!"))
    ]
    assert proc.returncode == 0 and PDF.exists(), (
        "the PDF build failed (see _build/pdf-failed.log and _build/latex/book.log):\n"
        + "\n".join(
            errors[:10] + latexmk[-15:]
            or (proc.stdout + proc.stderr).splitlines()[-30:]
        )
    )


@pytest.fixture(scope="module")
def pdf_text() -> str:
    if "BOOK_PDF" in os.environ:
        if not PDF.exists():
            _skip_or_fail(f"no PDF at {PDF} (BOOK_PDF): run `make pdf`")
    else:
        # one build for all pytest-xdist workers: the first takes the lock and builds,
        # the others wait and then find the PDF up to date
        import fcntl

        (ROOT / "_build").mkdir(exist_ok=True)
        with open(ROOT / "_build" / ".pdf.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not PDF.exists() or PDF.stat().st_mtime < max(
                p.stat().st_mtime for p in _sources()
            ):
                _build_pdf()
    exe = shutil.which("pdftotext")
    if exe is None:
        _skip_or_fail(
            "pdftotext not found: apt-get install -y poppler-utils"
        )
    out = subprocess.run(
        [exe, "-layout", str(PDF), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert len(out) > 1000, "the PDF has (almost) no text"
    return out


@pytest.mark.parametrize(
    "entry", [e for e in built_pages() if e != "intro"]
)
def test_pdf_has_every_title(entry: str, pdf_text: str) -> None:
    title = page_title(source_of(entry))
    assert normalise(title) in normalise(pdf_text), (
        f"the PDF lacks the title {title!r} of {entry}"
    )


def test_pdf_has_numbered_theorems_figures_and_bibliography(
    pdf_text: str,
) -> None:
    chapters = [
        source_of(e) for e in built_pages() if e.startswith("chapters/")
    ]
    sources = "\n".join(p.read_text(encoding="utf-8") for p in chapters)
    if "{prf:theorem}" in sources:
        assert re.search(r"Theorem\s+\d+(\.\d+)*", pdf_text), (
            "no numbered theorem in the PDF"
        )
    if "{prf:definition}" in sources:
        assert re.search(r"Definition\s+\d+(\.\d+)*", pdf_text), (
            "no numbered definition in the PDF"
        )
    if any(
        is_notebook(p) and "figure:" in p.read_text(encoding="utf-8")
        for p in chapters
    ):
        assert re.search(r"(Fig\.|Figure)\s+\d+(\.\d+)*", pdf_text), (
            "no numbered figure caption in the PDF"
        )
    if "{cite}" in sources:
        assert re.search(r"Bibliography|References", pdf_text), (
            "no bibliography in the PDF"
        )
        assert "[?]" not in pdf_text and "??" not in pdf_text, (
            "unresolved citations or references in the PDF"
        )
