"""Repairs to the theme's pages that configuration cannot make."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx


def drop_unused_thebe(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
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
        return (
            "sphinx-thebe" in str(getattr(script, "filename", "") or "") or "THEBE_JS_URL" in body
        )

    context["script_files"] = [s for s in context.get("script_files", []) if not is_thebe(s)]
    context["css_files"] = [
        s
        for s in context.get("css_files", [])
        if "sphinx-thebe" not in str(getattr(s, "filename", s))
    ]


def fix_citation_roles(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Sphinx wraps citations in ``role="list"`` but gives the entries
    ``role="doc-biblioentry"``, which a list may not contain (axe: critical
    aria-required-children); the entries become list items."""
    body = context.get("body", "")
    if 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def reread_all_when_toc_changes(
    app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """A changed ``_toc.yml`` (a page added, numbering switched on) changes every
    page's navigation and numbers, but Sphinx rewrites only the changed pages:
    the others would keep a stale sidebar. Re-read them all."""
    toc = Path(app.srcdir) / "_toc.yml"
    digest = hashlib.sha256(toc.read_bytes()).hexdigest() if toc.exists() else ""
    if getattr(env, "book_toc_digest", None) != digest:
        env.book_toc_digest = digest
        return sorted(env.found_docs)
    return []


def setup(app: Sphinx) -> dict[str, Any]:
    # MathJax on every page, not only on pages with math in their body: chapter
    # titles with math appear in every page's navigation.
    app.set_html_assets_policy("always")
    app.connect("env-get-outdated", reread_all_when_toc_changes)
    app.connect("html-page-context", drop_unused_thebe)
    app.connect("html-page-context", fix_citation_roles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
