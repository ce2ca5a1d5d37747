"""The built HTML book, opened page by page in a real browser.

Headless Chromium (Debian's ``chromium`` package, ``/usr/bin/chromium``; never a
browser download) driven by Playwright for Python opens every page of the
built book, served on 127.0.0.1, and checks what a reader meets:

- every formula is typeset by MathJax (no raw ``\\(``, ``\\[`` or ``$$`` left,
  no MathJax error nodes);
- every image has loaded (``naturalWidth > 0``) and has non-empty alt text;
- no request leaves the local server (the book works offline) and no request
  fails or gets an HTTP error (no missing font or script); the favicon loads and
  the page has a title, a language, a viewport and a description;
- the console shows no errors and the page raises no uncaught exception;
- axe-core finds no serious or critical accessibility violation, in light and
  in dark mode, with every solution opened;
- every folded solution is folded when the page opens and opens on click;
- nothing scrolls sideways: at 1280 x 900 no element of the page (every
  solution opened) scrolls horizontally, nor does the page; at 400 px wide (a
  phone) the page does not, though wide display math may scroll in its own box,
  and a formula's number does not sit beside it and narrow it;
- the page's title and description hold no raw TeX, and the search page's
  results (titles and snippets) hold none either;
- there is one header (the theme's empty second bar takes no room) and Ctrl+K
  opens the search dialog;
- the smallest text in every figure (``plotting.SMALLEST_TEXT_PT``, scaled by
  the PNG's resolution and the size the page shows it at) is at least the
  body's small print (the code and output text) at 1280 px, and at least
  ``PHONE_FIGURE_TEXT_PX`` on a 400 px phone.

A full-page screenshot of every page, light and dark, goes to
``_build/screenshots/`` (next to the ``html`` directory) for a person to look at.

Environment variables:

``BOOK_HTML_DIR``
    the built HTML (default ``_build/html`` of this repository); ``make test``
    builds the book first and points this at it.
``BOOK_BROWSER_REQUIRED``
    when set (CI sets it in ``.ci/run``), a missing Chromium or a missing book is
    a failure instead of a skip.
``BOOK_CHROMIUM``
    the browser executable (default ``/usr/bin/chromium``).
"""

from __future__ import annotations

