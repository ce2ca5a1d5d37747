"""Plant errors in softmaxlab and check that the book's own checks catch them.

Usage: python scripts/mutants.py [--list] [NAME ...]

Each mutant is a small, plausible error appended to one module of a copy of
``src/softmaxlab`` (a wrapper around one public function). Strict nbval then
runs the chapters that rely on that function with the mutated copy first on
``PYTHONPATH``, so every notebook kernel imports the mutated package. A mutant
is *caught* when strict nbval fails on every chapter listed for it: a check
in that chapter printed ``NO`` (or raised), or an output changed. The script
prints one line per mutant and exits non-zero if any mutant survives.

This is the book's answer to "a check must be able to fail": an error of
0.1 % in tiny probabilities, of a few ulps, of a sign, a flushed subnormal,
or a plain formula that is secretly accurate, each makes the book fail.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str  # file in src/softmaxlab
    function: str  # public function wrapped
    body: str  # code computing `out` from `_original(*args, **kwargs)`, as `out`
    chapters: tuple[str, ...]  # notebooks (stems) whose strict nbval must fail
    what: str


# The wrapper keeps the public signature: out = _original(*args, **kwargs),
# then the body changes `out`.
MUTANTS = [
    Mutant(
        "tiny-relative",
        "numerics.py",
        "softmax",
        "out = np.where(np.abs(out) < 1e-13, out * (1 + 1e-3), out)",
        ("01_softmax", "04_max_shift"),
        "softmax: a 0.1 % relative error in every output below 1e-13",
    ),
    Mutant(
        "few-ulps",
        "numerics.py",
        "softmax",
        "out = out * (1 + 4 * np.finfo(np.asarray(out).dtype).eps)",
        ("01_softmax", "05_accuracy"),
        "softmax: every output 4 eps too large (8 ulp near 1: within any rtol >= 1e-15)",
    ),
    Mutant(
        "log-softmax-ulps",
        "numerics.py",
        "log_softmax",
        "out = out * (1 + 8 * np.finfo(np.asarray(out).dtype).eps)",
        ("01_softmax", "04_max_shift"),
        "log_softmax: a relative error of 8 eps (8 to 16 ulp)",
    ),
    Mutant(
        "flush-subnormal",
        "numerics.py",
        "softmax",
        "out = np.where(np.abs(out) < np.finfo(np.asarray(out).dtype).tiny, 0.0, "
        "out).astype(np.asarray(out).dtype)",
        # Chapter 1's only subnormal output (e^-745.1, about 0.7 of the smallest
        # subnormal) is within its ulp promise when flushed: chapter 5 is the
        # one whose claims are about subnormal outputs.
        ("05_accuracy",),
        "softmax: subnormal outputs flushed to zero, as some hardware does",
    ),
    Mutant(
        "plain-made-accurate",
        "numerics.py",
        "softmax_shifted",
        "out = softmax(*args, **kwargs)",
        ("05_accuracy",),
        "the plain shifted formula secretly replaced by the accurate one",
    ),
    Mutant(
        "jvp-sign",
        "derivatives.py",
        "softmax_jvp",
        "out = -out",
        ("03_jacobian",),
        "softmax_jvp: the wrong sign",
    ),
    Mutant(
        "vjp-relative",
        "derivatives.py",
        "softmax_vjp",
        "out = out * (1 + 1e-9)",
        ("03_jacobian",),
        "softmax_vjp: a relative error of 1e-9 in every entry",
    ),
    Mutant(
        "jacobian-offdiagonal",
        "derivatives.py",
        "softmax_jacobian",
        "out = np.abs(out)",
        ("02_monotonicity", "03_jacobian"),
        "softmax_jacobian: off-diagonal entries with the wrong sign",
    ),
    Mutant(
        "online-normaliser",
        "online.py",
        "online_softmax",
        "out = out * (1 + 64 * np.finfo(np.asarray(out).dtype).eps)",
        ("06_online",),
        "online_softmax: a relative error of 64 eps (above its stated bound)",
    ),
    Mutant(
        "masked-row",
        "attention.py",
        "masked_softmax",
        "out = np.where(np.isnan(out), out, out * (1 + 1e-6))",
        ("07_practice",),
        "masked_softmax: a relative error of 1e-6",
    ),
    Mutant(
        "sharded-lse",
        "sharded.py",
        "sharded_logsumexp",
        "out = out + 1e-9",
        ("08_devices",),
        "sharded_logsumexp: 1e-9 too large",
    ),
]


def plant(src: Path, mutant: Mutant) -> None:
    """Append a wrapper around ``mutant.function`` to its module in ``src``."""
    path = src / "softmaxlab" / mutant.module
    text = path.read_text(encoding="utf-8")
    if f"def {mutant.function}(" not in text:
        raise SystemExit(
            f"mutant {mutant.name}: {mutant.module} defines no function {mutant.function}"
        )
    wrapper = textwrap.dedent(
        f"""

        # --- mutant {mutant.name}: {mutant.what}
        import functools as _mutant_functools

        import numpy as np

        _original_{mutant.function} = {mutant.function}


        @_mutant_functools.wraps(_original_{mutant.function})
        def {mutant.function}(*args, **kwargs):
            out = _original_{mutant.function}(*args, **kwargs)
            {mutant.body}
            return out
        """
    )
    path.write_text(text + wrapper, encoding="utf-8")


def run_nbval(chapters: tuple[str, ...], pythonpath: Path) -> dict[str, bool]:
    """Strict nbval on each chapter with ``pythonpath`` first; True where it failed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "XDIST_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    env.setdefault("JAX_PLATFORMS", "cpu")
    failed = {}
    for stem in chapters:
        nb = ROOT / "chapters" / f"{stem}.ipynb"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-q",
                "-x",
                "--nbval",
                "--nbval-current-env",
                "--nbval-sanitize-with",
                str(ROOT / "tests" / "nbval_sanitize.cfg"),
                str(nb),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        failed[stem] = proc.returncode != 0
    return failed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    known = {m.name: m for m in MUTANTS}
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:<22} {m.what} [{', '.join(m.chapters)}]")
        return 0
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown mutants {unknown}; known: {', '.join(known)}")
    chosen = [known[n] for n in args.names] if args.names else MUTANTS
    survivors = []
    for m in chosen:
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"mutant-{m.name}-") as tmp:
            src = Path(tmp)
            shutil.copytree(ROOT / "src" / "softmaxlab", src / "softmaxlab")
            plant(src, m)
            failed = run_nbval(m.chapters, src)
        caught = all(failed.values())
        if not caught:
            survivors.append(m.name)
        where = ", ".join(f"{stem} {'failed' if f else 'PASSED'}" for stem, f in failed.items())
        print(
            f"{'caught ' if caught else 'SURVIVED'} {m.name:<22} {where} "
            f"({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    print(f"{len(chosen) - len(survivors)} caught / {len(chosen)} planted")
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
