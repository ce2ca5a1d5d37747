"""The whole-book PDF of `make pdf`, read back with pypdf and compared with its HTML.

`make pdf` runs them on the PDF it has just printed: BOOK_PDF names the PDF
(_build/html/the-derivatives-of-softmax.pdf), and the HTML it was printed from
is the directory it lies in. Without BOOK_PDF (as in `make test`, which does
not print the PDF: that takes minutes) they skip, so they never read a PDF
older than the book; BOOK_PDF_REQUIRED=1 turns a missing PDF into a failure.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "_ext"))

import book_home  # noqa: E402
import book_pdf  # noqa: E402

PDF = Path(os.environ.get("BOOK_PDF", "")) if os.environ.get("BOOK_PDF") else None
CHAPTERS = [p for p in book_pdf.toc_pages(ROOT) if p.startswith("chapters/")]


def norm(text: str) -> str:
    text = (
        text.replace("\ufb01", "fi")
        .replace("\ufb02", "fl")
        .replace("\ufb00", "ff")
        .replace("\u2019", "'")
    )
    return " ".join(text.split())


@functools.cache
def reader():
    if PDF is None or not PDF.exists():
        if os.environ.get("BOOK_PDF_REQUIRED"):
            pytest.fail(f"no PDF at {PDF}: run `make pdf`")
        pytest.skip("the whole-book PDF is tested by `make pdf` (BOOK_PDF unset)")
    from pypdf import PdfReader

    return PdfReader(PDF)


@functools.cache
def page_texts() -> list[str]:
    return [norm(page.extract_text() or "") for page in reader().pages]


@functools.cache
def whole_text() -> str:
    return " ".join(page_texts())


def html(page: str) -> BeautifulSoup:
    reader()  # skips (or fails) without a PDF
    return BeautifulSoup((PDF.parent / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def outline() -> list[tuple[str, list[str]]]:
    """Top-level entries with the titles of their children."""
    entries: list[tuple[str, list[str]]] = []
    for item in reader().outline:
        if isinstance(item, list):
            entries[-1][1].extend(x.title for x in item if not isinstance(x, list))
        else:
            entries.append((item.title, []))
    return entries


def heading_text(tag) -> str:
    for math in tag.select(".math"):
        math.replace_with("")
    for link in tag.select(".headerlink"):
        link.decompose()
    return norm(tag.get_text())


def test_page_count_and_numbers():
    pages = page_texts()
    # Every page of the book starts a new sheet; 15 pages of HTML are far more than 15 sheets.
    assert len(book_pdf.toc_pages(ROOT)) * 3 <= len(pages) <= 600, len(pages)
    for number in (2, len(pages) // 2, len(pages)):
        assert f"{number} / {len(pages)}" in pages[number - 1], (
            f"sheet {number} has no page number footer"
        )


def test_outline_has_every_chapter_and_its_sections():
    entries = outline()
    titles = [norm(title) for title, _ in entries]
    for page in CHAPTERS:
        h1 = heading_text(html(page).select_one("article h1"))
        match = [i for i, t in enumerate(titles) if t.startswith(h1.split(":")[0])]
        assert match, f"no outline entry for {page} ({h1!r}) in {titles}"
        children = [norm(c) for c in entries[match[0]][1]]
        expected = [heading_text(h) for h in html(page).select("article h2")]
        assert len(children) == len(expected) >= 3, (page, children)
        for child in ("The question", "Exercises", "Summary"):
            assert child in children, f"{page}: no outline entry {child!r}: {children}"
    assert "Bibliography" in titles


def test_outline_entries_open_their_pages_in_order():
    from pypdf.generic import Destination

    numbers = [
        reader().get_destination_page_number(item)
        for item in reader().outline
        if isinstance(item, Destination)
    ]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), numbers


def first_text(soup: BeautifulSoup, selector: str, length: int = 50) -> str:
    for tag in soup.select(selector):
        for math in tag.select(".math, mjx-container"):
            math.replace_with("\x00")
        for chunk in norm(tag.get_text(" ")).split("\x00"):
            chunk = chunk.strip(" ,.;:")
            if len(chunk) >= length:
                return chunk[:length]
    raise AssertionError(f"nothing of {length} characters in {selector}")


@pytest.mark.parametrize("page", CHAPTERS)
def test_theorems_are_there_with_their_numbers(page):
    soup = html(page)
    titles = [norm(t.get_text(" ")) for t in soup.select(".proof.admonition > .admonition-title")][
        :3
    ]
    assert titles, f"{page} has no theorem"
    text = whole_text()
    for title in titles:
        number = re.match(r"(Theorem|Proposition|Lemma|Definition|Corollary) \d+\.\d+", title)
        assert number and number.group(0) in text, f"{page}: {title!r} is not in the PDF"


@pytest.mark.parametrize("page", CHAPTERS)
def test_a_sentence_around_a_formula_is_extractable(page):
    # A stretch of a paragraph that holds math: the words before or after a formula.
    words = first_text(html(page), "article p:has(.math)")
    assert norm(words) in whole_text(), f"{page}: {words!r} is not in the PDF's text"


@pytest.mark.parametrize("page", CHAPTERS)
def test_solutions_are_printed_open(page):
    soup = html(page)
    if not soup.select(".solution"):
        pytest.skip(f"{page} has no solution")
    words = first_text(soup, ".solution p", 40)
    assert norm(words) in whole_text(), f"{page}: the solution text {words!r} is not in the PDF"


def test_bibliography_is_there():
    entries = html("bibliography").select('[role="listitem"], .citation, dd')
    assert entries
    words = first_text(html("bibliography"), "div.citation p, dl.citation dd", 25)
    assert norm(words) in whole_text()


def test_figures_are_there():
    images = sum(len(page.images) for page in reader().pages)
    in_html = sum(len(html(page).select("article img")) for page in CHAPTERS)
    assert images >= in_html > 0, (images, in_html)


def test_no_page_shows_raw_tex():
    for number, text in enumerate(page_texts(), start=1):
        for raw in (r"\frac", "$$", r"\("):
            assert raw not in text, (
                f"sheet {number} shows raw TeX {raw!r}: "
                f"...{text[max(0, text.find(raw) - 60) :][:120]}..."
            )


def test_no_navigation_chrome():
    text = whole_text()
    for chrome in ("Skip to main content", "Back to top", "Search this book", "Ctrl+K"):
        assert chrome not in text, f"the PDF shows the page's {chrome!r}"


def test_the_book_links_the_pdf():
    soup = html("intro")
    links = [a["href"] for a in soup.select("a[href]") if a["href"].endswith(book_home.PDF_NAME)]
    assert links, "no page links the whole-book PDF"
    assert (PDF.parent / links[0]).resolve() == PDF.resolve()
