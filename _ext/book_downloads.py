"""Notebooks download as MyST Markdown text notebooks too.

The book theme offers the ``.ipynb``; next to it we offer a ``.md`` text
notebook (the format of jupytext and MyST-NB), written from the same cells
without outputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import yaml
from sphinx.application import Sphinx


def notebook_as_myst(path: Path) -> str:
    """A notebook as a MyST Markdown text notebook (inputs only, no outputs)."""
    nb = nbformat.read(path, as_version=4)
    kernel = nb.metadata.get(
        "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}
    )
    front = {
        "jupytext": {"text_representation": {"extension": ".md", "format_name": "myst"}},
        "kernelspec": {k: kernel[k] for k in ("display_name", "language", "name") if k in kernel},
    }
    parts = ["---", yaml.safe_dump(front, sort_keys=False).rstrip(), "---", ""]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            longest = max((len(m) for m in re.findall(r"`{3,}", cell.source)), default=2)
            fence = "`" * max(3, longest + 1)
            parts.append(f"{fence}{{code-cell}} ipython3")
            tags = cell.metadata.get("tags", [])
            if tags:
                parts += [f":tags: {json.dumps(tags)}", ""]
            parts += [cell.source, fence, ""]
        elif cell.cell_type == "markdown":
            if i and nb.cells[i - 1].cell_type == "markdown":
                parts += ["+++", ""]
            parts += [cell.source, ""]
    return "\n".join(parts).rstrip() + "\n"


def add_markdown_download(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
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


def setup(app: Sphinx) -> dict[str, Any]:
    # After the book theme has made its download buttons.
    app.connect("html-page-context", add_markdown_download, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
