"""Write binder/requirements.txt: the pinned environment for Binder (repo2docker).

Usage: python scripts/binder_requirements.py [--check]

The file pins, at their constraints.txt versions, every package that a chapter
needs at run time: softmaxlab's [project] dependencies, ipykernel, and JupyterLab
(the interface the Binder button opens), with everything they require, read
from the installed environment's metadata (run it with .venv/bin/python).
Its last line installs softmaxlab itself from the repository (``.``), which
repo2docker does after copying the repository in. binder/runtime.txt asks for
the Python the pins were made with. ``--check`` exits 1 if the file is stale.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "binder" / "requirements.txt"
EXTRA_ROOTS = ["ipykernel", "jupyterlab"]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonical(name)] = version.strip()
    return pins


def runtime_roots() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [
        re.match(r"[A-Za-z0-9._-]+", dep).group(0) for dep in project["dependencies"]
    ] + EXTRA_ROOTS


def closure(roots: list[str]) -> set[str]:
    """The roots and every package they require (no extras), as installed here."""
    seen: set[str] = set()
    todo = [canonical(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for req in metadata.requires(name) or []:
            if "extra ==" in req:
                continue
            marker = req.split(";", 1)[1] if ";" in req else ""
            if marker and not _marker_holds(marker):
                continue
            todo.append(canonical(re.match(r"[A-Za-z0-9._-]+", req).group(0)))
    return seen


def _marker_holds(marker: str) -> bool:
    from packaging.markers import Marker

    return Marker(marker).evaluate()


def requirements_text() -> str:
    pins = read_pins(ROOT / "constraints.txt")
    names = sorted(closure(runtime_roots()))
    missing = [n for n in names if n not in pins]
    if missing:
        raise SystemExit(f"not pinned in constraints.txt: {missing}")
    lines = [
        "# Binder's environment (repo2docker): the packages a chapter needs, at the",
        "# versions of constraints.txt. Written by scripts/binder_requirements.py;",
        "# tests/test_publishing.py checks that it matches constraints.txt.",
        *(f"{n}=={pins[n]}" for n in names),
        "# softmaxlab itself, from this repository",
        ".",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = requirements_text()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python scripts/binder_requirements.py")
            return 1
        return 0
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)} ({text.count('==')} pins)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
