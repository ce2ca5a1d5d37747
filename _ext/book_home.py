"""The book's home: the one setting every outside link is made from.

The home is the GitHub repository the book is published from, given at build
time in the environment variable ``BOOK_HOME`` (``https://github.com/OWNER/NAME``
or just ``OWNER/NAME``). The GitHub Pages workflow sets it from
``GITHUB_REPOSITORY``; by default it is unset.

* **With a home**, the book shows the repository, issue and edit buttons
  (:data:`HOME_BUTTONS`; Jupyter Book refuses them in ``_config.yml`` without a
  URL, so they are off there) and the launch buttons that ``_config.yml``'s
  ``launch_buttons`` configures (Binder, Colab), all pointing to it.
* **Without one**, it shows none of them: no link points to a repository that
  may not exist. The downloads (.ipynb, .md, the whole-book PDF) stay: they
  are files of the built site. The download menu of every page links the
  whole-book PDF at :data:`PDF_NAME` in the site's root **when that file is
  there**: ``make book`` removes an old one and builds pages without the link;
  ``make pdf`` prints the PDF from those pages, then builds again, and the
  PDF's presence (the config value ``book_pdf_present``, which Sphinx counts
  in its build hash) makes every page be written again, now with the link.
  So no page links a PDF that does not exist, or one of older pages.

The first cell of every notebook (written by ``scripts/install_cell.py`` from
:func:`install_cell_source`) installs ``softmaxlab`` from the same home when
it is missing, as in Colab. A reader who opens a chapter in Colab runs the
notebook committed to the repository, so the home must be written into the
committed cells: that is the publisher's one-time step
(``python scripts/install_cell.py --home https://github.com/OWNER/NAME``, then
commit). A build whose ``BOOK_HOME`` differs from the home the cells carry
warns (an error under ``-W``) and says so, instead of publishing a Colab
button whose first cell would install from elsewhere.
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path
from typing import Any

ENV = "BOOK_HOME"
_GITHUB = re.compile(
    r"^(?:https://github\.com/)?([A-Za-z0-9][A-Za-z0-9-]{0,38})/([A-Za-z0-9._-]{1,100}?)(?:\.git)?/?$"
)
# The notebooks whose install cells must carry the home.
CHAPTERS = "chapters"
INSTALL_TAG = "remove-cell"
# Marks the install cell (its first line), so a script can find and update it.
INSTALL_MARK = "# Installs softmaxlab where it is missing (Colab, Binder);"


def normalise_home(value: str | None) -> str | None:
    """``https://github.com/OWNER/NAME`` from a home as given, or None if empty.

    >>> normalise_home("octo/softmax-book")
    'https://github.com/octo/softmax-book'
    >>> normalise_home("https://github.com/octo/softmax-book.git/")
    'https://github.com/octo/softmax-book'
    >>> normalise_home("") is None
    True
    """
    if value is None or not value.strip():
        return None
    match = _GITHUB.match(value.strip())
    if not match:
        raise ValueError(
            f"{ENV}={value!r} is not a GitHub repository: expected https://github.com/OWNER/NAME "
            "or OWNER/NAME "
            "(the Colab and Binder buttons need a GitHub repository)"
        )
    return f"https://github.com/{match.group(1)}/{match.group(2)}"


def book_home(environ: Any = None) -> str | None:
    """The home this build uses: ``BOOK_HOME`` from the environment, normalised."""
    return normalise_home((os.environ if environ is None else environ).get(ENV))


# ------------------------------------------------------------ install cell ----


def install_cell_source(home: str | None) -> str:
    """The first cell of every notebook, for the given home (None: no home).

    In the book's environment ``softmaxlab`` is importable and the cell does
    nothing and prints nothing. Where it is missing (Colab) the cell installs
    it from the home with pip; with no home it stops with a message that says
    how to install it by hand.
    """
    home = normalise_home(home)
    return "\n".join(
        [
            INSTALL_MARK,
            "# in the book's own environment it does nothing.",
            "import importlib.util",
            "import subprocess",
            "import sys",
            "",
            "# The book's home, written by scripts/install_cell.py:",
            f"BOOK_HOME = {home!r}",
            'if importlib.util.find_spec("softmaxlab") is None:',
            "    if BOOK_HOME is None:",
            "        raise ModuleNotFoundError(",
            '            "softmaxlab is missing and this copy names no home to install "',
            '            "it from: run `pip install .` in the book\'s repository"',
            "        )",
            '    pip = [sys.executable, "-m", "pip", "install", "--quiet"]',
            '    subprocess.run([*pip, f"softmaxlab @ git+{BOOK_HOME}"], check=True)',
            "    importlib.invalidate_caches()",
        ]
    )


def is_install_cell(cell: dict[str, Any]) -> bool:
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    return cell.get("cell_type") == "code" and source.startswith(INSTALL_MARK)


def cell_home(cell: dict[str, Any]) -> str | None:
    """The home an install cell carries (the value of its ``BOOK_HOME = ...`` line)."""
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    match = re.search(r"^BOOK_HOME = (.*)$", source, re.M)
    if not match:
        raise ValueError("the install cell has no `BOOK_HOME = ...` line")
    return ast.literal_eval(match.group(1))


def check_notebooks(root: Path, home: str | None) -> list[str]:
    """Problems with the install cells of ``root/chapters/*.ipynb`` for this home."""
    problems = []
    for path in sorted((root / CHAPTERS).glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        if not cells or not is_install_cell(cells[0]):
            problems.append(
                f"{path.name}: the first cell is not the install cell (run scripts/install_cell.py)"
            )
            continue
        carried = cell_home(cells[0])
        if carried != home:
            problems.append(
                f"{path.name}: its install cell installs from {carried} but {ENV} is {home}; "
                f"run `python scripts/install_cell.py --home {home}` and commit the notebooks"
            )
    return problems


# ---------------------------------------------------------- Sphinx hook ----

#: The theme's buttons that link to the repository: on with a home, off without.
HOME_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")
_LAUNCHERS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url")


def theme_options_for(options: dict[str, Any], home: str | None) -> dict[str, Any]:
    """The book theme's options with the home filled in, or every link that needs it off."""
    options = dict(options)
    launch = dict(options.get("launch_buttons") or {})
    options["repository_url"] = home or ""
    for key in HOME_BUTTONS:
        options[key] = bool(home)
    options["use_source_button"] = False  # the edit button is enough
    if not home:
        for key in _LAUNCHERS:
            launch[key] = ""
    options["launch_buttons"] = launch
    return options


def apply_home(app: Any, config: Any) -> None:
    config.book_pdf_present = (Path(app.outdir) / PDF_NAME).is_file()
    home = book_home()
    config.html_theme_options = theme_options_for(config.html_theme_options, home)
    # With a home, the committed install cells must install from it.
    if home:
        from sphinx.util import logging

        logger = logging.getLogger(__name__)
        for problem in check_notebooks(Path(app.srcdir), home):
            logger.warning(problem)


#: Where ``make pdf`` writes the whole book, relative to the HTML root.
PDF_NAME = "the-derivatives-of-softmax.pdf"


def add_pdf_download(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """The whole-book PDF in every page's download menu, when it has been printed."""
    if not app.config.book_pdf_present:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].append(
                {
                    "type": "link",
                    "url": context["pathto"](PDF_NAME, 1),
                    "text": "Whole book (PDF)",
                    "tooltip": "Download the whole book as one PDF",
                    "icon": "fas fa-book",
                    "label": "download-book-pdf-button",
                }
            )


def setup(app: Any) -> dict[str, Any]:
    # Set by apply_home from the file; "html": a change rewrites every page.
    app.add_config_value("book_pdf_present", False, "html")
    app.connect("config-inited", apply_home)
    app.connect("html-page-context", add_pdf_download, priority=601)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
