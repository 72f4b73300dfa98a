"""Build a small book made of the intro, ONE chapter, the bibliography and the package
reference, into a private output folder, with the flags of the real build.

Usage: python scripts/build_chapter.py chapters/05_optimal_control.md [OUTDIR]

Use it while writing a chapter: it does not touch _build/ of the whole book, so
several authors can build their own chapters at the same time.

A one-chapter book cannot resolve what points into the other chapters: the intro's
links, the "Used in" sections of the package reference, the chapter's own references
to theorems of other chapters. Sphinx warns about each (hundreds). The build runs
with ``-n --keep-going`` and this script sorts its warnings: one that names a label
defined in another page of the book, or a page of ``_toc.yml`` left out of this build,
is expected here and only counted; every other warning is printed and fails the build
(exit 1), as ``-W`` does in the real one. A label the chapter itself defines is never
"expected": a broken reference to it is an error.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: Warnings that name a target: a label, a document, a cross-reference target.
TARGET = re.compile(
    r"label '(?P<a>[^']+)' not found"
    r"|undefined label: '(?P<b>[^']+)'"
    r"|unknown document: '(?P<c>[^']+)'"
    r"|reference target not found: (?P<d>\S+)"
    # the notebook downloads (scripts/book_reader.py) resolve references too
    r"|target '(?P<e>[^']+)' not found in the build"
)
#: How the book's sources define labels: MyST targets, directive options, rST targets.
LABEL_DEFS = re.compile(
    r"^\((?P<myst>[^)\s]+)\)=\s*$"
    r"|^\s*:?(?:label|name):\s*(?P<opt>[\w.:-]+)\s*$"
    r"|^\.\. _(?P<rst>[^:]+):\s*$",
    re.MULTILINE,
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def toc_documents(toc: dict) -> set[str]:
    """Every document a ``_toc.yml`` names (root, chapters, sections), without suffix."""
    docs = {str(toc["root"])}

    def walk(entries: list) -> None:
        for entry in entries or []:
            if "file" in entry:
                docs.add(
                    str(
                        pathlib.PurePosixPath(entry["file"]).with_suffix(
                            ""
                        )
                    )
                )
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return docs


def labels_of(paths: list[pathlib.Path]) -> set[str]:
    """The labels defined in these sources (MyST ``(x)=``, ``:label:``/``name:``, rST ``.. _x:``)."""
    found: set[str] = set()
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for m in LABEL_DEFS.finditer(text):
            found.add(m.group("myst") or m.group("opt") or m.group("rst"))
    return found


def expected_elsewhere(
    line: str, elsewhere: set[str], left_out: set[str]
) -> bool:
    """Whether a warning only names a label of another page or a page left out."""
    m = TARGET.search(line)
    if m is None:
        return False
    target = next(g for g in m.groups() if g)
    return target in elsewhere or target.strip("/") in left_out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    chapter = pathlib.Path(argv[0]).with_suffix("")
    outdir = (
        pathlib.Path(argv[1])
        if len(argv) > 1
        else pathlib.Path(tempfile.gettempdir()) / f"book-{chapter.name}"
    )
    full = yaml.safe_load((ROOT / "_toc.yml").read_text())
    back = [p for p in full["parts"] if p.get("caption") == "Back matter"]
    toc = {
        "format": "jb-book",
        "root": "intro",
        "options": {"numbered": True},
        "parts": [
            {"caption": "Chapter", "chapters": [{"file": str(chapter)}]}
        ]
        + back,
    }
    tocfile = outdir.parent / f"toc-{chapter.name}.yml"
    outdir.mkdir(parents=True, exist_ok=True)
    tocfile.write_text(yaml.safe_dump(toc, sort_keys=False))
    cmd = [
        str(pathlib.Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(ROOT),
        "--toc",
        str(tocfile),
        "--path-output",
        str(outdir),
        "-n",
        "--keep-going",
        # re-read every page (the chapter's execution stays cached): Sphinx
        # reports a page's warnings only when it reads the page
        "--all",
    ]
    print(" ".join(cmd), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log = outdir / "build.log"
    log.write_text(proc.stdout + proc.stderr)

    left_out = toc_documents(full) - toc_documents(toc)
    own = (ROOT / chapter).with_suffix(".md")
    others = [
        p
        for p in (*ROOT.glob("*.md"), *ROOT.glob("chapters/*.md"))
        if p.resolve() != own.resolve()
    ]
    elsewhere = labels_of(others) - labels_of(
        [own] if own.exists() else []
    )
    expected, errors = 0, []
    for line in ANSI.sub("", proc.stdout + proc.stderr).splitlines():
        if "WARNING" not in line and "ERROR" not in line:
            continue
        if "[IPKernelApp]" in line:  # the kernel's own log, not Sphinx's
            continue
        if expected_elsewhere(line, elsewhere, left_out):
            expected += 1
        else:
            errors.append(line)
    print(
        f"{expected} warning(s) name a label or page of the chapters left out of "
        f"this one-chapter build: expected here, not errors (log: {log})"
    )
    for line in errors:
        print(line)
    if proc.returncode != 0 and not errors:
        print(proc.stdout[-3000:] + proc.stderr[-3000:])
        return proc.returncode
    if errors:
        print(
            f"{len(errors)} other warning(s) or error(s): the build fails"
        )
        return 1
    print(f"built {chapter} into {outdir / 'html'}: no other warning")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
