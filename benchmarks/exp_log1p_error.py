"""The relative errors of NumPy's float64 exp and log1p, the two assumptions of softmaxlab's bounds.

Run ``.venv/bin/python benchmarks/exp_log1p_error.py`` (default CPU features)
and ``NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL X86_V3" .venv/bin/python
benchmarks/exp_log1p_error.py`` (NumPy's exp is vectorised, and its accuracy
may differ by instruction set). Prints the worst relative error, in units of
u = 2^-53, of ``np.exp`` on the arguments the kernel gives it (``d`` in
[-708, 0], normal results) and of ``np.log1p`` on (0, 10^6], against mpmath at
120 bits, over random samples and the points next to 0 where exp is near 1.
softmaxlab.promises assumes both are at most ``EXP_REL`` and ``LOG1P_REL``.
"""

from __future__ import annotations

import mpmath
import numpy as np

from softmaxlab.promises import EXP_REL, LOG1P_REL

mpmath.mp.prec = 120
U = mpmath.mpf(2) ** -53


def worst_relative(f_np, f_mp, xs: np.ndarray) -> tuple[float, float]:
    got = f_np(xs)
    worst, where = 0.0, float("nan")
    for g, x in zip(got.tolist(), xs.tolist(), strict=True):
        exact = f_mp(mpmath.mpf(x))
        err = float(abs(mpmath.mpf(g) - exact) / (abs(exact) * U))
        if err > worst:
            worst, where = err, x
    return worst, where


def main() -> None:
    rng = np.random.default_rng(2026)
    n = 100_000
    d = np.concatenate(
        [
            rng.uniform(-708.0, 0.0, n),
            -np.exp(rng.uniform(np.log(1e-300), np.log(708.0), n)),
        ]
    )
    r = np.exp(rng.uniform(np.log(1e-300), np.log(1e6), n))
    e, ex = worst_relative(np.exp, mpmath.exp, d)
    lg, lx = worst_relative(np.log1p, mpmath.log1p, r)
    print(
        f"np.exp,   d in [-708, 0]:  worst relative error {e:.3f} u (at {ex!r}); assumed <= "
        f"{EXP_REL} u"
    )
    print(
        f"np.log1p, r in (0, 1e6]:   worst relative error {lg:.3f} u (at {lx!r}); assumed <= "
        f"{LOG1P_REL} u"
    )
    if e > EXP_REL or lg > LOG1P_REL:
        raise SystemExit("an assumption of softmaxlab.promises is false on this machine")


if __name__ == "__main__":
    main()
