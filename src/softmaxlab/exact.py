r"""An exact reference for softmax, log-softmax, log-sum-exp and the softmax Jacobian.

The book measures every floating-point formula against values computed with
the standard library's :mod:`decimal` at a precision high enough to be exact
for the float inputs given:

* each difference :math:`z_i - \hat z` of two floats is formed **exactly**
  (a decimal context with 2000 digits and the ``Inexact`` trap set, which is
  more than the longest difference of two float64 numbers needs);
* exponentials, sums, logarithms and quotients are then carried with 40
  significant digits or more, and the precision is raised wherever a sum
  cancels or a result lies just next to a power of two, so every returned value
  has a relative error below :math:`10^{-35}` and lies in the same binade as
  the true value.

That is 19 decimal orders of magnitude below the unit roundoff of float64,
so the reference is exact for every purpose of measuring float16, float32 and
float64 results. Its price is speed: a few microseconds per entry in pure
Python, fine for the book's tests and benchmarks, not for training.
:mod:`softmaxlab.ulps` measures computed results against it in units in the
last place.
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, finite_array, logits, same_shape

__all__ = [
    "exact_jacobian",
    "exact_jvp",
    "exact_log_softmax",
    "exact_logsumexp",
    "exact_softmax",
]

#: Significant digits carried by the reference (relative error about 10^-40).
DIGITS = 40

_TRAPS = [decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow]
# Differences of two float64 numbers have at most about 1400 significant digits.
_EXACT = decimal.Context(
    prec=2000,
    Emin=decimal.MIN_EMIN,
    Emax=decimal.MAX_EMAX,
    traps=[*_TRAPS, decimal.Inexact],
)


def _ctx(prec: int) -> decimal.Context:
    return decimal.Context(prec=prec, Emin=decimal.MIN_EMIN, Emax=decimal.MAX_EMAX, traps=_TRAPS)


# Wide enough that differences and powers of two met here are exact in practice.
_WIDE = _ctx(2100)


def _log1p(r: Decimal, prec: int) -> Decimal:
    """:math:`\\log(1 + r)` for :math:`r \\ge 0` with relative error about 10^-prec."""
    c = _ctx(prec + 10)
    if r == 0:
        return Decimal(0)
    if r > Decimal("1e-3"):
        return c.ln(c.add(1, r))
    # Taylor series r - r^2/2 + r^3/3 - ...: no 1 + r that would round r away.
    total, power, k = Decimal(0), r, 1
    tiny = c.multiply(r, Decimal(10) ** -(prec + 5))
    while power.copy_abs() >= tiny:
        term = c.divide(power, k)
        total = c.add(total, term if k % 2 else term.copy_negate())
        power = c.multiply(power, r)
        k += 1
    return total


def _add(a: Decimal, b: Decimal, prec: int = DIGITS) -> Decimal:
    """``a + b`` to ``prec`` significant digits, on the correct side of ``a``.

    The precision grows with the cancellation, and a ``b`` far below ``a`` is
    kept as a nudge of ``a`` instead of being rounded away, so that the result
    never lands on ``a`` when ``a`` is a power of two and the true sum is not.
    """
    if a == 0 or b == 0:
        return _ctx(prec).add(a, b)
    gap = a.adjusted() - b.adjusted()
    if gap > 1900:  # b is below every ulp of a: keep only its sign
        b = Decimal(1 if b > 0 else -1).scaleb(a.adjusted() - 1900, context=_WIDE)
        gap = 1900
    work = _ctx(max(prec, gap + prec) + 2 * prec)
    s = work.add(a, b)
    # No redo is needed after a cancellation: the operands that can cancel here
    # (1 and -rest / S in softmax, zhat and log S in logsumexp) are a float of
    # modest magnitude (under 60 significant digits) and a value of prec + 10
    # digits with nearly the same exponent, which work's 3 prec digits hold
    # exactly, so the sum is exact. (logsumexp raises prec itself when zhat
    # and log S cancel more digits than it carries.)
    return s


class _Row:
    """Everything the three references need for one slice of logits."""

    def __init__(self, x: NDArray[np.float64], prec: int = DIGITS) -> None:
        self.prec = prec
        c = _ctx(prec + 5)
        self.defined = (
            bool(np.all(~np.isnan(x))) and not np.any(x == np.inf) and bool(np.any(x > -np.inf))
        )
        self.x = x
        if not self.defined:
            return
        kstar = int(np.argmax(x))
        m = Decimal(float(x[kstar]))
        self.m = m
        # Exact differences z_i - zhat (or -inf), then their exponentials.
        self.d: list[Decimal | None] = []
        self.t: list[Decimal] = []
        rest = Decimal(0)
        for k, xk in enumerate(x.tolist()):
            if xk == -math.inf:
                self.d.append(None)
                self.t.append(Decimal(0))
                continue
            dk = _EXACT.subtract(Decimal(xk), m)
            self.d.append(dk)
            tk = c.exp(c.plus(dk))
            self.t.append(tk)
            if k != kstar:
                rest = c.add(rest, tk)
        self.rest = rest  # sum of the exponentials without one maximal term
        self.log_norm = _log1p(rest, prec)  # log of the sum: log1p(rest)

    def softmax(self) -> list[Decimal]:
        if not self.defined:
            return [Decimal("NaN")] * len(self.x)
        p = self.prec
        c = _ctx(p + 5)
        s = c.add(1, self.rest)
        out = []
        for tk in self.t:
            if tk == 1:
                # 1 / (1 + rest) = 1 - rest / (1 + rest): keep it below 1.
                out.append(_add(Decimal(1), c.divide(self.rest, s).copy_negate(), p))
            else:
                out.append(c.divide(tk, s))
        return out

    def log_softmax(self) -> list[Decimal]:
        if not self.defined:
            return [Decimal("NaN")] * len(self.x)
        return [
            Decimal("-Infinity") if dk is None else _add(dk, self.log_norm.copy_negate(), self.prec)
            for dk in self.d
        ]

    def logsumexp(self) -> Decimal:
        if np.any(np.isnan(self.x)):
            return Decimal("NaN")
        if np.any(self.x == np.inf):
            return Decimal("Infinity")
        if not self.defined:
            return Decimal("-Infinity")
        s = _add(self.m, self.log_norm, self.prec)
        if s == 0:  # exact only if both parts are 0
            return s if self.log_norm == 0 else _Row(self.x, 2 * self.prec).logsumexp()
        lost = max(self.m.adjusted(), self.log_norm.adjusted()) - s.adjusted() if self.m < 0 else 0
        if lost > self.prec - DIGITS:  # zhat < 0 cancelled digits: redo with more
            return _Row(self.x, DIGITS + lost + 5).logsumexp()
        return s


def _rows(z: ArrayLike, axis: int) -> tuple[NDArray[np.floating], int, list[_Row]]:
    arr, ax = logits(z, axis)
    moved = np.moveaxis(arr.astype(np.float64), ax, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    return arr, ax, [_Row(row) for row in flat]


def _pack(values: list[list[Decimal]], arr: NDArray[Any], ax: int) -> NDArray[np.object_]:
    moved_shape = np.moveaxis(np.empty(arr.shape, dtype=np.int8), ax, -1).shape
    out = np.empty(len(values) * arr.shape[ax], dtype=object)
    out[:] = [v for row in values for v in row]
    return np.moveaxis(out.reshape(moved_shape), -1, ax)


def exact_softmax(z: ArrayLike, axis: int = -1) -> NDArray[np.object_]:
    r"""Softmax of float logits, exact to a relative error below :math:`10^{-35}`.

    .. math::

        a_j = \frac{e^{z_j - \hat z}}{1 + \sum_{k \ne k^\ast} e^{z_k - \hat z}},
        \qquad z_{k^\ast} = \hat z = \max_k z_k,

    with every :math:`z_j - \hat z` formed exactly in :mod:`decimal` and the
    rest carried with at least 40 significant digits.

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits: float16, float32, float64 or integers. Each value is taken
        exactly as the float it is.
    axis : int, default -1
        The axis to normalise along.

    Returns
    -------
    numpy.ndarray of decimal.Decimal, same shape as ``z`` (dtype object)
        ``-inf`` logits give exactly 0; a slice whose maximum is not finite
        gives ``Decimal('NaN')``. Convert with ``.astype(np.float64)`` to get
        the correctly rounded float64 values.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmaxlab.softmax`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import exact_softmax
    >>> exact_softmax([0.0, 0.0, -np.inf])
    array([Decimal('0.5'), Decimal('0.5'), Decimal('0')], dtype=object)
    >>> float(sum(exact_softmax([1.0, 2.0, 3.0])))
    1.0
    """
    arr, ax, rows = _rows(z, axis)
    return _pack([r.softmax() for r in rows], arr, ax)


def exact_log_softmax(z: ArrayLike, axis: int = -1) -> NDArray[np.object_]:
    r"""Log-softmax of float logits, exact to a relative error below :math:`10^{-35}`.

    .. math::

        \log a_j = (z_j - \hat z) - \log\Big(1 + \sum_{k \ne k^\ast} e^{z_k - \hat z}\Big).

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits, as for :func:`exact_softmax`.
    axis : int, default -1
        The axis to normalise along.

    Returns
    -------
    numpy.ndarray of decimal.Decimal, same shape as ``z`` (dtype object)
        ``-inf`` logits give ``Decimal('-Infinity')``; a slice whose maximum
        is not finite gives ``Decimal('NaN')``.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmaxlab.softmax`.

    Examples
    --------
    >>> from softmaxlab import exact_log_softmax
    >>> float(exact_log_softmax([0.0, -40.0])[0])  # -log1p(e^-40): tiny, not 0
    -4.248354255291589e-18
    """
    arr, ax, rows = _rows(z, axis)
    return _pack([r.log_softmax() for r in rows], arr, ax)


def exact_logsumexp(z: ArrayLike, axis: int = -1) -> NDArray[np.object_]:
    r"""Log-sum-exp of float logits, exact to a relative error below :math:`10^{-35}`.

    .. math::

        \operatorname{LSE}(z) = \hat z + \log\Big(1 + \sum_{k \ne k^\ast} e^{z_k - \hat z}\Big).

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits, as for :func:`exact_softmax`.
    axis : int, default -1
        The axis to reduce.

    Returns
    -------
    numpy.ndarray of decimal.Decimal, ``z``'s shape without ``axis`` (dtype object)
        All ``-inf`` gives ``-Infinity``; any ``+inf`` gives ``Infinity``;
        NaN gives ``NaN``.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmaxlab.softmax`.

    Examples
    --------
    >>> from softmaxlab import exact_logsumexp
    >>> str(exact_logsumexp([0.0, 0.0]))[:20]  # log 2
    '0.693147180559945309'
    """
    arr, ax, rows = _rows(z, axis)
    out = np.empty(len(rows), dtype=object)
    out[:] = [r.logsumexp() for r in rows]
    shape = arr.shape[:ax] + arr.shape[ax + 1 :]
    return out.reshape(shape)


def _vector_softmax(z: ArrayLike, name: str = "z") -> NDArray[np.object_]:
    """Check one vector of logits (1-D) and return its exact softmax."""
    arr, _ = logits(z, -1, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one vector of logits (1-D), got shape {arr.shape}")
    out = np.empty(arr.size, dtype=object)
    out[:] = _Row(arr.astype(np.float64)).softmax()  # as exact_softmax, checked once
    return out


def exact_jacobian(z: ArrayLike) -> NDArray[np.float64]:
    r"""The softmax Jacobian of a vector of logits, each entry rounded once to float64.

    .. math::

        J_{ji} = \frac{\partial a_j}{\partial z_i} = a_j(\delta_{ij} - a_i),
        \qquad J_{jj} = a_j \sum_{k \ne j} a_k,

    from :func:`exact_softmax`'s outputs, multiplied in 60-digit decimals.
    The diagonal is formed from the sum of the other outputs, not as
    :math:`a_j(1 - a_j)`, so it keeps its relative accuracy when :math:`a_j`
    is next to 1 (where :math:`1 - a_j` would lose the digits of the others).
    Every entry is then within half an ulp of the true value (one rounding of
    a decimal with relative error below :math:`10^{-30}`), except where the
    true value is below float64's normal range.

    Parameters
    ----------
    z : array_like, shape (L,)
        One vector of finite or ``-inf`` logits (float16, float32, float64 or
        integers), at least one finite.

    Returns
    -------
    numpy.ndarray of float64, shape (L, L)
        ``J[j, i]`` is the derivative of output ``j`` with respect to logit ``i``.

    Raises
    ------
    TypeError, ValueError
        As for :func:`exact_softmax`; ``ValueError`` for an array that is not 1-D.

    Examples
    --------
    >>> from softmaxlab import exact_jacobian
    >>> exact_jacobian([0.0, 0.0])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    a = _vector_softmax(z)
    with decimal.localcontext(_ctx(60)):
        rows = [
            [a[j] * (sum(np.delete(a, j)) if i == j else -a[i]) for i in range(a.size)]
            for j in range(a.size)
        ]
    return np.array(rows, dtype=np.float64).reshape(a.size, a.size)


def exact_jvp(z: ArrayLike, w: ArrayLike) -> NDArray[np.float64]:
    r"""The product :math:`Jw` of the softmax Jacobian with a vector, rounded once to float64.

    .. math::

        (Jw)_j = a_j (w_j - \langle a, w \rangle) = a_j \sum_i a_i (w_j - w_i),

    the right-hand form evaluated in decimals: each :math:`w_j - w_i` is formed
    exactly, so nothing cancels. The Jacobian is symmetric, so this is also
    the vector-Jacobian product :math:`J^\top w`.

    Parameters
    ----------
    z : array_like, shape (L,)
        One vector of logits, as for :func:`exact_jacobian`.
    w : array_like, shape (L,)
        The direction (or cotangent): finite floats, the same shape as ``z``.

    Returns
    -------
    numpy.ndarray of float64, shape (L,)

    Raises
    ------
    TypeError, ValueError
        As for :func:`exact_jacobian`; ``ValueError`` when ``w`` is not finite
        or its shape differs from ``z``'s (no broadcasting).

    Examples
    --------
    >>> from softmaxlab import exact_jvp
    >>> exact_jvp([0.0, 0.0], [1.0, 0.0])  # a = (1/2, 1/2): (1/4, -1/4)
    array([ 0.25, -0.25])
    """
    a = _vector_softmax(z)
    wv = as_float_array(w, "w")
    same_shape(a, wv, "z", "w")
    finite_array(wv, "w")
    wd = [Decimal(float(x)) for x in wv.astype(np.float64)]
    diffs = [[_EXACT.subtract(wj, wi) for wi in wd] for wj in wd]
    with decimal.localcontext(_ctx(60)):
        out = [a[j] * sum(a[i] * diffs[j][i] for i in range(a.size)) for j in range(a.size)]
    return np.array(out, dtype=np.float64).reshape(a.size)
