"""The built book on a phone, and its search, in a real browser (after the build).

Every page of ``_toc.yml`` is opened in headless Chromium (the set-up of
``tests/book/test_browser.py``: Debian's ``chromium``, the book served on 127.0.0.1, every
other host blocked) with a 390 px wide mobile viewport (an iPhone 12-15), and must

* not scroll horizontally itself: the document is no wider than the viewport (a wide
  equation, table or code block scrolls inside its own box);
* show every figure within the width: each image of the page lies inside the viewport.

Offenders are named (tag, class, width) when a page fails. A screenshot of the top of
every page at that width goes to ``_build/screenshots/phone/``.

The book's search (Sphinx's offline index, ``search.html?q=...``) must find the chapter
of a theorem by the theorem's name: "Riesz" finds the chapter on the Riesz
representation, "curse of memory" the chapter on the curse of memory, as the first
result (the book's scorer, ``scripts/search_scorer.js``, puts a page whose title holds
the whole query first; Sphinx's own weights rank that chapter fourth).
"""

from __future__ import annotations

import pathlib
from urllib.parse import quote, urljoin, urlparse

import pytest

import test_browser as tb
from chapters import built_pages
from ci import skip_or_fail

pytestmark = pytest.mark.html

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML_DIR = tb.HTML_DIR
SHOTS = tb.SHOTS / "phone"
PHONE = {"width": 390, "height": 844}
PAGES = built_pages()


FIT_JS = r"""
async () => {
  const vw = document.documentElement.clientWidth;
  const imgs = [...document.images];
  for (const i of imgs) { i.loading = 'eager'; }
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  const describe = (e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} `
                          + `(${Math.round(e.getBoundingClientRect().width)} px)`;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.right > vw + 1 && getComputedStyle(e).position !== 'fixed' && !scrolls(e);
    }).slice(0, 8).map(describe);
  const main = document.querySelector('main') || document.body;
  const badImgs = [...main.querySelectorAll('img')].filter(i => {
      const r = i.getBoundingClientRect();
      return r.width > 0 && (r.left < -1 || r.right > vw + 1);
    }).map(i => `${i.getAttribute('src')} (${Math.round(i.getBoundingClientRect().width)} px)`);
  return {vw: vw, doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,
          wide: wide, badImgs: badImgs, imgs: main.querySelectorAll('img').length};
}
"""


@pytest.mark.parametrize("entry", PAGES)
def test_page_fits_a_phone(
    entry: str, server: str, browser, stamped
) -> None:
    if not (HTML_DIR / f"{entry}.html").exists():
        skip_or_fail(
            f"{entry}.html is not in {HTML_DIR} (a partial build?)"
        )
    stamped(
        HTML_DIR / f"{entry}.html",
        HTML_DIR / "_static",
        pathlib.Path(tb.__file__),
    )
    context = tb.offline_context(
        browser,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    try:
        page.goto(urljoin(server, f"{entry}.html"), wait_until="load")
        page.evaluate(tb.WAIT_MATH_JS)
        page.wait_for_timeout(300)
        fit = page.evaluate(FIT_JS)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SHOTS / f"{entry.replace('/', '__')}.png")
        )
    finally:
        context.close()
    problems = []
    if max(fit["doc"], fit["body"]) > fit["vw"] + 1:
        problems.append(
            f"the page scrolls sideways: {max(fit['doc'], fit['body'])} px wide in a "
            f"{fit['vw']} px viewport; too wide: {fit['wide']}"
        )
    if fit["badImgs"]:
        problems.append(
            f"figures wider than the screen: {fit['badImgs'][:5]}"
        )
    assert not problems, (
        f"{entry} at {PHONE['width']} px:\n  " + "\n  ".join(problems)
    )


SEARCHES = [
    ("Riesz", "chapters/08_riesz_density.html"),
    ("curse of memory", "chapters/10_curse_of_memory.html"),
]


@pytest.mark.parametrize(
    "query,expected", SEARCHES, ids=[q for q, _ in SEARCHES]
)
def test_search_finds_the_chapter_of_a_theorem(
    query: str, expected: str, server: str, browser
) -> None:
    if not (HTML_DIR / "search.html").exists():
        skip_or_fail(f"no search page in {HTML_DIR}")
    context = tb.offline_context(
        browser, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        page.goto(
            urljoin(server, f"search.html?q={quote(query)}"),
            wait_until="load",
        )
        page.wait_for_function(
            "() => document.querySelectorAll('#search-results ul.search li').length > 0 || "
            "/did not match|no results|Search finished/i.test("
            "(document.querySelector('#search-results') || {}).textContent || '')",
            timeout=60_000,
        )
        hrefs = page.evaluate(
            "() => [...document.querySelectorAll('#search-results ul.search li > a')].map(a => a.href)"
        )
    finally:
        context.close()
    pages = [urlparse(h).path.lstrip("/") for h in hrefs]
    assert pages, f"search for {query!r}: no result"
    assert pages[0] == expected, (
        f"search for {query!r}: the first result is {pages[0]}, not {expected} ({pages[:6]})"
    )
