"""What the HTML book adds to Jupyter Book 1.x (loaded from ``_config.yml``).

Small things that configuration alone cannot do:

1. **The API page writes itself.** ``api.md`` holds a marker line; at build time
   it is replaced by a table of every name in ``softmaxlab.__all__`` and one
   ``automodule`` section per public module that exists in the package. A module
   added later appears without anyone editing ``api.md``, and a name exported in
   ``__all__`` that no module documents is a build warning (an error under -W).
2. **Notebooks download as MyST Markdown too.** The book theme offers the
   ``.ipynb``; next to it we offer a ``.md`` text notebook (the format of
   jupytext and MyST-NB), written from the same cells without outputs.
3. **Page metadata.** Every page gets a ``<meta name="description">`` made from
   its first paragraph.
4. **No broken thebe script.** With thebe off, sphinx-thebe's scripts (one of
   which is registered twice and throws in the console) are left out.
5. **Accessibility and math everywhere.** MathJax is loaded on every page (math
   in chapter titles shows in every page's navigation), and citation entries get
   a role that their list may contain.
6. **A favicon.ico at the root.** Pages name ``_static/favicon.svg``, but a page
   without that link (Jupyter Book's ``index.html`` redirect) makes the browser
   ask for ``/favicon.ico``; a 404 there is a console error. The icon is drawn
   from the same three bars as the SVG.
"""

from __future__ import annotations

import hashlib
import html
import importlib
import json
import pkgutil
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

API_DOCNAME = "api"
API_MARKER = "% softmaxlab-api: generated below"
PACKAGE = "softmaxlab"
# Reading order of the modules on the API page; modules not named here follow
# in alphabetical order.
MODULE_ORDER = ["numerics", "derivatives", "checking", "floats", "precision", "online", "interactive", "timing", "plotting", "settings"]


# ------------------------------------------------------------------ API page ----


