"""What strict nbval and the rendered book rely on, read from the committed notebooks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in chapters/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_execution_counts_run_one_to_n(path):
    counts = [c.get("execution_count") for c in code_cells(load(path))]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..n: regenerate with `make notebooks NB={path.relative_to(ROOT)}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_unexpected_errors_or_stderr(path):
    for i, cell in enumerate(code_cells(load(path))):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            assert out.get("name") != "stderr", f"{path.name}, code cell {i + 1} writes to stderr: {''.join(out['text'])[:200]}"
            if out["output_type"] == "error":
                assert "raises-exception" in tags, f"{path.name}, code cell {i + 1} ends in {out['ename']} without the raises-exception tag"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_imports_softmaxlab_and_applies_book_settings(path):
    cells = code_cells(load(path))
    first = "".join(cells[0]["source"])
    assert re.search(r"^import softmaxlab as sl$", first, re.M), f"{path.name}: the first code cell must import softmaxlab as sl"
    # keyword arguments allowed: chapter 8 asks for sl.book_settings(cpu_devices=4)
    assert re.search(r"^sl\.book_settings\((cpu_devices=\d+)?\)", first, re.M), (
        f"{path.name}: the first code cell must call sl.book_settings()"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_have_alt_text(path):
    for i, cell in enumerate(code_cells(load(path))):
        if any("image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {}) for out in cell.get("outputs", [])):
            alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")
            assert alt.strip(), f"{path.name}, code cell {i + 1} shows a figure without mystnb.image.alt metadata"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_are_rare_and_tagged_by_comment(path):
    for i, cell in enumerate(code_cells(load(path))):
        tags = cell.get("metadata", {}).get("tags", [])
        assert not {"nbval-ignore-output", "nbval-skip"} & set(tags), f"{path.name}, code cell {i + 1}: use a visible comment, not a hidden tag"
        source = "".join(cell["source"])
        assert "NBVAL_SKIP" not in source, f"{path.name}, code cell {i + 1}: every cell must run under nbval"


def test_toc_and_chapters_agree():
    listed = toc_files()
    for entry in listed:
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb")]
        assert any(p.exists() for p in candidates), f"_toc.yml lists {entry!r}, which does not exist"
    for path in NOTEBOOKS:
        entry = str(path.relative_to(ROOT).with_suffix(""))
        assert entry in listed, f"{path.relative_to(ROOT)} is not in _toc.yml"
