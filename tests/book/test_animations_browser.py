"""The animations and live controls of the built HTML book (``dynapprox.animate``, ``dynapprox.explore``).

Reads the built book (``$BOOK_HTML_DIR``, default ``_build/html``; ``$BOOK_TOC`` for a
partial build); never executes a chapter. For every page whose source records an
animation (a call ``record_animation(``):

* the page holds one offline player (``div.dynapprox-animation``) per call, and the page
  stays within :data:`PAGE_BUDGET_BYTES`;
* in headless Chromium, with every request to another host blocked and recorded, each
  player's first frame is loaded, its script has run, *play* advances the frame and
  *pause* stops it, *last*/*first*/*previous*/*next* and the slider go where they say, and
  the page makes no request outside the local server and logs no error.

For every page whose source shows a live control (a call ``explore(``): the static
view is there (the note printed under the default figure, once per call) and no page of
the book carries widget state or a widget view (``application/vnd.jupyter.widget-*``),
which would need a kernel or a CDN.

Without the built HTML or without Chromium the browser tests skip, saying what to do,
except on CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import pathlib
import re
import time
from urllib.parse import urljoin

import pytest

from chapters import built_pages, source_of
from ci import skip_or_fail as _skip_or_fail
from test_browser import offline_context

pytestmark = pytest.mark.html

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML_DIR = pathlib.Path(
    os.environ.get("BOOK_HTML_DIR", ROOT / "_build" / "html")
).resolve()
#: Largest HTML page with animations (the frames are embedded in the page; a 25-40
#: frame animation adds 0.4 to 0.7 MB, see dynapprox.animate).
PAGE_BUDGET_BYTES = 1_500_000
STATIC_NOTE = "Run the notebook in Jupyter to move the sliders."


def _calls(entry: str, name: str) -> int:
    """Number of calls ``name(`` in the code of a page's source (0 for non-notebooks)."""
    try:
        text = source_of(entry).read_text(encoding="utf-8")
    except FileNotFoundError:
        return 0
    return len(re.findall(rf"(?<![\w.]){re.escape(name)}\(", text))


PAGES = built_pages()
ANIMATED = [e for e in PAGES if _calls(e, "record_animation")]
EXPLORED = [e for e in PAGES if _calls(e, "explore")]


def _html(entry: str) -> pathlib.Path:
    path = HTML_DIR / f"{entry}.html"
    if not path.exists():
        _skip_or_fail(
            f"{path} is missing: build the book first (`make book`, or set BOOK_HTML_DIR)"
        )
    return path


def test_the_book_has_animations_and_controls():
    # the floor: four animations and three chapters with a live control (full book only)
    if os.environ.get("BOOK_TOC"):
        pytest.skip(
            "a partial book ($BOOK_TOC): the floor applies to the whole book"
        )
    assert sum(_calls(e, "record_animation") for e in PAGES) >= 4
    assert len(EXPLORED) >= 3


@pytest.mark.parametrize("entry", ANIMATED or ["(none)"])
def test_players_are_in_the_page_within_budget(entry: str) -> None:
    if entry == "(none)":
        pytest.skip("no page of this book records an animation")
    path = _html(entry)
    text = path.read_text(encoding="utf-8")
    players = re.findall(
        r'<div class="dynapprox-animation" id="(dynapprox-anim-[0-9a-f]{12})"',
        text,
    )
    assert len(players) == _calls(entry, "record_animation"), (
        entry,
        players,
    )
    assert len(set(players)) == len(players), (
        f"{entry}: two players with the same id"
    )
    assert path.stat().st_size <= PAGE_BUDGET_BYTES, (
        f"{entry}: {path.stat().st_size} bytes > {PAGE_BUDGET_BYTES}"
    )
    # each player sits in a numbered figure with a caption (mystnb: figure: on the cell)
    for pid in players:
        start = text.rfind("<figure", 0, text.index(pid))
        assert start >= 0 and text.index(pid) < text.index(
            "</figure>", start
        ), f"{entry}: player {pid} not in a figure"
        assert (
            "<figcaption"
            in text[
                text.index(pid) : text.index("</figure>", text.index(pid))
                + 10
            ]
        ), pid


@pytest.mark.parametrize("entry", EXPLORED or ["(none)"])
def test_live_controls_show_the_static_view(entry: str) -> None:
    if entry == "(none)":
        pytest.skip("no page of this book has a live control")
    text = _html(entry).read_text(encoding="utf-8")
    assert text.count(STATIC_NOTE) == _calls(entry, "explore"), entry


def test_no_widget_state_anywhere():
    if not HTML_DIR.exists():
        _skip_or_fail(
            f"no built book at {HTML_DIR}: run `make book` (or set BOOK_HTML_DIR)"
        )
    for entry in PAGES:
        path = HTML_DIR / f"{entry}.html"
        if path.exists():
            assert "application/vnd.jupyter.widget" not in path.read_text(
                encoding="utf-8"
            ), entry


# ------------------------------------------------------------------------------ browser
# the local server and the offline Chromium of the page checks (tests/book/test_browser.py)


STATE_JS = """(root) => ({
  frame: parseInt(root.getAttribute('data-frame'), 10),
  frames: parseInt(root.getAttribute('data-frames'), 10),
  ready: root.getAttribute('data-ready'),
  src: root.querySelector('img').getAttribute('src'),
  loaded: root.querySelector('img').complete && root.querySelector('img').naturalWidth > 0,
  alt: root.querySelector('img').getAttribute('alt') || '',
  counter: root.querySelector('output').textContent,
  playLabel: root.querySelector('button[data-action="play"]').getAttribute('aria-label'),
})"""


def _wait(root, predicate, timeout: float = 5.0) -> dict:
    t0 = time.monotonic()
    while True:
        state = root.evaluate(STATE_JS)
        if predicate(state) or time.monotonic() - t0 > timeout:
            return state
        time.sleep(0.05)


@pytest.mark.parametrize("entry", ANIMATED or ["(none)"])
def test_players_play_offline(
    entry: str,
    server: str,
    browser,
    stamped,
) -> None:
    if entry == "(none)":
        pytest.skip("no page of this book records an animation")
    _html(entry)
    stamped(HTML_DIR / f"{entry}.html", HTML_DIR / "_static")
    external: list[str] = []
    errors: list[str] = []
    context = offline_context(
        browser, external, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(urljoin(server, f"{entry}.html"), wait_until="load")
        roots = page.query_selector_all("div.dynapprox-animation")
        assert len(roots) == _calls(entry, "record_animation")
        for root in roots:
            root.scroll_into_view_if_needed()
            s0 = _wait(root, lambda s: s["ready"] == "1" and s["loaded"])
            n = s0["frames"]
            assert s0["ready"] == "1", "the player's script did not run"
            assert (
                s0["loaded"]
                and s0["frame"] == 0
                and n >= 2
                and s0["counter"] == f"1 / {n}"
            )
            assert len(s0["alt"]) > 40, (
                "the animation needs a real alt text"
            )
            # play advances the frame; pause stops it
            root.query_selector('button[data-action="play"]').click()
            s1 = _wait(root, lambda s: s["frame"] >= 2)
            assert (
                s1["frame"] >= 2
                and s1["src"] != s0["src"]
                and s1["playLabel"] == "Pause"
            ), s1
            root.query_selector('button[data-action="play"]').click()
            paused = root.evaluate(STATE_JS)
            time.sleep(0.6)
            s2 = root.evaluate(STATE_JS)
            assert (
                s2["frame"] == paused["frame"]
                and s2["playLabel"] == "Play"
            ), (paused, s2)
            # the step buttons and the slider
            root.query_selector('button[data-action="last"]').click()
            last = root.evaluate(STATE_JS)
            assert (
                last["frame"] == n - 1 and last["counter"] == f"{n} / {n}"
            )
            root.query_selector('button[data-action="previous"]').click()
            assert root.evaluate(STATE_JS)["frame"] == n - 2
            root.query_selector('button[data-action="first"]').click()
            first = root.evaluate(STATE_JS)
            assert (
                first["frame"] == 0
                and first["src"] == s0["src"]
                and last["src"] != s0["src"]
            )
            root.query_selector('button[data-action="next"]').click()
            assert root.evaluate(STATE_JS)["frame"] == 1
            root.query_selector("input[type=range]").evaluate(
                "(e) => { e.value = String(Math.floor(e.max / 2)); e.dispatchEvent(new Event('input')); }"
            )
            assert root.evaluate(STATE_JS)["frame"] == (n - 1) // 2
    finally:
        context.close()
    assert not external, (
        f"{entry}: requests to other hosts: {sorted(set(external))[:5]}"
    )
    assert not errors, f"{entry}: console errors: {errors[:5]}"
