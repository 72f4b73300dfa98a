"""Build a small book made of the intro, ONE chapter, the bibliography and the package
reference, into a private output folder, with the strict flags of the real build.

Usage: python scripts/build_chapter.py chapters/05_optimal_control.md [OUTDIR]

Use it while writing a chapter: it does not touch _build/ of the whole book, so
several authors can build their own chapters at the same time.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


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
        "-W",
        "--keep-going",
    ]
    print(" ".join(cmd))
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
