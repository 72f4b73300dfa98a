"""Clear the jupyter-cache of the book when the shared package changes.

jupyter-cache keys a notebook's cached outputs on its code cells only, so an edit
of ``lib/`` alone would let ``jupyter-book build`` serve stale outputs. This script
hashes every file under ``lib/`` (and the pinned requirements) and, when the hash
differs from the one recorded at the last build, deletes ``_build/.jupyter_cache``.
Run by ``make book`` and ``make test`` before each build.
"""
from __future__ import annotations

import hashlib
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
STAMP = ROOT / "_build" / ".lib-hash"


def lib_hash() -> str:
    h = hashlib.sha256()
    files = sorted(p for p in (ROOT / "lib").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    files.append(ROOT / "requirements.txt")
    for p in files:
        if p.exists():
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def main() -> int:
    new = lib_hash()
    old = STAMP.read_text().strip() if STAMP.exists() else None
    if old != new:
        if CACHE.exists():
            shutil.rmtree(CACHE)
            print(f"cache_guard: lib/ changed, cleared {CACHE.relative_to(ROOT)}")
        STAMP.parent.mkdir(parents=True, exist_ok=True)
        STAMP.write_text(new + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
