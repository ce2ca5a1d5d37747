r"""One way to check a derivation: compare, print one line, fail loudly.

Every chapter checks its hand-derived results with :func:`check` (against
autodiff, a dense matrix, or a formula) and :func:`finite_difference_jacobian`
(against the definition of the derivative).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, finite_real
from .ulps import ulp_error

__all__ = ["LABEL_WIDTH", "check", "decade_bound", "finite_difference_jacobian", "flat"]


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


def flat(arrays: Iterable[ArrayLike]) -> NDArray[np.float64]:
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
        raise TypeError(
            f"flat expects an iterable of arrays (one per case), got {type(arrays).__name__}"
        )
    parts = []
    for i, x in enumerate(arrays):
        a = np.asarray(x)
        if not (
            np.issubdtype(a.dtype, np.floating)
            or np.issubdtype(a.dtype, np.integer)
            or a.dtype == np.bool_
        ):
            raise TypeError(f"flat: entry {i} has dtype {a.dtype}; expected real numbers")
        parts.append(np.ravel(a).astype(np.float64))
    return np.concatenate(parts) if parts else np.zeros(0)


#: Width of the label column in :func:`check`'s line: with the longest verdict
#: (``within 8.9e-16 relative: yes``) the line stays within 80 characters.
LABEL_WIDTH = 46
_LINE = 80


def _shown(bound: float, digits: int = 2) -> str:
    """``bound`` to ``digits`` significant digits, rounded up: the printed bound is
    never tighter than the one checked (``2.13e-13`` shows as ``2.2e-13``)."""
    if bound == 0 or not math.isfinite(bound):
        return f"{bound:g}"
    text = f"{bound:.{digits}g}"
    if float(text) < bound:
        scale = 10.0 ** (math.floor(math.log10(bound)) - digits + 1)
        text = f"{math.ceil(bound / scale) * scale:.{digits}g}"
    return text


def _verdict_line(label: str, verdict: str) -> str:
    line = f"{label:<{LABEL_WIDTH}} {verdict}"
    if len(line) <= _LINE:
        return line
    # A long label (or reason) goes on its own line, the verdict indented
    # below it, wrapped at word boundaries if it is still too long.
    return (
        label
        + "\n"
        + textwrap.fill(verdict, _LINE, initial_indent="    ", subsequent_indent="      ")
    )


def check(
    label: str,
    computed: ArrayLike,
    reference: ArrayLike,
    *,
    rtol: float | None = None,
    ulps: float | None = None,
    atol: float | None = None,
    why: str | None = None,
    exact: bool = False,
) -> float:
    r"""Compare ``computed`` with ``reference``, print one verdict, raise if they differ.

    Exactly one kind of tolerance is used, and the printed line names it
    together with the bound, so the line is a fact that holds on every IEEE
    machine, whatever the last bits of ``computed`` are:

    * **relative** (the default, ``rtol=1e-12``): :math:`|c - r| \le
      \mathrm{rtol}\,|r|` for every entry, so an entry whose reference is 0 must
      be exactly 0 and a tiny entry is held to the same number of digits as a
      large one;
    * **ulps** (``ulps=k``): :math:`|c - r| \le k\,\operatorname{ulp}(r)` in the
      format of ``computed`` (:func:`softmaxlab.ulp_error`), for claims stated in
      ulps; ``reference`` may hold exact :class:`decimal.Decimal` values;
    * **absolute** (``atol=t``, only with ``why=``, the reason an absolute bound
      is the right one, printed in the line): :math:`|c - r| \le t`;
    * **exact** (``exact=True``): bit-for-bit equality, for the few results IEEE
      arithmetic guarantees exactly.

    In every kind a NaN must meet a NaN and an infinity the same infinity.

    Parameters
    ----------
    label : str
        What is being checked, printed first.
    computed, reference : array_like
        Arrays of the same shape (nothing is broadcast).
    rtol, ulps, atol : float, optional
        The bound: at most one of them. Non-negative.
    why : str, optional
        Required with ``atol`` (and only then): why an absolute bound.
    exact : bool
        Bit-for-bit comparison instead of a tolerance.

    Returns
    -------
    float
        The worst error in the units of the tolerance (relative error, ulps or
        absolute difference; 0.0 for an exact match). Its last digits depend on
        the machine: use it in assertions, do not print it in a compared cell.

    Raises
    ------
    AssertionError
        If any entry is outside the bound (the message names the worst entry).
    ValueError
        If the shapes differ, a bound is negative or not finite, more than one
        bound is given, or ``atol`` comes without ``why`` (or ``why`` without
        ``atol``).
    TypeError
        If ``label`` or ``why`` is not a string.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import check
    >>> _ = check("0.1 + 0.2 vs 0.3", np.array(0.1 + 0.2), np.array(0.3), ulps=1)
    0.1 + 0.2 vs 0.3                               within 1 ulp: yes
    >>> _ = check("tiny entry", np.array([1e-300]), np.array([1.1e-300]), rtol=0.2)
    tiny entry                                     within 0.2 relative: yes
    """
    if not isinstance(label, str):
        raise TypeError(f"check: label must be a string, got {type(label).__name__}")
    given = [name for name, v in (("rtol", rtol), ("ulps", ulps), ("atol", atol)) if v is not None]
    if exact:
        given.append("exact")
    if len(given) > 1:
        raise ValueError(f"check({label!r}): give one kind of tolerance, got {' and '.join(given)}")
    if (atol is None) != (why is None):
        raise ValueError(
            f"check({label!r}): an absolute tolerance needs its reason: "
            'pass atol= together with why="..."'
        )
    if why is not None and not isinstance(why, str):
        raise TypeError(f"check({label!r}): why must be a string, got {type(why).__name__}")
    for name, v in (("rtol", rtol), ("ulps", ulps), ("atol", atol)):
        if v is not None and not (
            isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v) and v >= 0
        ):
            raise ValueError(
                f"check({label!r}): {name} must be a finite non-negative number, got {v!r}"
            )
    c_in = np.asarray(computed)
    r_obj = np.asarray(reference)
    if c_in.shape != r_obj.shape:
        raise ValueError(
            f"check({label!r}): computed has shape {c_in.shape} "
            f"but reference has shape {r_obj.shape}"
        )
    c = c_in.astype(np.float64)
    r = r_obj.astype(np.float64)
    both_nan = np.isnan(c) & np.isnan(r)
    same_inf = np.isinf(c) & (c == r)
    special = both_nan | same_inf
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.where(special, 0.0, np.abs(c - r))
        if exact:
            err = np.where(special | (c == r), 0.0, np.inf)
            bound, verdict = 0.0, "bit-for-bit equal"
        elif ulps is not None:
            # ulp_error grades arrays of at least one dimension: a scalar is a 1-vector.
            graded = (
                ulp_error(c_in.reshape(-1), r_obj.reshape(-1)).reshape(c.shape)
                if c_in.size
                else diff
            )
            err = np.where(special, 0.0, graded)
            bound, verdict = float(ulps), f"within {_shown(float(ulps), 8)} ulp"
        elif atol is not None:
            err = diff
            bound, verdict = float(atol), f"within {_shown(float(atol))} absolute ({why})"
        else:  # relative: rtol, or 1e-12 when no tolerance is given
            err = np.where(diff == 0, 0.0, diff / np.abs(r))
            bound = 1e-12 if rtol is None else float(rtol)
            verdict = f"within {_shown(bound)} relative"
    # A NaN error (a NaN against a number) is never within the bound.
    ok = np.isfinite(err) & (err <= bound)
    passed = bool(np.all(ok))
    worst = float(np.max(np.where(np.isnan(err), np.inf, err))) if err.size else 0.0
    print(_verdict_line(label, f"{verdict}: {'yes' if passed else 'NO'}"))
    if not passed:
        k = int(np.argmax(np.where(ok, -1.0, np.where(np.isnan(err), np.inf, err))))
        idx = tuple(int(i) for i in np.unravel_index(k, err.shape))
        raise AssertionError(
            f"{label}: not {verdict}; worst entry at index {idx}: "
            f"computed {float(c[idx])!r}, reference {float(r[idx])!r} (error {float(err[idx]):.3g})"
        )
    return worst


def finite_difference_jacobian(
    f: Callable[[NDArray[np.float64]], ArrayLike], z: ArrayLike, *, step: float | None = None
) -> NDArray[np.float64]:
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
        If ``f`` is not callable, ``z`` is not real-valued or ``step`` is not a real number.
    ValueError
        If ``z`` is not one-dimensional or empty, or ``step`` is not finite and positive.

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
    if step is None:
        h0 = float(np.finfo(np.float64).eps) ** (1 / 3)
    else:
        h0 = finite_real(step, "step", positive=True)
    columns = []
    for i in range(x.size):
        h = h0 * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        # Divide by the step actually taken, which rounding may have changed.
        columns.append(
            (np.asarray(f(up), dtype=np.float64) - np.asarray(f(down), dtype=np.float64))
            / (up[i] - down[i])
        )
    return np.stack(columns, axis=-1)
