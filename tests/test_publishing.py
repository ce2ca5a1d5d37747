"""The book's home (_ext/book_home.py), the install cell, and the Binder spec."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT / "scripts"))

import binder_requirements  # noqa: E402
import book_home  # noqa: E402
import install_cell  # noqa: E402

HOME = "https://github.com/octo/softmax-book"
OUTSIDE_LINKS = (
    "github.com/softmaxlab",
    "mybinder.org",
    "colab.research.google.com",
    "/edit/",
    "/issues",
)


# ------------------------------------------------------------------ home ----


@pytest.mark.parametrize(
    "given", ["octo/softmax-book", HOME, HOME + "/", HOME + ".git", f" {HOME} "]
)
def test_a_home_is_normalised_to_its_github_url(given):
    assert book_home.normalise_home(given) == HOME


@pytest.mark.parametrize("given", [None, "", "  "])
def test_no_home(given):
    assert book_home.normalise_home(given) is None
    assert book_home.book_home({"BOOK_HOME": given} if given is not None else {}) is None


@pytest.mark.parametrize(
    "given",
    ["https://gitlab.com/octo/book", "octo", "octo/book/extra", "http://github.com/octo/book"],
)
def test_a_home_that_is_not_a_github_repository_is_refused(given):
    with pytest.raises(
        ValueError,
        match=r"BOOK_HOME=.* is not a GitHub repository: expected https://github.com/OWNER/NAME",
    ):
        book_home.normalise_home(given)


def test_without_a_home_no_button_needs_one():
    options = {
        "repository_url": "https://github.com/softmaxlab/softmax-derivatives",
        "use_repository_button": True,
        "launch_buttons": {
            "binderhub_url": "https://mybinder.org",
            "colab_url": "https://colab.research.google.com",
            "thebe": False,
        },
    }
    out = book_home.theme_options_for(options, None)
    assert out["repository_url"] == ""
    assert not any(out[key] for key in book_home.HOME_BUTTONS)
    assert not any(
        out["launch_buttons"].get(key)
        for key in ("binderhub_url", "colab_url", "jupyterhub_url", "deepnote_url")
    )
    assert options["use_repository_button"] is True, "the options given are not changed"


def test_with_a_home_the_buttons_point_to_it():
    options = {
        "launch_buttons": {
            "binderhub_url": "https://mybinder.org",
            "colab_url": "https://colab.research.google.com",
        }
    }
    out = book_home.theme_options_for(options, HOME)
    assert out["repository_url"] == HOME
    assert all(out[key] for key in book_home.HOME_BUTTONS)
    assert out["launch_buttons"]["binderhub_url"] == "https://mybinder.org"


MINI_CONF = """
import sys
sys.path.insert(0, {ext!r})
extensions = ["myst_nb", "book_home"]
html_theme = "sphinx_book_theme"
nb_execution_mode = "off"
html_theme_options = {{
    "repository_url": "", "repository_branch": "main", "path_to_docs": "",
    "use_repository_button": False, "use_issues_button": False, "use_edit_page_button": False,
    "launch_buttons": {{"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com",
                        "notebook_interface": "jupyterlab", "thebe": False}},
}}
"""


def mini_build(tmp_path: Path, home: str | None) -> str:
    """Build a one-notebook Sphinx site with the book's theme and book_home; its HTML."""
    src = tmp_path / "src"
    (src / "chapters").mkdir(parents=True)
    (src / "conf.py").write_text(MINI_CONF.format(ext=str(ROOT / "_ext")), encoding="utf-8")
    (src / "index.md").write_text("# Mini\n\n```{toctree}\nchapters/one\n```\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# One\n\nText.")])
    nb = install_cell.with_install_cell(nb, home)
    nbformat.write(nb, src / "chapters" / "one.ipynb")
    env = {k: v for k, v in os.environ.items() if k != "BOOK_HOME"}
    if home:
        env["BOOK_HOME"] = home
    out = tmp_path / "html"
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", str(src), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return (out / "chapters" / "one.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_build_with_a_home_links_to_it(tmp_path):
    with_home = mini_build(tmp_path / "a", HOME)
    assert f'href="{HOME}"' in with_home  # the repository button
    assert f"{HOME}/issues" in with_home
    assert f"{HOME}/edit/main/chapters/one.ipynb" in with_home
    assert "mybinder.org/v2/gh/octo/softmax-book/main" in with_home
    assert (
        "colab.research.google.com/github/octo/softmax-book/blob/main/chapters/one.ipynb"
        in with_home
    )
    assert "find_spec" not in with_home, "the install cell (tag remove-cell) is not shown"
    # Without a home: test_the_built_book_links_only_to_its_home checks the real book
    # (make test builds it with BOOK_HOME unset unless the environment sets it).


