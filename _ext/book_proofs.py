"""``{proof-index}``: every numbered result of the book, with its number and title.

sphinx-proof's own index (``prf-prf.html``) lists the results by label
(``thm-jac-entries``), with neither number nor title. This directive lists them
by chapter as the text cites them, "Theorem 3.2 (Entries of the Jacobian)",
each linked to its statement.
"""

from __future__ import annotations

import copy
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class proof_index(nodes.General, nodes.Element):
    """Placeholder, filled in once every chapter has been read."""


class ProofIndex(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return [proof_index()]


def _title_nodes(env: Any, docname: str, label: str) -> list[nodes.Node]:
    """The inline nodes of a result's title (math included), without the brackets."""
    for node in env.get_doctree(docname).findall(
        lambda n: (
            isinstance(n, nodes.Element)
            and n.get("label") == label
            and "countertype" in n.attributes
        )
    ):
        title = node.next_node(nodes.title)
        if title is None or not title.children:
            return []
        parts = [copy.deepcopy(c) for c in title.children]
        if isinstance(parts[0], nodes.Text) and parts[0].lstrip().startswith("("):
            parts[0] = nodes.Text(parts[0].lstrip()[1:])
        if isinstance(parts[-1], nodes.Text) and parts[-1].rstrip().endswith(")"):
            parts[-1] = nodes.Text(parts[-1].rstrip()[:-1])
        return parts
    return []


def fill_proof_index(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    env = app.env
    for placeholder in doctree.findall(proof_index):
        by_doc: dict[str, list[tuple[tuple[int, ...], str, dict[str, Any]]]] = {}
        for label, info in getattr(env, "proof_list", {}).items():
            if info.get("nonumber"):
                continue
            number = (
                env.toc_fignumbers.get(info["docname"], {}).get(info["countertype"], {}).get(label)
            )
            if number:
                by_doc.setdefault(info["docname"], []).append((tuple(number), label, info))
        order = {doc: i for i, doc in enumerate(env.all_docs) if doc in by_doc}
        chapters = sorted(by_doc, key=lambda d: (min(n for n, _, _ in by_doc[d]), order[d]))
        content: list[nodes.Node] = []
        for doc in chapters:
            number = env.toc_secnumbers.get(doc, {}).get("")
            prefix = [nodes.Text(".".join(map(str, number)) + ". ")] if number else []
            title = [copy.deepcopy(c) for c in env.titles[doc].children]
            content.append(nodes.rubric("", "", *prefix, *title, classes=["proof-index-chapter"]))
            items = nodes.bullet_list()
            for number, label, info in sorted(by_doc[doc]):
                uri = app.builder.get_relative_uri(docname, doc) + "#" + info["ids"][0]
                name = f"{info['realtype'].title()} {'.'.join(map(str, number))}"
                link = nodes.reference("", "", nodes.strong(name, name), refuri=uri, internal=True)
                title = _title_nodes(env, doc, label)
                para = nodes.paragraph("", "", link, *([nodes.Text(": "), *title] if title else []))
                items += nodes.list_item("", para)
            content.append(items)
        placeholder.replace_self(content or [nodes.paragraph(text="No numbered results yet.")])


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(proof_index)
    app.add_directive("proof-index", ProofIndex)
    app.connect("doctree-resolved", fill_proof_index)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
