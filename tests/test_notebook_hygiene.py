"""What strict nbval and the rendered book rely on, read from the committed notebooks."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "_ext"))

import book_home  # noqa: E402  (the home and the install cell: _ext/book_home.py)


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
        f"{path.name}: execution counts {counts} are not 1..n: regenerate with `make notebooks "
        f"NB={path.relative_to(ROOT)}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_unexpected_errors_or_stderr(path):
    for i, cell in enumerate(code_cells(load(path))):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            assert out.get("name") != "stderr", (
                f"{path.name}, code cell {i + 1} writes to stderr: {''.join(out['text'])[:200]}"
            )
            if out["output_type"] == "error":
                assert "raises-exception" in tags, (
                    f"{path.name}, code cell {i + 1} ends in {out['ename']} without the "
                    "raises-exception tag"
                )


# The install cell (scripts/install_cell.py) comes first, then the cell that
# every chapter starts with. The three tests below, the length and width tests
# and the NBVAL-comment test fail until scripts/install_cell.py has been applied
# to the notebooks (and the ignored cells carry the tag instead of the comment).
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_install_cell_comes_first(path):
    cells = load(path)["cells"]
    assert cells and book_home.is_install_cell(cells[0]), (
        f"{path.name}: the first cell must be the install cell: run `python "
        "scripts/install_cell.py`"
    )
    first = cells[0]
    home = book_home.cell_home(first)
    assert "".join(first["source"]) == book_home.install_cell_source(home), (
        f"{path.name}: the install cell differs from the one scripts/install_cell.py writes: run "
        "it again"
    )
    assert book_home.INSTALL_TAG in first.get("metadata", {}).get("tags", []), (
        f"{path.name}: the install cell must carry the {book_home.INSTALL_TAG} tag"
    )
    assert first.get("outputs") == [], (
        f"{path.name}: the install cell prints nothing in the book's environment"
    )


def test_install_cells_are_identical_and_name_the_home():
    firsts = {path.name: "".join(load(path)["cells"][0]["source"]) for path in NOTEBOOKS}
    assert len(set(firsts.values())) == 1, f"the notebooks' first cells differ: {sorted(firsts)}"
    # With a home set for this run (as the GitHub workflow does), the cells
    # must install from it; with none, they may carry any home (or none).
    home = book_home.book_home()
    if home is not None:
        assert book_home.check_notebooks(ROOT, home) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_imports_softmaxlab_and_applies_book_settings(path):
    cells = code_cells(load(path))
    assert len(cells) >= 2, f"{path.name}: expected the install cell and then the set-up cell"
    first = "".join(cells[1]["source"])
    assert re.search(r"^import softmaxlab as sl$", first, re.M), (
        f"{path.name}: the code cell after the install cell must import softmaxlab as sl"
    )
    # keyword arguments allowed: chapter 8 asks for sl.book_settings(cpu_devices=4)
    assert re.search(r"^sl\.book_settings\((cpu_devices=\d+)?\)", first, re.M), (
        f"{path.name}: the code cell after the install cell must call sl.book_settings()"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_have_alt_text(path):
    for i, cell in enumerate(code_cells(load(path))):
        if any(
            "image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})
            for out in cell.get("outputs", [])
        ):
            alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")
            assert alt.strip(), (
                f"{path.name}, code cell {i + 1} shows a figure without mystnb.image.alt metadata"
            )


#: What sets a size of text in matplotlib: a keyword, an rc key or a font property.
FONT_SIZE = re.compile(r"\b(fontsize|labelsize|titlesize|font\.size|prop\s*=|set_size\()")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_take_their_text_size_from_the_book_style(path):
    """No chapter sets a font size: every figure's text is at least plotting.SMALLEST_TEXT_PT."""
    for i, cell in enumerate(code_cells(load(path))):
        for line in "".join(cell["source"]).splitlines():
            code = line.split("#", 1)[0]
            assert not FONT_SIZE.search(code), (
                f"{path.name}, code cell {i + 1} sets a text size ({line.strip()!r}); "
                "the book's style (plotting.BOOK_STYLE) sets them all"
            )


