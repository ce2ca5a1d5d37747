r"""One way to check a derivation: compare, print one line, fail loudly.

Every chapter checks its hand-derived results with :func:`check` (against
autodiff, a dense matrix, or a formula) and :func:`finite_difference_jacobian`
(against the definition of the derivative).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ._validation import as_float_array

__all__ = ["check", "finite_difference_jacobian", "decade_bound", "flat"]


def decade_bound(x: float) -> str:
    """Describe a non-negative error by the power of ten just above it.

    Printing ``< 1e-15`` rather than ``2.220446e-16`` keeps printed checks
    stable when the last bits of a computation differ between libraries.

    Examples
    --------
    >>> decade_bound(0.0), decade_bound(2.2e-16), decade_bound(3e-5)
    ('= 0', '< 1e-15', '< 1e-04')
    """
    if not x >= 0:
        raise ValueError(f"decade_bound expects a non-negative number, got {x!r}")
    if x == 0:
        return "= 0"
    if math.isinf(x):
        return "= inf"
    return f"< 1e{math.floor(math.log10(x)) + 1:+03d}".replace("+", "")


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no "


def flat(arrays: Any) -> np.ndarray:
    """Concatenate arrays of any shapes into one float64 vector.

    The chapters check a claim on many cases of different sizes at once:
    ``check(label, flat(computed_per_case), flat(expected_per_case))``.

    Parameters
    ----------
    arrays : iterable of array_like
        Real arrays (NumPy, JAX, lists, scalars), each flattened in C order.

    Returns
    -------
    numpy.ndarray
        A 1-D float64 array; empty if ``arrays`` is empty.

    Raises
    ------
    TypeError
        If ``arrays`` is a single array or string rather than an iterable of
        arrays, or an entry is not real (complex, string or object).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import flat
    >>> flat([np.eye(2), [5], 7.0])
    array([1., 0., 0., 1., 5., 7.])
    """
    if isinstance(arrays, (np.ndarray, str, bytes)) or not hasattr(arrays, "__iter__"):
        raise TypeError(f"flat expects an iterable of arrays (one per case), got {type(arrays).__name__}")
    parts = []
    for i, x in enumerate(arrays):
        a = np.asarray(x)
        if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_):
            raise TypeError(f"flat: entry {i} has dtype {a.dtype}; expected real numbers")
        parts.append(np.ravel(a).astype(np.float64))
    return np.concatenate(parts) if parts else np.zeros(0)


def check(label: str, computed: Any, reference: Any, *, rtol: float = 1e-12, atol: float = 1e-15) -> float:
    r"""Compare ``computed`` with ``reference``, print one line, raise if they differ.

    The comparison is elementwise :math:`|c - r| \le \mathrm{atol} +
    \mathrm{rtol}\,|r|` (NaNs must match NaNs, infinities must match exactly).
    The printed line says whether the two are bit-for-bit equal ("exact"),
    whether they are within the tolerance ("close"), and the largest absolute
    difference, bounded by a power of ten.

    Parameters
    ----------
    label : str
        What is being checked, printed first.
    computed, reference : array_like
        Arrays of the same shape (not broadcast).
    rtol, atol : float
        Relative and absolute tolerances; state them where the check is made.

    Returns
    -------
    float
        The largest absolute difference (0.0 where both are NaN or equal infinities).

    Raises
    ------
    AssertionError
        If any entry is outside the tolerance.
    ValueError
        If the shapes differ or a tolerance is negative.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import check
    >>> _ = check("0.1 + 0.2 vs 0.3", np.array(0.1 + 0.2), np.array(0.3))
    0.1 + 0.2 vs 0.3                   exact no  close yes max diff < 1e-16
    """
    c = np.asarray(computed, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if c.shape != r.shape:
        raise ValueError(f"check({label!r}): computed has shape {c.shape} but reference has shape {r.shape}")
    if rtol < 0 or atol < 0:
        raise ValueError(f"check({label!r}): tolerances must be non-negative, got rtol={rtol}, atol={atol}")
    both_nan = np.isnan(c) & np.isnan(r)
    same_inf = np.isinf(c) & (c == r)
    special = both_nan | same_inf
    with np.errstate(invalid="ignore"):
        diff = np.where(special, 0.0, np.abs(c - r))
    # A NaN or infinite difference is never close, whatever the tolerance.
    ok = np.isfinite(diff) & (diff <= atol + rtol * np.abs(np.where(special, 0.0, r)))
    exact = bool(np.array_equal(c, r, equal_nan=True))
    max_diff = float(np.max(diff)) if diff.size else 0.0
    close = bool(np.all(ok))
    shown = "= nan" if math.isnan(max_diff) else decade_bound(max_diff)
    # About 70 characters wide, so the line fits a book page without scrolling.
    print(f"{label:<34} exact {_yes_no(exact)} close {_yes_no(close)} max diff {shown}")
    if not close:
        flat = int(np.argmax(np.where(ok, -1.0, np.where(np.isnan(diff), np.inf, diff))))
        worst = tuple(int(i) for i in np.unravel_index(flat, diff.shape))
        raise AssertionError(
            f"{label}: not within rtol={rtol:g}, atol={atol:g}; worst entry at index {worst}: "
            f"computed {float(c[worst])!r}, reference {float(r[worst])!r}"
        )
    return max_diff


def finite_difference_jacobian(f: Callable[[np.ndarray], Any], z: Any, *, step: float | None = None) -> np.ndarray:
    r"""Jacobian of ``f`` at ``z`` by central differences, in float64.

    .. math::

        J_{ji} \approx \frac{f_j(z + h e_i) - f_j(z - h e_i)}{2h},
        \qquad h = h_0 \max(1, |z_i|),

    with :math:`h_0 = \varepsilon^{1/3} \approx 6 \times 10^{-6}` by default,
    which balances truncation error :math:`O(h^2)` against rounding error
    :math:`O(\varepsilon / h)`: expect about 10 correct digits.

    Parameters
    ----------
    f : callable
        Maps a float64 vector of shape (L,) to an array of any shape S.
    z : array_like, shape (L,)
        The point; converted to float64.
    step : float, optional
        :math:`h_0`; must be positive.

    Returns
    -------
    numpy.ndarray, shape S + (L,)
        Entry ``[..., i]`` is the derivative with respect to ``z[i]``: for a
        vector-valued ``f`` this is the book's layout, row = output,
        column = input.

    Raises
    ------
    TypeError
        If ``f`` is not callable or ``z`` is not real-valued.
    ValueError
        If ``z`` is not one-dimensional or empty, or ``step`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import finite_difference_jacobian, softmax, softmax_jacobian
    >>> z = np.array([0.5, -1.0, 2.0])
    >>> np.allclose(finite_difference_jacobian(softmax, z), softmax_jacobian(z), atol=1e-9)
    True
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    x = as_float_array(z).astype(np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"z must be a non-empty vector of shape (L,), got shape {x.shape}")
    h0 = np.finfo(np.float64).eps ** (1 / 3) if step is None else step
    if not h0 > 0:
        raise ValueError(f"step must be positive, got {step!r}")
    columns = []
    for i in range(x.size):
        h = h0 * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        # Divide by the step actually taken, which rounding may have changed.
        columns.append((np.asarray(f(up), dtype=np.float64) - np.asarray(f(down), dtype=np.float64)) / (up[i] - down[i]))
    return np.stack(columns, axis=-1)
