"""Strict nbval really compares outputs: a changed stored output makes it fail."""

from __future__ import annotations

import os
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
        nbformat.v4.new_code_cell("import softmaxlab as sl\nprint(f\"{sl.softmax([0.0, 0.0])[0]:.3f}\")"),
        nbformat.v4.new_code_cell("sl.softmax([1.0, 1.0, 1.0, 1.0])"),
    ]
    NotebookClient(nb, kernel_name="python3", timeout=120, record_timing=False).execute()
    path = tmp_path_factory.mktemp("nbval") / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def run_nbval(path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(path.parent), "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), str(path)],
        capture_output=True, text=True, env=env, cwd=path.parent, timeout=300,
    )


def test_unchanged_outputs_pass(executed_notebook):
    result = run_nbval(executed_notebook)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "2 passed" in result.stdout


@pytest.mark.parametrize(("cell", "new_text"), [(0, "0.501\n"), (1, "array([0.25, 0.25, 0.25, 0.26])")])
def test_a_changed_output_fails(executed_notebook, tmp_path, cell, new_text):
    nb = nbformat.read(executed_notebook, as_version=4)
    out = nb.cells[cell].outputs[0]
    if out.output_type == "stream":
        assert out.text == "0.500\n"
        out.text = new_text
    else:
        assert out.data["text/plain"] == "array([0.25, 0.25, 0.25, 0.25])"
        out.data["text/plain"] = new_text
    changed = tmp_path / "changed.ipynb"
    nbformat.write(nb, changed)
    result = run_nbval(changed)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "1 failed, 1 passed" in result.stdout
    assert "Notebook cell execution failed" in result.stdout or "mismatch" in result.stdout.lower()
