r"""Softmax, log-softmax and log-sum-exp, computed stably.

Every function here normalises along one axis of an array of logits ``z`` of
any shape. The book's notation: for a vector :math:`z \in \mathbb{R}^L`,

.. math::

    a_j = \operatorname{softmax}(z)_j = \frac{e^{z_j}}{\sum_{k=1}^{L} e^{z_k}},
    \qquad
    \operatorname{LSE}(z) = \log \sum_{k=1}^{L} e^{z_k}.

Three formulas for the same function are kept side by side, because the book
compares them:

* :func:`softmax_naive` exponentiates ``z`` directly and overflows;
* :func:`softmax_shifted` subtracts the maximum first (the textbook fix);
* :func:`softmax` is the accurate version that the rest of the package uses.

:mod:`softmaxlab.precision` measures all of them against an exact reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import logits

__all__ = ["softmax", "log_softmax", "logsumexp", "softmax_naive", "softmax_shifted"]


# ------------------------------------------------------------------ kernels ----
#
# The accurate functions work in float64 whatever the input dtype, in four
# steps that are each one vectorised pass over the array (no Python loop over
# rows, O(L) work per slice):
#
# 1. d + e = z - zhat exactly (Knuth's TwoSum), so the exponential is taken of
#    the exact difference: e^(d + e) = e^d (1 + e) to within e^2/2 < 10^-26.
# 2. t = exp(d).
# 3. The sum of t split error-free (after Rump, Ogita and Oishi): with
#    sigma = 2^(bitlength(L) + 1) >= 2 L, the leading parts q = (t + sigma) - sigma
#    are multiples of ulp(sigma) whose sum is exact in any order, and the
#    remainders r = t - q are exact and tiny; the maximal term, t = 1, lands
#    entirely in q, so the sum *without* it, (Q - 1) + R, is as accurate as the
#    sum with it. (softmax sums t (1 + e); log_softmax adds sum_k t_k e_k to
#    the low part.)
# 4. The quotient t / S_hi, corrected to first order for S_lo.


def _shifted_parts(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any]:
    """Split ``x - max(x)`` into a rounded part and its exact rounding error.

    Returns ``(finite, m, d, e, gone)``: ``m`` is the maximum along ``axis``,
    ``finite`` says where it is finite, and ``d``, ``e``, ``gone`` are as in
    :func:`_exact_difference`. Rows whose maximum is not finite use 0 in
    place of ``m`` (no ``inf - inf`` is formed); their results are replaced
    by NaN later.
    """
    m = np.max(x, axis=axis, keepdims=True)
    finite = np.isfinite(m)
    d, e, gone = _exact_difference(x, np.where(finite, m, 0.0))
    return finite, m, d, e, gone


def _exact_difference(x: np.ndarray, m0: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any]:
    """``d + e == x - m0`` exactly, ``d = fl(x - m0)`` (Knuth's TwoSum).

    ``m0`` is finite and broadcasts against ``x``. Entries whose difference
    is ``-inf`` (``-inf`` logits, or a difference beyond float64's range)
    are first raised to ``m0 - 1e300``, whose exponential is 0 just the
    same, so that ``d`` and ``e`` stay finite; ``gone`` marks them (``None``
    when there are none).
    """
    d = x - m0
    gone = None
    if d.size and not np.isfinite(np.min(d)):  # rare: -inf entries, overflow or NaN
        gone = d == -np.inf
        x = np.where(gone, m0 - 1e300, x)
        np.subtract(x, m0, out=d)
    # TwoSum in two buffers (fresh memory costs more than arithmetic here):
    # e is built where d was, and d is then recomputed, with the same rounding.
    b_virtual = d - x
    e = np.subtract(d, b_virtual, out=d)  # a_virtual
    np.subtract(x, e, out=e)  # x - a_virtual
    np.subtract(-m0, b_virtual, out=b_virtual)  # -m - b_virtual
    e += b_virtual
    d = np.subtract(x, m0, out=b_virtual)
    return d, e, gone


def _split_sum(
    t: np.ndarray, axis: int, out: np.ndarray | None = None, length: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``sum(t)`` along ``axis`` as ``Q + R``: ``Q`` exact, ``R`` the small remainders.

    Requires ``0 <= t <= 1``. ``sigma = 2^(bitlength(L) + 1) >= 2 L`` makes
    every partial sum of the leading parts a multiple of ``ulp(sigma)`` below
    ``2 sigma``, hence exactly representable, whatever the summation order.
    ``L`` is ``length`` when ``t`` is a block of a longer axis, so that the
    blocks' ``Q`` add up exactly too. Returns ``(Q, R, scratch)``;
    ``scratch`` (``out`` if given) is a spare array shaped like ``t``.
    """
    sigma = 2.0 ** (int(t.shape[axis] if length is None else length).bit_length() + 1)
    q = np.add(t, sigma, out=out)
    q -= sigma
    big = np.sum(q, axis=axis, keepdims=True)
    np.subtract(t, q, out=q)
    small = np.sum(q, axis=axis, keepdims=True)
    return big, small, q


def _dot(t: np.ndarray, e: np.ndarray, axis: int) -> np.ndarray:
    """``sum(t * e)`` along ``axis`` without a temporary array, keeping the axis."""
    return np.expand_dims(np.vecdot(t, e, axis=axis), axis)


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's TwoSum: ``s + err == a + b`` exactly, ``s = fl(a + b)``."""
    s = a + b
    bv = s - a
    return s, (a - (s - bv)) + (b - bv)


def _log_normaliser(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any, np.ndarray]:
    """``(finite, m, d, e, gone, l)`` with ``l = log1p(sum_{k != k*} e^(z_k - m))``.

    The sum leaves out one maximal term (whose exponential is exactly 1), so
    that ``log1p`` keeps a tiny sum instead of rounding ``1 + tiny`` to 1.
    """
    finite, m, d, e, gone = _shifted_parts(x, axis)
    t = np.exp(d)
    big, small, _ = _split_sum(t, axis)
    # rest = (Q - 1) + R + sum t e; Q - 1 is exact (Q >= 1 is on ulp(sigma)'s grid).
    rest, rest_lo = _two_sum(big - 1.0, small)
    rest_lo = rest_lo + _dot(t, e, axis)
    rest = np.where(finite, rest, 0.0)
    l_hi = np.log1p(rest)
    l_lo = np.where(finite, rest_lo, 0.0) / (1.0 + rest)
    return finite, m, d, e, gone, l_hi + l_lo


def softmax(z: Any, axis: Any = -1) -> np.ndarray:
    r"""Softmax along one axis, accurate and overflow-free.

    .. math::

        a_j = \frac{e^{z_j - \hat z}}{\sum_k e^{z_k - \hat z}},
        \qquad \hat z = \max_k z_k .

    Subtracting :math:`\hat z` changes nothing mathematically (softmax is
    shift invariant) and keeps every exponential in :math:`(0, 1]`. For
    float64 input three more steps remove the formula's rounding errors that
    matter: the rounding error :math:`e_j` of :math:`d_j = \mathrm{fl}(z_j -
    \hat z)` is recovered exactly (TwoSum) and folded in as :math:`e^{d_j}(1 +
    e_j)`; the sum is split without error into an exact sum of leading parts
    and a small remainder; and the quotient by the leading part of the sum is
    corrected to first order for the remainder. On the book's hard inputs (:func:`softmaxlab.hard_logits`) the error
    is below 3 ulp, against hundreds for :func:`softmax_shifted`. float16
    and float32 input is computed with the shifted formula in float64 and
    rounded once, which is within 1 ulp of its own dtype. The work is
    O(L): a few passes over the array, in float64 over blocks of columns that
    stay in cache (a loop over about L / 32768 blocks, never over rows).

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits: float16, float32, float64 or integers (read as float64).
    axis : int, default -1
        The axis to normalise along.

    Returns
    -------
    numpy.ndarray
        Same shape as ``z``; same dtype for floating input, float64 for
        integer input. Entries along ``axis`` are in [0, 1] and sum to one.
        ``-inf`` logits get probability 0. A slice whose maximum is not finite
        (all ``-inf``, any ``+inf``, or any NaN) is undefined and gives NaN.

    Raises
    ------
    TypeError
        If ``z`` holds strings, booleans, complex numbers or objects, or
        ``axis`` is not an int.
    ValueError
        If ``z`` is a scalar, ragged, empty along ``axis``, or ``axis`` is out
        of range.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import softmax
    >>> softmax([1.0, 2.0, 3.0]).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax([1000.0, 1000.0])  # no overflow
    array([0.5, 0.5])
    >>> softmax(np.array([0.0, -np.inf], dtype=np.float32))
    array([1., 0.], dtype=float32)
    """
    arr, ax = logits(z, axis)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        if arr.dtype != np.float64:
            # float16/float32: float64 carries 29 or more spare bits, so the
            # plain shifted formula in float64, rounded once, is within 1 ulp.
            m = np.max(arr, axis=ax, keepdims=True).astype(np.float64)
            finite = np.isfinite(m)
            t = np.subtract(arr, np.where(finite, m, 0.0), dtype=np.float64)
            np.exp(t, out=t)
            t /= np.where(finite, np.sum(t, axis=ax, keepdims=True), np.nan)
            return t.astype(arr.dtype)
        return _softmax64(arr, ax)


# Elements per block of the float64 softmax: the block's two work arrays
# (2 x 256 KiB) stay in a core's L2 cache through the ten elementwise passes
# of TwoSum, exp and the split sum, which from main memory cost more than the
# exponential itself (measured at L = 10^6: 11.4 ms unblocked, 7.3 ms blocked,
# against 3.8 ms for the plain shifted formula).
_BLOCK = 1 << 15


def _softmax64(x: np.ndarray, axis: int) -> np.ndarray:
    """The accurate float64 softmax, the softmax axis cut into column blocks.

    Every step is elementwise or a per-row sum, so blocks of columns give the
    same numbers as the whole axis at once: the leading parts of the split
    sum are exact in any order, and the remainders are summed per block and
    then across blocks. Rows are never looped over: a block holds all rows.
    """
    out = np.empty(x.shape)
    xv, av = np.moveaxis(x, axis, -1), np.moveaxis(out, axis, -1)  # views
    m = np.max(xv, axis=-1, keepdims=True)
    finite = np.isfinite(m)
    m0 = np.where(finite, m, 0.0)
    length = xv.shape[-1]
    step = max(1, _BLOCK // max(1, xv.size // length))
    big = np.zeros(m.shape)
    small = np.zeros(m.shape)
    for j in range(0, length, step):
        d, e, _ = _exact_difference(xv[..., j : j + step], m0)
        # Two arrays per block: t(1 + e) is formed in place of d, and e's
        # array is reused by the split sum.
        t = np.exp(d, out=d)
        e *= t
        t += e
        q, r, _ = _split_sum(t, -1, out=e, length=length)
        big += q
        small += r
        av[..., j : j + step] = t
    s_hi = big + small  # |big| >= 1 > |small|: Fast2Sum is exact
    s_lo = small - (s_hi - big)
    s_hi = np.where(finite, s_hi, np.nan)
    # a = t / (s_hi + s_lo) = q - q s_lo / s_hi to first order, q = t / s_hi.
    correction = -(s_lo / s_hi)
    for j in range(0, length, step):
        a = av[..., j : j + step]
        a /= s_hi
        a += a * correction
    return out


def log_softmax(z: Any, axis: Any = -1) -> np.ndarray:
    r"""Logarithm of the softmax, computed without forming the softmax.

    .. math::

        \log a_j = (z_j - \hat z) - \operatorname{log1p}\Big(\sum_{k \ne k^\ast}
        e^{z_k - \hat z}\Big),

    where :math:`k^\ast` is an index of the maximum, whose term
    :math:`e^0 = 1` is taken out of the sum so that ``log1p`` keeps the tiny
    remainder (Blanchard, Higham and Higham, 2021). The terms and their sum are
    formed as in :func:`softmax` (exact remainder of :math:`z_j - \hat z`,
    error-free split of the sum), always in float64, and the result is rounded
    once to the input's dtype. The two parts of the difference have the same
    sign, so nothing cancels: the result is within 2 ulp in float64 on the
    book's hard inputs, and within 1 ulp in float16 and float32.

    Parameters
    ----------
    z : array_like
        Logits, as for :func:`softmax`.
    axis : int, default -1
        The axis to normalise along.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype rule as :func:`softmax`. Entries are
        :math:`\le 0`; ``-inf`` logits give ``-inf``; a slice whose maximum is
        not finite gives NaN.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> from softmaxlab import log_softmax
    >>> log_softmax([0.0, 0.0]).round(6)
    array([-0.693147, -0.693147])
    >>> float(log_softmax([0.0, -800.0])[1])  # log(softmax) would give -inf
    -800.0
    """
    arr, ax = logits(z, axis)
    x = arr.astype(np.float64, copy=False)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        finite, _, d, e, gone, log_norm = _log_normaliser(x, ax)
        out = d - log_norm
        out += e
        if gone is not None:  # -inf logits, or differences beyond float64's range
            out[gone] = -np.inf
        out = np.where(finite, out, np.nan)
        return out.astype(arr.dtype, copy=False)


def logsumexp(z: Any, axis: Any = -1) -> np.ndarray:
    r"""Log-sum-exp along one axis, :math:`\operatorname{LSE}(z) = \log\sum_k e^{z_k}`.

    Computed as :math:`\hat z + \operatorname{log1p}(\sum_{k \ne k^\ast}
    e^{z_k - \hat z})` in float64 (with the sum formed as in
    :func:`log_softmax`), which neither overflows nor loses the small terms.
    The error is a few ulps of :math:`\max(|\hat z|, \operatorname{LSE}(z))`:
    when :math:`\hat z < 0` and the result is close to 0 the two terms cancel,
    and the *relative* error of a result near 0 can then be large.

    Parameters
    ----------
    z : array_like
        Logits, as for :func:`softmax`.
    axis : int, default -1
        The axis to reduce.

    Returns
    -------
    numpy.ndarray
        ``z``'s shape without ``axis``; same dtype rule as :func:`softmax`.
        All ``-inf`` gives ``-inf``; any ``+inf`` gives ``+inf``; NaN
        propagates.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> from softmaxlab import logsumexp
    >>> float(logsumexp([1000.0, 1000.0]))  # 1000 + log 2, no overflow
    1000.6931471805599
    >>> logsumexp([[0.0, 0.0], [1.0, -float("inf")]])
    array([0.69314718, 1.        ])
    """
    arr, ax = logits(z, axis)
    x = arr.astype(np.float64, copy=False)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        finite, m, _, _, _, log_norm = _log_normaliser(x, ax)
        out = np.where(finite, m + log_norm, m)
        return np.squeeze(out, axis=ax).astype(arr.dtype, copy=False)


def softmax_shifted(z: Any, axis: Any = -1) -> np.ndarray:
    r"""The textbook stable softmax: subtract the maximum, exponentiate, divide.

    .. math::

        a_j = \frac{e^{z_j - \hat z}}{\sum_k e^{z_k - \hat z}}

    evaluated directly in the input's precision. It never overflows, but the
    rounding of :math:`z_j - \hat z` is amplified by the exponential, which
    :func:`softmax` corrects. Kept for teaching and comparison.

    Parameters
    ----------
    z : array_like
        Logits, as for :func:`softmax`.
    axis : int, default -1
        The axis to normalise along.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype rule as :func:`softmax`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> from softmaxlab import softmax_shifted
    >>> softmax_shifted([1000.0, 1000.0])
    array([0.5, 0.5])
    """
    arr, ax = logits(z, axis)
    m = np.max(arr, axis=ax, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        t = np.exp(arr - m)
        return t / np.sum(t, axis=ax, keepdims=True)


def softmax_naive(z: Any, axis: Any = -1) -> np.ndarray:
    r"""The unshifted formula :math:`e^{z_j} / \sum_k e^{z_k}`, as printed in textbooks.

    Evaluated in the input's precision with floating-point warnings silenced,
    so that the book can show its failures: large logits overflow to ``inf``
    and give ``inf / inf = nan``; very negative logits underflow to 0 and give
    ``0 / 0 = nan``.

    Parameters
    ----------
    z : array_like
        Logits, as for :func:`softmax`.
    axis : int, default -1
        The axis to normalise along.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype rule as :func:`softmax`; may contain NaN.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> from softmaxlab import softmax_naive
    >>> softmax_naive([1.0, 1.0])
    array([0.5, 0.5])
    >>> softmax_naive([1000.0, 1000.0])  # exp(1000) overflows
    array([nan, nan])
    """
    arr, ax = logits(z, axis)
    with np.errstate(all="ignore"):
        t = np.exp(arr)
        return t / np.sum(t, axis=ax, keepdims=True)