import functools
import http.server
import os
import posixpath
import queue
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML_DIR = Path(os.environ.get("BOOK_HTML_DIR") or ROOT / "_build" / "html").resolve()
SCREENSHOTS = HTML_DIR.parent / "screenshots"
CHROMIUM = Path(os.environ.get("BOOK_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = os.environ.get("BOOK_BROWSER_REQUIRED", "") not in ("", "0")
INSTALL_HINT = (
    "install Debian's Chromium with `sudo apt-get update && sudo apt-get install -y chromium` "
    "(it provides /usr/bin/chromium; Playwright's own browser download is not used), "
    "or point BOOK_CHROMIUM at a Chromium executable"
)
# Without the background-networking flags Chromium contacts Google's servers
# on its own, which this test would (rightly) report as requests leaving the site.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
# A phone: the page may not scroll sideways (a wide formula may, in its own box).
PHONE = {"width": 400, "height": 900}
#: The least figure text on a phone, in CSS px. A figure no wider than the
#: column shrinks with it, from 672 to 352 px, so text of SMALLEST_TEXT_PT
#: (12 pt, at 100 px an inch in the column) is 12 * 100/72 * 352/672 = 8.7 px
#: there; a figure made wider than the column, or at a lower resolution than
#: it is shown, falls below this.
PHONE_FIGURE_TEXT_PX = 8.5
TIMEOUT_MS = 30_000
# Pages are checked by this many browsers at once (each in its own thread).
WORKERS = int(os.environ.get("BOOK_BROWSER_WORKERS") or min(2, os.cpu_count() or 1))


def _discover_pages() -> list[str]:
    """Every HTML page of the built site, as a path relative to its root."""
    if not HTML_DIR.is_dir():
        return []
    pages = []
    for path in HTML_DIR.rglob("*.html"):
        rel = path.relative_to(HTML_DIR)
        if rel.parts[0].startswith("_"):  # _static, _sources, _images: assets, not pages
            continue
        pages.append(rel.as_posix())
    return sorted(pages)


PAGES = _discover_pages()


def _missing(what: str) -> None:
    if REQUIRED:
        pytest.fail(f"{what} (BOOK_BROWSER_REQUIRED is set, so this test may not skip)")
    pytest.skip(what)


# ------------------------------------------------------------------ the site ----


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Site:
    """The built book served on 127.0.0.1 at a free port, in a thread."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="book-server", daemon=True
        )
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> _Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@dataclass
class PageResult:
    problems: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)

    def lap(self, step: str, since: float) -> float:
        now = time.monotonic()
        self.steps[step] = self.steps.get(step, 0.0) + now - since
        return now


# MathJax 3 loads with `defer`; startup.promise resolves after the first typeset.
WAIT_FOR_MATHJAX = """async () => {
  const deadline = Date.now() + 20000;
  while (!(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)) {
    if (Date.now() > deadline) return false;
    await new Promise(r => setTimeout(r, 50));
  }
  await window.MathJax.startup.promise;
  return true;
}"""

MATH_REPORT = """() => {
  const untypeset = [];
  for (const node of document.querySelectorAll('.math')) {
    if (!node.querySelector('mjx-container') && !node.matches('mjx-container')) {
      untypeset.push(node.textContent.trim().slice(0, 80));
    }
  }
  // Raw TeX anywhere in the visible text (outside code and typeset math): a \\( or \\[
  // delimiter, any dollar sign (the book's prose never uses one, so a dollar left over
  // is a $...$ or a $$ display that Markdown did not parse, such as a $$ block glued
  // to the line above it) or a command such as \\texttt.
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (t) => t.parentElement.closest('pre, code, script, style, textarea, mjx-container, .highlight')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent;
    const m = text.match(/\\\\\\(|\\\\\\[|\\$|\\\\[a-zA-Z]{2,}/);
    if (m) raw.push(text.slice(Math.max(0, m.index - 30), m.index + 50).trim());
  }
  const errors = [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
    .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80));
  return {
    formulas: document.querySelectorAll('mjx-container').length,
    mathNodes: document.querySelectorAll('.math').length,
    untypeset, raw, errors,
    hasMathJaxScript: !!document.querySelector('script[src*="mathjax"]'),
  };
}"""

# Lazy images are made eager so that every image is checked, then awaited.
IMAGE_REPORT = """async () => {
  const images = [...document.images];
  for (const img of images) img.loading = 'eager';
  await Promise.all(images.map(img => img.complete ? null :
    new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); })));
  return images.map(img => ({
    src: img.getAttribute('src'), alt: (img.getAttribute('alt') || '').trim(),
    width: img.naturalWidth,
  }));
}"""

# Numbered display formulas: the width of the formula and of its box.
NUMBERED_FORMULAS = """() => [...document.querySelectorAll('div.math')].filter(
  d => d.querySelector(':scope > span.eqno') && d.querySelector('mjx-container')).map(d => ({
    id: d.id, box: Math.round(d.clientWidth),
    formula: Math.round(d.querySelector('mjx-container').clientWidth),
  }))"""

# Figures: the notebooks' PNG outputs, with the width the page shows them at.
FIGURE_REPORT = """() => {
  const pre = document.querySelector('div.cell_output pre, div.highlight pre');
  return {
    smallPrint: pre ? parseFloat(getComputedStyle(pre).fontSize) : null,
    figures: [...document.querySelectorAll('div.cell_output img')].map(img => ({
      src: img.getAttribute('src'), shown: img.getBoundingClientRect().width,
      natural: img.naturalWidth,
    })),
  };
}"""


def _png_dpi(path: Path) -> float | None:
    """The resolution a PNG declares (its pHYs chunk), in pixels an inch, or None."""
    data = path.read_bytes()
    at = 8  # after the signature
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        if kind == b"pHYs":
            per_metre, unit = int.from_bytes(data[at + 8 : at + 12], "big"), data[at + 16]
            return per_metre * 0.0254 if unit == 1 else None
        if kind == b"IDAT":
            return None
        at += 12 + size
    return None


def _figure_text(
    page_path: str, report: dict[str, Any], least: float | None, width: str
) -> list[str]:
    """Figures whose smallest text is shown below ``least`` CSS px (None: the small print)."""
    from softmaxlab.plotting import SMALLEST_TEXT_PT

    if least is None:  # the page's small print: its code and output text
        least = float(report["smallPrint"] or 13.0)
    problems = []
    for fig in report["figures"]:
        if not fig["src"].endswith(".png") or fig["natural"] <= 0:
            continue
        file = (HTML_DIR / posixpath.dirname(page_path) / fig["src"]).resolve()
        dpi = _png_dpi(file)
        if dpi is None:
            problems.append(f"figure {fig['src']} declares no resolution (no pHYs chunk)")
            continue
        px = SMALLEST_TEXT_PT * dpi / 72 * fig["shown"] / fig["natural"]
        if px < least:
            problems.append(
                f"at {width} the smallest text of figure {fig['src']} is {px:.1f} CSS px, below "
                f"{least:.1f} px ({fig['natural']} px at {dpi:.0f} dpi shown {fig['shown']:.0f} "
                "px wide)"
            )
    return problems


HEAD_REPORT = """async () => {
  const icons = [];
  for (const link of document.querySelectorAll('link[rel~="icon"]')) {
    const response = await fetch(link.href);
    icons.push([link.href, response.status]);
  }
  const missing = [];
  if (!document.title.trim()) missing.push('<title>');
  if (!document.documentElement.lang) missing.push('<html lang>');
  if (!document.querySelector('meta[name="viewport"]')) missing.push('viewport');
  const description = (document.querySelector('meta[name="description"]') || {}).content || '';
  if (!description) missing.push('description');
  return {icons, missing, title: document.title, description};
}"""

# Raw TeX in plain text (a title, a description, a search result): a math
# delimiter, a dollar sign, or a command such as \operatorname.
RAW_TEX = re.compile(r"\\[()\[\]]|\$|\\[a-zA-Z]{2,}")

# Everything that scrolls sideways, and by how much. An element scrolls when
# its overflow-x lets it (auto or scroll) and its content is wider than its box;
# the page scrolls when the document is wider than the window. Each offender is
# named by a CSS path a person can paste into the inspector, with its widths and
# the start of its text.
SIDEWAYS_REPORT = """() => {
  const name = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      if (e.id) { parts.unshift('#' + CSS.escape(e.id)); break; }
      const cls = [...e.classList].filter(c => !c.startsWith('mjx')).slice(0, 2).map(c => '.' + CSS.escape(c)).join('');
      const siblings = e.parentElement ? [...e.parentElement.children].filter(s => s.tagName === e.tagName) : [];
      const nth = siblings.length > 1 ? `:nth-of-type(${siblings.indexOf(e) + 1})` : '';
      parts.unshift(e.tagName.toLowerCase() + cls + nth);
    }
    return parts.join(' > ');
  };
  const boxes = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const ox = getComputedStyle(el).overflowX;
    if (ox !== 'auto' && ox !== 'scroll') continue;
    if (!el.getClientRects().length) continue;  // not displayed
    boxes.push({selector: name(el), scroll: el.scrollWidth, client: el.clientWidth,
                math: !!el.closest('div.math, mjx-container[display="true"]') || !!el.querySelector(':scope > mjx-container[display="true"]'),
                text: (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 60)});
  }
  const root = document.scrollingElement || document.documentElement;
  // What sticks out past the window's right edge (outermost offenders only), to name the cause of a page scroll.
  const outside = [];
  if (root.scrollWidth > root.clientWidth + 1) {
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right <= root.clientWidth + 1 || r.width === 0) continue;
      const parent = el.parentElement.getBoundingClientRect();
      if (parent.right > root.clientWidth + 1 && el.parentElement !== document.body) continue;
      // Clipped by a box that scrolls (or hides) inside the window: not a cause.
      let clipped = getComputedStyle(el).position === 'fixed';  // an off-canvas drawer
      for (let a = el.parentElement; !clipped && a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).position === 'fixed') { clipped = true; break; }
        if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= root.clientWidth + 1) { clipped = true; break; }
      }
      if (clipped) continue;
      outside.push({selector: name(el), right: Math.round(r.right), text: (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 60)});
    }
    outside.sort((a, b) => b.right - a.right);  // the widest first
    outside.splice(5);
  }
  return {page: {scroll: root.scrollWidth, client: root.clientWidth}, boxes, outside};
}"""

# The search page with a query whose results include a title with math
# (chapter 2's) and snippets from chapter pages.
SEARCH_QUERY = "decreasing"
SEARCH_REPORT = """async () => {
  const deadline = Date.now() + 20000;
  const done = () => {
    const status = document.querySelector('#search-results .search-summary, #search-results > p');
    return status && !/preparing|searching/i.test(status.textContent);
  };
  while (!done()) {
    if (Date.now() > deadline) return null;
    await new Promise(r => setTimeout(r, 100));
  }
  await new Promise(r => setTimeout(r, 500));  // the snippets arrive page by page
  return [...document.querySelectorAll('#search-results ul.search li')].map(li => ({
    title: (li.querySelector('a') || {}).textContent || '',
    snippet: ((li.querySelector('p.context') || {}).textContent || '').trim(),
  }));
}"""

TOGGLE_STATE = """(el) => ({
  folded: el.classList.contains('toggle-hidden'),
  hasButton: !!el.querySelector('button.toggle-button'),
  bodyVisible: [...el.children].slice(1).some(c => c.offsetParent !== null && c.getBoundingClientRect().height > 0),
})"""


# After the screenshots, the page is thinned for axe (it is thrown away after).
# MathJax's CommonHTML output is thousands of presentational elements, marked
# aria-hidden (the accessible form is the MathML that MathJax puts next to it,
# which stays): emptied. Code blocks are thousands of Pygments token spans whose
# colour depends only on their class: the first span of each class on each
# background stays, the repeats become plain text (checked as the block's own
# text colour); so do Sphinx's colourless per-word spans in inline code. Axe
# then runs several times faster and judges the same colours.
PREPARE_FOR_AXE = """() => {
  for (const m of document.querySelectorAll('mjx-container > mjx-math[aria-hidden="true"]')) m.replaceChildren();
  // Read every style first, then change the DOM (interleaving would re-style the page each time).
  const seen = new Set(), repeats = [], background = new Map();
  for (const span of document.querySelectorAll('.highlight pre span')) {
    if (span.children.length) continue;
    const pre = span.closest('pre');
    if (!background.has(pre)) background.set(pre, getComputedStyle(pre).backgroundColor);
    const key = span.className + '|' + background.get(pre);
    if (seen.has(key)) repeats.push(span); else seen.add(key);
  }
  // Sphinx wraps every word of inline code and signatures in a colourless <span class="pre">.
  for (const span of document.querySelectorAll('span.pre')) if (!span.children.length) repeats.push(span);
  for (const span of repeats) span.replaceWith(span.textContent);
  document.body.normalize();
}"""
AXE_CONTEXT = {"exclude": [["mjx-container > mjx-math"]]}
# `preload: false`: axe would otherwise re-fetch every stylesheet itself and
# resolve the theme's `@import` against the page's URL (a false 404).
AXE_ALL = {"resultTypes": ["violations"], "preload": False}
# Dark mode changes only colours: the colour rules again, not the whole set.
AXE_COLOURS = {
    **AXE_ALL,
    "runOnly": {"type": "rule", "values": ["color-contrast", "link-in-text-block"]},
}


def _shot_name(page_path: str, mode: str) -> Path:
    # JPEG: a long chapter is 1280 x 30000 pixels, which PNG takes seconds to encode.
    return SCREENSHOTS / f"{page_path.removesuffix('.html').replace('/', '--')}.{mode}.jpg"


def _set_theme(page: Any, mode: str) -> None:
    page.evaluate(f"() => {{ document.documentElement.dataset.theme = '{mode}'; }}")


def _serious(axe: Any, page: Any, options: dict[str, Any]) -> list[str]:
    results = axe.run(page, context=AXE_CONTEXT, options=options)
    found = []
    for v in results.response.get("violations", []):
        if v.get("impact") in ("serious", "critical"):
            targets = ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:3])
            found.append(
                f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {targets})"
            )
    return found


def _sideways(report: dict[str, Any], width: str, *, boxes_too: bool) -> list[str]:
    """The problems in a SIDEWAYS_REPORT taken at one window width."""
    found = []
    page = report["page"]
    if page["scroll"] > page["client"] + 1:
        causes = "; ".join(
            f"{o['selector']} reaches {o['right']} px ({o['text']!r})" for o in report["outside"]
        )
        found.append(
            f"at {width} the page scrolls sideways: {page['scroll']} px of content in "
            f"{page['client']} px" + (f"; sticking out: {causes}" if causes else "")
        )
    if boxes_too:
        for box in report["boxes"]:
            found.append(
                f"at {width} {box['selector']} scrolls sideways: {box['scroll']} px of content "
                f"in {box['client']} px ({box['text']!r})"
            )
    return found


def _redirect_target(page_path: str) -> str | None:
    """Where a redirect page (Jupyter Book's index.html) sends the reader, if it is one."""
    text = (HTML_DIR / page_path).read_text(encoding="utf-8", errors="replace")[:2000]
    match = re.search(r'http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"', text, re.IGNORECASE)
    return match.group(1) if match else None


def check_page(context: Any, axe: Any, site: str, page_path: str) -> PageResult:
    """Open one page and collect every problem a reader would meet on it."""
    result = PageResult()
    problems, counts = result.problems, result.counts
    requests: list[str] = []
    page = context.new_page()
    page.on("request", lambda req: requests.append(req.url))
    page.on(
        "response",
        lambda resp: resp.status >= 400 and problems.append(f"HTTP {resp.status} for {resp.url}"),
    )
    page.on(
        "requestfailed", lambda req: problems.append(f"request failed: {req.url} ({req.failure})")
    )
    page.on(
        "console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}")
    )
    page.on("pageerror", lambda exc: problems.append(f"uncaught exception: {exc}"))
    try:
        t = time.monotonic()
        target = _redirect_target(page_path)
        page.goto(site + page_path, wait_until="load")
        t = result.lap("load", t)
        if target is not None:  # checked where it lands, a page of its own here
            landing = posixpath.normpath(posixpath.join(posixpath.dirname(page_path), target))
            page.wait_for_url(site + landing)
            page.wait_for_load_state("load")
            counts["pages"] += 1
            return result

        # Formulas.
        if page.evaluate(
            "() => !!document.querySelector('script[src*=\"mathjax\"]')"
        ) and not page.evaluate(WAIT_FOR_MATHJAX):
            problems.append("MathJax did not start within 20 s")
        math = page.evaluate(MATH_REPORT)
        if math["mathNodes"] and not math["hasMathJaxScript"]:
            problems.append(f"{math['mathNodes']} math nodes but no MathJax script on the page")
        problems += [f"formula not typeset: {t!r}" for t in math["untypeset"]]
        problems += [f"raw TeX in the text (not typeset): {t!r}" for t in math["raw"]]
        problems += [f"MathJax error: {e!r}" for e in math["errors"]]
        t = result.lap("math", t)

        # Images.
        images = page.evaluate(IMAGE_REPORT)
        problems += [f"image did not load: {i['src']}" for i in images if i["width"] <= 0]
        problems += [f"image without alt text: {i['src']}" for i in images if not i["alt"]]
        # The favicon: headless Chromium does not fetch it, so ask for it (and page metadata).
        head = page.evaluate(HEAD_REPORT)
        if not head["icons"]:
            problems.append("no favicon link in <head>")
        problems += [
            f"favicon {url} gives HTTP {status}" for url, status in head["icons"] if status != 200
        ]
        problems += [f"missing page metadata: {what}" for what in head["missing"]]
        for what in ("title", "description"):
            if RAW_TEX.search(head[what]):
                problems.append(f"raw TeX in the page's {what}: {head[what]!r}")
        if "Project name not set" in head["description"]:
            problems.append(
                f"the page's description is Sphinx's placeholder: {head['description']!r}"
            )
        # One header: the theme's top bar (which held only a second search box)
        # takes no room, and Ctrl+K still opens the search dialog.
        header = page.evaluate(
            "() => { const h = document.querySelector('#pst-header'); return h ? "
            "h.getBoundingClientRect().height : 0 }"
        )
        if header > 1:
            problems.append(
                f"a second header bar, {header:.0f} px high (#pst-header; navbar_persistent should "
                "be [])"
            )
        if page_path == "intro.html":
            page.keyboard.press("Control+k")
            page.wait_for_timeout(300)
            if not page.evaluate(
                "() => { const d = document.querySelector('#pst-search-dialog'); return !!(d && "
                "d.open) }"
            ):
                problems.append("Ctrl+K does not open the search dialog (#pst-search-dialog)")
            page.keyboard.press("Escape")
        t = result.lap("images", t)

        # Screenshots: the whole page in light mode, the first screen in dark
        # mode (the pydata theme keys its colours off data-theme). axe checks
        # the contrast of the whole page in both modes below; a full-page dark
        # picture doubled the cost of this step for a person's glance.
        page.screenshot(path=str(_shot_name(page_path, "light")), full_page=True, quality=80)
        _set_theme(page, "dark")
        page.screenshot(path=str(_shot_name(page_path, "dark")), quality=80)
        _set_theme(page, "light")
        t = result.lap("screenshots", t)

        # Folded solutions (sphinx-togglebutton turns `.admonition.dropdown` into a toggle).
        toggles = page.locator(".admonition.dropdown")
        for i in range(toggles.count()):
            toggle = toggles.nth(i)
            label = toggle.get_attribute("id") or f"dropdown #{i + 1}"
            before = toggle.evaluate(TOGGLE_STATE)
            if not before["hasButton"]:
                problems.append(f"{label}: no toggle button (is togglebutton's script loaded?)")
                continue
            if not before["folded"] or before["bodyVisible"]:
                problems.append(f"{label}: not folded when the page opens")
            toggle.locator("button.toggle-button").first.click()
            page.wait_for_function(
                "(el) => !el.classList.contains('toggle-hidden')",
                arg=toggle.element_handle(),
                timeout=5000,
            )
            after = toggle.evaluate(TOGGLE_STATE)
            if after["folded"] or not after["bodyVisible"]:
                problems.append(f"{label}: did not open on click")
            elif "solution" in (toggle.get_attribute("class") or ""):
                counts["solutions"] += 1
        t = result.lap("toggles", t)

        # Sideways scrolling, every solution open: at 1280 px nothing scrolls;
        # at 400 px the page does not (a display formula may, in its own box).
        problems += _sideways(
            page.evaluate(SIDEWAYS_REPORT), f"{VIEWPORT['width']} px", boxes_too=True
        )
        wide = f"{VIEWPORT['width']} px"
        problems += _figure_text(page_path, page.evaluate(FIGURE_REPORT), None, wide)
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(200)  # MathJax re-measures its line breaks on resize
        problems += _sideways(
            page.evaluate(SIDEWAYS_REPORT), f"{PHONE['width']} px", boxes_too=False
        )
        phone = f"{PHONE['width']} px"
        problems += [
            f"at {phone} the number of formula {eq['id']} sits beside it and narrows it to "
            f"{eq['formula']} of {eq['box']} px (_static/book.css stacks them on a phone)"
            for eq in page.evaluate(NUMBERED_FORMULAS)
            if eq["formula"] < 0.9 * eq["box"]
        ]
        problems += _figure_text(
            page_path, page.evaluate(FIGURE_REPORT), PHONE_FIGURE_TEXT_PX, phone
        )
        page.set_viewport_size(VIEWPORT)
        t = result.lap("sideways", t)

        if page_path == "search.html":
            page.goto(f"{site}search.html?q={SEARCH_QUERY}", wait_until="load")
            found = page.evaluate(SEARCH_REPORT)
            if not found:
                problems.append(f"search for {SEARCH_QUERY!r}: no results within 20 s")
            for hit in found or []:
                for what in ("title", "snippet"):
                    if RAW_TEX.search(hit[what]):
                        problems.append(f"search result {what} with raw TeX: {hit[what][:100]!r}")
                if hit["snippet"].lstrip(".").startswith("pdf") or hit["snippet"].startswith(
                    ".ipynb"
                ):
                    problems.append(
                        f"search snippet starts with the download menu: {hit['snippet'][:60]!r}"
                    )
            counts["search results"] += len(found or [])
            t = result.lap("search", t)

        # Accessibility, with every solution open, in both colour modes.
        page.evaluate(PREPARE_FOR_AXE)
        t = result.lap("axe prepare", t)
        problems += [f"axe (light): {v}" for v in _serious(axe, page, AXE_ALL)]
        t = result.lap("axe light", t)
        _set_theme(page, "dark")
        problems += [f"axe (dark): {v}" for v in _serious(axe, page, AXE_COLOURS)]
        t = result.lap("axe dark", t)

        counts["pages"] += 1
        counts["formulas"] += math["formulas"]
        counts["images"] += len(images)
    except Exception as exc:  # a timeout or a crash is a problem of this page, not of the run
        problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        page.close()
        # No request may leave the local server.
        local = [
            u
            for u in requests
            if u.startswith(site) or u.split(":", 1)[0] in ("data", "blob", "about")
        ]
        problems += [f"request leaves localhost: {u}" for u in sorted(set(requests) - set(local))]
        counts["requests"] += len(local)
    return result