def _public_modules() -> list[Any]:
    package = importlib.import_module(PACKAGE)
    names = [m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    rank = {name: i for i, name in enumerate(MODULE_ORDER)}
    names.sort(key=lambda n: (rank.get(n, len(rank)), n))
    return [importlib.import_module(f"{PACKAGE}.{name}") for name in names]


def _attribute_doc(module: str, name: str) -> str:
    """The ``#:`` comment above a module-level constant, if it has one."""
    from sphinx.pycode import ModuleAnalyzer

    try:
        docs = ModuleAnalyzer.for_module(module).find_attr_docs()
    except Exception:  # no source to analyse: no summary
        return ""
    return "\n".join(docs.get(("", name), [])).strip()


def _summary(obj: Any, module: str = "", name: str = "") -> str:
    """First sentence of a docstring, with reST roles and literals turned into MyST."""
    if isinstance(obj, (int, float, str, tuple, dict, list, frozenset, set)):
        doc = _attribute_doc(module, name)
    else:
        doc = (getattr(obj, "__doc__", None) or "").strip()
    if not doc:
        return ""
    first = doc.split("\n\n")[0].replace("\n", " ")
    first = re.sub(r":(\w+):`", r"{\1}`", first)  # :math:`x` -> {math}`x`
    first = re.sub(r"``([^`]+)``", r"`\1`", first)
    return first.replace("|", r"\|")


def api_markdown() -> tuple[str, list[str]]:
    """MyST text for the API page and the problems found (names nobody documents)."""
    package = importlib.import_module(PACKAGE)
    exported = list(getattr(package, "__all__", []))
    modules = _public_modules()
    home: dict[str, str] = {}  # public name -> defining module
    members: dict[str, list[str]] = {}
    for module in modules:
        own = list(getattr(module, "__all__", []))
        if not own:  # no __all__: the package's names whose objects live here
            own = [n for n in exported if getattr(getattr(package, n), "__module__", None) == module.__name__]
        members[module.__name__] = own
        for name in own:
            home.setdefault(name, module.__name__)
    problems = [
        f"{PACKAGE}.{name} is in {PACKAGE}.__all__ but no public module lists it in its __all__, "
        "so the API page cannot document it"
        for name in exported
        if name not in home
    ]

    lines = [
        # The package's own docstring: its modules, each with one purpose.
        "```{eval-rst}",
        f".. automodule:: {PACKAGE}",
        "```",
        "",
        "## Every public name",
        "",
        f"Everything that `import {PACKAGE} as sl` exports (`{PACKAGE}.__all__`), in alphabetical order. "
        "Each name links to its entry below.",
        "",
        "| name | module | what it is |",
        "| --- | --- | --- |",
    ]
    for name in sorted((n for n in exported if n in home), key=str.lower):
        lines.append(
            f"| {{py:obj}}`{name} <{home[name]}.{name}>` | `{home[name]}` | {_summary(getattr(package, name), home[name], name)} |"
        )
    for module in modules:
        # autodoc writes reST, so it runs inside eval-rst, not as a MyST directive.
        lines += ["", f"## `{module.__name__}`", "", "```{eval-rst}", f".. automodule:: {module.__name__}"]
        if members[module.__name__]:
            lines += [f"   :members: {', '.join(members[module.__name__])}", "   :undoc-members:"]
        lines += ["```"]
    return "\n".join(lines) + "\n", problems


def generate_api_page(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname != API_DOCNAME:
        return
    if API_MARKER not in source[0]:
        LOGGER.warning(f"{API_DOCNAME}.md: marker line {API_MARKER!r} not found; the API page stays empty")
        return
    try:
        text, problems = api_markdown()
    except Exception as exc:  # an unimportable module: say which, and fail the strict build
        LOGGER.warning(f"{API_DOCNAME}.md: cannot document {PACKAGE}: {type(exc).__name__}: {exc}", location=API_DOCNAME)
        return
    for problem in problems:
        LOGGER.warning(problem, location=API_DOCNAME)
    source[0] = source[0].replace(API_MARKER, text)


def resolve_package_alias(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve ``softmaxlab.softmax`` (the name readers use) to its module's entry.

    The API page documents each object once, under the module that defines it
    (``softmaxlab.numerics.softmax``); docstrings and chapters may refer to the
    short public name.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    prefix = f"{PACKAGE}."
    if not target.startswith(prefix) or "." in target[len(prefix) :]:
        return None
    name = target[len(prefix) :]
    package = importlib.import_module(PACKAGE)
    module = None
    for candidate in _public_modules():
        if name in getattr(candidate, "__all__", []):
            module = candidate.__name__
            break
    if module is None or name not in getattr(package, "__all__", []):
        return None
    domain = env.get_domain("py")
    node["reftarget"] = f"{module}.{name}"
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], f"{module}.{name}", node, contnode)


def always_reread_api(app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    # A module added to the package changes the page although api.md did not.
    outdated = [API_DOCNAME] if API_DOCNAME in env.found_docs else []
    # A changed _toc.yml (a chapter added, numbering switched on) changes every
    # page's navigation and numbers, but Sphinx would rewrite only the changed
    # pages: the others would keep a stale sidebar. Re-read them all.
    toc = Path(app.srcdir) / "_toc.yml"
    digest = hashlib.sha256(toc.read_bytes()).hexdigest() if toc.exists() else ""
    if getattr(env, "book_toc_digest", None) != digest:
        env.book_toc_digest = digest
        outdated = sorted(env.found_docs)
    return outdated


# ----------------------------------------------------------- .md download ----


def notebook_as_myst(path: Path) -> str:
    """A notebook as a MyST Markdown text notebook (inputs only, no outputs)."""
    nb = nbformat.read(path, as_version=4)
    kernel = nb.metadata.get("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    front = {
        "jupytext": {"text_representation": {"extension": ".md", "format_name": "myst"}},
        "kernelspec": {k: kernel[k] for k in ("display_name", "language", "name") if k in kernel},
    }
    parts = ["---", *_yaml_lines(front), "---", ""]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            longest = max((len(m) for m in re.findall(r"`{3,}", cell.source)), default=2)
            fence = "`" * max(3, longest + 1)
            parts.append(f"{fence}{{code-cell}} ipython3")
            tags = cell.metadata.get("tags", [])
            if tags:
                parts.append(f":tags: {json.dumps(tags)}")
                parts.append("")
            parts += [cell.source, fence, ""]
        elif cell.cell_type == "markdown":
            if i and nb.cells[i - 1].cell_type == "markdown":
                parts += ["+++", ""]
            parts += [cell.source, ""]
    return "\n".join(parts).rstrip() + "\n"


def _yaml_lines(obj: dict[str, Any], indent: int = 0) -> list[str]:
    out = []
    for key, value in obj.items():
        if isinstance(value, dict):
            out.append(" " * indent + f"{key}:")
            out += _yaml_lines(value, indent + 2)
        else:
            out.append(" " * indent + f"{key}: {json.dumps(value)}")
    return out


def add_markdown_download(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    if doctree is None or pagename not in app.env.found_docs:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".ipynb":
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(notebook_as_myst(source), encoding="utf-8")
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(
                1,
                {
                    "type": "link",
                    "url": f"{context['pathto']('_sources', 1)}/{pagename}.md",
                    "text": ".md",
                    "tooltip": "Download as a MyST Markdown notebook",
                    "icon": "fab fa-markdown",
                    "label": "download-markdown-button",
                },
            )


# --------------------------------------------------------------- metadata ----


def add_description(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    text = ""
    if doctree is not None:
        for para in doctree.findall(nodes.paragraph):
            text = " ".join(para.astext().split())
            if len(text) > 40:
                break
    if not text:
        text = app.config.project
    if len(text) > 160:
        text = text[:157].rsplit(" ", 1)[0] + "..."
    context["metatags"] = context.get("metatags", "") + f'\n    <meta name="description" content="{html.escape(text)}" />'


# ------------------------------------------------------------------ thebe ----


def drop_unused_thebe(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Leave sphinx-thebe's scripts out while thebe is switched off.

    Jupyter Book always loads sphinx-thebe, which registers its inline script
    (``const THEBE_JS_URL = ...``) once per read phase; a page then declares the
    constant twice, a SyntaxError in every reader's console. With thebe off in
    ``launch_buttons`` the scripts do nothing, so they go.
    """
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return

    def is_thebe(script: Any) -> bool:
        body = getattr(script, "attributes", {}).get("body", "") or ""
        return "sphinx-thebe" in str(getattr(script, "filename", "") or "") or "THEBE_JS_URL" in body

    context["script_files"] = [s for s in context.get("script_files", []) if not is_thebe(s)]
    context["css_files"] = [s for s in context.get("css_files", []) if "sphinx-thebe" not in str(getattr(s, "filename", s))]


# ---------------------------------------------------------- accessibility ----


def fix_citation_roles(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Sphinx wraps citations in ``role="list"`` but gives the entries
    ``role="doc-biblioentry"``, which a list may not contain (axe: critical
    aria-required-children); the entries become list items."""
    body = context.get("body", "")
    if 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')

# The favicon's bars, (x, y, width, height, RGB) on a 64 x 64 grid, as in
# _static/favicon.svg (corners are left square at this size).
_ICON_BARS = [
    (10, 30, 12, 24, (0x56, 0xB4, 0xE9)),
    (26, 12, 12, 42, (0x00, 0x72, 0xB2)),
    (42, 42, 12, 12, (0xD5, 0x5E, 0x00)),
]


def _icon_png(size: int = 32) -> bytes:
    """A size x size PNG of the favicon: white tile, blue border, three bars."""
    scale = 64 / size
    rows = []
    for py in range(size):
        row = bytearray([0])  # PNG filter type 0 for this row
        for px in range(size):
            x, y = (px + 0.5) * scale, (py + 0.5) * scale
            rgb = (0xFF, 0xFF, 0xFF)
            if min(x, y, 64 - x, 64 - y) < 3:
                rgb = (0x00, 0x72, 0xB2)
            for bx, by, bw, bh, colour in _ICON_BARS:
                if bx <= x < bx + bw and by <= y < by + bh:
                    rgb = colour
            row += bytes(rgb)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")


def write_favicon_ico(app: Sphinx, exception: BaseException | None) -> None:
    """An ICO file holding one PNG image (read by every current browser)."""
    if exception is not None or app.builder.format != "html":
        return
    png = _icon_png(32)
    icondir = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", 32, 32, 0, 0, 1, 32, len(png), 6 + 16)
    (Path(app.outdir) / "favicon.ico").write_bytes(icondir + entry + png)


def setup(app: Sphinx) -> dict[str, Any]:
    # MathJax on every page, not only on pages with math in their body: chapter
    # titles with math appear in every page's navigation.
    app.set_html_assets_policy("always")
    app.connect("source-read", generate_api_page)
    app.connect("env-get-outdated", always_reread_api)
    app.connect("missing-reference", resolve_package_alias)
    app.connect("html-page-context", add_markdown_download, priority=600)
    app.connect("html-page-context", add_description)
    app.connect("html-page-context", drop_unused_thebe)
    app.connect("html-page-context", fix_citation_roles)
    app.connect("build-finished", write_favicon_ico)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
