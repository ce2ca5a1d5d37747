"""Execute notebooks in place, each in a fresh kernel: the one way outputs are made.

Usage: python scripts/execute_notebooks.py chapters/01_softmax.ipynb [...]

Execution counts run 1..n, no timing metadata is recorded, and a cell that
raises stops the run unless it is tagged ``raises-exception``. A notebook
that writes to stderr (a warning, a log line) is not saved: the book's
outputs must be clean, and tests/test_notebook_hygiene.py would reject it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        # One stream output per cell and stream, however the kernel flushed:
        # the committed JSON does not depend on timing.
        coalesce_streams=True,
    )
    client.execute()
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                raise SystemExit(f"{path}: code cell {i + 1} wrote to stderr, not saved:\n{out['text'][:500]}")
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, path)


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: execute_notebooks.py NOTEBOOK [NOTEBOOK ...]", file=sys.stderr)
        return 2
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    for p in paths:
        t0 = time.perf_counter()
        execute(Path(p))
        print(f"executed {p} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
