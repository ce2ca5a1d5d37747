"""Print the whole book as one PDF from the built HTML, offline, with the system Chromium.

Usage: python scripts/book_pdf.py HTML_DIR OUTPUT.pdf

Every page of ``_toc.yml``, in its order, goes into ONE print document: the
article of each page (no sidebars, header, buttons or footers), each page
starting on a new sheet, element ids prefixed with the page's name so that
links between pages (a theorem cited in another chapter, a citation to the
bibliography) become links inside the PDF. That document is served from the
built site itself (so its stylesheets, figures and the site's own MathJax load
from localhost; nothing leaves the machine) and printed once by Chromium after
MathJax has typeset every formula.

We print one combined document rather than concatenating per-page PDFs
because then Chromium numbers the pages continuously in the footer and builds
one outline (bookmarks) from the headings of every chapter, and links across
chapters work; per-page PDFs would restart the page numbers and need their
outlines and links stitched together afterwards.

Exercises print with their solutions open: the solutions are dropdowns that
the theme's JavaScript folds, and the print document loads no script but
MathJax. Needs Playwright for Python and Chromium (``/usr/bin/chromium`` or
``BOOK_CHROMIUM``).
"""

from __future__ import annotations

import functools
import http.server
import os
import posixpath
import re
import sys
import threading
import time
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
PRINT_URL = "__whole_book_print__.html"  # served by Playwright, never written to the site
TITLE = "The Derivatives of Softmax"

PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm; }
html, body { background: #fff !important; }
body { margin: 0; font-size: 10.5pt; }
.pdf-page { break-before: page; }
.pdf-page:first-child { break-before: auto; }
.pdf-page, .bd-article { width: 100%; max-width: 100%; min-width: 0; padding: 0 !important; }
/* Nothing may be wider than the sheet: long signatures and lines wrap. */
dt.sig, .sig { white-space: normal !important; overflow-wrap: anywhere; }
p, li, dd, td, th, figcaption { overflow-wrap: anywhere; }
table { max-width: 100%; }
.table-wrapper, .cell_output, .highlight, .output { overflow: visible !important; max-width: 100%; }
/* Nothing that only works on screen. */
.headerlink, .toggle-button, .copybtn, .d-print-none, .prev-next-footer,
.bd-sidebar-primary, .bd-sidebar-secondary, .bd-header, .bd-footer,
button, .dropdown-toggle { display: none !important; }
/* Solutions (dropdowns folded on screen) print open. */
.admonition.dropdown > *, .toggle-hidden {
  display: block !important; visibility: visible !important;
}
details > * { display: block !important; }
pre, .highlight pre { white-space: pre-wrap !important; word-break: break-word; font-size: 8.5pt; }
.cell_output pre { font-size: 8pt; }
img { max-width: 100% !important; height: auto !important; }
figure, .cell_output img, table { break-inside: avoid; }
h1, h2, h3, h4, h5 { break-after: avoid; break-inside: avoid; }
mjx-container[display="true"] { overflow: visible !important; }
"""

FOOTER = (
    '<div style="font-size:8pt;width:100%;text-align:center;color:#555;">'
    f'{TITLE} &middot; <span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def toc_pages(root: Path = ROOT) -> list[str]:
    """The book's pages in reading order, as _toc.yml lists them (no suffix)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages


def _slug(page: str) -> str:
    return page.replace("/", "-")


def print_document(html_dir: Path, pages: list[str]) -> str:
    """One HTML document holding every page's article, links made internal."""
    html_dir = Path(html_dir)
    known = {f"{page}.html": _slug(page) for page in pages}
    head_links: list[str] = []
    mathjax_config = ""
    bodies = []
    for page in pages:
        path = html_dir / f"{page}.html"
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        here = posixpath.dirname(page)
        if not head_links:
            for link in soup.find_all("link", rel="stylesheet"):
                head_links.append(
                    posixpath.normpath(posixpath.join(here, link["href"].split("?")[0]))
                )
            for script in soup.find_all("script"):
                if script.string and "window.MathJax" in script.string:
                    mathjax_config = script.string
        article = soup.select_one("article.bd-article")
        if article is None:
            raise SystemExit(
                f"{path}: no <article class='bd-article'>: is this a Jupyter Book page?"
            )
        slug = _slug(page)
        for tag in article.select(".headerlink, .d-print-none, .prev-next-footer, script"):
            tag.decompose()
        for tag in article.find_all(id=True):
            tag["id"] = f"{slug}--{tag['id']}"
        for tag in article.find_all(["img", "source"]):
            if tag.get("src") and not tag["src"].startswith(("data:", "http:", "https:")):
                tag["src"] = posixpath.normpath(posixpath.join(here, tag["src"]))
        for tag in article.find_all("a", href=True):
            href = tag["href"]
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            target, _, fragment = href.partition("#")
            if not target:
                tag["href"] = f"#{slug}--{fragment}"
                continue
            resolved = posixpath.normpath(posixpath.join(here, target))
            if resolved in known:
                tag["href"] = (
                    f"#{known[resolved]}--{fragment}" if fragment else f"#page-{known[resolved]}"
                )
            else:  # a download or a source file: keep it pointing into the site
                tag["href"] = resolved
        for details in article.find_all("details"):
            details["open"] = ""
        bodies.append(
            f'<div class="pdf-page" id="page-{slug}"><article '
            f'class="bd-article">{article.decode_contents()}</article></div>'
        )
    links = "\n".join(f'<link rel="stylesheet" href="{href}">' for href in head_links)
    return f"""<!DOCTYPE html>
<html lang="en" data-theme="light" data-mode="light">
<head>
<meta charset="utf-8">
<title>{TITLE}</title>
{links}
<style>{PRINT_CSS}</style>
<script>{mathjax_config}</script>
<script defer src="_static/mathjax/tex-chtml.js"></script>
</head>
<body>
<main>
{"".join(bodies)}
</main>
</body>
</html>
"""


def heading_titles(document: str) -> list[tuple[int, str]]:
    """(level, plain text) of every h1-h6 in the print document, in order.

    Chromium's outline names an entry by the heading's rendered text, which
    doubles some titles and garbles typeset math; these titles replace them:
    math is given by its TeX, without backslashes and delimiters.
    """
    soup = BeautifulSoup(document, "html.parser")
    titles = []
    for heading in soup.select(
        ".pdf-page h1, .pdf-page h2, .pdf-page h3, .pdf-page h4, .pdf-page h5, .pdf-page h6"
    ):
        for math in heading.select(".math"):
            tex = math.get_text().strip()
            tex = re.sub(r"^\\\(|\\\)$", "", tex).replace("\\", "")
            tex = re.sub(r"(?:operatorname|mathrm|mathbf|text)\{([^}]*)\}", r"\1", tex)
            math.replace_with(tex.strip())
        titles.append((int(heading.name[1]), " ".join(heading.get_text().split())))
    return titles


def fix_outline(pdf: Path, titles: list[tuple[int, str]]) -> int:
    """Rename the outline's entries, in order, after the headings they point to.

    Returns the number of entries. If their count matches no prefix of heading
    levels (h1..hN), the titles Chromium wrote are kept.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(pdf))
    entries = []

    def walk(node):
        while node is not None:
            node = node.get_object()
            entries.append(node)
            if "/First" in node:
                walk(node["/First"])
            node = node.get("/Next")

    outlines = writer._root_object.get("/Outlines")
    if outlines is not None and "/First" in outlines.get_object():
        walk(outlines.get_object()["/First"])
    for depth in range(1, 7):
        names = [t for level, t in titles if level <= depth]
        if len(names) == len(entries):
            for entry, name in zip(entries, names, strict=True):
                entry[NameObject("/Title")] = TextStringObject(name)
            break
    writer.add_metadata({"/Title": TITLE, "/Author": "The softmaxlab authors"})
    with open(pdf, "wb") as f:
        writer.write(f)
    return len(entries)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def print_pdf(html_dir: Path, output: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    html_dir = Path(html_dir).resolve()
    document = print_document(html_dir, toc_pages())
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(html_dir))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    chromium = os.environ.get("BOOK_CHROMIUM", "/usr/bin/chromium")
    t0 = time.perf_counter()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page()
            outside = []
            page.on(
                "request",
                lambda r: outside.append(r.url) if not r.url.startswith((base, "data:")) else None,
            )
            page.route(
                base + PRINT_URL,
                lambda route: route.fulfill(body=document, content_type="text/html; charset=utf-8"),
            )
            page.goto(base + PRINT_URL, wait_until="load", timeout=120_000)
            page.wait_for_function(
                "window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=60_000
            )
            page.evaluate("MathJax.startup.promise")
            errors = page.evaluate("document.querySelectorAll('mjx-merror, .MathJax_Error').length")
            left = page.evaluate(r"""[...document.querySelectorAll('.math')].filter(
                e => !e.querySelector('mjx-container')).length""")
            broken = page.evaluate(
                "[...document.images].filter(i => !i.complete || !i.naturalWidth).map(i => i.src)"
            )
            if errors or left or broken or outside:
                raise SystemExit(
                    f"not printed: {errors} MathJax errors, {left} formulas untypeset, "
                    f"images not loaded {broken[:3]}, requests off the machine {outside[:3]}"
                )
            typeset = time.perf_counter() - t0
            output.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(
                path=str(output),
                format="A4",
                print_background=True,
                prefer_css_page_size=True,
                outline=True,
                tagged=True,
                display_header_footer=True,
                header_template="<div></div>",
                footer_template=FOOTER,
            )
            browser.close()
    finally:
        server.shutdown()
    printed = time.perf_counter() - t0
    fix_outline(output, heading_titles(document))
    return {"typeset_s": typeset, "printed_s": printed, "total_s": time.perf_counter() - t0}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    html_dir, output = Path(argv[0]), Path(argv[1])
    times = print_pdf(html_dir, output)
    from pypdf import PdfReader

    pages = len(PdfReader(output).pages)
    print(
        f"wrote {output}: {pages} pages in {times['total_s']:.1f} s (MathJax done after "
        f"{times['typeset_s']:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
