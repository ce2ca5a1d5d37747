"""Accuracy of softmax formulas, measured against softmaxlab's exact reference.

Run with ``make bench`` (which installs the ``bench`` extra, scipy, once, and
then also runs ``benchmarks/speed.py``) or ``.venv/bin/python
benchmarks/accuracy.py``. Options: ``--quick`` uses L = 10^4 for the
long-vector family instead of 10^6 (a few seconds instead of a few minutes).

Prints, for float64 and float32 and for every family of
:func:`softmaxlab.hard_logits`, the worst and the median error in ulps of the
input's dtype (see :func:`softmaxlab.ulp_error` for how underflow, overflow and
NaN are scored) of

* softmax: the naive formula, shift-and-divide, exp(z - LSE), jax.nn.softmax,
  scipy.special.softmax and softmaxlab.softmax;
* log-softmax: log of the shifted softmax, z - LSE, jax.nn.log_softmax,
  scipy.special.log_softmax and softmaxlab.log_softmax;

then softmaxlab's own worst errors per family, function (softmax, log_softmax,
logsumexp) and dtype (float64, float32, float16) beside the bound that
:func:`softmaxlab.promise` states, and a verdict. The softmax and log-softmax
errors are measured by :func:`softmaxlab.accuracy_table` (as in chapter 5);
logsumexp's, on the scale its promise names, here. (The speed goal is measured by
``benchmarks/speed.py``.)
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special

import softmaxlab as sl

jax.config.update("jax_enable_x64", True)


def exp_minus_lse(z: np.ndarray) -> np.ndarray:
    """The division-free formula exp(z - LSE(z)), LSE by the shifted formula, in z's dtype."""
    m = np.max(z, axis=-1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
    return np.exp(z - lse)


def z_minus_lse(z: np.ndarray) -> np.ndarray:
    """log-softmax as z - LSE(z), LSE by the shifted formula, in z's dtype."""
    m = np.max(z, axis=-1, keepdims=True)
    return z - (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))


SOFTMAX = {
    "naive": sl.softmax_naive,
    "shifted": sl.softmax_shifted,
    "exp(z-LSE)": exp_minus_lse,
    "jax.nn": lambda z: np.asarray(jax.nn.softmax(jnp.asarray(z), axis=-1)),
    "scipy": lambda z: scipy.special.softmax(z, axis=-1),
    "softmaxlab": sl.softmax,
}
LOG_SOFTMAX = {
    "log(shifted)": lambda z: np.log(sl.softmax_shifted(z)),
    "z-LSE": z_minus_lse,
    "jax.nn": lambda z: np.asarray(jax.nn.log_softmax(jnp.asarray(z), axis=-1)),
    "scipy": lambda z: scipy.special.log_softmax(z, axis=-1),
    "softmaxlab": sl.log_softmax,
}


ROWS = LENGTH = 64  # every family but the long one: 64 rows of 64 logits


def table(dtype, methods: dict, reference, long_length: int, title: str) -> None:
    """Print worst / median per family and method, measured by :func:`softmaxlab.accuracy_table`."""
    name = np.dtype(dtype).name
    t = sl.accuracy_table(
        methods,
        dtype,
        reference=reference,
        rows=ROWS,
        length=LENGTH,
        long_length=long_length,
        seed=2026,
    )
    print(f"\n{title}, {name}: worst / median error in ulps of {name}")
    print(f"{'family':<20}" + "".join(f"{m:>20}" for m in t.methods))
    for k, family in enumerate(t.families):
        cells = [f"{w:.3g} / {md:.2g}" for w, md in zip(t.worst[k], t.median[k], strict=True)]
        print(f"{label_of(family, long_length):<20}" + "".join(f"{c:>20}" for c in cells))


def label_of(family: str, long_length: int) -> str:
    return family if family != "long vectors" else f"long, L={long_length:.0e}".replace("+0", "")


def lse_error(z: np.ndarray) -> np.ndarray:
    """logsumexp's errors in ulps of z's dtype at the scale max(|zhat|, |LSE|, LSE - zhat)."""
    from decimal import Decimal

    got = sl.logsumexp(z).tolist()
    exact = sl.exact_logsumexp(z)
    zhat = np.max(z, axis=-1).astype(np.float64).tolist()
    out = []
    for g, e, m in zip(got, exact, zhat, strict=True):
        if not e.is_finite() or not np.isfinite(m):
            out.append(float(sl.ulp_error(np.array([g], dtype=z.dtype), np.array([e]))[0]))
            continue
        scale = max(abs(m), abs(float(e)), float(e) - m)
        out.append(float(abs(Decimal(float(g)) - e) / Decimal(float(sl.ulp(scale, z.dtype)))))
    return np.array(out)


def promises(long_length: int) -> bool:
    """softmaxlab's worst errors per family, function and dtype, against the stated bounds."""
    names = ("softmax", "log_softmax", "logsumexp")
    print("\nsoftmaxlab against its promises (worst error / promised bound, in the promise's unit)")
    ok = True
    sizes = {"rows": ROWS, "length": LENGTH, "long_length": long_length, "seed": 2026}
    for dtype in (np.float64, np.float32, np.float16):
        name = np.dtype(dtype).name
        print(f"\n{name}: {'family':<18}" + "".join(f"{n:>25}" for n in names))
        soft = sl.accuracy_table({"softmax": sl.softmax}, dtype, **sizes)
        log = sl.accuracy_table(
            {"log_softmax": sl.log_softmax}, dtype, reference=sl.exact_log_softmax, **sizes
        )
        for k, family in enumerate(sl.HARD_FAMILIES):
            rows, length = (1, long_length) if family == "long vectors" else (ROWS, LENGTH)
            z = sl.hard_logits(family, dtype, rows=rows, length=length, seed=2026)
            errs = [soft.worst[k, 0], log.worst[k, 0], np.max(lse_error(z))]
            cells = []
            for n, err in zip(names, errs, strict=True):
                bound = sl.promise(n, dtype).bound
                ok &= bool(err <= bound)
                cells.append(f"{err:.4g} / {bound:.8g}")
            print(
                f"{'':<9}{label_of(family, long_length):<18}" + "".join(f"{c:>25}" for c in cells)
            )
    print(f"\nevery worst error within its promise: {'yes' if ok else 'NO'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="L = 10^4 for the long family (default 10^6)"
    )
    args = parser.parse_args()
    long_length = 10**4 if args.quick else 10**6
    for dtype in (np.float64, np.float32):
        table(dtype, SOFTMAX, sl.exact_softmax, long_length, "softmax")
        table(dtype, LOG_SOFTMAX, sl.exact_log_softmax, long_length, "log-softmax")
    if not promises(long_length):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
