r"""Floating-point formats, and the arguments at which the exponential leaves them.

The naive softmax :math:`e^{z_j} / \sum_k e^{z_k}` fails where :math:`e^{z}`
is no longer a finite, nonzero number of the working format. For a binary
format with ``p`` significand bits (counting the implicit one) and exponent
range :math:`[e_{\min}, e_{\max}]` (IEEE 754), and an exponential that is
correctly rounded to nearest, three arguments matter:

.. math::

    x_{\mathrm{over}} &= \ln\!\big(2^{e_{\max}+1}(1 - 2^{-p-1})\big), \\
    x_{\mathrm{normal}} &= e_{\min} \ln 2, \\
    x_{\mathrm{zero}} &= (e_{\min} - p) \ln 2 .

:math:`e^x` rounds to ``inf`` for :math:`x \ge x_{\mathrm{over}}` (the exact
value reaches the midpoint between the largest finite number and
:math:`2^{e_{\max}+1}`); it is below the smallest normal number for
:math:`x < x_{\mathrm{normal}}` (subnormal: fewer significant bits); and it
rounds to zero for :math:`x \le x_{\mathrm{zero}}` (at most half the smallest
subnormal :math:`2^{e_{\min} - p + 1}`). Everything is computed from the
format's ``finfo``, never typed in.

The formats are float16, bfloat16 (NumPy has no bfloat16; it comes from
``ml_dtypes``, the package JAX uses for ``jnp.bfloat16``), float32 and
float64.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import ml_dtypes
import numpy as np
from numpy.typing import DTypeLike

from ._validation import choice, float_dtype

__all__ = [
    "FLOAT_FORMATS",
    "ExpThresholds",
    "exp_threshold_table",
    "exp_thresholds",
    "float_format",
]

#: The four formats the book compares, narrowest exponent range first.
FLOAT_FORMATS = ("float16", "bfloat16", "float32", "float64")

_BY_NAME = {
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
}


def float_format(dtype: DTypeLike) -> np.dtype[np.floating]:
    """Return the NumPy dtype of one of the four supported binary formats.

    Parameters
    ----------
    dtype : str or dtype-like
        ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"``, or a
        dtype or scalar type naming one of them (``np.float32``,
        ``jnp.bfloat16``, ``np.dtype("float16")``...).

    Returns
    -------
    numpy.dtype
        The dtype; ``bfloat16`` is ``ml_dtypes.bfloat16``.

    Raises
    ------
    TypeError
        If ``dtype`` is not a string or dtype-like object, or names a type
        that is not one of the four formats (integers, complex, float128...).
    ValueError
        If ``dtype`` is a string that is not one of the four names.

    Examples
    --------
    >>> from softmaxlab import float_format
    >>> float_format("bfloat16").name, float_format("float32").itemsize
    ('bfloat16', 4)
    """
    if isinstance(dtype, str):
        return _BY_NAME[choice(dtype.strip().lower(), "dtype", FLOAT_FORMATS)]
    return float_dtype(dtype, allowed=_BY_NAME.values())


@dataclass(frozen=True)
class ExpThresholds:
    r"""A binary floating-point format and where :math:`e^x` leaves it.

    Attributes
    ----------
    name : str
        The format's name, e.g. ``"bfloat16"``.
    bits, exponent_bits, significand_bits : int
        Total width ``w + p``; exponent field width ``w``; precision ``p``
        (stored fraction bits plus the implicit leading bit).
    largest, smallest_normal, smallest_subnormal, eps : float
        From ``finfo``: the largest finite number, :math:`2^{e_{\min}}`,
        :math:`2^{e_{\min}-p+1}` and :math:`2^{1-p}`.
    overflow : float
        :math:`x_{\mathrm{over}}`: ``exp(x)`` rounds to ``inf`` for
        ``x >= overflow``.
    normal : float
        :math:`x_{\mathrm{normal}} = \ln(\text{smallest normal})`: ``exp(x)``
        is subnormal (or zero) for ``x < normal``.
    underflow : float
        :math:`x_{\mathrm{zero}}`: ``exp(x)`` rounds to 0 for ``x <= underflow``
        when subnormals are kept (gradual underflow). Hardware or compilers
        that flush subnormals to zero already give 0 below ``normal``.
    """

    name: str
    bits: int
    exponent_bits: int
    significand_bits: int
    largest: float
    smallest_normal: float
    smallest_subnormal: float
    eps: float
    overflow: float
    normal: float
    underflow: float


def exp_thresholds(dtype: DTypeLike) -> ExpThresholds:
    r"""Where the exponential overflows, goes subnormal and rounds to zero in a format.

    .. math::

        x_{\mathrm{over}} &= (e_{\max}+1)\ln 2 + \operatorname{log1p}(-2^{-p-1}), \\
        x_{\mathrm{normal}} &= e_{\min}\ln 2, \\
        x_{\mathrm{zero}} &= (e_{\min} - p)\ln 2,

    with :math:`e_{\max} + 1` = ``finfo.maxexp``, :math:`e_{\min}` =
    ``finfo.minexp`` and :math:`p` = ``finfo.nmant + 1``. The thresholds assume
    an exponential correctly rounded to nearest (ties to even); real libraries
    agree up to the last bit of the argument.

    Parameters
    ----------
    dtype : str or dtype-like
        One of float16, bfloat16, float32, float64 (see :func:`float_format`).

    Returns
    -------
    ExpThresholds
        All fields as Python ``float``/``int``, computed in float64 arithmetic.
        Each threshold is accurate to a few float64 ulps: far below the
        spacing of float16, bfloat16 and float32 numbers near it, so for those
        formats it tells on which side of the threshold each of their numbers
        lies. For float64 it does not: the float64 numbers next to the
        threshold lie within an ulp of it, no farther than the threshold's own
        float64 error, and deciding their side needs more digits (chapter 4
        uses 50-digit mpmath).

    Raises
    ------
    TypeError, ValueError
        As for :func:`float_format`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import exp_thresholds
    >>> t = exp_thresholds("float32")
    >>> round(t.overflow, 4), round(t.normal, 4), round(t.underflow, 4)
    (88.7228, -87.3365, -103.9721)
    >>> with np.errstate(over="ignore"):
    ...     [bool(np.isfinite(np.exp(np.float32(x)))) for x in (88.72, 88.73)]
    [True, False]
    >>> round(exp_thresholds("float16").overflow, 4)  # ln(65504 + 16): largest + half an ulp
    11.0901
    """
    dt = float_format(dtype)
    fi = ml_dtypes.finfo(dt)
    p = int(fi.nmant) + 1
    ln2 = math.log(2.0)
    return ExpThresholds(
        name=dt.name,
        bits=int(fi.bits),
        exponent_bits=int(fi.nexp),
        significand_bits=p,
        largest=float(fi.max),
        smallest_normal=float(fi.smallest_normal),
        smallest_subnormal=float(fi.smallest_subnormal),
        eps=float(fi.eps),
        overflow=int(fi.maxexp) * ln2 + math.log1p(-(2.0 ** (-p - 1))),
        normal=int(fi.minexp) * ln2,
        underflow=(int(fi.minexp) - p) * ln2,
    )


def exp_threshold_table(dtypes: Iterable[DTypeLike] = FLOAT_FORMATS) -> str:
    r"""A fixed-width text table of :func:`exp_thresholds` for several formats.

    Columns: format, exponent bits ``w``, precision ``p``, machine epsilon,
    largest finite number, and the three thresholds ``x_over``
    (:math:`e^x` rounds to ``inf`` from here up), ``x_normal`` (:math:`e^x`
    is subnormal below) and ``x_zero`` (:math:`e^x` rounds to 0 from here
    down), each printed with 4 decimals.

    Parameters
    ----------
    dtypes : sequence of str or dtype-like, default :data:`FLOAT_FORMATS`
        The formats, one row each, in the given order.

    Returns
    -------
    str
        The table, one line per format after a header line.

    Raises
    ------
    TypeError
        If ``dtypes`` is a single string or not iterable, or an entry is not
        a supported format.
    ValueError
        If ``dtypes`` is empty or names an unknown format.

    Examples
    --------
    >>> from softmaxlab import exp_threshold_table
    >>> print(exp_threshold_table(["float16", "bfloat16"]))
    format     w   p    epsilon    largest     x_over   x_normal     x_zero
    float16    5  11   9.77e-04   6.55e+04    11.0901    -9.7041   -17.3287
    bfloat16   8   8   7.81e-03   3.39e+38    88.7209   -87.3365   -92.8817
    """
    if isinstance(dtypes, (str, bytes)):
        raise TypeError(
            f"dtypes must be a sequence of formats, not the single string {dtypes!r}; "
            "wrap it in a list"
        )
    try:
        items = list(dtypes)
    except TypeError:
        raise TypeError(
            f"dtypes must be a sequence of formats, got {type(dtypes).__name__}"
        ) from None
    if not items:
        raise ValueError("dtypes is empty; give at least one format, e.g. ['float32']")
    rows = [
        f"{'format':<9}{'w':>3}{'p':>4}{'epsilon':>11}{'largest':>11}{'x_over':>11}{'x_normal':>11}{'x_zero':>11}"
    ]
    for d in items:
        t = exp_thresholds(d)
        rows.append(
            f"{t.name:<9}{t.exponent_bits:>3}{t.significand_bits:>4}{t.eps:>11.2e}{t.largest:>11.2e}"
            f"{t.overflow:>11.4f}{t.normal:>11.4f}{t.underflow:>11.4f}"
        )
    return "\n".join(rows)