def test_notebooks_that_install_from_another_home_are_reported(tmp_path):
    # apply_home logs each problem as a Sphinx warning: the -W build fails on it.
    src = tmp_path / "src"
    (src / "chapters").mkdir(parents=True)
    nb = install_cell.with_install_cell(nbformat.v4.new_notebook(), "octo/other")
    nbformat.write(nb, src / "chapters" / "one.ipynb")
    problems = book_home.check_notebooks(src, HOME)
    assert problems == [
        "one.ipynb: its install cell installs from https://github.com/octo/other but BOOK_HOME is "
        f"{HOME}; "
        f"run `python scripts/install_cell.py --home {HOME}` and commit the notebooks"
    ]
    assert book_home.check_notebooks(src, "https://github.com/octo/other") == []


def built_pages() -> list[Path]:
    html = Path(os.environ.get("BOOK_HTML_DIR", ROOT / "_build" / "html"))
    if not (html / "intro.html").exists():
        pytest.skip(f"no built book in {html} (make book)")
    return sorted(html.rglob("*.html"))


def test_the_built_book_links_only_to_its_home():
    """make test builds with BOOK_HOME as the environment gives it.

    Unset here, set in the Pages workflow.
    """
    home = book_home.book_home()
    for page in built_pages():
        text = page.read_text(encoding="utf-8")
        hrefs = re.findall(r'href="([^"]+)"', text)
        if home is None:
            for link in OUTSIDE_LINKS[:3]:
                assert not [h for h in hrefs if link in h], (
                    f"{page.name} links to {link} although the book has no home"
                )
            assert "launch-buttons" not in text and "repository-button" not in text, page.name
        elif page.parent.name == "chapters":
            assert any(h.startswith(home) for h in hrefs), (
                f"{page.name} has no link to the home {home}"
            )


