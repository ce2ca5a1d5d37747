"""What the HTML book adds to Jupyter Book 1.x (loaded from ``_config.yml``).

Only what Sphinx, Jupyter Book and their extensions cannot be configured to do;
each job is a module of its own next to this one:

- ``book_api``: the API page (``api.md``, written with ``automodule`` and
  ``autosummary``) documents every name of ``softmaxlab.__all__``, and the
  short names readers use (``softmaxlab.softmax``) link to their entries;
- ``book_downloads``: each notebook also downloads as a MyST Markdown text
  notebook, next to the ``.ipynb``;
- ``book_text``: page titles, search results and page descriptions in plain
  text (math turned into Unicode, not raw TeX);
- ``book_proofs``: the ``{proof-index}`` directive, every numbered result of the
  book with its number and title;
- ``book_bibliography``: a pybtex style whose labels are the author-year
  citations of the text, and editions as ordinals;
- ``book_theme``: theme repairs (no unused thebe script, citation list roles,
  MathJax on every page, the sidebar redrawn when ``_toc.yml`` changes).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

PARTS = (
    "book_api",
    "book_downloads",
    "book_text",
    "book_proofs",
    "book_bibliography",
    "book_theme",
)


def setup(app: Sphinx) -> dict[str, Any]:
    for part in PARTS:  # _ext/ is on sys.path (Jupyter Book's local_extensions)
        app.setup_extension(part)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
