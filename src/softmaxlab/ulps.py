r"""Errors in units in the last place (ulps), measured at the exact value.

:func:`ulp` gives the spacing of a format's numbers at a (possibly exact)
value, and :func:`ulp_error` grades a computed array against the exact
reference of :mod:`softmaxlab.exact` in ulps of the computed array's own
dtype, **at the true value**. Both work in :mod:`decimal`, so neither the
difference nor the ulp is rounded before the quotient.
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._validation import as_float_array, float_dtype, same_shape
from .exact import _WIDE, _ctx

__all__ = ["ulp", "ulp_error"]


def ulp(x: ArrayLike, dtype: DTypeLike = np.float64) -> NDArray[np.float64]:
    r"""The unit in the last place of ``dtype`` at the (possibly exact) value ``x``.

    For :math:`2^e \le |x| < 2^{e+1}` in a format with precision :math:`p`
    and smallest normal exponent :math:`e_{\min}`,

    .. math::

        \operatorname{ulp}(x) = 2^{\max(e,\, e_{\min}) - p + 1},

    so that the ulp of every subnormal number, and of 0, is the smallest
    subnormal number :math:`2^{e_{\min} - p + 1}`. Above the largest finite
    number the ulp of the top binade is used.

    Parameters
    ----------
    x : array_like of float or decimal.Decimal
        Any shape; decimals are taken at their exact value.
    dtype : float16, float32 or float64
        The format whose ulp is wanted.

    Returns
    -------
    numpy.ndarray of float64, same shape as ``x``
        NaN where ``x`` is NaN or infinite.

    Raises
    ------
    TypeError
        If ``dtype`` is not float16, float32 or float64, or ``x`` holds
        something other than real numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import ulp
    >>> ulp([1.0, 1.5, 0.0], np.float64) == [2.0**-52, 2.0**-52, 2.0**-1074]
    array([ True,  True,  True])
    >>> float(ulp(1.0, np.float16)), float(ulp(65504.0, np.float16))
    (0.0009765625, 32.0)
    """
    fmt = _format(dtype)
    xs = _as_decimals(x, "x")
    out = np.array([_ulp_one(v, fmt) for v in xs.ravel()], dtype=np.float64)
    return out.reshape(xs.shape)


def ulp_error(computed: ArrayLike, exact: ArrayLike) -> NDArray[np.float64]:
    r"""Error of ``computed`` in ulps of its own dtype, measured at the exact value.

    .. math::

        \operatorname{err}_j = \frac{|\hat y_j - y_j|}{\operatorname{ulp}(y_j)},

    where :math:`\hat y` is the computed result, :math:`y` the exact value
    and :math:`\operatorname{ulp}` as in :func:`ulp` for the dtype of
    ``computed``. Correct rounding gives at most 0.5.

    How the edge cases are scored (the book's convention):

    * **Underflow.** Nothing is special-cased: the ulp of a true value in the
      subnormal range, or of a true value 0, is the smallest subnormal
      number. A result that underflows to 0 when the true value is below half
      the smallest subnormal has error below 0.5 (that *is* correct
      rounding); a result flushed to 0 when the true value is a representable
      subnormal is charged the full distance, which is many ulps.
    * **Overflow.** A computed infinity scores 0 if the exact value rounds to
      that infinity in the dtype, and ``inf`` otherwise.
    * **Infinities and NaN in the exact value.** A computed result equal to
      an exact infinity, or NaN where the exact value is NaN (an undefined
      slice), scores 0; any other result there, and a NaN where the exact
      value is a number, scores ``inf``.

    Parameters
    ----------
    computed : array_like of float16, float32 or float64
        The result to grade; its dtype sets the ulp.
    exact : array_like of decimal.Decimal (or float), same shape
        The exact values, e.g. from :func:`exact_softmax`.

    Returns
    -------
    numpy.ndarray of float64, same shape
        Non-negative errors in ulps (``inf`` for a wrong infinity or NaN).

    Raises
    ------
    TypeError
        If ``computed`` is not a float array or ``exact`` holds something
        other than real numbers.
    ValueError
        If the shapes differ (nothing is broadcast).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import exact_softmax, softmax, ulp_error
    >>> z = np.array([0.0, -1.0, -700.0])
    >>> bool(ulp_error(softmax(z), exact_softmax(z)).max() <= 1)
    True
    >>> ulp_error(np.array([1.0 + 2.0**-52]), [1.0])  # one ulp too big
    array([1.])
    """
    c = as_float_array(computed, "computed")
    xs = _as_decimals(exact, "exact")
    same_shape(c, xs, "computed", "exact")
    fmt = _format(c.dtype)
    flat = c.astype(np.float64).ravel().tolist()
    out = np.array(
        [_err_one(ci, xi, fmt) for ci, xi in zip(flat, xs.ravel(), strict=True)], dtype=np.float64
    )
    return out.reshape(c.shape)


# --------------------------------------------------------------------------- internals


class _Format(NamedTuple):
    """What an ulp needs to know about a format."""

    p: int  # precision: significand bits, the implicit one included
    emin: int  # exponent of the smallest normal number
    emax: int  # exponent of the largest finite number
    limit: Decimal  # values at or above this round to infinity


def _format(dtype: object) -> _Format:
    """The ulp parameters of float16, float32 or float64 (``TypeError`` for others)."""
    fi = np.finfo(float_dtype(dtype))
    p = fi.nmant + 1
    emax = fi.maxexp - 1
    # Values at or above max + ulp(max)/2 round to infinity.
    limit = _WIDE.add(Decimal(float(fi.max)), _WIDE.power(Decimal(2), emax - p))
    return _Format(p, fi.minexp, emax, limit)


def _as_decimals(x: ArrayLike, name: str) -> NDArray[np.object_]:
    arr = np.asarray(x, dtype=object)
    flat = arr.ravel()
    out = np.empty(flat.shape, dtype=object)
    for k, v in enumerate(flat):
        if isinstance(v, Decimal):
            out[k] = v
        elif isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(
            v, (bool, np.bool_)
        ):
            out[k] = Decimal(float(v)) if not isinstance(v, (int, np.integer)) else Decimal(int(v))
        else:
            raise TypeError(
                f"{name} must hold real numbers (floats or decimal.Decimal), "
                f"got {type(v).__name__} {v!r:.40}"
            )
    return out.reshape(arr.shape)


@functools.cache
def _pow2(e: int) -> Decimal:
    """2^e exactly, as a decimal."""
    return _WIDE.power(Decimal(2), e)


def _binade(v: Decimal) -> int:
    """The exponent e with 2^e <= |v| < 2^(e+1), for v != 0, computed exactly.

    Values outside every supported format's range get a sentinel (-1200 or
    1200), which :func:`_ulp_one` clamps to the format's exponent range.
    """
    a = v.copy_abs()
    if a.adjusted() < -340:
        return -1200
    if a.adjusted() > 320:
        return 1200
    e = math.frexp(float(a))[1] - 1  # may be one off after rounding to float
    while _pow2(e + 1) <= a:
        e += 1
    while _pow2(e) > a:
        e -= 1
    return e


def _ulp_one(v: Decimal, fmt: _Format) -> float:
    if v.is_nan() or v.is_infinite():
        return math.nan
    e = fmt.emin if v == 0 else min(max(_binade(v), fmt.emin), fmt.emax)
    return math.ldexp(1.0, e - fmt.p + 1)


def _err_one(c: float, v: Decimal, fmt: _Format) -> float:
    if v.is_nan():
        return 0.0 if math.isnan(c) else math.inf
    if math.isnan(c):
        return math.inf
    if v.is_infinite():
        return 0.0 if c == float(v) else math.inf
    if math.isinf(c):
        overflows = v.copy_abs() >= fmt.limit
        return 0.0 if overflows and (c > 0) == (v > 0) else math.inf
    diff = _WIDE.subtract(Decimal(c), v).copy_abs()
    return float(_ctx(30).divide(diff, Decimal(_ulp_one(v, fmt))))
