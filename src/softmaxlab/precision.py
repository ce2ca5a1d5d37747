r"""An exact reference for softmax, log-softmax and log-sum-exp, and errors in ulps.

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

:func:`ulp_error` measures a computed array against the reference in units in
the last place (ulps) of the computed array's dtype, **at the true value**.
"""

from __future__ import annotations

import decimal
import functools
import math
from decimal import Decimal
from typing import Any

import numpy as np

from ._validation import SUPPORTED_FLOATS, as_float_array, logits, same_shape

__all__ = [
    "HARD_FAMILIES",
    "exact_jacobian",
    "exact_jvp",
    "exact_log_softmax",
    "exact_logsumexp",
    "exact_softmax",
    "hard_logits",
    "ulp",
    "ulp_error",
]

#: Significant digits carried by the reference (relative error about 10^-40).
DIGITS = 40

_TRAPS = [decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow]
# Differences of two float64 numbers have at most about 1400 significant digits.
_EXACT = decimal.Context(
    prec=2000,
    Emin=decimal.MIN_EMIN,
    Emax=decimal.MAX_EMAX,
    traps=_TRAPS + [decimal.Inexact],
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

    def __init__(self, x: np.ndarray, prec: int = DIGITS) -> None:
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


def _rows(z: Any, axis: Any) -> tuple[np.ndarray, int, list[_Row]]:
    arr, ax = logits(z, axis)
    moved = np.moveaxis(arr.astype(np.float64), ax, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    return arr, ax, [_Row(row) for row in flat]


def _pack(values: list[list[Decimal]], arr: np.ndarray, ax: int) -> np.ndarray:
    moved_shape = np.moveaxis(np.empty(arr.shape, dtype=np.int8), ax, -1).shape
    out = np.empty(len(values) * arr.shape[ax], dtype=object)
    out[:] = [v for row in values for v in row]
    return np.moveaxis(out.reshape(moved_shape), -1, ax)


def exact_softmax(z: Any, axis: Any = -1) -> np.ndarray:
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


def exact_log_softmax(z: Any, axis: Any = -1) -> np.ndarray:
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


def exact_logsumexp(z: Any, axis: Any = -1) -> np.ndarray:
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


def _vector(z: Any, name: str = "z") -> np.ndarray:
    arr, _ = logits(z, -1, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one vector of logits (1-D), got shape {arr.shape}")
    return arr


def exact_jacobian(z: Any) -> np.ndarray:
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
    a = exact_softmax(_vector(z))
    with decimal.localcontext(_ctx(60)):
        rows = [
            [a[j] * (sum(np.delete(a, j)) if i == j else -a[i]) for i in range(a.size)]
            for j in range(a.size)
        ]
    return np.array(rows, dtype=np.float64).reshape(a.size, a.size)


def exact_jvp(z: Any, w: Any) -> np.ndarray:
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
    zv = _vector(z)
    wv = as_float_array(w, "w")
    same_shape(zv, wv, "z", "w")
    if not np.all(np.isfinite(wv)):
        raise ValueError("w must be finite (no NaN or infinity)")
    a = exact_softmax(zv)
    wd = [Decimal(float(x)) for x in wv.astype(np.float64)]
    diffs = [[_EXACT.subtract(wj, wi) for wi in wd] for wj in wd]
    with decimal.localcontext(_ctx(60)):
        out = [a[j] * sum(a[i] * diffs[j][i] for i in range(a.size)) for j in range(a.size)]
    return np.array(out, dtype=np.float64).reshape(a.size)


def ulp(x: Any, dtype: Any = np.float64) -> np.ndarray:
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


def ulp_error(computed: Any, exact: Any) -> np.ndarray:
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
    if c.dtype.kind != "f":
        raise TypeError(f"computed has dtype {c.dtype}; expected float16, float32 or float64")
    xs = _as_decimals(exact, "exact")
    same_shape(c, xs, "computed", "exact")
    fmt = _format(c.dtype)
    flat = c.astype(np.float64).ravel().tolist()
    out = np.array([_err_one(ci, xi, fmt) for ci, xi in zip(flat, xs.ravel())], dtype=np.float64)
    return out.reshape(c.shape)


#: The families of hard inputs that :func:`hard_logits` generates, in the book's order.
HARD_FAMILIES = (
    "wide spread",
    "near overflow",
    "largest floats",
    "-inf beside -max",
    "subnormal sums",
    "ties and near-ties",
    "one dominant",
    "long vectors",
    "-inf entries",
)


# The random stream of each family: fixed numbers, not positions in
# HARD_FAMILIES, so that adding a family changes no other family's logits
# (2 was "huge magnitudes", replaced by the three families 7, 8 and 9).
_FAMILY_STREAM = {
    "wide spread": 0,
    "near overflow": 1,
    "ties and near-ties": 3,
    "one dominant": 4,
    "long vectors": 5,
    "-inf entries": 6,
    "largest floats": 7,
    "-inf beside -max": 8,
    "subnormal sums": 9,
}


def hard_logits(
    family: str, dtype: Any = np.float64, *, rows: int = 64, length: int = 32, seed: int = 0
) -> np.ndarray:
    r"""Seeded logits that are hard for softmax in ``dtype``: one family of :data:`HARD_FAMILIES`.

    With :math:`R = -\log(\text{smallest subnormal})` (about 745, 103 and 17
    for float64, float32 and float16: the widest spread over which a softmax
    output can still be nonzero) and :math:`\Omega = \log(\text{largest
    finite})` (where :math:`e^z` overflows), each row is

    * ``"wide spread"``: :math:`z_i = c + U(-R, 0)` with :math:`c \sim U(0, 1)`
      per row, so that :math:`\hat z` and the :math:`z_i` have unrelated low bits;
    * ``"near overflow"``: :math:`z_i = \Omega + U(-R, 1)`, where the naive
      formula overflows;
    * ``"largest floats"``: :math:`z_1 = \max` (the dtype's largest finite
      number), the others :math:`U(-1, 1) \cdot \max`, so that
      :math:`z_i - \hat z` and the intermediates of its exact rounding error
      overflow;
    * ``"-inf beside -max"``: every entry :math:`-\max \cdot U(1/2, 1)`
      (the first exactly :math:`-\max` in about half the rows), a quarter of
      the others :math:`-\infty` and a quarter equal to the first (ties at a
      huge negative value);
    * ``"subnormal sums"``: :math:`z_1 \sim U(0, 1)`, the others
      :math:`z_1 - N + U(-\min(8, R - N), 1)` with :math:`N = -\log(\text{smallest
      normal})`, so that most terms :math:`e^{z_i - \hat z}` are subnormal
      while their sum may be normal;
    * ``"ties and near-ties"``: half the entries within 3 ulps below a
      common value (several equal to the maximum), the rest as in ``"wide spread"``;
    * ``"one dominant"``: :math:`z_1 \sim U(0, 1)`, the others
      :math:`U(-R, -R/8)`, so the winner's probability is :math:`1 - \text{tiny}`;
    * ``"long vectors"``: :math:`z_i \sim N(0, 3^2)`; use a large ``length``;
    * ``"-inf entries"``: ``"wide spread"`` with about 30 % of the entries
      (never the first) set to :math:`-\infty`.

    Parameters
    ----------
    family : str
        One of :data:`HARD_FAMILIES`.
    dtype : float16, float32 or float64
        The dtype of the result; the ranges above are the dtype's own.
    rows, length : int, keyword-only
        The shape ``(rows, length)`` of the result; both at least 1.
    seed : int, keyword-only
        Seed of :func:`numpy.random.default_rng`; the same arguments give the
        same array.

    Returns
    -------
    numpy.ndarray, shape (rows, length), dtype ``dtype``

    Raises
    ------
    ValueError
        If ``family`` is unknown or ``rows`` or ``length`` is below 1.
    TypeError
        If ``dtype`` is not float16, float32 or float64, or ``rows``,
        ``length`` or ``seed`` is not an int.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import hard_logits
    >>> z = hard_logits("near overflow", np.float32, rows=2, length=3)
    >>> z.shape, z.dtype, bool(np.all(z > 88.0 - 104.0))
    ((2, 3), dtype('float32'), True)
    """
    if family not in HARD_FAMILIES:
        raise ValueError(
            f"family={family!r} is unknown; expected one of {', '.join(map(repr, HARD_FAMILIES))}"
        )
    _format(dtype)  # refuses anything but float16, float32, float64
    dt = np.dtype(dtype)
    for name, value, low in (("rows", rows, 1), ("length", length, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
        if value < low:
            raise ValueError(f"{name}={value} is too small; expected an integer >= {low}")
    fi = np.finfo(dt)
    rng = np.random.default_rng([seed, _FAMILY_STREAM[family]])
    R = -math.log(float(fi.smallest_subnormal))
    omega = math.log(float(fi.max))
    shape = (rows, length)

    def wide() -> np.ndarray:
        return rng.uniform(0.0, 1.0, (rows, 1)) + rng.uniform(-R, 0.0, shape)

    if family == "wide spread":
        z = wide()
    elif family == "near overflow":
        z = omega + rng.uniform(-R, 1.0, shape)
    elif family == "largest floats":
        z = rng.uniform(-1.0, 1.0, shape) * float(fi.max)
        z[:, 0] = float(fi.max)
    elif family == "-inf beside -max":
        z = -float(fi.max) * rng.uniform(0.5, 1.0, shape)
        z[rng.random(rows) < 0.5, 0] = -float(fi.max)
        pick = rng.random((rows, length - 1))
        z[:, 1:][pick < 0.25] = -np.inf
        ties = np.broadcast_to(z[:, :1], (rows, length - 1))
        z[:, 1:] = np.where(pick > 0.75, ties, z[:, 1:])
    elif family == "subnormal sums":
        normal = -math.log(float(fi.tiny))
        c = rng.uniform(0.0, 1.0, (rows, 1))
        z = c - normal + rng.uniform(-min(8.0, R - normal), 1.0, shape)
        z[:, 0] = c[:, 0]
    elif family == "ties and near-ties":
        c = rng.uniform(-50.0, 50.0, (rows, 1)).astype(dt)
        steps = rng.integers(-3, 1, shape)  # 0, 1, 2 or 3 ulps below c
        near = c.astype(np.float64) + steps * np.spacing(np.abs(c)).astype(np.float64)
        z = np.where(
            rng.random(shape) < 0.5, near, c.astype(np.float64) - rng.uniform(0.0, R, shape)
        )
    elif family == "one dominant":
        z = rng.uniform(-R, -R / 8, shape)
        z[:, 0] = rng.uniform(0.0, 1.0, rows)
    elif family == "long vectors":
        z = rng.normal(0.0, 3.0, shape)
    else:  # "-inf entries"
        z = wide()
        z[:, 1:][rng.random((rows, length - 1)) < 0.3] = -np.inf
    return z.astype(dt)


# --------------------------------------------------------------------------- internals


def _format(dtype: Any) -> tuple[int, int, int, Decimal]:
    """(precision p, smallest normal exponent, largest exponent, overflow threshold)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float16, float32 or float64, got {dtype!r}") from None
    if dt not in SUPPORTED_FLOATS:
        raise TypeError(f"dtype must be float16, float32 or float64, got {dt}")
    fi = np.finfo(dt)
    p = fi.nmant + 1
    emax = fi.maxexp - 1
    # Values at or above max + ulp(max)/2 round to infinity.
    limit = _WIDE.add(Decimal(float(fi.max)), _WIDE.power(Decimal(2), emax - p))
    return p, fi.minexp, emax, limit


def _as_decimals(x: Any, name: str) -> np.ndarray:
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
                f"{name} must hold real numbers (floats or decimal.Decimal), got {type(v).__name__} {v!r:.40}"
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


def _ulp_one(v: Decimal, fmt: tuple[int, int, int, Decimal]) -> float:
    p, emin, emax, _ = fmt
    if v.is_nan() or v.is_infinite():
        return math.nan
    e = emin if v == 0 else min(max(_binade(v), emin), emax)
    return math.ldexp(1.0, e - p + 1)


def _err_one(c: float, v: Decimal, fmt: tuple[int, int, int, Decimal]) -> float:
    p, _, _, limit = fmt
    if v.is_nan():
        return 0.0 if math.isnan(c) else math.inf
    if math.isnan(c):
        return math.inf
    if v.is_infinite():
        return 0.0 if c == float(v) else math.inf
    if math.isinf(c):
        overflows = v.copy_abs() >= limit
        return 0.0 if overflows and (c > 0) == (v > 0) else math.inf
    diff = _WIDE.subtract(Decimal(c), v).copy_abs()
    return float(_ctx(30).divide(diff, Decimal(_ulp_one(v, fmt))))