def _worker(
    site: str, jobs: queue.Queue[str], results: dict[str, PageResult], profile: Path
) -> None:
    """One browser (fresh, empty profile) working through the queue of pages."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    axe = Axe()
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            color_scheme="light",
            reduced_motion="reduce",
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            while True:
                try:
                    page_path = jobs.get_nowait()
                except queue.Empty:
                    return
                start = time.monotonic()
                results[page_path] = check_page(context, axe, site, page_path)
                results[page_path].seconds = time.monotonic() - start
        finally:
            context.close()


@pytest.fixture(scope="module")
def book_results(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, PageResult]:
    """Every page checked (by WORKERS browsers in parallel); the counts printed."""
    if not CHROMIUM.exists():
        _missing(f"no Chromium at {CHROMIUM}: {INSTALL_HINT}")
    if not PAGES:
        _missing(f"no built book at {HTML_DIR}: run `make book` (or set BOOK_HTML_DIR)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in [*SCREENSHOTS.glob("*.png"), *SCREENSHOTS.glob("*.jpg")]:  # no stale pictures
        old.unlink()
    jobs: queue.Queue[str] = queue.Queue()
    # Longest pages first, so that the workers finish together.
    for page_path in sorted(PAGES, key=lambda p: -(HTML_DIR / p).stat().st_size):
        jobs.put(page_path)
    results: dict[str, PageResult] = {}
    errors: list[BaseException] = []
    start = time.monotonic()
    # Made here, not in the threads: two threads creating pytest's base
    # temporary directory at once race (FileExistsError under pytest-xdist).
    profiles = [tmp_path_factory.mktemp(f"chromium-profile-{i}") for i in range(WORKERS)]
    with _Site(HTML_DIR) as site:

        def run(i: int) -> None:
            try:
                _worker(site.url, jobs, results, profiles[i])
            except BaseException as exc:  # reported below, in the main thread
                errors.append(exc)

        threads = [
            threading.Thread(target=run, args=(i,), name=f"browser-{i}") for i in range(WORKERS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    total: Counter[str] = Counter()
    for r in results.values():
        total.update(r.counts)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(
                f"browser test: {total['pages']} pages, {total['formulas']} formulas typeset, "
                f"{total['images']} images loaded, {total['solutions']} solutions opened on click, "
                f"{total['requests']} requests, all local; {WORKERS} browsers, "
                f"{time.monotonic() - start:.0f} s; "
                f"screenshots in {SCREENSHOTS}"
            )
            slowest = sorted(results.items(), key=lambda kv: -kv[1].seconds)[:3]
            reporter.write_line("slowest pages (seconds per step):")
            for path, r in slowest:
                steps = ", ".join(f"{k} {v:.1f}" for k, v in r.steps.items())
                reporter.write_line(f"  {path}: {r.seconds:.1f} s ({steps})")
    return results


# ------------------------------------------------------------------- tests ----


@pytest.mark.parametrize("page_path", PAGES or ["(no built book)"])
def test_page_in_browser(page_path: str, book_results: dict[str, PageResult]) -> None:
    problems = book_results[page_path].problems
    if problems:
        pytest.fail(
            f"{page_path}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems),
            pytrace=False,
        )


def test_a_solution_opens_on_click(book_results: dict[str, PageResult]) -> None:
    """The book has folded solutions, and they open on click (each checked above)."""
    opened = sum(r.counts["solutions"] for r in book_results.values())
    assert opened > 0, "no page has a folded solution (`{solution}` with `:class: dropdown`)"


# ------------------------------------------- the built HTML, read as text ----


def _built(page: str) -> str:
    if not (HTML_DIR / page).is_file():
        _missing(f"no built book at {HTML_DIR}: run `make book` (or set BOOK_HTML_DIR)")
    return (HTML_DIR / page).read_text(encoding="utf-8")


def _text(html_text: str) -> str:
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())


def test_search_index_titles_are_plain_text() -> None:
    """The titles the search page shows hold no MathJax markup or raw TeX."""
    index = _built("searchindex.js")
    titles = re.search(r'"?titles"?:\s*(\[[^\]]*\])', index)
    assert titles, "searchindex.js has no titles list"
    raw = [
        t
        for t in re.findall(r'"((?:[^"\\]|\\.)*)"', titles.group(1))
        if RAW_TEX.search(t.replace("\\\\", "\\"))
    ]
    assert not raw, f"search titles with raw TeX: {raw}"


def test_general_index_has_concepts() -> None:
    """The general index names the project and lists key concepts, not only API entries."""
    text = _text(_built("genindex.html"))
    assert "Project name not set" not in text
    missing = [
        c
        for c in ("Jacobian", "log-sum-exp", "temperature", "ulp", "exact reference")
        if c not in text
    ]
    assert not missing, (
        f"no index entry for {missing} (add an {{index}} directive where the concept is defined)"
    )


def test_theorem_index_numbers_titles_and_sidebar() -> None:
    """theorems.html lists the numbered results with number and title, linked to
    their statements, and every page's sidebar links to it."""
    page = _built("theorems.html")
    entries = re.findall(
        r'<a class="reference internal" href="chapters/[^"#]+#([^"]+)"><strong>(\w+ '
        r"\d+\.\d+)</strong></a>:\s*(\S)",
        page,
    )
    assert len(entries) >= 20, f"theorems.html lists {len(entries)} numbered results with titles"
    assert 'href="theorems.html"' in _built("intro.html"), (
        "the sidebar does not link the index of results"
    )


def test_bibliography_labels_are_the_citations() -> None:
    """The bibliography's labels are the author-year citations of the text, and
    editions are ordinals (pybtex's plain style printed "2 edition")."""
    text = _text(_built("bibliography.html"))
    assert re.search(r"\[\s*Blanchard et al\., 2021\s*\]", text), (
        "bibliography labels are not author-year"
    )
    assert not re.search(r"\[\s*\d+\s*\]", text), "a numbered bibliography label is left"
    assert not re.search(r"\b\d+ edition", text), "an edition printed as a bare number"
    cited = set(
        re.findall(
            r'bibliography\.html#[^"]+"[^>]*>([^<]+, \d{4}[a-z]?)</a>',
            _built("chapters/05_accuracy.html"),
        )
    )
    assert cited, "chapter 5 cites nothing in author-year form"
    labels = set(re.findall(r"\[\s*([^\[\]]+?, \d{4}[a-z]?)\s*\]", text))
    assert cited <= labels, (
        f"citations without a matching bibliography label: {sorted(cited - labels)}"
    )