def test_the_font_size_rule_catches_what_it_should():
    caught = [
        'ax.text(0, 0, "a", fontsize=8)',
        "ax.tick_params(labelsize=9)",
        'plt.rcParams["font.size"] = 8',
        "ax.legend(prop={'size': 8})",
        "t.set_size(8)",
    ]
    for code in caught:
        assert FONT_SIZE.search(code), code
    assert not FONT_SIZE.search("rng.normal(size=z.size)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_are_tagged_and_followed_by_a_compared_cell(path):
    cells = code_cells(load(path))
    for i, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        source = "".join(cell["source"])
        where = f"{path.name}, code cell {i + 1}"
        assert "nbval-skip" not in tags, (
            f"{where}: every cell must run under nbval (no nbval-skip tag)"
        )
        assert not re.search(r"#\s*NBVAL_", source), (
            f"{where}: nbval markers are cell tags (metadata.tags: nbval-ignore-output), not # "
            "NBVAL_ comments"
        )
        if "nbval-ignore-output" in tags:
            following = cells[i + 1] if i + 1 < len(cells) else None
            assert following is not None and "nbval-ignore-output" not in following.get(
                "metadata", {}
            ).get("tags", []), (
                f"{where}: an ignored output must be followed by a compared cell that asserts its "
                "bound"
            )


def output_texts(cell: dict) -> list[str]:
    """The text of a cell's outputs as a reader sees it (images left out)."""
    texts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            texts.append("".join(out["text"]))
        elif out["output_type"] == "error":
            texts.append(ANSI.sub("", "\n".join(out.get("traceback", []))))
        else:
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") or mime == "image/svg+xml":
                    texts.append("".join(value) if isinstance(value, list) else str(value))
    return texts


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|tmp|home)/\S")
MAX_CODE_LINES = 20
MAX_WIDTH = 80


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_output_shows_a_path_of_the_build_machine(path):
    for i, cell in enumerate(code_cells(load(path))):
        for text in output_texts(cell):
            match = MACHINE_PATH.search(text)
            assert not match, (
                f"{path.name}, code cell {i + 1} prints a path of the machine it ran on: "
                f"...{text[max(0, match.start() - 40) : match.end() + 40]}..."
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_cells_are_short(path):
    for i, cell in enumerate(code_cells(load(path))):
        lines = [line for line in "".join(cell["source"]).splitlines() if line.strip()]
        assert len(lines) <= MAX_CODE_LINES, (
            f"{path.name}, code cell {i + 1} has {len(lines)} non-blank lines (at most "
            f"{MAX_CODE_LINES}): "
            "move the logic into softmaxlab or split the cell"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_and_printed_lines_fit_the_column(path):
    for i, cell in enumerate(code_cells(load(path))):
        for line in "".join(cell["source"]).splitlines():
            assert len(line) <= MAX_WIDTH, (
                f"{path.name}, code cell {i + 1}: a code line of {len(line)} characters: "
                f"{line[:100]!r}"
            )
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                text = "".join(out["text"])
            elif out["output_type"] == "error":
                text = ANSI.sub("", "\n".join(out.get("traceback", [])))
            else:  # what the HTML shows as text: text/plain unless richer data is there
                data = out.get("data", {})
                if set(data) - {"text/plain"}:
                    continue
                text = "".join(data.get("text/plain", ""))
            for line in text.splitlines():
                assert len(line) <= MAX_WIDTH, (
                    f"{path.name}, code cell {i + 1}: an output line of {len(line)} characters: "
                    f"{line[:100]!r}"
                )


def top_level_imports(source: str) -> set[str]:
    # IPython magics and shell lines are not Python.
    code = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def runtime_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {project["name"]} | {
        re.match(r"[A-Za-z0-9._-]+", dep).group(0) for dep in project["dependencies"]
    }
    return {canonical(n) for n in names}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_module_a_notebook_imports_is_a_runtime_dependency():
    """A plain `pip install .` (the install cell in Colab) must bring what the chapters import."""
    provided = importlib.metadata.packages_distributions()
    declared = runtime_distributions()
    missing = {}
    for path in NOTEBOOKS:
        for cell in code_cells(load(path)):
            for module in top_level_imports("".join(cell["source"])):
                if module in sys.stdlib_module_names or module == "softmaxlab":
                    continue
                if not {canonical(d) for d in provided.get(module, [])} & declared:
                    missing.setdefault(module, set()).add(path.name)
    assert not missing, (
        f"imported by notebooks but not in pyproject.toml's [project] dependencies: {missing}"
    )


def test_toc_and_chapters_agree():
    listed = toc_files()
    for entry in listed:
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb")]
        assert any(p.exists() for p in candidates), (
            f"_toc.yml lists {entry!r}, which does not exist"
        )
    for path in NOTEBOOKS:
        entry = str(path.relative_to(ROOT).with_suffix(""))
        assert entry in listed, f"{path.relative_to(ROOT)} is not in _toc.yml"
