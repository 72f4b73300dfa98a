"""Check every link of the built HTML book: ``python scripts/linkcheck.py _build/html``.

Run by ``make linkcheck`` (the scheduled link-check workflow). It reads the pages that
``make book`` wrote, so nothing is rebuilt or executed, and checks

* every internal link (``href``/``src`` relative to the page): the file exists and, for
  a ``#fragment`` into an HTML page, the page has an element with that ``id``;
* every external ``http(s)`` link, once per URL: a ``HEAD`` request (a ``GET`` when the
  server refuses ``HEAD``) must answer with a status below 400 within ``--timeout``
  seconds. A 429 (rate limited) is reported but is not a failure.

Launch links (Binder builds an image on every request, Colab needs a login) and the
patterns given with ``--ignore`` are not requested. Prints one line per broken link
with the pages that carry it; exits 1 when one is broken.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import html.parser
import pathlib
import re
import sys
import urllib.error
import urllib.request
from urllib.parse import unquote, urldefrag, urlparse

#: Links that are not requested: launch services and the local server of a live preview.
DEFAULT_IGNORE = (
    r"^https?://mybinder\.org/v2/",
    r"^https?://colab\.research\.google\.com/",
    r"^https?://(localhost|127\.0\.0\.1)(:\d+)?/lab",
)
#: Folders of the build that hold no pages written by the book.
SKIP_DIRS = {
    "_static",
    "_sources",
    "_notebooks",
    "_images",
    "_downloads",
    "reports",
}
USER_AGENT = "Mozilla/5.0 (compatible; book-linkcheck)"


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(
        self, tag: str, attrs: list[tuple[str, str | None]]
    ) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if a.get("name") and tag == "a":
            self.ids.add(a["name"] or "")
        for key in ("href", "src"):
            value = a.get(key)
            if value and not (
                tag == "link"
                and a.get("rel") in ("preconnect", "dns-prefetch")
            ):
                self.links.append(value)


def parse_page(path: pathlib.Path) -> tuple[list[str], set[str]]:
    """The ``href``/``src`` values and the element ids of one HTML page."""
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser.links, parser.ids


def pages(html_dir: pathlib.Path) -> list[pathlib.Path]:
    """The book's HTML pages under ``html_dir`` (not the theme's or the build's own files)."""
    return sorted(
        p
        for p in html_dir.rglob("*.html")
        if not (set(p.relative_to(html_dir).parts[:-1]) & SKIP_DIRS)
    )


def check_external(url: str, timeout: float) -> tuple[str, str | None]:
    """``(url, problem)``: ``problem`` is ``None`` when the link works."""
    for method in ("HEAD", "GET"):
        req = urllib.request.Request(
            url, method=method, headers={"User-Agent": USER_AGENT}
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) only
                if resp.status < 400:
                    return url, None
                problem = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            if exc.code == 429:
                return (
                    url,
                    None
                    if method == "GET"
                    else "rate limited (HTTP 429), not a failure",
                )
            if exc.code in (403, 405, 501) and method == "HEAD":
                continue  # some servers refuse HEAD: try GET
            problem = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problem = f"unreachable ({getattr(exc, 'reason', exc)})"
        return url, problem
    return url, problem  # pragma: no cover - the loop always returns


def check(
    html_dir: pathlib.Path,
    timeout: float = 20.0,
    workers: int = 8,
    ignore: tuple[str, ...] = DEFAULT_IGNORE,
    external: bool = True,
) -> dict[str, list[str]]:
    """Every broken link of the book: ``{problem line: [pages]}``."""
    html_dir = html_dir.resolve()
    ignore_re = [re.compile(p) for p in ignore]
    broken: dict[str, list[str]] = {}
    ids_cache: dict[pathlib.Path, set[str]] = {}
    outside: dict[str, list[str]] = {}

    def ids_of(path: pathlib.Path) -> set[str]:
        if path not in ids_cache:
            ids_cache[path] = parse_page(path)[1]
        return ids_cache[path]

    for page in pages(html_dir):
        rel_page = str(page.relative_to(html_dir))
        links, ids = parse_page(page)
        ids_cache[page] = ids
        for link in links:
            scheme = urlparse(link).scheme
            if scheme in ("http", "https"):
                if not any(r.search(link) for r in ignore_re):
                    outside.setdefault(urldefrag(link)[0], []).append(
                        rel_page
                    )
                continue
            if scheme or link.startswith(
                ("mailto:", "javascript:", "data:")
            ):
                continue
            path, fragment = urldefrag(link)
            target = (
                (page.parent / unquote(path)).resolve() if path else page
            )
            if path and not target.exists():
                broken.setdefault(f"{link}: no such file", []).append(
                    rel_page
                )
            elif (
                fragment
                and target.suffix == ".html"
                and unquote(fragment) not in ids_of(target)
            ):
                broken.setdefault(
                    f"{link}: no element with id {unquote(fragment)!r}", []
                ).append(rel_page)
    if external and outside:
        with concurrent.futures.ThreadPoolExecutor(
            max_workers=workers
        ) as pool:
            for url, problem in pool.map(
                lambda u: check_external(u, timeout), sorted(outside)
            ):
                if problem and "not a failure" not in problem:
                    broken.setdefault(f"{url}: {problem}", []).extend(
                        sorted(set(outside[url]))
                    )
                elif problem:
                    print(f"note: {url}: {problem}")
    print(
        f"linkcheck: {len(pages(html_dir))} pages, {len(outside)} external URLs "
        f"{'checked' if external else 'not requested'}, {len(broken)} broken link(s)"
    )
    return broken


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("html_dir", type=pathlib.Path)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        help="regular expression of URLs not to request",
    )
    parser.add_argument(
        "--internal-only",
        action="store_true",
        help="do not request external URLs",
    )
    args = parser.parse_args(argv)
    if not (args.html_dir / "index.html").exists():
        print(
            f"no built book at {args.html_dir}: run `make book` first",
            file=sys.stderr,
        )
        return 2
    broken = check(
        args.html_dir,
        args.timeout,
        args.workers,
        DEFAULT_IGNORE + tuple(args.ignore),
        external=not args.internal_only,
    )
    for line, where in sorted(broken.items()):
        print(f"BROKEN {line}  (on {', '.join(sorted(set(where))[:5])})")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
