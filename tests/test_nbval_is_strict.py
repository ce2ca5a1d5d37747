"""Strict nbval really compares outputs: a changed stored output makes it fail."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def executed_notebook(tmp_path_factory) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        # numpy, not softmaxlab: what is tested is nbval's comparison, and a
        # kernel that does not import JAX starts in a fraction of the time.
        nbformat.v4.new_code_cell('import numpy as np\nprint(f"{np.exp(0.0) / 2:.3f}")'),
        nbformat.v4.new_code_cell("np.full(4, 1.0) / 4"),
    ]
    NotebookClient(nb, kernel_name="python3", timeout=120, record_timing=False).execute()
    path = tmp_path_factory.mktemp("nbval") / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def run_nbval(paths: list[Path]) -> subprocess.CompletedProcess:
    # A clean child: under pytest-xdist the parent's PYTEST_XDIST_* variables
    # would make the child believe it is a worker and reuse the worker's
    # temporary directory.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "XDIST_"))}
    env["JAX_PLATFORMS"] = "cpu"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-v",
            "--rootdir",
            str(paths[0].parent),
            "--nbval",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            str(ROOT / "tests" / "nbval_sanitize.cfg"),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=paths[0].parent,
        timeout=300,
    )


CHANGES = {"changed_stream": (0, "0.501\n"), "changed_repr": (1, "array([0.25, 0.25, 0.25, 0.26])")}


@pytest.fixture(scope="module")
def nbval_run(executed_notebook) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """One nbval run (one kernel start-up per notebook) over the executed
    notebook and two copies, each with one stored output changed."""
    paths = [executed_notebook]
    for name, (cell, new_text) in CHANGES.items():
        nb = nbformat.read(executed_notebook, as_version=4)
        out = nb.cells[cell].outputs[0]
        if out.output_type == "stream":
            assert out.text == "0.500\n"
            out.text = new_text
        else:
            assert out.data["text/plain"] == "array([0.25, 0.25, 0.25, 0.25])"
            out.data["text/plain"] = new_text
        paths.append(executed_notebook.with_name(f"{name}.ipynb"))
        nbformat.write(nb, paths[-1])
    result = run_nbval(paths)
    # Lines such as "changed_stream::ipynb::Cell 0 FAILED [ 50%]".
    found = re.findall(
        r"^(\S+)::ipynb::(Cell \d+) (PASSED|FAILED|ERROR)", result.stdout, re.MULTILINE
    )
    outcomes = {f"{stem}::{cell}": outcome for stem, cell, outcome in found}
    return result, outcomes


def test_unchanged_outputs_pass(nbval_run):
    result, outcomes = nbval_run
    assert outcomes == {
        **{f"tiny::Cell {i}": "PASSED" for i in range(2)},
        "changed_stream::Cell 0": "FAILED",
        "changed_stream::Cell 1": "PASSED",
        "changed_repr::Cell 0": "PASSED",
        "changed_repr::Cell 1": "FAILED",
    }, result.stdout[-3000:]


@pytest.mark.parametrize("name", CHANGES)
def test_a_changed_output_fails(nbval_run, name):
    result, outcomes = nbval_run
    cell = CHANGES[name][0]
    assert outcomes[f"{name}::Cell {cell}"] == "FAILED", result.stdout[-3000:]
    assert result.returncode == 1
    assert "2 failed, 4 passed" in result.stdout


def test_make_test_runs_strict_nbval_on_every_chapter():
    recipe = (
        (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    )  # join continued lines
    # Expand the one variable that holds the nbval options.
    nbval = re.search(r"^NBVAL := (.*)$", recipe, re.M)
    assert nbval, "the Makefile defines NBVAL, the strict nbval options of both runs"
    recipe = recipe.replace("$(NBVAL)", nbval.group(1))
    assert "--nbval-lax" not in recipe
    assert re.search(r"pytest .*--nbval .*chapters|pytest .*chapters.*--nbval ", recipe), (
        "make test must run --nbval on chapters/"
    )
