"""Page titles, search results and page descriptions in plain text.

Sphinx renders a heading's math as MathJax markup (``\\(z_j\\)``), which is
right in the page and its navigation, where MathJax typesets it, but raw TeX
where nothing does: the window title, the search results, and the
``<meta name="description">`` that search engines and link previews show. There
the math becomes Unicode text (``zⱼ``). The description is the page's first
paragraph of prose (not a list item, not a box), without a cross-reference's
repeated title.
"""

from __future__ import annotations

import html
import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

_SYMBOLS = {
    "times": "×",
    "cdot": "·",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "to": "→",
    "leftarrow": "←",
    "gets": "←",
    "mapsto": "↦",
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "sum": "Σ",
    "prod": "Π",
    "in": "∈",
    "approx": "≈",
    "equiv": "≡",
    "pm": "±",
    "odot": "⊙",
    "oplus": "⊕",
    "otimes": "⊗",
    "dots": "…",
    "ldots": "…",
    "cdots": "⋯",
    "top": "ᵀ",
    "prime": "′",
    "mid": "|",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "Delta": "Δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "eta": "η",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "pi": "π",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "Sigma": "Σ",
}
_SUB = dict(
    zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
_SUP = dict(zip("0123456789+-=()inT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿᵀ", strict=True))
_SCRIPT = re.compile(r"([_^])(?:\{([^{}]*)\}|(\\?[A-Za-z0-9]))")


def _script(match: re.Match[str]) -> str:
    kind, body = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
    table = _SUB if kind == "_" else _SUP
    plain = body.replace(" ", "")
    if plain and all(c in table for c in plain):
        return "".join(table[c] for c in plain)
    return f"{kind}{body}" if len(body) == 1 else f"{kind}({body})"


def tex_to_text(tex: str) -> str:
    """Inline TeX as readable Unicode text: ``\\operatorname{softmax}(z)_j`` -> ``softmax(z)ⱼ``."""
    text = re.sub(
        r"\\(?:operatorname|mathrm|mathbf|mathit|text|textrm|texttt|boldsymbol)\s*\{([^{}]*)\}",
        r"\1",
        tex,
    )
    text = re.sub(r"\\mathbb\s*\{R\}", "ℝ", text)
    text = re.sub(
        r"\\hat\s*(?:\{([A-Za-z])\}|([A-Za-z]))",
        lambda m: (m.group(1) or m.group(2)) + "\u0302",
        text,
    )
    text = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"\1/\2", text)
    text = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])", "", text)
    text = re.sub(r"\\[,;:!]|\\q?quad(?![A-Za-z])|~", " ", text)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _SYMBOLS.get(m.group(1), m.group(1)), text)
    text = _SCRIPT.sub(_script, text)
    text = text.replace("\\{", "{").replace("\\}", "}").replace("{", "").replace("}", "")
    return " ".join(text.replace("\\", "").split())


_MATH_HTML = re.compile(r'<span class="math[^"]*">\\\((.*?)\\\)</span>', re.S)


def plain_title(rendered: str) -> str:
    """A title rendered as HTML, with its math as Unicode text and no tags."""
    text = _MATH_HTML.sub(lambda m: html.escape(tex_to_text(html.unescape(m.group(1)))), rendered)
    return re.sub(r"<[^>]+>", "", text)


def plain_text(node: nodes.Node) -> str:
    """A node's text with its math as Unicode and a reference's repeated title dropped."""
    parts = []
    for child in node.findall(lambda n: isinstance(n, (nodes.Text, nodes.math))):
        if isinstance(child, nodes.math):
            parts.append(tex_to_text(child.astext()))
        elif not any(isinstance(p, nodes.math) for p in _parents(child)):
            parts.append(str(child))
    text = " ".join("".join(parts).split())
    # "Subtracting the maximum (Subtracting the maximum) stops...": a {ref} to the
    # chapter named just before it.
    return re.sub(r"(\b[^()]{4,}?) \(\1\)", r"\1", text)


def _parents(node: nodes.Node) -> list[nodes.Node]:
    out = []
    while node.parent is not None:
        node = node.parent
        out.append(node)
    return out


def description(doctree: nodes.document, fallback: str) -> str:
    """The page's first paragraph of prose, at most 160 characters."""
    text = ""
    for para in doctree.findall(nodes.paragraph):
        if not isinstance(para.parent, nodes.section):  # a list item, a box, a caption, a table
            continue
        text = plain_text(para)
        if len(text) > 40:
            break
    text = text if len(text) > 40 else fallback
    if len(text) > 160:
        text = text[:157].rsplit(" ", 1)[0] + "..."
    return text


def plain_page_text(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if context.get("title"):
        context["title"] = plain_title(context["title"])
    fallback = app.config.project
    if doctree is None and context.get("title"):
        fallback = f"{context['title']}: {app.config.project}"
    text = description(doctree, fallback) if doctree is not None else fallback
    context["metatags"] = (
        context.get("metatags", "")
        + f'\n    <meta name="description" content="{html.escape(text)}" />'
    )


def plain_search_titles(app: Sphinx) -> None:
    """Give the search index the page titles (and section titles) as plain text."""
    builder = app.builder
    if not hasattr(builder, "index_page"):
        return
    index_page = builder.index_page

    def index_plain(pagename: str, doctree: nodes.document, title: str) -> None:
        index_page(pagename, doctree, plain_title(title))
        # Section titles are collected as node.astext(), where math is its TeX source.
        titles = getattr(builder.indexer, "_all_titles", {}).get(pagename)
        if titles:
            builder.indexer._all_titles[pagename] = [
                (tex_to_text(t) if "\\" in t or "_" in t else t, i) for t, i in titles
            ]

    builder.index_page = index_plain


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", plain_page_text)
    app.connect("builder-inited", plain_search_titles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
