"""Execute notebooks in place, each in a fresh kernel: the one way outputs are made.

Usage: python scripts/execute_notebooks.py [--no-write] chapters/01_softmax.ipynb [...]

Execution counts run 1..n, no timing metadata is recorded, and a cell that
raises stops the run unless it is tagged ``raises-exception``. A notebook
that writes to stderr (a warning, a log line) is not saved: the book's
outputs must be clean, and tests/test_notebook_hygiene.py would reject it.

``--no-write`` runs every notebook top to bottom and saves nothing: it reports
each notebook that raised (and, as a note, what went to stderr), goes on to the
next, and exits 1 if any raised. ``make test-plain`` uses it in a fresh
environment with the newest releases, where outputs may differ from the
committed ones but no chapter may fail.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def execute(path: Path, write: bool = True) -> None:
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
                if not write:
                    print(f"note: {path}: code cell {i + 1} wrote to stderr:\n{out['text'][:500]}")
                    continue
                raise SystemExit(
                    f"{path}: code cell {i + 1} wrote to stderr, not saved:\n{out['text'][:500]}"
                )
    if not write:
        return
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(nb, path)


def main(args: list[str]) -> int:
    write = "--no-write" not in args
    paths = [a for a in args if a != "--no-write"]
    if not paths:
        print("usage: execute_notebooks.py [--no-write] NOTEBOOK [NOTEBOOK ...]", file=sys.stderr)
        return 2
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    failed = []
    for p in paths:
        t0 = time.perf_counter()
        if write:
            execute(Path(p))
        else:
            try:
                execute(Path(p), write=False)
            except CellExecutionError as exc:
                failed.append(p)
                print(f"FAILED {p}:\n{exc}")
                continue
        print(f"executed {p} in {time.perf_counter() - t0:.1f} s")
    if failed:
        print(f"{len(failed)} of {len(paths)} notebooks failed: {' '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