def test_no_page_links_a_local_file_that_is_not_there():
    """Every relative link of the built book resolves to a file of the site.

    Without `make pdf` the whole-book PDF is not there, so no page may link it;
    after `make pdf` (which builds again) every page does.
    """
    pages = built_pages()
    html = Path(os.environ.get("BOOK_HTML_DIR", ROOT / "_build" / "html"))
    pdf_linked = []
    for page in pages:
        if page.relative_to(html).parts[0] == "_static":
            continue  # the theme's templates, not pages
        text = page.read_text(encoding="utf-8")
        for href in re.findall(r'(?:href|src)="([^"#?]+)', text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", href) or href.startswith("//"):
                continue  # an absolute URL, mailto: or data:
            target = (page.parent / href).resolve()
            assert target.exists(), f"{page.relative_to(html)} links {href}, which is not there"
            pdf_linked.append(href.endswith(book_home.PDF_NAME))
    printed = (html / book_home.PDF_NAME).is_file()
    assert any(pdf_linked) == printed, (
        "the whole-book PDF is there but no page links it" if printed else "unreachable"
    )


# ---------------------------------------------------------- install cell ----


def run_install_cell(home, *, installed: bool, monkeypatch) -> tuple[str, list]:
    import importlib.util

    calls = []
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: real(name, *a) if installed or name != "softmaxlab" else None,
    )
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append((args, kw)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        exec(book_home.install_cell_source(home), {})
    return out.getvalue(), calls


def test_the_install_cell_does_nothing_where_softmaxlab_is_installed(monkeypatch):
    assert run_install_cell(HOME, installed=True, monkeypatch=monkeypatch) == ("", [])


def test_the_install_cell_installs_from_the_home_where_softmaxlab_is_missing(monkeypatch):
    printed, calls = run_install_cell(HOME, installed=False, monkeypatch=monkeypatch)
    assert printed == ""
    assert calls == [
        (
            [sys.executable, "-m", "pip", "install", "--quiet", f"softmaxlab @ git+{HOME}"],
            {"check": True},
        )
    ]


def test_the_install_cell_without_a_home_says_how_to_install(monkeypatch):
    with pytest.raises(
        ModuleNotFoundError,
        match=r"softmaxlab is missing .* run `pip install .` in the book's repository",
    ):
        run_install_cell(None, installed=False, monkeypatch=monkeypatch)


def test_the_install_cell_fits_the_hygiene_rules():
    source = book_home.install_cell_source(HOME)
    assert max(len(line) for line in source.splitlines()) <= 80
    assert len([line for line in source.splitlines() if line.strip()]) <= 20
    assert book_home.cell_home({"cell_type": "code", "source": source}) == HOME
    assert (
        book_home.cell_home({"cell_type": "code", "source": book_home.install_cell_source(None)})
        is None
    )


def test_inserting_the_install_cell_moves_every_count_up_by_one_and_updating_it_is_stable():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title"),
            nbformat.v4.new_code_cell(
                "1 + 1",
                execution_count=1,
                outputs=[
                    nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)
                ],
            ),
            nbformat.v4.new_code_cell("print(3)", execution_count=2),
        ]
    )
    nb = install_cell.with_install_cell(nb, None)
    assert book_home.is_install_cell(nb.cells[0]) and nb.cells[0].metadata["tags"] == [
        "remove-cell"
    ]
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == [1, 2, 3]
    assert nb.cells[2].outputs[0]["execution_count"] == 2
    again = install_cell.with_install_cell(nbformat.from_dict(nb), HOME)
    assert len(again.cells) == 4 and [
        c.execution_count for c in again.cells if c.cell_type == "code"
    ] == [1, 2, 3]
    assert book_home.cell_home(again.cells[0]) == HOME


# ---------------------------------------------------------------- Binder ----


def test_binder_pins_the_versions_of_constraints_txt():
    pins = binder_requirements.read_pins(ROOT / "constraints.txt")
    lines = [
        line
        for line in (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[-1] == ".", "the last line installs softmaxlab from the repository"
    binder = {}
    for line in lines[:-1]:
        name, _, version = line.partition("==")
        assert version, f"binder/requirements.txt: {line!r} is not an exact pin"
        binder[binder_requirements.canonical(name)] = version
    wrong = {n: (v, pins.get(n)) for n, v in binder.items() if pins.get(n) != v}
    assert not wrong, (
        f"binder/requirements.txt differs from constraints.txt (binder, constraints): {wrong}"
    )
    for root in binder_requirements.runtime_roots():
        assert binder_requirements.canonical(root) in binder, (
            f"binder/requirements.txt does not pin {root}"
        )


def test_binder_spec_is_up_to_date_and_on_the_pinned_python():
    assert binder_requirements.main(["--check"]) == 0
    runtime = (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip()
    assert runtime == f"python-{sys.version_info.major}.{sys.version_info.minor}", (
        f"binder/runtime.txt asks for {runtime}; the pinned environment runs Python "
        f"{sys.version.split()[0]}"
    )


# ------------------------------------------------------------ README ----


def test_the_readme_states_the_promises_the_package_makes():
    """The README copies sl.promise_table() and the JVP constant: they must not drift."""
    import softmaxlab as sl

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```text\n{sl.promise_table().rstrip()}\n```" in readme, (
        "README.md's promise table differs from sl.promise_table(): paste its output"
    )
    jvp = sl.promise("softmax_jvp").bound
    assert f"|err_j| <= {jvp:.4g} u a_j" in readme, (
        f"README.md does not state the JVP constant {jvp}"
    )
