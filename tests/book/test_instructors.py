"""The instructors' page: a semester plan in which every week links its chapters and exercises.

The source check runs with the unit tests: every row of the plan names its chapters and
its exercises by cross-reference, every chapter of ``_toc.yml`` and every graded or
written exercise of the book is in the plan, and every exercise label exists. The page
check (after the build, marker ``html``) reads the built table: every row has a link in
its "Chapters" and "Exercises" cells, and each link resolves (no unresolved-reference
marker).
"""

from __future__ import annotations

import os
import pathlib
import re

import pytest

from chapters import code_chapters
from ci import skip_or_fail

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML_DIR = pathlib.Path(
    os.environ.get("BOOK_HTML_DIR", ROOT / "_build" / "html")
).resolve()
PAGE = ROOT / "instructors.md"
LINK = re.compile(r"\{(ref|numref|doc)\}`[^`]+`|\[[^\]]+\]\([^)]+\)")


def plan_rows(text: str) -> list[list[str]]:
    """The cells of every body row of the table under "## A semester plan"."""
    section = text.split("## A semester plan", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    assert header == ["Week", "Topic", "Chapters", "Exercises"], header
    return [
        [c.strip() for c in r.strip().strip("|").split("|")]
        for r in rows[2:]
    ]


def test_every_week_links_chapters_and_exercises() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert "still being written" not in text and "Part on" not in text
    rows = plan_rows(text)
    assert len(rows) >= 9
    for week, _topic, chapters, exercises in rows:
        assert LINK.search(chapters), f"week {week}: no link to a chapter"
        assert LINK.search(exercises), f"week {week}: no link to exercises"


def test_the_plan_covers_every_chapter_and_exercise() -> None:
    text = PAGE.read_text(encoding="utf-8")
    plan = "\n".join("|".join(r) for r in plan_rows(text))
    for src in code_chapters():
        source = src.read_text(encoding="utf-8")
        label = re.search(r"^\(([\w-]+)\)=", source, re.M).group(1)
        assert f"{{ref}}`{label}`" in plan, (
            f"{src.name} ({label}) is in no week of the plan"
        )
        for ex in re.findall(
            r"^(?:`{3,}|:{3,})\{exercise(?:-start)?\}[^\n]*\n:label: ([\w-]+)",
            source,
            re.M,
        ):
            assert f"`{ex}`" in plan, (
                f"exercise {ex} of {src.name} is in no week of the plan"
            )
    labels = set()
    for src in code_chapters():
        labels |= set(
            re.findall(
                r":label: (ex-[\w-]+)", src.read_text(encoding="utf-8")
            )
        )
    for ex in re.findall(r"`(ex-[\w-]+)`", plan):
        assert ex in labels, (
            f"the plan links exercise {ex}, which no chapter defines"
        )


@pytest.mark.html
def test_built_plan_rows_have_links() -> None:
    html = HTML_DIR / "instructors.html"
    if not html.exists():
        skip_or_fail(f"no {html}: run `make book` first")
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    section = soup.find(id="a-semester-plan")
    assert section is not None, "no section 'A semester plan' on the page"
    rows = section.find("table").find("tbody").find_all("tr")
    assert len(rows) == len(plan_rows(PAGE.read_text(encoding="utf-8")))
    for tr in rows:
        cells = tr.find_all("td")
        week = cells[0].get_text(strip=True)
        for name, cell in (
            ("chapters", cells[2]),
            ("exercises", cells[3]),
        ):
            links = cell.find_all("a", href=True)
            assert links, f"week {week}: no link in the {name} cell"
            assert not cell.select(".xref.missing, .problematic"), (
                f"week {week}: an unresolved {name} link"
            )
        assert all(
            re.fullmatch(r"Exercise \d+(\.\d+)?", a.get_text(strip=True))
            for a in cells[3].find_all("a")
            if "ex-" in a["href"]
        ), f"week {week}: an exercise link without its number"
