"""The built HTML book, read by a real browser with no network.

Every page listed in ``_toc.yml`` is opened in headless Chromium (Debian's ``chromium``,
driven by the ``playwright`` package of the venv; no browser is ever downloaded),
served from a local ``http.server`` on 127.0.0.1, with every request to another host
blocked and recorded. Each page must:

* load nothing from outside (no CDN script, font or style) and no missing file,
  log no console error and raise no JavaScript exception;
* have its mathematics typeset by the local MathJax: every ``.math`` element holds a
  typeset node, no TeX error node, and no raw ``$...$``, ``\\(``, ``\\[`` or
  ``\\begin{`` left in the visible text;
* load every image with a non-zero natural size; every figure of a code cell sits in a
  ``<figure>`` with a caption and has a real ``alt`` text (not a file name), and in
  dark mode it keeps its white canvas;
* render every ``{prf:...}`` block, exercise and solution of its source;
* resolve every cross-reference: no ``???``, no unresolved-reference markers, every
  internal link points at an existing file and anchor;
* (chapters that are notebooks) offer the ``.ipynb`` download, which must exist and
  be a notebook.

A screenshot of the first screen of every page (light) and of its first figure in dark
mode goes to ``_build/screenshots/`` (``$BOOK_SCREENSHOT_DIR``): look at them. The whole
page, top to bottom, is taken with ``BOOK_FULL_SCREENSHOTS=1`` (``make screenshots``): a
chapter is up to 30 000 px tall and rasterising it takes about 3 s, most of the check.

Inputs: ``$BOOK_HTML_DIR`` (default ``_build/html``, run ``make book`` first),
``$BOOK_TOC`` (default ``_toc.yml``: the pages to open) and ``$CHROMIUM`` (default:
``chromium`` on the PATH). Without the built HTML or without
Chromium the tests skip, saying what to do, except on CI (``CI=true``), where they
fail. Install Chromium with ``apt-get install -y chromium``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import pathlib
import re
import shutil
import threading
from urllib.parse import unquote, urljoin, urlparse

import pytest

from chapters import built_pages, is_notebook, source_of
from ci import skip_or_fail as _skip_or_fail

pytestmark = pytest.mark.html

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML_DIR = pathlib.Path(
    os.environ.get("BOOK_HTML_DIR", ROOT / "_build" / "html")
).resolve()
SHOTS = pathlib.Path(
    os.environ.get("BOOK_SCREENSHOT_DIR", ROOT / "_build" / "screenshots")
).resolve()
#: whole-page screenshots (``make screenshots``) instead of the first screen
FULL_SCREENSHOTS = os.environ.get("BOOK_FULL_SCREENSHOTS", "") not in (
    "",
    "0",
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


def find_chromium() -> str | None:
    """Chromium from ``$CHROMIUM`` or the PATH (Debian's ``chromium``)."""
    cand = os.environ.get("CHROMIUM")
    if cand:
        return cand if pathlib.Path(cand).exists() else shutil.which(cand)
    for name in (
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ):
        path = shutil.which(name)
        if path:
            return path
    return None


# ------------------------------------------------------------------- source counts
FENCE_RE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")


def directive_counts(source: pathlib.Path) -> dict[str, int]:
    """Count the ``prf:*``, exercise and solution directives of a MyST source.

    Fences are matched (a closing fence has the opening's character, at least its
    length, and nothing after it). Directives (```` ```{name} ````, ``:::{name}``) are
    counted and their bodies scanned; the bodies of ordinary code fences
    (```` ```python ````, ```` ```text ````) are skipped, so that examples of the
    syntax do not count.
    """
    counts = {"prf": 0, "exercise": 0, "solution": 0}
    stack: list[tuple[str, bool]] = []  # (fence, is_code)
    for line in source.read_text(encoding="utf-8").splitlines():
        m = FENCE_RE.match(line)
        if not m:
            continue
        fence, info = m.group("fence"), m.group("info").strip()
        if (
            stack
            and not info
            and fence[0] == stack[-1][0][0]
            and len(fence) >= len(stack[-1][0])
        ):
            stack.pop()
            continue
        if stack and stack[-1][1]:
            continue  # inside a code block: not markup
        if info.startswith("{"):
            name = info[1:].split("}", 1)[0]
            if name.startswith("prf:"):
                counts["prf"] += 1
            elif name in ("exercise", "exercise-start"):
                counts["exercise"] += 1
            elif name in ("solution", "solution-start"):
                counts["solution"] += 1
            stack.append(
                (
                    fence,
                    name
                    in ("code-cell", "code-block", "code", "sourcecode"),
                )
            )
        elif fence[0] != ":":
            stack.append((fence, True))
    return counts


# ------------------------------------------------------------------------ fixtures


PAGES = built_pages()


@pytest.fixture(scope="module")
def server():
    if not (HTML_DIR / "index.html").exists():
        _skip_or_fail(
            f"no built book at {HTML_DIR}: run `make book` (or set BOOK_HTML_DIR)"
        )
    handler = functools.partial(_QuietHandler, directory=str(HTML_DIR))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def offline_context(browser, blocked: list[str] | None = None, **kw):
    """A browser context that lets through only local and inline requests.

    Every other request is aborted and its URL appended to ``blocked`` (when given):
    the book must work with no network. ``kw`` goes to ``browser.new_context``.
    """
    context = browser.new_context(**kw)

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in (
            "127.0.0.1",
            "localhost",
        ):
            r.continue_()
        else:
            if blocked is not None:
                blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def browser():
    exe = find_chromium()
    if exe is None:
        _skip_or_fail(
            "no Chromium found: install it with `apt-get install -y chromium` (or set CHROMIUM)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except (
        ImportError
    ):  # pragma: no cover - playwright is pinned in requirements.txt
        _skip_or_fail(
            "the python package playwright is missing (pip install -r requirements.txt)"
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        yield b
        b.close()


# ------------------------------------------------------------------ page checking
WAIT_MATH_JS = """
() => new Promise((resolve) => {
  // Poll until MathJax has started and its queue is empty (at most 90 s).
  const t0 = Date.now();
  const poll = () => {
    const mj = window.MathJax;
    if (!document.querySelector('.math')) { resolve('no math'); return; }
    const left = [...document.querySelectorAll('span.math, div.math')].filter(
      e => !e.closest('pre, code') && !e.querySelector('.mjx-chtml, mjx-container')).length;
    if (mj && mj.Hub && mj.isReady && mj.Hub.queue && mj.Hub.queue.pending === 0
        && !mj.Hub.queue.running && left === 0) { resolve('mathjax2'); return; }
    if (mj && mj.startup && mj.startup.promise && mj.typesetPromise) {
      mj.startup.promise.then(() => resolve('mathjax3')); return;
    }
    if (Date.now() - t0 > 90000) { resolve(mj ? 'timeout' : 'no mathjax'); return; }
    setTimeout(poll, 200);
  };
  poll();
})
"""

MATH_STATE_JS = r"""
() => {
  const main = document.querySelector('main') || document.body;
  const maths = [...main.querySelectorAll('span.math, div.math')].filter(e => !e.closest('pre, code'));
  const typeset = (e) => e.querySelector('.mjx-chtml, mjx-container, .MathJax_CHTML, .MathJax_SVG, .MathJax');
  const raw = maths.filter(e => !typeset(e)).map(e => e.textContent.slice(0, 80));
  const errors = [...main.querySelectorAll('.mjx-merror, .MathJax_Error, merror, mjx-merror')]
    .map(e => e.textContent.slice(0, 80));
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, .MathJax_Preview, .MJX_Assistive_MathML, '
                         + 'mjx-assistive-mml, .highlight').forEach(e => e.remove());
  return {count: maths.length, raw: raw, errors: errors, text: clone.textContent};
}
"""

IMAGES_JS = """
async () => {
  const imgs = [...document.images];
  for (const i of imgs) { i.loading = 'eager'; }
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  return imgs.map(i => ({
    src: i.getAttribute('src'), alt: i.getAttribute('alt') || '', w: i.naturalWidth, h: i.naturalHeight,
    output: !!i.closest('div.cell_output'),
    figure: !!i.closest('figure'),
    caption: (i.closest('figure') && i.closest('figure').querySelector('figcaption')) ?
             i.closest('figure').querySelector('figcaption').textContent.trim() : '',
  }));
}
"""

BLOCKS_JS = """
() => {
  const main = document.querySelector('main') || document.body;
  // a block's title: its admonition title; a plain proof starts with "Proof." instead
  const titled = (sel) => [...main.querySelectorAll(sel)].map(e => {
    const t = e.querySelector('.admonition-title');
    if (t) return t.textContent.trim();
    const first = e.textContent.trim();
    return (e.classList.length === 2 && first.startsWith('Proof')) ? 'Proof' : '';
  });
  return {
    prf: titled('div.proof.admonition'),
    exercise: titled('div.exercise.admonition'),
    solution: titled('div.solution.admonition'),
    problematic: [...main.querySelectorAll('.problematic, .xref.missing')].map(e => e.textContent),
    links: [...main.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    notebook: [...document.querySelectorAll('a.btn-download-notebook-button')].map(a => a.getAttribute('href')),
  };
}
"""

LOOKS_LIKE_FILENAME = re.compile(
    r"\.(png|jpe?g|svg|gif|webp)$", re.IGNORECASE
)
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\s][^$]*\$")


def _page_ids(path: pathlib.Path) -> set[str]:
    return set(
        re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8"))
    )


@pytest.mark.parametrize("entry", PAGES)
def test_page_in_browser(
    entry: str, server: str, browser, stamped
) -> None:
    html = HTML_DIR / f"{entry}.html"
    if not html.exists():
        _skip_or_fail(
            f"{entry}.html is not in {HTML_DIR} (a partial build?)"
        )
    # the page and the theme's assets (figures are content-named files the page names)
    stamped(html, HTML_DIR / "_static")
    source = source_of(entry)
    url = urljoin(server, f"{entry}.html")
    problems: list[str] = []
    external: list[str] = []
    failed: list[str] = []
    console: list[str] = []

    context = offline_context(
        browser,
        external,
        viewport={"width": 1280, "height": 900},
        color_scheme="light",
    )
    page = context.new_page()
    page.on(
        "console",
        lambda m: (
            console.append(f"{m.type}: {m.text}")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: console.append(f"exception: {e}"))
    page.on(
        "requestfailed",
        lambda r: (
            failed.append(f"{r.url} ({r.failure})")
            if urlparse(r.url).hostname == "127.0.0.1"
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            failed.append(f"{r.url} (HTTP {r.status})")
            if r.status >= 400
            else None
        ),
    )
    try:
        page.goto(url, wait_until="load")
        mode = page.evaluate(WAIT_MATH_JS)
        page.wait_for_load_state("networkidle")

        # Mathematics
        math = page.evaluate(MATH_STATE_JS)
        if math["count"] and mode not in ("mathjax2", "mathjax3"):
            problems.append(
                f"{math['count']} math elements but MathJax did not start ({mode})"
            )
        if math["raw"]:
            problems.append(
                f"{len(math['raw'])} math elements left untypeset, e.g. {math['raw'][:3]}"
            )
        if math["errors"]:
            problems.append(f"MathJax errors: {math['errors'][:5]}")
        raw = [m.group(0) for m in RAW_TEX.finditer(math["text"])]
        if raw:
            problems.append(f"raw TeX left in the text: {raw[:5]}")
        if "???" in math["text"]:
            problems.append("an unresolved reference '???' in the text")

        # Images and figures
        for img in page.evaluate(IMAGES_JS):
            if img["w"] == 0 or img["h"] == 0:
                problems.append(
                    f"image {img['src']} did not load (natural size {img['w']}x{img['h']})"
                )
            if img["output"]:
                if not img["alt"].strip() or LOOKS_LIKE_FILENAME.search(
                    img["alt"].strip()
                ):
                    problems.append(
                        f"figure {img['src']} has no alt text (mystnb: image: alt:)"
                    )
                if not img["figure"] or not img["caption"]:
                    problems.append(
                        f"figure {img['src']} has no caption (mystnb: figure: caption:)"
                    )

        # Theorems, exercises, solutions, references, links
        blocks = page.evaluate(BLOCKS_JS)
        want = directive_counts(source) if source.suffix == ".md" else None
        if want is not None:
            for kind in ("prf", "exercise", "solution"):
                if len(blocks[kind]) != want[kind]:
                    problems.append(
                        f"{want[kind]} {kind} blocks in the source, {len(blocks[kind])} rendered"
                    )
                if any(not t for t in blocks[kind]):
                    problems.append(f"a {kind} block without a title")
        if blocks["problematic"]:
            problems.append(
                f"unresolved references: {blocks['problematic'][:5]}"
            )
        ids = set(blocks["ids"])
        for href in blocks["links"]:
            parsed = urlparse(href)
            if parsed.scheme or href.startswith(
                ("mailto:", "javascript:")
            ):
                continue
            target = (
                (html.parent / unquote(parsed.path)).resolve()
                if parsed.path
                else html
            )
            if parsed.path and not target.exists():
                problems.append(f"broken link {href}")
            elif parsed.fragment and target.suffix == ".html":
                anchors = ids if target == html else _page_ids(target)
                if unquote(parsed.fragment) not in anchors:
                    problems.append(f"link to a missing anchor {href}")

        # Notebook download on notebook pages
        if is_notebook(source):
            if not blocks["notebook"]:
                problems.append("no .ipynb download button")
            for href in blocks["notebook"]:
                resp = page.request.get(urljoin(url, href))
                if not resp.ok:
                    problems.append(
                        f"notebook download {href}: HTTP {resp.status}"
                    )
                elif json.loads(resp.text()).get("nbformat") != 4:
                    problems.append(
                        f"notebook download {href} is not an nbformat-4 notebook"
                    )

        # Screenshots (look at them): the first screen, or the whole page with
        # BOOK_FULL_SCREENSHOTS=1; dark mode keeps figures on their white canvas
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = entry.replace("/", "__")
        page.screenshot(
            path=str(SHOTS / f"{name}.png"), full_page=FULL_SCREENSHOTS
        )
        page.evaluate(
            "() => { document.documentElement.dataset.theme = 'dark'; document.documentElement.dataset.mode = 'dark'; }"
        )
        fig = page.query_selector("div.cell_output img")
        if fig is not None:
            fig.scroll_into_view_if_needed()
            style = fig.evaluate(
                "(e) => { const s = getComputedStyle(e); return [s.backgroundColor, s.filter]; }"
            )
            if (
                style[0]
                not in ("rgb(255, 255, 255)", "rgba(255, 255, 255, 1)")
                or style[1] != "none"
            ):
                problems.append(
                    f"in dark mode a figure has background {style[0]} and filter {style[1]}"
                )
            page.screenshot(path=str(SHOTS / f"{name}-dark.png"))
    finally:
        context.close()

    if external:
        problems.append(
            f"requests to other hosts (the page must work offline): {sorted(set(external))[:5]}"
        )
    if failed:
        problems.append(f"failed requests: {failed[:5]}")
    if console:
        problems.append(f"console errors: {console[:5]}")
    assert not problems, f"{entry}:\n  " + "\n  ".join(problems)


# ------------------------------------------------------------ code cell width
CODE_WIDTH_JS = """
() => {
  // open what a reader can open: hide-input cells, solution dropdowns
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden')
    .forEach(e => e.classList.remove('toggle-hidden'));
  const cols = {page: null, block: null};
  for (const pre of document.querySelectorAll('div.cell_input pre')) {
    if (!pre.offsetParent) continue;  // hidden (a collapsed input)
    const s = getComputedStyle(pre);
    const probe = document.createElement('span');
    probe.textContent = 'M'.repeat(200);
    pre.appendChild(probe);
    const char = probe.getBoundingClientRect().width / 200;
    probe.remove();
    const inner = pre.clientWidth - parseFloat(s.paddingLeft)
                  - parseFloat(s.paddingRight);
    const n = Math.floor(inner / char + 1e-6);
    const where = pre.closest('.solution, .exercise') ? 'block' : 'page';
    cols[where] = cols[where] === null ? n : Math.min(cols[where], n);
  }
  return cols;
}
"""


def test_code_cells_hold_the_line_length(server: str, browser) -> None:
    """The formatter's line length fits the code cells at the desktop width.

    At the viewport of the page checks (1280 px), every visible code cell of every
    chapter must hold ruff's ``line-length`` monospace characters, and a cell inside a
    solution block ``lint_chapters.BLOCK_WIDTH`` (the widths
    ``tests/book/test_code_width.py`` holds the chapters' code lines to).
    """
    from lint_chapters import BLOCK_WIDTH, line_length

    want = {"page": line_length(), "block": BLOCK_WIDTH}
    pages = [e for e in PAGES if e.startswith("chapters/")]
    pages = [e for e in pages if is_notebook(source_of(e))]
    if not pages:
        pytest.skip("no chapter page in this build")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    narrow: list[str] = []
    seen = {"page": False, "block": False}
    try:
        page = context.new_page()
        for entry in pages:
            if not (HTML_DIR / f"{entry}.html").exists():
                continue
            page.goto(urljoin(server, f"{entry}.html"), wait_until="load")
            cols = page.evaluate(CODE_WIDTH_JS)
            for where, n in cols.items():
                if n is None:
                    continue
                seen[where] = True
                if n < want[where]:
                    narrow.append(
                        f"{entry}: a {where} code cell holds {n} < "
                        f"{want[where]} columns"
                    )
    finally:
        context.close()
    assert seen["page"], "no visible code cell measured"
    assert not narrow, "\n".join(narrow)
