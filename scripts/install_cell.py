"""Write the install cell as the first cell of every chapter notebook.

Usage:
    python scripts/install_cell.py [--home URL] [--check] [NOTEBOOK ...]

The cell (its text is ``install_cell_source`` in ``_ext/book_home.py``)
installs ``softmaxlab`` from the book's home when it is not importable, as in
Colab, and does nothing, printing nothing, in the book's own environment. It
carries the tag ``remove-cell``: the HTML book leaves it out altogether. We
chose ``remove-cell`` over ``hide-input`` because the cell has nothing to say
to a reader of the HTML (it never prints, and its code is plumbing, not the
subject), so a fold would be clutter; in Colab and in the downloaded
``.ipynb`` it is there, first, where it has to run.

The home is ``--home``, else ``BOOK_HOME`` from the environment, else none (the
cell then stops with a message saying how to install softmaxlab by hand).
A notebook without the cell gets it inserted with execution count 1 and every
later count (and ``execute_result`` count) moved up by one: exactly what a
fresh execution produces, since the cell has no output, so strict nbval still
holds without re-executing. A notebook that has it gets its text updated.
``--check`` changes nothing and exits 1 if any notebook would change.
Notebooks default to every ``chapters/*.ipynb``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

from book_home import INSTALL_TAG, book_home, install_cell_source, is_install_cell, normalise_home  # noqa: E402

CELL_ID = "install-softmaxlab"


def with_install_cell(nb: nbformat.NotebookNode, home: str | None) -> nbformat.NotebookNode:
    """The notebook with its install cell first and up to date (changed in place)."""
    source = install_cell_source(home)
    if nb.cells and is_install_cell(nb.cells[0]):
        cell = nb.cells[0]
        cell.source = source
        tags = [t for t in cell.metadata.get("tags", []) if t != INSTALL_TAG]
        cell.metadata["tags"] = [INSTALL_TAG, *tags]
        return nb
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is not None:
            cell.execution_count += 1
        for out in cell.get("outputs", []):
            if (
                out.get("output_type") == "execute_result"
                and out.get("execution_count") is not None
            ):
                out["execution_count"] += 1
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [INSTALL_TAG]})
    cell.execution_count = 1
    if (nb.nbformat, nb.nbformat_minor) >= (4, 5):  # cell ids exist from 4.5 on
        cell["id"] = CELL_ID
    else:
        cell.pop("id", None)
    nb.cells.insert(0, cell)
    return nb


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--home", help="https://github.com/OWNER/NAME (default: $BOOK_HOME, else none)"
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a notebook would change"
    )
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    home = normalise_home(args.home) if args.home else book_home()
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    stale = []
    for path in paths:
        before = path.read_text(encoding="utf-8")
        nb = with_install_cell(nbformat.reads(before, as_version=4), home)
        after = nbformat.writes(nb)
        after += "" if after.endswith("\n") else "\n"  # as nbformat.write does
        if after == before:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(after, encoding="utf-8")
    verb = "would change" if args.check else "updated"
    for path in stale:
        print(f"{verb}: {path} (install cell for home {home})")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
